package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/partybot/partybot/bot"
)

const jobsUsage = `Usage:
  partybot jobs list -config F          each job, its schedule and next fire time
  partybot jobs run NAME -config F      run one job now, through the outbox, and wait for delivery
`

func jobsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub, fs, err := subcommand("jobs", args, jobsUsage, stderr)
	if err != nil {
		return err
	}
	wait := fs.Duration("wait", time.Minute, "run: how long to wait for delivery (0: enqueue only)")
	app, pos, err := cliApp(ctx, fs, args[1:], stderr, getenv, sub != "list")
	if err != nil {
		return err
	}
	defer app.Store.Close()

	switch {
	case sub == "list" && len(pos) == 0:
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "JOB\tSCHEDULE\tNEXT")
		for _, e := range app.Scheduler.Entries(time.Now()) {
			spec, next := e.Spec, "-"
			if spec == "" {
				spec = "(disabled)"
			} else {
				next = e.Next.Format("2006-01-02 15:04:05 MST")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, spec, next)
		}
		return tw.Flush()
	case sub == "run" && len(pos) == 1:
		name := pos[0]
		if !slices.Contains(bot.JobNames(), name) {
			return fmt.Errorf("unknown job %q (jobs: %v)", name, bot.JobNames())
		}
		return runJobNow(ctx, app, name, *wait, stdout)
	}
	fmt.Fprint(stderr, jobsUsage)
	return flag.ErrHelp
}

// runJobNow enqueues a run for this second, as a cron fire would, then
// works the queue until it is empty or wait runs out. A serve replica on
// the same Redis may deliver some of it: the outbox keeps that exactly once.
func runJobNow(ctx context.Context, app *App, name string, wait time.Duration, stdout io.Writer) error {
	fire := time.Now().Truncate(time.Second)
	if _, err := app.Scheduler.RunNow(ctx, name, fire); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: enqueued run %s\n", name, fire.Format(time.RFC3339))
	if wait <= 0 {
		return nil
	}
	if err := app.Worker.Start(); err != nil {
		return err
	}
	defer app.Worker.Shutdown()
	deadline := time.Now().Add(wait)
	for {
		n, err := app.Outbox.Backlog(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d messages still queued after %s; a running serve will deliver them", n, wait)
		}
		time.Sleep(100 * time.Millisecond)
	}
	dead, err := app.Outbox.DeadLetters(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: done; %d dead letters in the outbox\n", name, len(dead))
	return nil
}

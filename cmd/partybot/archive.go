package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

const archiveUsage = `Usage:
  partybot archive -config F -before 2025-01-01 -o FILE.jsonl [-dry-run]

Moves the ledger of closed years out of Redis: check-ins, study reports,
closed meetings (attendance, record, corrections, minutes and photos with
their bytes), leaves and audit entries
dated before -before (a 1 January, at most this year's) are written to FILE
as JSON lines, the file is synced and closed, and only then are they deleted
from Redis. -dry-run counts them and changes nothing.
`

// weekAfter is the Monday after the week that contains t.
func weekAfter(t time.Time) time.Time {
	monday := t.AddDate(0, 0, -(int(t.Weekday())+6)%7)
	return time.Date(monday.Year(), monday.Month(), monday.Day()+7, 0, 0, 0, 0, t.Location())
}

func archiveCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("archive", flag.ContinueOnError)
	beforeFlag := fs.String("before", "", "archive what is dated before this day: a 1 January (YYYY-01-01)")
	out := fs.String("o", "", "archive file to create (JSON lines); refused if it exists")
	dryRun := fs.Bool("dry-run", false, "count what would be archived; write and delete nothing")
	app, pos, err := cliApp(ctx, fs, args, stderr, getenv, false)
	if err != nil {
		return err
	}
	defer app.Store.Close()
	loc, err := time.LoadLocation(app.Config.Timezone)
	if err != nil {
		return err
	}
	before, err := time.ParseInLocation(time.DateOnly, *beforeFlag, loc)
	switch {
	case len(pos) > 0 || err != nil || (*out == "" && !*dryRun):
		fmt.Fprint(stderr, archiveUsage)
		return flag.ErrHelp
	case before.Month() != time.January || before.Day() != 1:
		return fmt.Errorf("-before %s: only whole years are archived; give a 1 January", *beforeFlag)
	case before.Year() > time.Now().In(loc).Year():
		return fmt.Errorf("-before %s: the year is not over", *beforeFlag)
	case time.Now().Before(weekAfter(before)):
		// Study may be reported for any day of the current week, so the
		// last days of the year can still gain reports (and day sums).
		return fmt.Errorf("-before %s: study for the last days of %d can still be reported this week; archive from %s",
			*beforeFlag, before.Year()-1, weekAfter(before).Format(time.DateOnly))
	}
	if *dryRun {
		plan, err := app.Store.ArchiveCollect(ctx, before, loc, io.Discard)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dry run: would archive %s; nothing written or deleted\n", countsText(plan.Counts))
		return nil
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("archive file: %w", err)
	}
	w := bufio.NewWriter(f)
	plan, err := app.Store.ArchiveCollect(ctx, before, loc, w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync() // on disk before anything leaves Redis
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(fmt.Errorf("archive not written; Redis is unchanged: %w", err), os.Remove(*out))
	}
	if err := app.Store.ArchiveDelete(ctx, plan); err != nil {
		return fmt.Errorf("archive %s is written, but deleting from Redis failed (run again with a new -o to finish): %w", *out, err)
	}
	fmt.Fprintf(stdout, "archived %s to %s and removed them from Redis\n", countsText(plan.Counts), *out)
	return nil
}

func countsText(counts map[string]int) string {
	return fmt.Sprintf("%d check-ins, %d study reports, %d meetings (%d minutes, %d photos), %d leaves, %d audit entries",
		counts["checkin"], counts["study"], counts["meeting"], counts["minutes"], counts["photo"], counts["leave"], counts["audit"])
}

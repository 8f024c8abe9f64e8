// Package schedule is one of the bot's channels: it fires the jobs of
// bot.Jobs on robfig/cron v3 in the org's
// time zone. A fire only enqueues the run (keyed by job and fire time) in
// the outbox; any replica's worker then runs it, once.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/partybot/partybot/bot"
)

// Enqueuer takes job runs (outbox.Outbox).
type Enqueuer interface {
	EnqueueJob(ctx context.Context, run bot.JobRun) (enqueued bool, err error)
}

// parser reads six-field specs: seconds first.
var parser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Parse checks one spec.
func Parse(spec string) (cron.Schedule, error) { return parser.Parse(spec) }

// Scheduler owns the cron.
type Scheduler struct {
	cron    *cron.Cron
	enq     Enqueuer
	log     *slog.Logger
	loc     *time.Location
	specs   map[string]string
	ids     map[string]cron.EntryID
	timeout time.Duration
}

// Entry is one job's schedule.
type Entry struct {
	Name string
	Spec string // "" when disabled
	Next time.Time
}

// New validates specs (job name → spec; "" disables) and builds the cron.
func New(specs map[string]string, loc *time.Location, enq Enqueuer, log *slog.Logger) (*Scheduler, error) {
	l := cronLogger{log.With(slog.String("component", "cron"))}
	s := &Scheduler{
		// SkipIfStillRunning must be outermost: in v3.0.1 the other order
		// skips a job forever after one panic (robfig/cron#366, fixed only on untagged master).
		cron: cron.New(cron.WithParser(parser), cron.WithLocation(loc), cron.WithLogger(l),
			cron.WithChain(cron.SkipIfStillRunning(l), cron.Recover(l))),
		enq: enq, log: log, loc: loc, specs: specs, ids: map[string]cron.EntryID{}, timeout: 30 * time.Second,
	}
	for name, spec := range specs {
		if !slices.Contains(bot.JobNames(), name) {
			return nil, fmt.Errorf("schedule.%s: unknown job (known: %v)", name, bot.JobNames())
		}
		if spec == "" {
			continue
		}
		id, err := s.cron.AddJob(spec, cron.FuncJob(func() { s.tick(name) }))
		if err != nil {
			return nil, fmt.Errorf("schedule.%s: %q: %w", name, spec, err)
		}
		s.ids[name] = id
	}
	return s, nil
}

// Start runs the cron in the background.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops firing and waits (until ctx ends) for ticks in progress.
func (s *Scheduler) Stop(ctx context.Context) {
	select {
	case <-s.cron.Stop().Done():
	case <-ctx.Done():
	}
}

// tick enqueues one fire. The fire time is the scheduled one (Entry.Prev),
// not the moment the timer woke, so every replica derives the same run id.
func (s *Scheduler) tick(name string) {
	fire := s.cron.Entry(s.ids[name]).Prev
	if fire.IsZero() {
		fire = time.Now().In(s.loc).Truncate(time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	enqueued, err := s.Fire(ctx, name, fire)
	switch {
	case err != nil:
		s.log.Error("job fire not enqueued", slog.String("job", name), slog.Time("fire", fire), slog.Any("error", err))
	case enqueued:
		s.log.Info("job fired", slog.String("job", name), slog.Time("fire", fire))
	default:
		s.log.Debug("job fire taken by another replica", slog.String("job", name), slog.Time("fire", fire))
	}
}

// Fire enqueues the run of name for fire time; false means it was already
// enqueued (by another replica, or an earlier call).
func (s *Scheduler) Fire(ctx context.Context, name string, fire time.Time) (bool, error) {
	if !slices.Contains(bot.JobNames(), name) {
		return false, fmt.Errorf("schedule: unknown job %q (known: %v)", name, bot.JobNames())
	}
	return s.enq.EnqueueJob(ctx, bot.JobRun{Name: name, Fire: fire})
}

// RunNow enqueues a run a person asked for (`partybot jobs run`): it is
// marked manual, and never taken for the schedule's own fire.
func (s *Scheduler) RunNow(ctx context.Context, name string, fire time.Time) (bool, error) {
	if !slices.Contains(bot.JobNames(), name) {
		return false, fmt.Errorf("schedule: unknown job %q (known: %v)", name, bot.JobNames())
	}
	return s.enq.EnqueueJob(ctx, bot.JobRun{Name: name, Fire: fire, Manual: true})
}

// Entries lists every job with its spec and next fire time after now.
func (s *Scheduler) Entries(now time.Time) []Entry {
	out := make([]Entry, 0, len(bot.JobNames()))
	for _, name := range bot.JobNames() {
		e := Entry{Name: name, Spec: s.specs[name]}
		if e.Spec != "" {
			if sched, err := parser.Parse(e.Spec); err == nil {
				e.Next = sched.Next(now.In(s.loc))
			}
		}
		out = append(out, e)
	}
	return out
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, append(kv, slog.Any("error", err))...)
}

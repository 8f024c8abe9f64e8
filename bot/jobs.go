package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Scheduled jobs, by the names the config's schedule section uses.
const (
	JobCheckinReminder  = "checkin-reminder"
	JobStudyReminder    = "study-reminder"
	JobWeeklySummary    = "weekly-summary"
	JobObligations      = "obligations"
	JobMonthly          = "monthly"
	JobAnnounceReminder = "announce-reminder"
	JobDuesReminder     = "dues-reminder"
	JobLifecycle        = "lifecycle"
	JobDevelopment      = "development"
	JobYearCycle        = "year-cycle"
	JobMakeup           = "makeup"
)

// JobRun is one run of a job: when it was scheduled for, and whether a
// person asked for it now (`partybot jobs run`, the simulator) rather than
// the schedule. A manual run may do what the schedule leaves for later:
// announce-reminder nudges every open announcement, whatever its age.
type JobRun struct {
	Name   string
	Fire   time.Time
	Manual bool
}

// Outbound is one message a job run wants sent. Key is unique within the
// run and the same when the run is repeated, so the outbox can tell a
// repeat from a new message.
type Outbound struct {
	Key    string
	Notice Notice
}

// Job is one row of the job table: a scheduled run that computes messages
// and sends nothing itself (the outbox does).
type Job struct {
	Name        string // as the config's schedule section names it
	DefaultSpec string // when it fires unless configured: cron, seconds first
	Summary     string // one line for `jobs list`
	run         func(b *Bot, ctx context.Context, run JobRun) ([]Outbound, error)
}

// atFire adapts a job that needs only its fire time.
func atFire(fn func(b *Bot, ctx context.Context, fire time.Time) ([]Outbound, error)) func(*Bot, context.Context, JobRun) ([]Outbound, error) {
	return func(b *Bot, ctx context.Context, run JobRun) ([]Outbound, error) { return fn(b, ctx, run.Fire) }
}

// JobRunToken names a run for one-time steps (Steps.Once): the same for
// its retries, different for a manual run at the same time.
func JobRunToken(run JobRun) string {
	token := run.Name + "@" + strconv.FormatInt(run.Fire.Unix(), 10)
	if run.Manual {
		token += "!"
	}
	return token
}

// JobNames lists the jobs in table order.
func JobNames() []string {
	out := make([]string, len(Jobs))
	for i, j := range Jobs {
		out[i] = j.Name
	}
	return out
}

// LookupJob finds a job by name.
func LookupJob(name string) (Job, bool) {
	i := slices.IndexFunc(Jobs, func(j Job) bool { return j.Name == name })
	if i < 0 {
		return Job{}, false
	}
	return Jobs[i], true
}

// DefaultSchedule maps every job to its default spec.
func DefaultSchedule() map[string]string {
	out := make(map[string]string, len(Jobs))
	for _, j := range Jobs {
		out[j.Name] = j.DefaultSpec
	}
	return out
}

// checkJobs catches a malformed table at start-up rather than at a fire.
func checkJobs(jobs []Job) error {
	seen := map[string]bool{}
	for _, j := range jobs {
		switch {
		case j.Name == "" || j.DefaultSpec == "" || j.run == nil:
			return fmt.Errorf("bot: job %q needs a name, a default spec and a run", j.Name)
		case seen[j.Name]:
			return fmt.Errorf("bot: job %q is in the table twice", j.Name)
		}
		seen[j.Name] = true
	}
	return nil
}

// Job computes one scheduled run's messages for the fire time. It sends
// nothing itself: the caller puts the messages in the outbox.
func (b *Bot) Job(ctx context.Context, name string, fire time.Time) ([]Outbound, error) {
	return b.RunJob(ctx, JobRun{Name: name, Fire: fire})
}

// RunJob computes one run's messages.
func (b *Bot) RunJob(ctx context.Context, run JobRun) ([]Outbound, error) {
	j, ok := LookupJob(run.Name)
	if !ok {
		return nil, fmt.Errorf("bot: unknown job %q", run.Name)
	}
	return j.run(b, ctx, run)
}

// eachBranch calls fn for every active branch, in order.
func (b *Bot) eachBranch(ctx context.Context, fn func(Branch) error) error {
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return err
	}
	for _, br := range branches {
		if err := fn(br); err != nil {
			return err
		}
	}
	return nil
}

// activeBranches lists the branches in the config: retired ones get no jobs.
func (b *Bot) activeBranches(ctx context.Context) ([]Branch, error) {
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: read branches: %w", err)
	}
	return slices.DeleteFunc(branches, func(br Branch) bool { return br.Retired }), nil
}

// NotCheckedIn lists a branch's active members who have not checked in on
// day d, leaving out those on leave that day: they get no reminder and are
// not counted as missing.
func (b *Bot) NotCheckedIn(ctx context.Context, branchID string, d Date) ([]Member, error) {
	present, err := b.notOnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	done, err := b.Checkins.CheckedIn(ctx, branchID, d)
	if err != nil {
		return nil, fmt.Errorf("bot: read check-ins of %s: %w", branchID, err)
	}
	var out []Member
	for _, m := range present {
		if !done[m.UserID] {
			out = append(out, m)
		}
	}
	return out, nil
}

// notOnLeave lists a branch's active members who are not on leave on day d:
// the only ones reminders go to.
func (b *Bot) notOnLeave(ctx context.Context, branchID string, d Date) ([]Member, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	away, err := b.OnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(members))
	for _, m := range members {
		if !away[m.UserID] {
			out = append(out, m)
		}
	}
	return out, nil
}

// uniform batches one text to many members: identical messages go out as
// touser lists of at most MaxRecipients, one API call each.
func uniform(key string, to []string, n Notice) []Outbound {
	if len(to) == 0 {
		return nil
	}
	slices.Sort(to)
	n.To = to
	parts := n.Split()
	out := make([]Outbound, len(parts))
	for i, p := range parts {
		out[i] = Outbound{Key: fmt.Sprintf("%s:%d", key, i), Notice: p}
	}
	return out
}

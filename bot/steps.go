package bot

import (
	"context"
	"strconv"
	"strings"
)

// Steps remembers one-time steps of jobs: a reminder goes out once however
// often its job runs, and a retried run repeats its own step. It is the one
// once-per-run mechanism: dues reminders, 转正 notices, birthdays and each
// announcement's nudge and eve reminder all go through it.
type Steps interface {
	// Once claims step in scope for run: true for the run that took it
	// first, and for that run's retries.
	Once(ctx context.Context, scope, step, run string) (mine bool, err error)
}

// AnnouncementStep names a one-time step of announcement no of a scope
// ("nudge", "eve").
func AnnouncementStep(no int, name string) string {
	return "ann:" + strconv.Itoa(no) + ":" + name
}

// ParseAnnouncementStep reads AnnouncementStep back; the store uses it to
// honour steps taken before the steps were kept in one place.
func ParseAnnouncementStep(step string) (no int, name string, ok bool) {
	rest, ok := strings.CutPrefix(step, "ann:")
	if !ok {
		return 0, "", false
	}
	num, name, ok := strings.Cut(rest, ":")
	if !ok || name == "" {
		return 0, "", false
	}
	no, err := strconv.Atoi(num)
	if err != nil || no <= 0 {
		return 0, "", false
	}
	return no, name, true
}

package bot

import (
	"context"
	"time"
)

// DedupeStatus says what is known about an earlier delivery of a message.
type DedupeStatus int

// Outcomes of Deduper.Claim.
const (
	DedupeNew      DedupeStatus = iota // first delivery: process it
	DedupeInFlight                     // an earlier delivery is being processed right now
	DedupeDone                         // processed before: answer with the stored reply
)

// Deduper remembers which deliveries were processed, so that WeCom's
// retries have no second effect.
type Deduper interface {
	// Claim marks key as being processed, or reports what an earlier delivery
	// of it did. earlier is set only for DedupeDone.
	Claim(ctx context.Context, key string) (status DedupeStatus, earlier Reply, err error)
	// Complete records that key was processed and what was answered.
	Complete(ctx context.Context, key string, r Reply) error
	// Release forgets an unfinished claim so that a retry is processed afresh.
	Release(ctx context.Context, key string) error
}

// Checkin is one daily check-in (签到).
type Checkin struct {
	BranchID string
	UserID   string
	Day      Date
	At       time.Time
	Source   string // dedupe key of the message that made it
}

// CheckinStore keeps daily check-ins.
type CheckinStore interface {
	// CheckIn stores c unless the member already checked in on c.Day, and
	// returns the record that is stored (c itself, or the earlier one) and
	// whether this call created it.
	CheckIn(ctx context.Context, c Checkin) (stored Checkin, created bool, err error)
	// CheckinDays lists the days in [from, to] on which the member checked in.
	CheckinDays(ctx context.Context, branchID, userID string, from, to Date) ([]Date, error)
	// CheckinDaysMany is CheckinDays for many members of a branch at once.
	CheckinDaysMany(ctx context.Context, branchID string, userIDs []string, from, to Date) (map[string][]Date, error)
	// CheckedIn lists who in a branch checked in on day d.
	CheckedIn(ctx context.Context, branchID string, d Date) (map[string]bool, error)
	// AttachLocation keeps the member's latest location of day d with that
	// day's check-in, and reports whether they have checked in yet.
	AttachLocation(ctx context.Context, branchID, userID string, d Date, loc Location) (checkedIn bool, err error)
}

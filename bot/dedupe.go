package bot

import (
	"context"
	"errors"
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

// ErrInFlight means another delivery of the same message is being handled;
// the caller answers so that WeCom retries.
var ErrInFlight = errors.New("bot: an earlier delivery of this message is still being handled")

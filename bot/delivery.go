package bot

import (
	"context"
	"time"
)

// DeliveryLog remembers members WeCom accepted messages for but did not
// reach (left the company, never activated, no licence), so that their
// secretaries learn of it in the weekly summary.
type DeliveryLog interface {
	// MarkUndelivered notes that a message to these members was not delivered at at.
	MarkUndelivered(ctx context.Context, userIDs []string, at time.Time) error
	// Undelivered lists those of userIDs not reached since since.
	Undelivered(ctx context.Context, userIDs []string, since time.Time) ([]string, error)
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.AuditLog = (*Store)(nil)

func (s *Store) auditKey() string { return s.key("audit") }

// Append implements bot.AuditLog: XADD to one stream, never trimmed.
func (s *Store) Append(ctx context.Context, e bot.AuditEntry) error {
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.auditKey(),
		Values: []any{
			"at", e.At.UTC().Format(time.RFC3339), "actor", e.Actor, "action", e.Action,
			"branch", e.Branch, "target", e.Target, "detail", e.Detail,
		},
	}).Err()
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// AuditEntries returns up to n of the newest entries, oldest first.
func (s *Store) AuditEntries(ctx context.Context, n int64) ([]bot.AuditEntry, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(), "+", "-", n).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	out := make([]bot.AuditEntry, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		v := msgs[i].Values
		str := func(k string) string { s, _ := v[k].(string); return s }
		at, _ := time.Parse(time.RFC3339, str("at"))
		out = append(out, bot.AuditEntry{At: at, Actor: str("actor"), Action: str("action"),
			Branch: str("branch"), Target: str("target"), Detail: str("detail")})
	}
	return out, nil
}

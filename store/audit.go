package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.AuditLog = (*Store)(nil)

func (s *Store) auditKey() string { return s.key("audit") }

// auditOnceKey marks that a message's entry for an action on a target is
// written. Its hash tag is the stream's whole name, so both keys share the
// stream's slot and one script may touch them on a Cluster.
func (s *Store) auditOnceKey(e bot.AuditEntry) string {
	return s.prefix + "{" + s.auditKey() + "}:once:" + e.Action + ":" + strings.ToLower(e.Target) + ":" + e.Msg
}

// auditOnceScript appends an entry unless the message's mark is there:
// KEYS stream, mark; ARGV the mark's TTL in seconds, then field, value...
var auditOnceScript = redis.NewScript(`
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
return 1
`)

// Append implements bot.AuditLog: XADD to one stream, never trimmed. An
// entry naming its message is written once per action, target and message
// (the mark outlives WeCom's retries: DoneTTL).
func (s *Store) Append(ctx context.Context, e bot.AuditEntry) error {
	values := []any{
		"at", e.At.UTC().Format(time.RFC3339), "actor", e.Actor, "action", e.Action,
		"branch", e.Branch, "target", e.Target, "detail", e.Detail,
	}
	var err error
	if e.Msg == "" {
		err = s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.auditKey(), Values: values}).Err()
	} else {
		args := append([]any{int64(s.DoneTTL / time.Second)}, values...)
		err = auditOnceScript.Run(ctx, s.rdb, []string{s.auditKey(), s.auditOnceKey(e)}, args...).Err()
	}
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

package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.DeliveryLog = (*Store)(nil)

// undeliveredKeep is how long an undelivered note is kept: the weekly
// summary reads one week, so a month is ample.
const undeliveredKeep = 31 * 24 * time.Hour

// MarkUndelivered implements bot.DeliveryLog: one sorted set of userids
// scored by the last time WeCom did not deliver to them; older notes are
// trimmed on every write, so the set stays small.
func (s *Store) MarkUndelivered(ctx context.Context, userIDs []string, at time.Time) error {
	if len(userIDs) == 0 {
		return nil
	}
	key := s.key("undelivered")
	zs := make([]redis.Z, len(userIDs))
	for i, id := range userIDs {
		zs[i] = redis.Z{Score: float64(at.Unix()), Member: bot.NormalizeUserID(id)}
	}
	pipe := s.rdb.TxPipeline()
	pipe.ZAdd(ctx, key, zs...)
	pipe.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(at.Add(-undeliveredKeep).Unix(), 10))
	pipe.Expire(ctx, key, undeliveredKeep)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store: mark undelivered: %w", err)
	}
	return nil
}

// Undelivered implements bot.DeliveryLog.
func (s *Store) Undelivered(ctx context.Context, userIDs []string, since time.Time) ([]string, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	// The weekly summary asks for a chunk of branches at once: a pipeline
	// of bounded ZMSCOREs, not one command of every member's id.
	const perCommand = 10_000
	var cmds []*redis.FloatSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(userIDs); start += perCommand {
			cmds = append(cmds, p.ZMScore(ctx, s.key("undelivered"), userIDs[start:min(start+perCommand, len(userIDs))]...))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read undelivered: %w", err)
	}
	var out []string
	for c, cmd := range cmds {
		for i, sc := range cmd.Val() {
			if sc > 0 && int64(sc) >= since.Unix() {
				out = append(out, userIDs[c*perCommand+i])
			}
		}
	}
	return out, nil
}

package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RateLimit is a number of messages per minute and per hour (0: no limit).
type RateLimit struct {
	PerMinute int
	PerHour   int
}

// Limits are WeCom's delivery limits (WeCom doc 90454, 访问频率限制): an app may
// send one member at most 30 messages a minute and 1000 an hour (more are
// silently dropped); a group chat gets 20 a minute, the robot limit, as a
// conservative bound.
type Limits struct {
	Member RateLimit
	Chat   RateLimit
}

// DefaultLimits are WeCom's documented limits.
var DefaultLimits = Limits{Member: RateLimit{PerMinute: 30, PerHour: 1000}, Chat: RateLimit{PerMinute: 20}}

// Limiter counts messages per recipient in fixed minute and hour windows.
// Each counter is one key, so it works on Redis Cluster; the counters of a
// whole batch go in one pipeline. (go-redis/redis_rate would put its keys
// under "rate:", outside key_prefix.)
type Limiter struct {
	s      *Store
	limits Limits
}

// Limiter returns a limiter over this store.
func (s *Store) Limiter(l Limits) *Limiter { return &Limiter{s: s, limits: l} }

type window struct {
	name  string
	size  time.Duration
	limit int
}

func (l RateLimit) windows() []window {
	var out []window
	if l.PerMinute > 0 {
		out = append(out, window{"m", time.Minute, l.PerMinute})
	}
	if l.PerHour > 0 {
		out = append(out, window{"h", time.Hour, l.PerHour})
	}
	return out
}

// count adds one message for each key and reports, per key, whether it
// stayed within every window, and how long until the tightest window that
// did not ends.
func (l *Limiter) count(ctx context.Context, kind string, keys []string, lim RateLimit, now time.Time) ([]bool, time.Duration, error) {
	wins := lim.windows()
	cmds := make([][]*redis.IntCmd, len(keys))
	_, err := l.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			for _, w := range wins {
				slot := strconv.FormatInt(now.Unix()/int64(w.size.Seconds()), 10)
				key := l.s.key("ratelimit", kind, k, w.name, slot)
				cmds[i] = append(cmds[i], p.Incr(ctx, key))
				p.Expire(ctx, key, 2*w.size)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: rate limit: %w", err)
	}
	ok := make([]bool, len(keys))
	var wait time.Duration
	for i := range keys {
		ok[i] = true
		for j, w := range wins {
			if cmds[i][j].Val() > int64(w.limit) {
				ok[i] = false
				end := now.Truncate(w.size).Add(w.size)
				wait = max(wait, end.Sub(now))
			}
		}
	}
	return ok, wait, nil
}

// AllowRecipients implements outbox.Limiter.
func (l *Limiter) AllowRecipients(ctx context.Context, userIDs []string, now time.Time) (allowed, deferred []string, retryAfter time.Duration, err error) {
	ok, wait, err := l.count(ctx, "user", userIDs, l.limits.Member, now)
	if err != nil {
		return nil, nil, 0, err
	}
	for i, u := range userIDs {
		if ok[i] {
			allowed = append(allowed, u)
		} else {
			deferred = append(deferred, u)
		}
	}
	return allowed, deferred, wait, nil
}

// AllowChat implements outbox.Limiter.
func (l *Limiter) AllowChat(ctx context.Context, chatID string, now time.Time) (bool, time.Duration, error) {
	ok, wait, err := l.count(ctx, "chat", []string{chatID}, l.limits.Chat, now)
	if err != nil {
		return false, 0, err
	}
	return ok[0], wait, nil
}

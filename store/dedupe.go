package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.Deduper = (*Store)(nil)

const (
	dedupeInFlight   = "inflight"
	dedupeDonePrefix = "done:"
)

// claimScript returns the current mark, or sets the in-flight mark and
// returns nil, in one step so two deliveries cannot both win.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
`)

// releaseScript deletes the mark only while it is still in flight.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

func (s *Store) dedupeKey(key string) string { return s.key("dedupe", key) }

// Claim implements bot.Deduper.
func (s *Store) Claim(ctx context.Context, key string) (bot.DedupeStatus, bot.Reply, error) {
	v, err := claimScript.Run(ctx, s.rdb, []string{s.dedupeKey(key)}, dedupeInFlight, int(s.ClaimTTL.Seconds())).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return bot.DedupeNew, bot.Reply{}, nil
	case err != nil:
		return 0, bot.Reply{}, fmt.Errorf("store: claim: %w", err)
	case v == dedupeInFlight:
		return bot.DedupeInFlight, bot.Reply{}, nil
	}
	var r bot.Reply
	if err := json.Unmarshal([]byte(strings.TrimPrefix(v, dedupeDonePrefix)), &r); err != nil {
		return 0, bot.Reply{}, fmt.Errorf("store: decode stored reply: %w", err)
	}
	return bot.DedupeDone, r, nil
}

// Complete implements bot.Deduper.
func (s *Store) Complete(ctx context.Context, key string, r bot.Reply) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: encode reply: %w", err)
	}
	if err := s.rdb.Set(ctx, s.dedupeKey(key), dedupeDonePrefix+string(b), s.DoneTTL).Err(); err != nil {
		return fmt.Errorf("store: complete: %w", err)
	}
	return nil
}

// Release implements bot.Deduper.
func (s *Store) Release(ctx context.Context, key string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{s.dedupeKey(key)}, dedupeInFlight).Err(); err != nil {
		return fmt.Errorf("store: release: %w", err)
	}
	return nil
}

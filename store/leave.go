package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.LeaveStore = (*Store)(nil)

func (s *Store) leavesKey(branchID string) string { return s.branchKey(branchID, "leaves") }

// leavesByEndKey indexes a branch's leaves by their last day, so that a
// window's leaves are found without reading the branch's whole history.
func (s *Store) leavesByEndKey(branchID string) string {
	return s.branchKey(branchID, "leaves", "by_end")
}

// PutLeave implements bot.LeaveStore: the record and its index entry in one
// transaction (both keys in the branch's slot).
func (s *Store) PutLeave(ctx context.Context, l bot.Leave) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("store: encode leave: %w", err)
	}
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, s.leavesKey(l.BranchID), l.ID, raw)
	pipe.ZAdd(ctx, s.leavesByEndKey(l.BranchID), redis.Z{Score: float64(l.To.Number()), Member: l.ID})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store: put leave: %w", err)
	}
	return nil
}

// leavesOverlapScript returns the leaves whose last day is on or after
// ARGV[1] (KEYS: records, index), or -1 when the index has fewer entries
// than the records (leaves stored before it existed): then the caller
// rebuilds it and asks again.
var leavesOverlapScript = redis.NewScript(`
if redis.call('ZCARD', KEYS[2]) < redis.call('HLEN', KEYS[1]) then return -1 end
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[1], '+inf')
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))
`)

// Leaves implements bot.LeaveStore: the leaves overlapping [from, to], in
// one round trip whose cost follows the window, not the years kept.
func (s *Store) Leaves(ctx context.Context, branchID string, from, to bot.Date) ([]bot.Leave, error) {
	keys := []string{s.leavesKey(branchID), s.leavesByEndKey(branchID)}
	res, err := leavesOverlapScript.Run(ctx, s.rdb, keys, from.Number()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list leaves: %w", err)
	}
	if res == int64(-1) {
		if err := s.indexLeaves(ctx, branchID); err != nil {
			return nil, err
		}
		return s.Leaves(ctx, branchID, from, to)
	}
	return decodeLeavesOverlap(res, to)
}

// indexLeaves builds a branch's leave index from its records, once.
func (s *Store) indexLeaves(ctx context.Context, branchID string) error {
	all, err := s.rdb.HGetAll(ctx, s.leavesKey(branchID)).Result()
	if err != nil {
		return fmt.Errorf("store: index leaves: %w", err)
	}
	zs := make([]redis.Z, 0, len(all))
	for id, raw := range all {
		var l bot.Leave
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return fmt.Errorf("store: decode leave: %w", err)
		}
		zs = append(zs, redis.Z{Score: float64(l.To.Number()), Member: id})
	}
	if err := s.rdb.ZAdd(ctx, s.leavesByEndKey(branchID), zs...).Err(); err != nil {
		return fmt.Errorf("store: index leaves: %w", err)
	}
	return nil
}

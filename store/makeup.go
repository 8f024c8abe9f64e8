package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// 补学: a branch's pending make-ups in one hash ({b}:makeup, field
// "<meeting>|<userid>", JSON bot.Makeup) written once at 结束会议 (HSETNX:
// a retried close adds nothing), and their completions in another
// ({b}:makeup:done, same fields, JSON bot.MakeupDone) written with HSETNX
// so that a retried or concurrent 补学 completes a meeting once.

func (s *Store) makeupKey(branchID string) string { return s.branchKey(branchID, "makeup") }
func (s *Store) makeupDoneKey(branchID string) string {
	return s.branchKey(branchID, "makeup", "done")
}

func makeupField(meetingID, userID string) string { return meetingID + "|" + userID }

// AddMakeups implements bot.MakeupStore.
func (s *Store) AddMakeups(ctx context.Context, branchID string, ms []bot.Makeup) error {
	if len(ms) == 0 {
		return nil
	}
	pipe := s.rdb.TxPipeline()
	for _, m := range ms {
		enc, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("store: encode makeup: %w", err)
		}
		pipe.HSetNX(ctx, s.makeupKey(branchID), makeupField(m.Meeting.ID, m.UserID), enc)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store: add makeups: %w", err)
	}
	return nil
}

// Makeups implements bot.MakeupStore.
func (s *Store) Makeups(ctx context.Context, branchID string) ([]bot.Makeup, error) {
	many, err := s.MakeupsMany(ctx, []string{branchID})
	return many[branchID], err
}

// MakeupsMany implements bot.MakeupStore: two hashes a branch, one pipeline.
func (s *Store) MakeupsMany(ctx context.Context, branchIDs []string) (map[string][]bot.Makeup, error) {
	all := make([]*redis.MapStringStringCmd, len(branchIDs))
	done := make([]*redis.MapStringStringCmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			all[i] = p.HGetAll(ctx, s.makeupKey(id))
			done[i] = p.HGetAll(ctx, s.makeupDoneKey(id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read makeups: %w", err)
	}
	out := make(map[string][]bot.Makeup, len(branchIDs))
	for i, id := range branchIDs {
		ms, err := decodeMakeups(all[i].Val(), done[i].Val())
		if err != nil {
			return nil, err
		}
		out[id] = ms
	}
	return out, nil
}

func decodeMakeups(all, done map[string]string) ([]bot.Makeup, error) {
	out := make([]bot.Makeup, 0, len(all))
	for field, raw := range all {
		var m bot.Makeup
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("store: decode makeup: %w", err)
		}
		if raw, ok := done[field]; ok {
			var d bot.MakeupDone
			if err := json.Unmarshal([]byte(raw), &d); err != nil {
				return nil, fmt.Errorf("store: decode makeup done: %w", err)
			}
			m.Done = &d
		}
		out = append(out, m)
	}
	return out, nil
}

// CompleteMakeup implements bot.MakeupStore.
func (s *Store) CompleteMakeup(ctx context.Context, branchID, meetingID, userID string, d bot.MakeupDone) (bool, error) {
	enc, err := json.Marshal(d)
	if err != nil {
		return false, fmt.Errorf("store: encode makeup done: %w", err)
	}
	ok, err := s.rdb.HSetNX(ctx, s.makeupDoneKey(branchID), makeupField(meetingID, userID), enc).Result()
	if err != nil {
		return false, fmt.Errorf("store: complete makeup: %w", err)
	}
	return ok, nil
}

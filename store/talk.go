package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/partybot/partybot/bot"
)

// 谈心谈话: a branch's talks of a year in one list ({b}:talk:<year>), JSON
// per talk in the order recorded. Handle's dedupe keeps a retried message
// from adding one twice.

func (s *Store) talkKey(branchID string, year int) string {
	return s.branchKey(branchID, "talk", strconv.Itoa(year))
}

// AddTalk implements bot.TalkStore.
func (s *Store) AddTalk(ctx context.Context, branchID string, t bot.Talk) error {
	enc, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: encode talk: %w", err)
	}
	if err := s.rdb.RPush(ctx, s.talkKey(branchID, t.Date.Year), enc).Err(); err != nil {
		return fmt.Errorf("store: add talk: %w", err)
	}
	return nil
}

// Talks implements bot.TalkStore.
func (s *Store) Talks(ctx context.Context, branchID string, year int) ([]bot.Talk, error) {
	raws, err := s.rdb.LRange(ctx, s.talkKey(branchID, year), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list talks: %w", err)
	}
	out := make([]bot.Talk, 0, len(raws))
	for _, raw := range raws {
		var t bot.Talk
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("store: decode talk: %w", err)
		}
		out = append(out, t)
	}
	return out, nil
}

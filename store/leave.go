package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/partybot/partybot/bot"
)

var _ bot.LeaveStore = (*Store)(nil)

func (s *Store) leavesKey(branchID string) string { return s.branchKey(branchID, "leaves") }

// PutLeave implements bot.LeaveStore.
func (s *Store) PutLeave(ctx context.Context, l bot.Leave) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("store: encode leave: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.leavesKey(l.BranchID), l.ID, raw).Err(); err != nil {
		return fmt.Errorf("store: put leave: %w", err)
	}
	return nil
}

// BranchLeaves implements bot.LeaveStore, ordered by start date.
func (s *Store) BranchLeaves(ctx context.Context, branchID string) ([]bot.Leave, error) {
	all, err := s.rdb.HVals(ctx, s.leavesKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list leaves: %w", err)
	}
	out := make([]bot.Leave, 0, len(all))
	for _, raw := range all {
		var l bot.Leave
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return nil, fmt.Errorf("store: decode leave: %w", err)
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].From.Before(out[j].From) || out[i].From == out[j].From && out[i].ID < out[j].ID
	})
	return out, nil
}

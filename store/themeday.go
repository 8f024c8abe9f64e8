package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/partybot/partybot/bot"
)

// 主题党日 计划: a branch's plan of a month ({b}:themeday:<yyyy-mm>, JSON).

// SaveThemePlan implements bot.ThemeDayStore.
func (s *Store) SaveThemePlan(ctx context.Context, p bot.ThemePlan) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: encode theme plan: %w", err)
	}
	if err := s.rdb.Set(ctx, s.branchKey(p.BranchID, "themeday", p.Month.String()), raw, 0).Err(); err != nil {
		return fmt.Errorf("store: save theme plan: %w", err)
	}
	return nil
}

// ThemePlan implements bot.ThemeDayStore.
func (s *Store) ThemePlan(ctx context.Context, branchID string, month bot.Month) (bot.ThemePlan, bool, error) {
	var p bot.ThemePlan
	found, err := s.getJSON(ctx, s.branchKey(branchID, "themeday", month.String()), &p)
	return p, found, err
}

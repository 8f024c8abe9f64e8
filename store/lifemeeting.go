package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/partybot/partybot/bot"
)

// 组织生活会: a branch's plan of a year ({b}:life:<year>, JSON), its
// anonymous 意见 ({b}:life:<year>:opinions, a list of JSON {text, date}
// without author) and the 检查材料 ({b}:life:<year>:materials, userid → JSON).

func (s *Store) lifeKey(branchID string, year int, parts ...string) string {
	return s.branchKey(branchID, append([]string{"life", strconv.Itoa(year)}, parts...)...)
}

// OpenLifeMeeting implements bot.LifeMeetingStore.
func (s *Store) OpenLifeMeeting(ctx context.Context, p bot.LifePlan) (bot.LifePlan, bool, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return bot.LifePlan{}, false, fmt.Errorf("store: encode life plan: %w", err)
	}
	set, err := s.rdb.SetNX(ctx, s.lifeKey(p.BranchID, p.Year), raw, 0).Result()
	if err != nil {
		return bot.LifePlan{}, false, fmt.Errorf("store: open life meeting: %w", err)
	}
	if set {
		return p, true, nil
	}
	stored, _, err := s.LifeMeeting(ctx, p.BranchID, p.Year)
	return stored, false, err
}

// LifeMeeting implements bot.LifeMeetingStore.
func (s *Store) LifeMeeting(ctx context.Context, branchID string, year int) (bot.LifePlan, bool, error) {
	var p bot.LifePlan
	found, err := s.getJSON(ctx, s.lifeKey(branchID, year), &p)
	return p, found, err
}

// SaveLifePlan implements bot.LifeMeetingStore.
func (s *Store) SaveLifePlan(ctx context.Context, p bot.LifePlan) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("store: encode life plan: %w", err)
	}
	if err := s.rdb.Set(ctx, s.lifeKey(p.BranchID, p.Year), raw, 0).Err(); err != nil {
		return fmt.Errorf("store: save life plan: %w", err)
	}
	return nil
}

// AddOpinion implements bot.LifeMeetingStore.
func (s *Store) AddOpinion(ctx context.Context, branchID string, year int, o bot.Opinion) error {
	raw, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("store: encode opinion: %w", err)
	}
	if err := s.rdb.RPush(ctx, s.lifeKey(branchID, year, "opinions"), raw).Err(); err != nil {
		return fmt.Errorf("store: add opinion: %w", err)
	}
	return nil
}

// Opinions implements bot.LifeMeetingStore.
func (s *Store) Opinions(ctx context.Context, branchID string, year int) ([]bot.Opinion, error) {
	raws, err := s.rdb.LRange(ctx, s.lifeKey(branchID, year, "opinions"), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read opinions: %w", err)
	}
	out := make([]bot.Opinion, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			return nil, fmt.Errorf("store: decode opinion: %w", err)
		}
	}
	return out, nil
}

// SaveMaterial implements bot.LifeMeetingStore.
func (s *Store) SaveMaterial(ctx context.Context, branchID string, year int, m bot.Material) error {
	return s.hsetJSON(ctx, s.lifeKey(branchID, year, "materials"), m.UserID, m)
}

// Materials implements bot.LifeMeetingStore.
func (s *Store) Materials(ctx context.Context, branchID string, year int) (map[string]bot.Material, error) {
	return hgetAllJSON[bot.Material](ctx, s, s.lifeKey(branchID, year, "materials"))
}

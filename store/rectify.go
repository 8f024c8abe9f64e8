package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/partybot/partybot/bot"
)

// 整改 and 议定 items: a per-branch counter ({b}:rectify:seq) numbers them
// and a hash ({b}:rectify:items, number → JSON) keeps them.

func (s *Store) rectifySeqKey(branchID string) string { return s.branchKey(branchID, "rectify", "seq") }
func (s *Store) rectifyItemsKey(branchID string) string {
	return s.branchKey(branchID, "rectify", "items")
}

// AddRectifyItem implements bot.RectifyStore.
func (s *Store) AddRectifyItem(ctx context.Context, branchID string, item bot.RectifyItem) (bot.RectifyItem, error) {
	no, err := s.rdb.Incr(ctx, s.rectifySeqKey(branchID)).Result()
	if err != nil {
		return bot.RectifyItem{}, fmt.Errorf("store: number rectify item: %w", err)
	}
	item.No = int(no)
	if err := s.SaveRectifyItem(ctx, branchID, item); err != nil {
		return bot.RectifyItem{}, err
	}
	return item, nil
}

// SaveRectifyItem implements bot.RectifyStore.
func (s *Store) SaveRectifyItem(ctx context.Context, branchID string, item bot.RectifyItem) error {
	enc, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("store: encode rectify item: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.rectifyItemsKey(branchID), strconv.Itoa(item.No), enc).Err(); err != nil {
		return fmt.Errorf("store: save rectify item: %w", err)
	}
	return nil
}

// RectifyItems implements bot.RectifyStore.
func (s *Store) RectifyItems(ctx context.Context, branchID string) ([]bot.RectifyItem, error) {
	all, err := s.rdb.HGetAll(ctx, s.rectifyItemsKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list rectify items: %w", err)
	}
	return decodeRectifyItems(all)
}

// RectifyItemsMany implements bot.RectifyStore.
func (s *Store) RectifyItemsMany(ctx context.Context, branchIDs []string) (map[string][]bot.RectifyItem, error) {
	return hashesMany(ctx, s, branchIDs, s.rectifyItemsKey, decodeRectifyItems)
}

func decodeRectifyItems(all map[string]string) ([]bot.RectifyItem, error) {
	out := make([]bot.RectifyItem, 0, len(all))
	for no, raw := range all {
		var it bot.RectifyItem
		if err := json.Unmarshal([]byte(raw), &it); err != nil {
			return nil, fmt.Errorf("store: decode rectify item %s: %w", no, err)
		}
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].No < out[j].No })
	return out, nil
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/partybot/partybot/bot"
	"github.com/redis/go-redis/v9"
)

// 学习材料: who studied material <no> ({scope}:material:<no>:studied,
// userid → JSON {user, at, note, minutes}) and the minutes credited per
// year ({scope}:material:credit:<year>, userid → minutes). A scope is a
// branch id or the org's "!org", as for announcements.

func (s *Store) materialKey(scope string, parts ...string) string {
	return s.branchKey(scope, append([]string{"material"}, parts...)...)
}

// materialStudyScript sets the study once and credits its minutes only then.
var materialStudyScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[2], ARGV[1], ARGV[3]) end
return 1`)

// RecordMaterialStudy implements bot.MaterialStore.
func (s *Store) RecordMaterialStudy(ctx context.Context, scope string, no int, st bot.MaterialStudy) (bool, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return false, fmt.Errorf("store: encode study: %w", err)
	}
	year := strconv.Itoa(st.Year)
	keys := []string{s.materialKey(scope, strconv.Itoa(no), "studied"), s.materialKey(scope, "credit", year)}
	n, err := materialStudyScript.Run(ctx, s.rdb, keys, st.UserID, raw, st.Minutes).Int()
	if err != nil {
		return false, fmt.Errorf("store: record study: %w", err)
	}
	return n == 1, nil
}

// MaterialStudies implements bot.MaterialStore.
func (s *Store) MaterialStudies(ctx context.Context, scope string, no int) (map[string]bot.MaterialStudy, error) {
	all, err := s.rdb.HGetAll(ctx, s.materialKey(scope, strconv.Itoa(no), "studied")).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read studies: %w", err)
	}
	out := make(map[string]bot.MaterialStudy, len(all))
	for user, raw := range all {
		var st bot.MaterialStudy
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return nil, fmt.Errorf("store: decode study of %s: %w", user, err)
		}
		out[user] = st
	}
	return out, nil
}

// MaterialCredit implements bot.MaterialStore.
func (s *Store) MaterialCredit(ctx context.Context, scope, userID string, year int) (int, error) {
	n, err := s.rdb.HGet(ctx, s.materialKey(scope, "credit", strconv.Itoa(year)), userID).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store: read material credit: %w", err)
	}
	return n, nil
}

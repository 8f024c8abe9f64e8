package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// Who was on a branch's books when (tenures), open 组织关系 transfers, and
// who the address book sync last listed per branch.

func (s *Store) tenuresKey(branchID string) string   { return s.branchKey(branchID, "tenures") }
func (s *Store) tenuresIndexedKey() string           { return s.key("tenures", "indexed") }
func (s *Store) transfersKey(branchID string) string { return s.branchKey(branchID, "transfers") }
func (s *Store) directoryKey(branchID string) string { return s.branchKey(branchID, "directory") }

// A member's tenures in a branch are one hash field, "from~to" spells
// joined by commas, days as YYYY-MM-DD: "2025-03-01~2026-06-30,2026-09-01~".
// An empty from is "since before the history was kept"; an empty to is
// "still"; "?" is "left before the history was kept": until the day it
// began (the indexed key's value). Readable in redis-cli, and a script
// edits it in place.
const (
	tenureSep    = ","
	tenureTo     = "~"
	tenureBefore = "?"
)

// tenureScript opens (ARGV[3] = 1) or closes a member's tenure on a day.
// Opening an open one or closing a closed one changes nothing, so a retried
// roster write records nothing twice.
var tenureScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then cur = '' end
local open = cur ~= '' and string.sub(cur, -1) == '~'
if ARGV[3] == '1' then
  if open then return 0 end
  if cur ~= '' then cur = cur .. ',' end
  redis.call('HSET', KEYS[1], ARGV[1], cur .. ARGV[2] .. '~')
  return 1
end
if open then
  redis.call('HSET', KEYS[1], ARGV[1], cur .. ARGV[2])
  return 1
end
if cur == '' then
  redis.call('HSET', KEYS[1], ARGV[1], '~' .. ARGV[2])
  return 1
end
return 0
`)

// RecordTenures implements bot.MembershipHistory.
func (s *Store) RecordTenures(ctx context.Context, moves []bot.TenureMove) error {
	if _, err := s.indexTenures(ctx); err != nil {
		return err
	}
	for _, m := range moves {
		enter := "0"
		if m.Enter {
			enter = "1"
		}
		day := "" // since always
		if !m.Day.IsZero() {
			day = m.Day.String()
		}
		err := tenureScript.Run(ctx, s.rdb, []string{s.tenuresKey(m.BranchID)}, strings.ToLower(m.UserID), day, enter).Err()
		if err != nil {
			return fmt.Errorf("store: record tenure: %w", err)
		}
	}
	return nil
}

// Tenures implements bot.MembershipHistory, ordered by userid then time.
func (s *Store) Tenures(ctx context.Context, branchID string) ([]bot.Tenure, error) {
	began, err := s.indexTenures(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.rdb.HGetAll(ctx, s.tenuresKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read tenures: %w", err)
	}
	var out []bot.Tenure
	for id, spells := range all {
		for _, spell := range strings.Split(spells, tenureSep) {
			from, to, ok := strings.Cut(spell, tenureTo)
			if !ok {
				return nil, fmt.Errorf("store: tenure %q of %s in %s is not from~to", spell, id, branchID)
			}
			t := bot.Tenure{UserID: id}
			if to == tenureBefore {
				to = began.String()
			}
			for _, d := range []struct {
				text string
				into *bot.Date
			}{{from, &t.From}, {to, &t.To}} {
				if d.text == "" {
					continue
				}
				if *d.into, err = bot.ParseDate(d.text); err != nil {
					return nil, fmt.Errorf("store: tenure %q of %s in %s: %w", spell, id, branchID, err)
				}
			}
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].UserID != out[j].UserID {
			return out[i].UserID < out[j].UserID
		}
		return out[i].From.Before(out[j].From)
	})
	return out, nil
}

// indexTenures builds the history once on an install that kept none (a
// release before it): members on a branch's books are so since always,
// those who left are until today (when they left is not known). It runs
// before the first roster write (SaveMembers calls it), so it sees the
// roster as the previous release left it. HSETNX never overwrites what a
// write recorded meanwhile. It returns the day the history began.
func (s *Store) indexTenures(ctx context.Context) (bot.Date, error) {
	raw, err := s.rdb.Get(ctx, s.tenuresIndexedKey()).Result()
	if err == nil {
		d, err := bot.ParseDate(raw)
		if err != nil {
			return bot.Date{}, fmt.Errorf("store: %s: %w", s.tenuresIndexedKey(), err)
		}
		return d, nil
	}
	if !errors.Is(err, redis.Nil) {
		return bot.Date{}, fmt.Errorf("store: read %s: %w", s.tenuresIndexedKey(), err)
	}
	// The real day, not a job's: the upgrade happened now.
	began := bot.DateOf(time.Now(), time.UTC)
	all, err := s.AllMembers(ctx)
	if err != nil {
		return bot.Date{}, err
	}
	pipe := s.rdb.Pipeline() // many branches' keys: not one slot, so no MULTI
	for _, m := range all {
		switch id := strings.ToLower(m.UserID); {
		case m.BranchID == "":
		case m.Enrolled():
			pipe.HSetNX(ctx, s.tenuresKey(m.BranchID), id, tenureTo)
		case !m.Active:
			pipe.HSetNX(ctx, s.tenuresKey(m.BranchID), id, tenureTo+tenureBefore)
		}
	}
	pipe.SetNX(ctx, s.tenuresIndexedKey(), began.String(), 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return bot.Date{}, fmt.Errorf("store: index tenures: %w", err)
	}
	return began, nil
}

// SaveTransfer implements bot.TransferStore.
func (s *Store) SaveTransfer(ctx context.Context, t bot.Transfer) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: encode transfer: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.transfersKey(t.BranchID), strings.ToLower(t.UserID), raw).Err(); err != nil {
		return fmt.Errorf("store: save transfer: %w", err)
	}
	return nil
}

// Transfers implements bot.TransferStore.
func (s *Store) Transfers(ctx context.Context, branchID string) ([]bot.Transfer, error) {
	all, err := s.rdb.HGetAll(ctx, s.transfersKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read transfers: %w", err)
	}
	out := make([]bot.Transfer, 0, len(all))
	for _, raw := range all {
		var t bot.Transfer
		if err := json.Unmarshal([]byte(raw), &t); err != nil {
			return nil, fmt.Errorf("store: decode transfer: %w", err)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// EndTransfer implements bot.TransferStore.
func (s *Store) EndTransfer(ctx context.Context, branchID, userID string) error {
	if err := s.rdb.HDel(ctx, s.transfersKey(branchID), strings.ToLower(userID)).Err(); err != nil {
		return fmt.Errorf("store: end transfer: %w", err)
	}
	return nil
}

// DirectoryListing implements bot.RosterStore.
func (s *Store) DirectoryListing(ctx context.Context, branchID string) ([]string, bool, error) {
	raw, err := s.rdb.Get(ctx, s.directoryKey(branchID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read listing: %w", err)
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, false, fmt.Errorf("store: decode listing: %w", err)
	}
	return ids, true, nil
}

// SaveDirectoryListing implements bot.RosterStore.
func (s *Store) SaveDirectoryListing(ctx context.Context, branchID string, ids []string) error {
	raw, err := json.Marshal(append([]string{}, ids...))
	if err != nil {
		return fmt.Errorf("store: encode listing: %w", err)
	}
	if err := s.rdb.Set(ctx, s.directoryKey(branchID), raw, 0).Err(); err != nil {
		return fmt.Errorf("store: save listing: %w", err)
	}
	return nil
}

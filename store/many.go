package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// The weekly summary reads its branches in chunks: each kind of record of
// a chunk's branches in one pipeline (go-redis splits a pipeline by node on
// a Cluster; every command stays within one branch's slot), where reading
// branch by branch costs a round trip per branch and kind.

// hashesMany reads one hash per branch in one pipeline and decodes each.
func hashesMany[T any](ctx context.Context, s *Store, branchIDs []string, key func(string) string, decode func(map[string]string) (T, error)) (map[string]T, error) {
	cmds := make([]*redis.MapStringStringCmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			cmds[i] = p.HGetAll(ctx, key(id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read %d branches: %w", len(branchIDs), err)
	}
	out := make(map[string]T, len(branchIDs))
	for i, id := range branchIDs {
		v, err := decode(cmds[i].Val())
		if err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, nil
}

// BranchMembersMany implements bot.Roster: one HVALS a branch; a branch
// whose hash is not built (or older than an older release's write) is read
// by BranchMembers, which builds it.
func (s *Store) BranchMembersMany(ctx context.Context, branchIDs []string) (map[string][]bot.Member, error) {
	legacy, err := s.legacyRosterWrites(ctx, false)
	if err != nil {
		return nil, err
	}
	cmds := make([]*redis.StringSliceCmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			cmds[i] = p.HVals(ctx, s.branchRosterKey(id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read branch rosters: %w", err)
	}
	out := make(map[string][]bot.Member, len(branchIDs))
	for i, id := range branchIDs {
		all, built, err := decodeRoster(cmds[i].Val())
		if err != nil {
			return nil, err
		}
		if built < legacy {
			if out[id], err = s.BranchMembers(ctx, id); err != nil {
				return nil, err
			}
			continue
		}
		counted := all[:0]
		for _, m := range all {
			if m.Counts() {
				counted = append(counted, m)
			}
		}
		out[id] = counted
	}
	return out, nil
}

// CheckinDaysAndCountsMany implements bot.CheckinStore.
func (s *Store) CheckinDaysAndCountsMany(ctx context.Context, branchIDs []string, days, counted bot.Span) (map[string]bot.CheckinWeek, error) {
	var dates []bot.Date
	for d := days.From; !days.To.Before(d); d = d.AddDays(1) {
		dates = append(dates, d)
	}
	var countDates []bot.Date
	for d := counted.From; !counted.To.Before(d); d = d.AddDays(1) {
		countDates = append(countDates, d)
	}
	keys := make([][]*redis.StringSliceCmd, len(branchIDs))
	lens := make([][]*redis.IntCmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			for _, d := range dates {
				keys[i] = append(keys[i], p.HKeys(ctx, s.checkinDayKey(id, d)))
			}
			for _, d := range countDates {
				lens[i] = append(lens[i], p.HLen(ctx, s.checkinDayKey(id, d)))
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read check-ins: %w", err)
	}
	out := make(map[string]bot.CheckinWeek, len(branchIDs))
	for i, id := range branchIDs {
		w := bot.CheckinWeek{Days: map[string][]bot.Date{}, Counts: make([]int, len(countDates))}
		for j, d := range dates {
			for _, user := range keys[i][j].Val() {
				w.Days[user] = append(w.Days[user], d)
			}
		}
		for j, c := range lens[i] {
			w.Counts[j] = int(c.Val())
		}
		out[id] = w
	}
	return out, nil
}

// StudyDaySumsMany implements bot.StudyStore.
func (s *Store) StudyDaySumsMany(ctx context.Context, branchIDs []string, from, to bot.Date) (map[string]bot.StudyDays, error) {
	since := make([]*redis.StringCmd, len(branchIDs))
	cmds := make([][]*redis.MapStringStringCmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			since[i] = p.Get(ctx, s.studySumSinceKey(id))
			for d := from; !to.Before(d); d = d.AddDays(1) {
				cmds[i] = append(cmds[i], p.HGetAll(ctx, s.studySumKey(id, d)))
			}
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: read study sums: %w", err)
	}
	out := make(map[string]bot.StudyDays, len(branchIDs))
	for i, id := range branchIDs {
		first, err := since[i].Int64()
		if err != nil {
			out[id] = bot.StudyDays{} // none kept: the reports are counted
			continue
		}
		days := make([]map[string]string, len(cmds[i]))
		for j, c := range cmds[i] {
			days[j] = c.Val()
		}
		sums, ok := decodeStudyDays(days)
		if !ok {
			out[id] = bot.StudyDays{}
			continue
		}
		out[id] = bot.StudyDays{Days: sums, First: bot.DateFromNumber(first)}
	}
	return out, nil
}

// LeavesMany implements bot.LeaveStore: the overlap script per branch in
// one pipeline (sent whole: a pipeline cannot fall back from EVALSHA); a
// branch whose index needs building is read by Leaves.
func (s *Store) LeavesMany(ctx context.Context, branchIDs []string, from, to bot.Date) (map[string][]bot.Leave, error) {
	cmds := make([]*redis.Cmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			cmds[i] = leavesOverlapScript.Eval(ctx, p, []string{s.leavesKey(id), s.leavesByEndKey(id)}, from.Number())
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: list leaves: %w", err)
	}
	out := make(map[string][]bot.Leave, len(branchIDs))
	for i, id := range branchIDs {
		res := cmds[i].Val()
		if res == int64(-1) {
			ls, err := s.Leaves(ctx, id, from, to)
			if err != nil {
				return nil, err
			}
			out[id] = ls
			continue
		}
		ls, err := decodeLeavesOverlap(res, to)
		if err != nil {
			return nil, err
		}
		out[id] = ls
	}
	return out, nil
}

// decodeLeavesOverlap decodes the overlap script's records, keeping those
// that start by to, in order.
func decodeLeavesOverlap(res any, to bot.Date) ([]bot.Leave, error) {
	raws, _ := res.([]any)
	out := make([]bot.Leave, 0, len(raws))
	for _, raw := range raws {
		str, ok := raw.(string)
		if !ok {
			continue
		}
		var l bot.Leave
		if err := json.Unmarshal([]byte(str), &l); err != nil {
			return nil, fmt.Errorf("store: decode leave: %w", err)
		}
		if !to.Before(l.From) {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].From.Before(out[j].From) || out[i].From == out[j].From && out[i].ID < out[j].ID
	})
	return out, nil
}

// MeetingsMany implements bot.MeetingStore: the ids of every branch in one
// pipeline, the records in a second.
func (s *Store) MeetingsMany(ctx context.Context, branchIDs []string, from, to time.Time) (map[string][]bot.Meeting, error) {
	idCmds := make([]*redis.StringSliceCmd, len(branchIDs))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range branchIDs {
			idCmds[i] = p.ZRangeArgs(ctx, meetingsRange(s.meetingsKey(id), from, to))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: list meetings: %w", err)
	}
	recs := make([][]*redis.StringCmd, len(branchIDs))
	some := false
	for i := range branchIDs {
		some = some || len(idCmds[i].Val()) > 0
	}
	if some {
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range branchIDs {
				for _, mid := range idCmds[i].Val() {
					recs[i] = append(recs[i], p.Get(ctx, s.meetingKey(id, mid)))
				}
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("store: read meetings: %w", err)
		}
	}
	out := make(map[string][]bot.Meeting, len(branchIDs))
	for i, id := range branchIDs {
		var ms []bot.Meeting
		for _, c := range recs[i] {
			m, err := decodeMeeting(c.Val())
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		out[id] = ms
	}
	return out, nil
}

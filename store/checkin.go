package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.CheckinStore = (*Store)(nil)

// checkinRecord is the JSON stored per member in a day's hash.
type checkinRecord struct {
	At     time.Time `json:"at"`
	Source string    `json:"src"`
}

// decodeCheckinRecord reads a record as json.Marshal wrote it, without
// the reflection of encoding/json: a quarter's ledger reads half a million.
// Anything unexpected (an escaped character) goes through encoding/json.
func decodeCheckinRecord(raw string) (checkinRecord, error) {
	field := func(name string) (string, bool) {
		_, rest, ok := strings.Cut(raw, `"`+name+`":"`)
		if !ok {
			return "", false
		}
		v, _, ok := strings.Cut(rest, `"`)
		return v, ok && !strings.Contains(v, `\`)
	}
	at, ok1 := field("at")
	src, ok2 := field("src")
	if ok1 && ok2 {
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			return checkinRecord{At: t, Source: src}, nil
		}
	}
	var r checkinRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return r, fmt.Errorf("store: decode check-in: %w", err)
	}
	return r, nil
}

// encodeCheckinRecord writes exactly what json.Marshal would, without its
// reflection (every 签到 writes one); a source that JSON would escape, or a
// time it would refuse, goes through encoding/json.
func encodeCheckinRecord(r checkinRecord) ([]byte, error) {
	_, offset := r.At.Zone()
	if y := r.At.Year(); y < 0 || y > 9999 || offset <= -24*3600 || offset >= 24*3600 || !jsonPlain(r.Source) {
		return json.Marshal(r)
	}
	b := make([]byte, 0, 48+len(r.Source))
	b = append(b, `{"at":"`...)
	b = r.At.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","src":"`...)
	b = append(b, r.Source...)
	return append(b, `"}`...), nil
}

// jsonPlain reports whether encoding/json writes s between quotes as is.
func jsonPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// checkinScript writes the day's record and the member's day index together,
// unless the member already has a record that day, in which case it returns
// that one. Both keys carry the branch hash tag.
var checkinScript = redis.NewScript(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return {1, ARGV[2]}
`)

func (s *Store) checkinDayKey(branchID string, d bot.Date) string {
	return s.branchKey(branchID, "checkin", "day", d.String())
}

func (s *Store) checkinMemberKey(branchID, userID string) string {
	return s.branchKey(branchID, "checkin", "member", userID)
}

// CheckIn implements bot.CheckinStore.
func (s *Store) CheckIn(ctx context.Context, c bot.Checkin) (bot.Checkin, bool, error) {
	rec, err := encodeCheckinRecord(checkinRecord{At: c.At, Source: c.Source})
	if err != nil {
		return bot.Checkin{}, false, fmt.Errorf("store: encode check-in: %w", err)
	}
	keys := []string{s.checkinDayKey(c.BranchID, c.Day), s.checkinMemberKey(c.BranchID, c.UserID)}
	res, err := checkinScript.Run(ctx, s.rdb, keys, c.UserID, rec, c.Day.Number(), c.Day.String()).Slice()
	if err != nil {
		return bot.Checkin{}, false, fmt.Errorf("store: check in: %w", err)
	}
	if len(res) != 2 {
		return bot.Checkin{}, false, fmt.Errorf("store: check in: unexpected script result %v", res)
	}
	created, _ := res[0].(int64)
	raw, _ := res[1].(string)
	stored, err := decodeCheckinRecord(raw)
	if err != nil {
		return bot.Checkin{}, false, err
	}
	out := c
	out.At, out.Source = stored.At, stored.Source
	return out, created == 1, nil
}

// CheckinDays implements bot.CheckinStore.
func (s *Store) CheckinDays(ctx context.Context, branchID, userID string, from, to bot.Date) ([]bot.Date, error) {
	nums, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key:     s.checkinMemberKey(branchID, userID),
		Start:   strconv.FormatInt(from.Number(), 10),
		Stop:    strconv.FormatInt(to.Number(), 10),
		ByScore: true,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: check-in days: %w", err)
	}
	days := make([]bot.Date, 0, len(nums))
	for _, v := range nums {
		d, err := bot.ParseDate(v)
		if err != nil {
			return nil, err
		}
		days = append(days, d)
	}
	return days, nil
}

// CheckedIn implements bot.CheckinStore.
func (s *Store) CheckedIn(ctx context.Context, branchID string, d bot.Date) (map[string]bool, error) {
	users, err := s.rdb.HKeys(ctx, s.checkinDayKey(branchID, d)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read check-ins: %w", err)
	}
	out := make(map[string]bool, len(users))
	for _, u := range users {
		out[u] = true
	}
	return out, nil
}

// CheckinDaysOfBranch implements bot.CheckinStore: the span's day hashes'
// fields, one pipelined HKEYS a day (a week is 7 commands, where reading
// each member's index is one per member).
func (s *Store) CheckinDaysOfBranch(ctx context.Context, branchID string, from, to bot.Date) (map[string][]bot.Date, error) {
	days, _, err := s.CheckinDaysAndCounts(ctx, branchID, bot.Span{From: from, To: to}, bot.Span{From: to.AddDays(1), To: to})
	return days, err
}

// CheckinCounts implements bot.CheckinStore: one pipelined HLEN a day.
func (s *Store) CheckinCounts(ctx context.Context, branchID string, from, to bot.Date) ([]int, error) {
	_, counts, err := s.CheckinDaysAndCounts(ctx, branchID, bot.Span{From: to.AddDays(1), To: to}, bot.Span{From: from, To: to})
	return counts, err
}

// CheckinDaysAndCounts implements bot.CheckinStore: a HKEYS for each day of
// days and a HLEN for each of counted, in one pipeline.
func (s *Store) CheckinDaysAndCounts(ctx context.Context, branchID string, days, counted bot.Span) (map[string][]bot.Date, []int, error) {
	var dates []bot.Date
	var keys []*redis.StringSliceCmd
	var lens []*redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for d := days.From; !days.To.Before(d); d = d.AddDays(1) {
			dates = append(dates, d)
			keys = append(keys, p.HKeys(ctx, s.checkinDayKey(branchID, d)))
		}
		for d := counted.From; !counted.To.Before(d); d = d.AddDays(1) {
			lens = append(lens, p.HLen(ctx, s.checkinDayKey(branchID, d)))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: read check-ins: %w", err)
	}
	out := map[string][]bot.Date{}
	for i, d := range dates {
		for _, user := range keys[i].Val() {
			out[user] = append(out[user], d)
		}
	}
	counts := make([]int, len(lens))
	for i, c := range lens {
		counts[i] = int(c.Val())
	}
	return out, counts, nil
}

// CheckinRecords implements bot.CheckinStore: one pipelined read of the
// span's day hashes.
func (s *Store) CheckinRecords(ctx context.Context, branchID string, from, to bot.Date) ([]bot.Checkin, error) {
	var days []bot.Date
	for d := from; !to.Before(d); d = d.AddDays(1) {
		days = append(days, d)
	}
	cmds := make([]*redis.MapStringStringCmd, len(days))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.HGetAll(ctx, s.checkinDayKey(branchID, d))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read check-ins: %w", err)
	}
	var out []bot.Checkin
	for i, d := range days {
		for user, raw := range cmds[i].Val() {
			r, err := decodeCheckinRecord(raw)
			if err != nil {
				return nil, err
			}
			out = append(out, bot.Checkin{BranchID: branchID, UserID: user, Day: d, At: r.At, Source: r.Source})
		}
	}
	return out, nil
}

func (s *Store) checkinLocationKey(branchID string, d bot.Date) string {
	return s.branchKey(branchID, "checkin", "loc", d.String())
}

// AttachLocation implements bot.CheckinStore: the day's latest location
// per member sits beside the day's check-ins, read together for the ledger.
func (s *Store) AttachLocation(ctx context.Context, branchID, userID string, d bot.Date, loc bot.Location) (bool, error) {
	raw, err := json.Marshal(loc)
	if err != nil {
		return false, fmt.Errorf("store: encode location: %w", err)
	}
	var exists *redis.BoolCmd
	key := s.checkinLocationKey(branchID, d)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, userID, raw)
		// Location is sensitive personal information: kept LocationDays
		// after its day, then gone.
		p.ExpireAt(ctx, key, time.Unix(d.AddDays(s.locationDays+1).Number()*86400, 0))
		exists = p.HExists(ctx, s.checkinDayKey(branchID, d), userID)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: attach location: %w", err)
	}
	return exists.Val(), nil
}

// Location returns the member's location attached to day d, if any.
func (s *Store) Location(ctx context.Context, branchID, userID string, d bot.Date) (bot.Location, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.checkinLocationKey(branchID, d), userID).Bytes()
	if errors.Is(err, redis.Nil) {
		return bot.Location{}, false, nil
	}
	if err != nil {
		return bot.Location{}, false, fmt.Errorf("store: read location: %w", err)
	}
	var loc bot.Location
	if err := json.Unmarshal(raw, &loc); err != nil {
		return bot.Location{}, false, fmt.Errorf("store: decode location: %w", err)
	}
	return loc, true, nil
}

// CheckinDaysMany implements bot.CheckinStore with one pipeline per 1000 members.
func (s *Store) CheckinDaysMany(ctx context.Context, branchID string, userIDs []string, from, to bot.Date) (map[string][]bot.Date, error) {
	out := make(map[string][]bot.Date, len(userIDs))
	for start := 0; start < len(userIDs); start += pipelineChunk {
		chunk := userIDs[start:min(start+pipelineChunk, len(userIDs))]
		cmds := make([]*redis.StringSliceCmd, len(chunk))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, u := range chunk {
				cmds[i] = p.ZRangeArgs(ctx, redis.ZRangeArgs{
					Key: s.checkinMemberKey(branchID, u), ByScore: true,
					Start: strconv.FormatInt(from.Number(), 10), Stop: strconv.FormatInt(to.Number(), 10),
				})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: check-in days: %w", err)
		}
		for i, c := range cmds {
			for _, v := range c.Val() {
				d, err := bot.ParseDate(v)
				if err != nil {
					return nil, err
				}
				out[chunk[i]] = append(out[chunk[i]], d)
			}
		}
	}
	return out, nil
}

func (s *Store) streakKey(branchID, userID string) string {
	return s.branchKey(branchID, "checkin", "streak", userID)
}

func (s *Store) branchDedupeKey(branchID, key string) string {
	return s.branchKey(branchID, "dedupe", key)
}

// checkinMessageScript is a whole 签到 message in one round trip, on keys
// of the member's branch (one hash tag): the message's dedupe record, the
// day's check-ins, the member's day index, the member's streak state and
// the branch's open-meeting pointer.
//
// A message seen before returns its stored outcome, so WeCom's retry gets
// the same reply and has no second effect, and no retry ever meets an
// "in flight" window. Otherwise the check-in is written unless the member
// already has one that day; the streak grows when the last check-in is on
// or after the previous working day (ARGV[5], computed from the calendar),
// else starts at 1; and the outcome is stored under the message before the
// script returns. A member with check-ins but no streak state yet gets
// {-1}: the caller seeds the state from history and runs the script again.
//
// KEYS: dedupe, day, member index, streak, open meeting.
// ARGV: userid, record, day number, day string, previous working day
// number, dedupe TTL seconds.
var checkinMessageScript = redis.NewScript(`
local done = redis.call('GET', KEYS[1])
if done then return {0, done} end
local streak = redis.call('HMGET', KEYS[4], 'last', 'count')
local last = tonumber(streak[1] or '-1')
local count = tonumber(streak[2] or '0')
if last < 0 and redis.call('ZCARD', KEYS[3]) > 0 then return {-1} end
local created = 0
local record = redis.call('HGET', KEYS[2], ARGV[1])
if not record then
  record = ARGV[2]
  created = 1
  redis.call('HSET', KEYS[2], ARGV[1], record)
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
  local today = tonumber(ARGV[3])
  if last >= tonumber(ARGV[5]) and last < today then count = count + 1 elseif last ~= today then count = 1 end
  redis.call('HSET', KEYS[4], 'last', today, 'count', count)
end
local meeting = redis.call('EXISTS', KEYS[5])
local outcome = created .. '|' .. count .. '|' .. meeting .. '|' .. record
redis.call('SET', KEYS[1], outcome, 'EX', ARGV[6])
return {1, outcome}
`)

// parseCheckinOutcome reads what the script stores under a 签到 message:
// "created|streak|meeting|record JSON".
func parseCheckinOutcome(raw string) (created bool, streak int, meeting bool, record string, err error) {
	parts := strings.SplitN(raw, "|", 4)
	if len(parts) != 4 {
		return false, 0, false, "", fmt.Errorf("store: bad check-in outcome %q", raw)
	}
	streak, err = strconv.Atoi(parts[1])
	return parts[0] == "1", streak, parts[2] == "1", parts[3], err
}

// CheckInMessage implements bot.CheckinStore (checkinMessageScript).
func (s *Store) CheckInMessage(ctx context.Context, c bot.Checkin, prevWorkday bot.Date, history func(last bot.Date) (int, error)) (bot.CheckinOutcome, error) {
	rec, err := encodeCheckinRecord(checkinRecord{At: c.At, Source: c.Source})
	if err != nil {
		return bot.CheckinOutcome{}, fmt.Errorf("store: encode check-in: %w", err)
	}
	keys := []string{
		s.branchDedupeKey(c.BranchID, c.Source), s.checkinDayKey(c.BranchID, c.Day),
		s.checkinMemberKey(c.BranchID, c.UserID), s.streakKey(c.BranchID, c.UserID), s.openMeetingKey(c.BranchID),
	}
	args := []any{c.UserID, rec, c.Day.Number(), c.Day.String(), prevWorkday.Number(), int(s.DoneTTL.Seconds())}
	res, err := checkinMessageScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return bot.CheckinOutcome{}, fmt.Errorf("store: check in: %w", err)
	}
	if code, _ := res[0].(int64); code == -1 {
		// Check-ins from before the streak state: count them once.
		if err := s.seedStreak(ctx, c, history); err != nil {
			return bot.CheckinOutcome{}, err
		}
		if res, err = checkinMessageScript.Run(ctx, s.rdb, keys, args...).Slice(); err != nil {
			return bot.CheckinOutcome{}, fmt.Errorf("store: check in: %w", err)
		}
	}
	raw, _ := res[1].(string)
	created, streak, meeting, record, err := parseCheckinOutcome(raw)
	if err != nil {
		return bot.CheckinOutcome{}, err
	}
	out := c
	if record != string(rec) { // an earlier check-in stands
		stored, err := decodeCheckinRecord(record)
		if err != nil {
			return bot.CheckinOutcome{}, err
		}
		out.At, out.Source = stored.At, stored.Source
	}
	first, _ := res[0].(int64)
	return bot.CheckinOutcome{Stored: out, Created: created, Streak: streak, MeetingOpen: meeting, Repeat: first == 0}, nil
}

// seedStreak writes a member's streak state from their history: the streak
// that ends on their last check-in before today.
func (s *Store) seedStreak(ctx context.Context, c bot.Checkin, history func(last bot.Date) (int, error)) error {
	last, err := s.rdb.ZRevRangeByScore(ctx, s.checkinMemberKey(c.BranchID, c.UserID),
		&redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(c.Day.Number(), 10), Count: 1}).Result()
	if err != nil {
		return fmt.Errorf("store: seed streak: %w", err)
	}
	lastDay := int64(-1)
	count := 0
	if len(last) > 0 {
		d, err := bot.ParseDate(last[0])
		if err != nil {
			return err
		}
		if count, err = history(d); err != nil {
			return err
		}
		lastDay = d.Number()
	}
	if lastDay < 0 {
		lastDay = c.Day.Number() - 1000 // nothing before today: any new check-in starts at 1
	}
	if err := s.rdb.HSetNX(ctx, s.streakKey(c.BranchID, c.UserID), "count", count).Err(); err != nil {
		return fmt.Errorf("store: seed streak: %w", err)
	}
	if err := s.rdb.HSetNX(ctx, s.streakKey(c.BranchID, c.UserID), "last", lastDay).Err(); err != nil {
		return fmt.Errorf("store: seed streak: %w", err)
	}
	return nil
}

// Activity implements bot.CheckinStore: one pipeline.
func (s *Store) Activity(ctx context.Context, branchID, userID string, from, to bot.Date) (bot.Activity, error) {
	pipe := s.rdb.Pipeline()
	days := pipe.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.checkinMemberKey(branchID, userID), ByScore: true,
		Start: strconv.FormatInt(from.Number(), 10), Stop: strconv.FormatInt(to.Number(), 10),
	})
	streak := pipe.HMGet(ctx, s.streakKey(branchID, userID), "last", "count")
	if _, err := pipe.Exec(ctx); err != nil {
		return bot.Activity{}, fmt.Errorf("store: read activity: %w", err)
	}
	var a bot.Activity
	for _, v := range days.Val() {
		d, err := bot.ParseDate(v)
		if err != nil {
			return bot.Activity{}, err
		}
		a.Days = append(a.Days, d)
	}
	vals := streak.Val()
	if l, ok := vals[0].(string); ok {
		if n, ok := vals[1].(string); ok {
			ln, _ := strconv.ParseInt(l, 10, 64)
			a.StreakCount, _ = strconv.Atoi(n)
			a.StreakLast, a.StreakKept = bot.DateFromNumber(ln), true
		}
	}
	return a, nil
}

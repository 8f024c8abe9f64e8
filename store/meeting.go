package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.MeetingStore = (*Store)(nil)

func (s *Store) openMeetingKey(branchID string) string {
	return s.branchKey(branchID, "meeting", "open")
}
func (s *Store) meetingKey(branchID, id string) string { return s.branchKey(branchID, "meeting", id) }
func (s *Store) meetingsKey(branchID string) string    { return s.branchKey(branchID, "meetings") }
func (s *Store) attendanceKey(branchID, id string) string {
	return s.branchKey(branchID, "meeting", id, "attendance")
}

// openMeetingScript opens a meeting unless one is open, whose id it then
// returns: KEYS open pointer, meeting record, meeting index (one hash tag).
var openMeetingScript = redis.NewScript(`
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return {1, ARGV[1]}
`)

// closeMeetingScript stores the closed record and clears the pointer, only
// if the pointer still names this meeting: of two concurrent closes one
// wins, and a retry finds it closed.
var closeMeetingScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// attendScript records attendance only while the meeting is open (KEYS:
// open pointer, attendance hash; one hash tag): a 签到 racing 结束会议
// lands before the close or is refused, never in a closed record. The
// first record of a member stands. Returns {1, new} / {0, stored} / {-1}.
var attendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 1 then return {1, ARGV[3]} end
return {0, redis.call('HGET', KEYS[2], ARGV[2])}
`)

func decodeMeeting(raw string) (bot.Meeting, error) {
	var m bot.Meeting
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return bot.Meeting{}, fmt.Errorf("store: decode meeting: %w", err)
	}
	return m, nil
}

// OpenMeeting implements bot.MeetingStore.
func (s *Store) OpenMeeting(ctx context.Context, m bot.Meeting) (bot.Meeting, bool, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return bot.Meeting{}, false, fmt.Errorf("store: encode meeting: %w", err)
	}
	keys := []string{s.openMeetingKey(m.BranchID), s.meetingKey(m.BranchID, m.ID), s.meetingsKey(m.BranchID)}
	res, err := openMeetingScript.Run(ctx, s.rdb, keys, m.ID, raw, m.OpenedAt.Unix()).Slice()
	if err != nil {
		return bot.Meeting{}, false, fmt.Errorf("store: open meeting: %w", err)
	}
	if len(res) != 2 {
		return bot.Meeting{}, false, fmt.Errorf("store: open meeting: unexpected result %v", res)
	}
	if opened, _ := res[0].(int64); opened == 1 {
		return m, true, nil
	}
	id, _ := res[1].(string)
	current, err := s.meeting(ctx, m.BranchID, id)
	return current, false, err
}

func (s *Store) meeting(ctx context.Context, branchID, id string) (bot.Meeting, error) {
	raw, err := s.rdb.Get(ctx, s.meetingKey(branchID, id)).Result()
	if err != nil {
		return bot.Meeting{}, fmt.Errorf("store: read meeting %s: %w", id, err)
	}
	return decodeMeeting(raw)
}

// OpenMeetingOf implements bot.MeetingStore.
func (s *Store) OpenMeetingOf(ctx context.Context, branchID string) (bot.Meeting, bool, error) {
	if branchID == "" {
		return bot.Meeting{}, false, nil
	}
	id, err := s.rdb.Get(ctx, s.openMeetingKey(branchID)).Result()
	if errors.Is(err, redis.Nil) {
		return bot.Meeting{}, false, nil
	}
	if err != nil {
		return bot.Meeting{}, false, fmt.Errorf("store: open meeting: %w", err)
	}
	m, err := s.meeting(ctx, branchID, id)
	return m, err == nil, err
}

// RecordAttendance implements bot.MeetingStore (attendScript).
func (s *Store) RecordAttendance(ctx context.Context, branchID, meetingID string, a bot.Attendance) (bot.Attendance, bool, error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return bot.Attendance{}, false, fmt.Errorf("store: encode attendance: %w", err)
	}
	keys := []string{s.openMeetingKey(branchID), s.attendanceKey(branchID, meetingID)}
	res, err := attendScript.Run(ctx, s.rdb, keys, meetingID, a.UserID, raw).Slice()
	if err != nil {
		return bot.Attendance{}, false, fmt.Errorf("store: record attendance: %w", err)
	}
	if code, _ := res[0].(int64); code == -1 {
		return bot.Attendance{}, false, bot.ErrMeetingClosed
	}
	stored, _ := res[1].(string)
	var out bot.Attendance
	if err := json.Unmarshal([]byte(stored), &out); err != nil {
		return bot.Attendance{}, false, fmt.Errorf("store: decode attendance: %w", err)
	}
	created, _ := res[0].(int64)
	return out, created == 1, nil
}

// Attendance implements bot.MeetingStore, ordered by time.
func (s *Store) Attendance(ctx context.Context, branchID, meetingID string) ([]bot.Attendance, error) {
	vals, err := s.rdb.HVals(ctx, s.attendanceKey(branchID, meetingID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read attendance: %w", err)
	}
	out := make([]bot.Attendance, 0, len(vals))
	for _, v := range vals {
		var a bot.Attendance
		if err := json.Unmarshal([]byte(v), &a); err != nil {
			return nil, fmt.Errorf("store: decode attendance: %w", err)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// CloseMeeting implements bot.MeetingStore.
func (s *Store) CloseMeeting(ctx context.Context, m bot.Meeting) (bool, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("store: encode meeting: %w", err)
	}
	keys := []string{s.openMeetingKey(m.BranchID), s.meetingKey(m.BranchID, m.ID)}
	n, err := closeMeetingScript.Run(ctx, s.rdb, keys, m.ID, raw).Int()
	if err != nil {
		return false, fmt.Errorf("store: close meeting: %w", err)
	}
	return n == 1, nil
}

func (s *Store) snapshotKey(branchID, id string) string {
	return s.branchKey(branchID, "meeting", id, "record")
}

// SaveSnapshot implements bot.MeetingStore: SET NX, the first snapshot of a
// closed meeting stands.
func (s *Store) SaveSnapshot(ctx context.Context, branchID, meetingID string, snap bot.MeetingSnapshot) error {
	raw, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("store: encode snapshot: %w", err)
	}
	if err := s.rdb.SetNX(ctx, s.snapshotKey(branchID, meetingID), raw, 0).Err(); err != nil {
		return fmt.Errorf("store: save snapshot: %w", err)
	}
	return nil
}

// Outcomes implements bot.MeetingStore: each meeting's snapshot and
// corrections, in one pipeline (every key is in the branch's slot).
func (s *Store) Outcomes(ctx context.Context, branchID string, meetingIDs []string) (map[string]bot.MeetingOutcome, error) {
	out := make(map[string]bot.MeetingOutcome, len(meetingIDs))
	if len(meetingIDs) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	snaps := make([]*redis.StringCmd, len(meetingIDs))
	fixes := make([]*redis.StringSliceCmd, len(meetingIDs))
	for i, id := range meetingIDs {
		snaps[i] = pipe.Get(ctx, s.snapshotKey(branchID, id))
		fixes[i] = pipe.LRange(ctx, s.correctionsKey(branchID, id), 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: read outcomes: %w", err)
	}
	for i, id := range meetingIDs {
		var o bot.MeetingOutcome
		if raw, err := snaps[i].Result(); err == nil {
			o.Snapshot = &bot.MeetingSnapshot{}
			if err := json.Unmarshal([]byte(raw), o.Snapshot); err != nil {
				return nil, fmt.Errorf("store: decode snapshot: %w", err)
			}
		}
		corrections, err := decodeCorrections(fixes[i].Val())
		if err != nil {
			return nil, err
		}
		o.Corrections = corrections
		out[id] = o
	}
	return out, nil
}

// meetingsRange is the ids of the meetings opened in [from, to).
func meetingsRange(key string, from, to time.Time) redis.ZRangeArgs {
	return redis.ZRangeArgs{Key: key, ByScore: true,
		Start: strconv.FormatInt(from.Unix(), 10), Stop: "(" + strconv.FormatInt(to.Unix(), 10)}
}

// Meetings implements bot.MeetingStore.
func (s *Store) Meetings(ctx context.Context, branchID string, from, to time.Time) ([]bot.Meeting, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, meetingsRange(s.meetingsKey(branchID), from, to)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list meetings: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// One pipeline, not a round trip per meeting: a year of a branch's
	// meetings is what the weekly summary's obligations read.
	cmds := make([]*redis.StringCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.Get(ctx, s.meetingKey(branchID, id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: read meetings: %w", err)
	}
	out := make([]bot.Meeting, 0, len(ids))
	for _, c := range cmds {
		m, err := decodeMeeting(c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Store) correctionsKey(branchID, id string) string {
	return s.branchKey(branchID, "meeting", id, "corrections")
}

// LatestMeeting implements bot.MeetingStore.
func (s *Store) LatestMeeting(ctx context.Context, branchID string) (bot.Meeting, bool, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.meetingsKey(branchID), 0, 0).Result()
	if err != nil {
		return bot.Meeting{}, false, fmt.Errorf("store: latest meeting: %w", err)
	}
	if len(ids) == 0 {
		return bot.Meeting{}, false, nil
	}
	m, err := s.meeting(ctx, branchID, ids[0])
	return m, err == nil, err
}

func (s *Store) correctionIDsKey(branchID, id string) string {
	return s.branchKey(branchID, "meeting", id, "corrections", "ids")
}

// addCorrectionScript appends a correction once per id: KEYS list, ids set
// (one hash tag); ARGV id ("" appends always), JSON.
var addCorrectionScript = redis.NewScript(`
if ARGV[1] ~= '' and redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1
`)

// AddCorrection implements bot.MeetingStore: RPUSH, never rewritten, once
// per message (a retried 更正 finds its id taken).
func (s *Store) AddCorrection(ctx context.Context, branchID, meetingID string, c bot.Correction) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store: encode correction: %w", err)
	}
	keys := []string{s.correctionsKey(branchID, meetingID), s.correctionIDsKey(branchID, meetingID)}
	if err := addCorrectionScript.Run(ctx, s.rdb, keys, c.ID, raw).Err(); err != nil {
		return fmt.Errorf("store: add correction: %w", err)
	}
	return nil
}

// Corrections implements bot.MeetingStore.
func (s *Store) Corrections(ctx context.Context, branchID, meetingID string) ([]bot.Correction, error) {
	raws, err := s.rdb.LRange(ctx, s.correctionsKey(branchID, meetingID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read corrections: %w", err)
	}
	return decodeCorrections(raws)
}

func decodeCorrections(raws []string) ([]bot.Correction, error) {
	out := make([]bot.Correction, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			return nil, fmt.Errorf("store: decode correction: %w", err)
		}
	}
	return out, nil
}

func (s *Store) wrongCodesKey(branchID, meetingID, userID string) string {
	return s.branchKey(branchID, "meeting", meetingID, "wrongcode", strings.ToLower(userID))
}

// WrongCodes implements bot.MeetingStore.
func (s *Store) WrongCodes(ctx context.Context, branchID, meetingID, userID string) (int, error) {
	n, err := s.rdb.Get(ctx, s.wrongCodesKey(branchID, meetingID, userID)).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store: wrong codes: %w", err)
	}
	return n, nil
}

// AddWrongCode implements bot.MeetingStore (INCR, with a TTL: temporary).
func (s *Store) AddWrongCode(ctx context.Context, branchID, meetingID, userID string, ttl time.Duration) (int, error) {
	key := s.wrongCodesKey(branchID, meetingID, userID)
	var incr *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, key)
		p.Expire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: add wrong code: %w", err)
	}
	return int(incr.Val()), nil
}

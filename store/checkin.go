package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
	rec, err := json.Marshal(checkinRecord{At: c.At, Source: c.Source})
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
	var stored checkinRecord
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		return bot.Checkin{}, false, fmt.Errorf("store: decode check-in: %w", err)
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

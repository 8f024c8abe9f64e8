package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.StudyStore = (*Store)(nil)

func (s *Store) studyKey(branchID, userID string) string {
	return s.branchKey(branchID, "study", userID)
}
func (s *Store) studyDaysKey(branchID, userID string) string {
	return s.branchKey(branchID, "study", userID, "days")
}
func (s *Store) studyLastKey(branchID, userID string) string {
	return s.branchKey(branchID, "study", userID, "last")
}

// studySumKey is the branch's study sums of one day: per member the
// reports (n:<userid>) and minutes (m:<userid>) that count, kept with every
// write so that a summary reads seven hashes instead of every member's
// reports. studySumSinceKey is the first day from which the sums are whole:
// this version keeps them for the reports it writes, not for older ones.
func (s *Store) studySumKey(branchID string, d bot.Date) string {
	return s.branchKey(branchID, "studysum", d.String())
}
func (s *Store) studySumSinceKey(branchID string) string {
	return s.branchKey(branchID, "studysum", "since")
}

// recordStudyScript stores a report once, makes it the latest and adds it
// to its day's sums: KEYS reports hash, day index, latest pointer, the
// day's sums, the sums' first whole day (one branch's hash tag). ARGV id,
// record, day number, userid, minutes ("" when the report does not count),
// the first day this version can vouch for.
var recordStudyScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('SET', KEYS[3], ARGV[1])
if ARGV[5] ~= '' then
  redis.call('HINCRBY', KEYS[4], 'n:' .. ARGV[4], 1)
  redis.call('HINCRBY', KEYS[4], 'm:' .. ARGV[4], ARGV[5])
end
redis.call('SETNX', KEYS[5], ARGV[6])
return 1
`)

// studySumsFrom is the first day whose sums this version vouches for when
// it writes r: the day after r was submitted. Reports from before the
// upgrade are not in the sums, so earlier spans are read report by report.
// A report is dated at most six days back (this week only), so for a late
// one the day after a week later is safe.
func studySumsFrom(r bot.StudyReport) bot.Date {
	if r.Late {
		return r.Day.AddDays(7)
	}
	return r.Day.AddDays(1)
}

// counted is what a report adds to its day's sums: nothing once withdrawn.
func counted(r bot.StudyReport) (minutes int, ok bool) { return r.Minutes, !r.Withdrawn }

// RecordStudy implements bot.StudyStore.
func (s *Store) RecordStudy(ctx context.Context, r bot.StudyReport) (bool, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("store: encode study: %w", err)
	}
	if r.Day.IsZero() {
		return false, fmt.Errorf("store: study %s has no day", r.ID)
	}
	keys := []string{s.studyKey(r.BranchID, r.UserID), s.studyDaysKey(r.BranchID, r.UserID), s.studyLastKey(r.BranchID, r.UserID),
		s.studySumKey(r.BranchID, r.Day), s.studySumSinceKey(r.BranchID)}
	minutes := ""
	if m, ok := counted(r); ok {
		minutes = strconv.Itoa(m)
	}
	n, err := recordStudyScript.Run(ctx, s.rdb, keys, r.ID, raw, r.Day.Number(), r.UserID, minutes, studySumsFrom(r).Number()).Int()
	if err != nil {
		return false, fmt.Errorf("store: record study: %w", err)
	}
	return n == 1, nil
}

// LastStudy implements bot.StudyStore.
func (s *Store) LastStudy(ctx context.Context, branchID, userID string) (bot.StudyReport, bool, error) {
	id, err := s.rdb.Get(ctx, s.studyLastKey(branchID, userID)).Result()
	if errors.Is(err, redis.Nil) {
		return bot.StudyReport{}, false, nil
	}
	if err != nil {
		return bot.StudyReport{}, false, fmt.Errorf("store: last study: %w", err)
	}
	raw, err := s.rdb.HGet(ctx, s.studyKey(branchID, userID), id).Result()
	if err != nil {
		return bot.StudyReport{}, false, fmt.Errorf("store: read study %s: %w", id, err)
	}
	r, err := decodeStudy(raw)
	return r, err == nil, err
}

// ModifyStudy implements bot.StudyStore with optimistic locking: WATCH the
// member's reports, read, change, write in MULTI; retry if another write
// came in between.
func (s *Store) ModifyStudy(ctx context.Context, branchID, userID, id string, change func(*bot.StudyReport) error) (bot.StudyReport, error) {
	key := s.studyKey(branchID, userID)
	var out bot.StudyReport
	for attempt := range 50 {
		if attempt > 0 { // someone else wrote between our read and write: back off a little
			time.Sleep(time.Duration(rand.IntN(1000*attempt)) * time.Microsecond)
		}
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.HGet(ctx, key, id).Result()
			if err != nil {
				return err
			}
			r, err := decodeStudy(raw)
			if err != nil {
				return err
			}
			before := r
			if err := change(&r); err != nil {
				return err
			}
			updated, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, id, updated)
				// The sums move with the record, in the same transaction.
				if m, ok := counted(before); ok {
					p.HIncrBy(ctx, s.studySumKey(branchID, before.Day), "n:"+userID, -1)
					p.HIncrBy(ctx, s.studySumKey(branchID, before.Day), "m:"+userID, int64(-m))
				}
				if m, ok := counted(r); ok {
					p.HIncrBy(ctx, s.studySumKey(branchID, r.Day), "n:"+userID, 1)
					p.HIncrBy(ctx, s.studySumKey(branchID, r.Day), "m:"+userID, int64(m))
				}
				return nil
			})
			out = r
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil {
				return bot.StudyReport{}, fmt.Errorf("store: modify study: %w", err)
			}
			return out, nil
		}
	}
	return bot.StudyReport{}, fmt.Errorf("store: modify study %s: too much contention", id)
}

// StudySums implements bot.StudyStore: the since key and one hash a day, in
// one pipeline.
func (s *Store) StudySums(ctx context.Context, branchID string, from, to bot.Date) (map[string]bot.StudySum, bool, error) {
	days, first, err := s.StudyDaySums(ctx, branchID, from, to)
	if err != nil || first.IsZero() || from.Before(first) {
		return nil, false, err
	}
	return bot.AddStudySums(days), true, nil
}

// StudyDayMinutes implements bot.StudyStore from the same day hashes as
// StudySums, in one pipeline.
func (s *Store) StudyDayMinutes(ctx context.Context, branchID string, from, to bot.Date) ([]int, bool, error) {
	days, first, err := s.StudyDaySums(ctx, branchID, from, to)
	if err != nil || first.IsZero() || from.Before(first) {
		return nil, false, err
	}
	return bot.StudyDayTotals(days), true, nil
}

// StudyDaySums implements bot.StudyStore: the since key and one hash a day,
// in one pipeline. A hash that cannot be read makes every day unknown (see
// studySumDays).
func (s *Store) StudyDaySums(ctx context.Context, branchID string, from, to bot.Date) ([]map[string]bot.StudySum, bot.Date, error) {
	days, first, err := s.studySumDays(ctx, branchID, from, to)
	if err != nil || first.IsZero() {
		return nil, bot.Date{}, err
	}
	out, ok := decodeStudyDays(days)
	if !ok {
		return nil, bot.Date{}, nil // not readable: see studySumDays
	}
	return out, first, nil
}

// decodeStudyDays decodes day sum hashes (n:<userid> reports, m:<userid>
// minutes); false when one cannot be read.
func decodeStudyDays(days []map[string]string) ([]map[string]bot.StudySum, bool) {
	out := make([]map[string]bot.StudySum, len(days))
	for i, day := range days {
		sums := make(map[string]bot.StudySum, len(day)/2)
		for field, v := range day {
			kind, userID, ok := strings.Cut(field, ":")
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				return nil, false
			}
			sum := sums[userID]
			switch kind {
			case "n":
				sum.Reports += n
			case "m":
				sum.Minutes += n
			}
			sums[userID] = sum
		}
		out[i] = sums
	}
	return out, true
}

// studySumDays reads the study day sums of [from, to], one hash a day, and
// the first day from which they are whole (zero: none are). Before it (they
// start with the version that keeps them), or when they cannot be read, the
// caller counts the reports, which are the record; the sums only make it
// faster.
func (s *Store) studySumDays(ctx context.Context, branchID string, from, to bot.Date) ([]map[string]string, bot.Date, error) {
	var since *redis.StringCmd
	var cmds []*redis.MapStringStringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		since = p.Get(ctx, s.studySumSinceKey(branchID))
		for d := from; !to.Before(d); d = d.AddDays(1) {
			cmds = append(cmds, p.HGetAll(ctx, s.studySumKey(branchID, d)))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, bot.Date{}, fmt.Errorf("store: read study sums: %w", err)
	}
	first, err := since.Int64()
	if err != nil {
		return nil, bot.Date{}, nil
	}
	days := make([]map[string]string, len(cmds))
	for i, c := range cmds {
		days[i] = c.Val()
	}
	return days, bot.DateFromNumber(first), nil
}

// StudyReports implements bot.StudyStore, ordered by day.
func (s *Store) StudyReports(ctx context.Context, branchID, userID string, from, to bot.Date) ([]bot.StudyReport, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.studyDaysKey(branchID, userID), ByScore: true,
		Start: strconv.FormatInt(from.Number(), 10), Stop: strconv.FormatInt(to.Number(), 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list study: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	raws, err := s.rdb.HMGet(ctx, s.studyKey(branchID, userID), ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read study: %w", err)
	}
	out, err := decodeStudies(raws, decodeStudy)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Day.Before(out[j].Day) })
	return out, nil
}

// decodeStudies decodes HMGET results with decode; ids without a record
// are skipped.
func decodeStudies(raws []any, decode func(string) (bot.StudyReport, error)) ([]bot.StudyReport, error) {
	out := make([]bot.StudyReport, 0, len(raws))
	for _, raw := range raws {
		str, ok := raw.(string)
		if !ok {
			continue
		}
		r, err := decode(str)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func decodeStudy(raw string) (bot.StudyReport, error) {
	var r bot.StudyReport
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return bot.StudyReport{}, fmt.Errorf("store: decode study: %w", err)
	}
	return r, nil
}

// StudyReportsMany implements bot.StudyStore.
func (s *Store) StudyReportsMany(ctx context.Context, branchID string, userIDs []string, from, to bot.Date) (map[string][]bot.StudyReport, error) {
	out := make(map[string][]bot.StudyReport, len(userIDs))
	err := s.eachStudyRecords(ctx, branchID, userIDs, from, to, func(userID string, raws []any) error {
		reports, err := decodeStudies(raws, decodeStudy)
		out[userID] = reports
		return err
	})
	return out, err
}

// studyBrief is what a summary counts of a report (bot.tally's fields).
type studyBrief struct {
	Day       bot.Date `json:"day"`
	Minutes   int      `json:"minutes"`
	Withdrawn bool     `json:"withdrawn"`
}

// StudyReportsBrief implements bot.StudyStore: StudyReportsMany decoding
// only the day, minutes and withdrawal, which is all a summary counts.
func (s *Store) StudyReportsBrief(ctx context.Context, branchID string, userIDs []string, from, to bot.Date) (map[string][]bot.StudyReport, error) {
	out := make(map[string][]bot.StudyReport, len(userIDs))
	err := s.eachStudyRecords(ctx, branchID, userIDs, from, to, func(userID string, raws []any) error {
		reports, err := decodeStudies(raws, func(raw string) (bot.StudyReport, error) {
			b, err := decodeStudyBrief(raw)
			return bot.StudyReport{BranchID: branchID, UserID: userID, Day: b.Day, Minutes: b.Minutes, Withdrawn: b.Withdrawn}, err
		})
		out[userID] = reports
		return err
	})
	return out, err
}

// eachStudyRecords calls f with the raw records of each member who has
// reports in [from, to]: one pipeline of range reads, then one of record
// reads, per 1000 members. (One script per branch doing the same reads
// measured slower: Redis spends more on a script's calls than on a
// pipeline's commands.)
func (s *Store) eachStudyRecords(ctx context.Context, branchID string, userIDs []string, from, to bot.Date, f func(userID string, raws []any) error) error {
	for start := 0; start < len(userIDs); start += pipelineChunk {
		chunk := userIDs[start:min(start+pipelineChunk, len(userIDs))]
		ranges := make([]*redis.StringSliceCmd, len(chunk))
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, u := range chunk {
				ranges[i] = p.ZRangeArgs(ctx, redis.ZRangeArgs{
					Key: s.studyDaysKey(branchID, u), ByScore: true,
					Start: strconv.FormatInt(from.Number(), 10), Stop: strconv.FormatInt(to.Number(), 10),
				})
			}
			return nil
		}); err != nil {
			return fmt.Errorf("store: list study: %w", err)
		}
		records := make([]*redis.SliceCmd, len(chunk))
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, u := range chunk {
				if ids := ranges[i].Val(); len(ids) > 0 {
					records[i] = p.HMGet(ctx, s.studyKey(branchID, u), ids...)
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("store: read study: %w", err)
		}
		for i, c := range records {
			if c == nil {
				continue
			}
			if err := f(chunk[i], c.Val()); err != nil {
				return err
			}
		}
	}
	return nil
}

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

// 发展党员: a branch's people on the path in one hash ({b}:dev:people,
// userid → JSON with every recorded step), an org-wide index userid →
// branch (dev:who) so a message from someone who is not a member finds them,
// and each person's 思想汇报 in a list of their own.

// devOpsTTL is how long a 思想汇报's message id is remembered against a
// second store: past WeCom's retries.
const devOpsTTL = 48 * time.Hour

func (s *Store) devPeopleKey(branchID string) string { return s.branchKey(branchID, "dev", "people") }
func (s *Store) devWhoKey() string                   { return s.key("dev", "who") }
func (s *Store) devReportsKey(branchID, userID string) string {
	return s.branchKey(branchID, "dev", "reports", userID)
}
func (s *Store) devReportOpsKey(branchID string) string {
	return s.branchKey(branchID, "dev", "reportops")
}

// Applicant implements bot.DevelopmentStore.
func (s *Store) Applicant(ctx context.Context, userID string) (bot.Applicant, bool, error) {
	branchID, err := s.rdb.HGet(ctx, s.devWhoKey(), userID).Result()
	if errors.Is(err, redis.Nil) {
		return bot.Applicant{}, false, nil
	}
	if err != nil {
		return bot.Applicant{}, false, fmt.Errorf("store: find applicant: %w", err)
	}
	raw, err := s.rdb.HGet(ctx, s.devPeopleKey(branchID), userID).Result()
	if errors.Is(err, redis.Nil) {
		return bot.Applicant{}, false, nil
	}
	if err != nil {
		return bot.Applicant{}, false, fmt.Errorf("store: read applicant: %w", err)
	}
	var a bot.Applicant
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return bot.Applicant{}, false, fmt.Errorf("store: decode applicant %s: %w", userID, err)
	}
	return a, true, nil
}

// BranchApplicants implements bot.DevelopmentStore.
func (s *Store) BranchApplicants(ctx context.Context, branchID string) ([]bot.Applicant, error) {
	all, err := s.rdb.HGetAll(ctx, s.devPeopleKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list applicants: %w", err)
	}
	return decodeApplicants(all)
}

// BranchApplicantsMany implements bot.DevelopmentStore.
func (s *Store) BranchApplicantsMany(ctx context.Context, branchIDs []string) (map[string][]bot.Applicant, error) {
	return hashesMany(ctx, s, branchIDs, s.devPeopleKey, decodeApplicants)
}

func decodeApplicants(all map[string]string) ([]bot.Applicant, error) {
	out := make([]bot.Applicant, 0, len(all))
	for id, raw := range all {
		var a bot.Applicant
		if err := json.Unmarshal([]byte(raw), &a); err != nil {
			return nil, fmt.Errorf("store: decode applicant %s: %w", id, err)
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// UpdateApplicant implements bot.DevelopmentStore with an optimistic
// transaction on the branch's hash: a concurrent change makes it read again.
func (s *Store) UpdateApplicant(ctx context.Context, branchID, userID string, fn func(a *bot.Applicant, exists bool) error) (bot.Applicant, error) {
	key := s.devPeopleKey(branchID)
	var out bot.Applicant
	txf := func(tx *redis.Tx) error {
		raw, err := tx.HGet(ctx, key, userID).Result()
		exists := err == nil
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("store: read applicant: %w", err)
		}
		var a bot.Applicant
		if exists {
			if err := json.Unmarshal([]byte(raw), &a); err != nil {
				return fmt.Errorf("store: decode applicant %s: %w", userID, err)
			}
		}
		if err := fn(&a, exists); err != nil {
			return err
		}
		enc, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("store: encode applicant: %w", err)
		}
		if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, key, userID, enc)
			return nil
		}); err != nil {
			return err
		}
		out = a
		return nil
	}
	for range 10 {
		err := s.rdb.Watch(ctx, txf, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return bot.Applicant{}, err
		}
		// The index is written after the record: a crash between the two
		// leaves a record that the next step's retry indexes.
		if err := s.rdb.HSet(ctx, s.devWhoKey(), userID, branchID).Err(); err != nil {
			return bot.Applicant{}, fmt.Errorf("store: index applicant: %w", err)
		}
		return out, nil
	}
	return bot.Applicant{}, fmt.Errorf("store: update applicant %s: too much contention", userID)
}

// addReportScript stores a 思想汇报 once per message: KEYS[1] the person's
// list, KEYS[2] the branch's ops hash (same hash tag).
var addReportScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[2], ARGV[1], 1) == 0 then return 0 end
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1
`)

// AddThoughtReport implements bot.DevelopmentStore.
func (s *Store) AddThoughtReport(ctx context.Context, r bot.ThoughtReport) (bool, error) {
	enc, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("store: encode thought report: %w", err)
	}
	keys := []string{s.devReportsKey(r.BranchID, r.UserID), s.devReportOpsKey(r.BranchID)}
	n, err := addReportScript.Run(ctx, s.rdb, keys, r.Op, enc, int(devOpsTTL.Seconds())).Int()
	if err != nil {
		return false, fmt.Errorf("store: add thought report: %w", err)
	}
	return n == 1, nil
}

// ThoughtReports implements bot.DevelopmentStore.
func (s *Store) ThoughtReports(ctx context.Context, branchID, userID string) ([]bot.ThoughtReport, error) {
	raws, err := s.rdb.LRange(ctx, s.devReportsKey(branchID, userID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read thought reports: %w", err)
	}
	out := make([]bot.ThoughtReport, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal([]byte(raw), &out[i]); err != nil {
			return nil, fmt.Errorf("store: decode thought report: %w", err)
		}
	}
	return out, nil
}

// AttachToThoughtReport implements bot.DevelopmentStore: the latest report,
// if handed in since, gets the picture (once per media id).
func (s *Store) AttachToThoughtReport(ctx context.Context, branchID, userID string, m bot.Media, since time.Time) (bot.ThoughtReport, bool, error) {
	key := s.devReportsKey(branchID, userID)
	var out bot.ThoughtReport
	attached := false
	txf := func(tx *redis.Tx) error {
		raw, err := tx.LIndex(ctx, key, -1).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: read thought report: %w", err)
		}
		var r bot.ThoughtReport
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return fmt.Errorf("store: decode thought report: %w", err)
		}
		if r.At.Before(since) {
			return nil
		}
		for _, have := range r.Media {
			if have.ID == m.ID {
				out, attached = r, true
				return nil
			}
		}
		r.Media = append(r.Media, m)
		enc, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("store: encode thought report: %w", err)
		}
		if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.LSet(ctx, key, -1, enc)
			return nil
		}); err != nil {
			return err
		}
		out, attached = r, true
		return nil
	}
	for range 10 {
		err := s.rdb.Watch(ctx, txf, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return bot.ThoughtReport{}, false, err
		}
		return out, attached, nil
	}
	return bot.ThoughtReport{}, false, fmt.Errorf("store: attach to thought report: too much contention")
}

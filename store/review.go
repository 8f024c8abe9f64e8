package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// 民主评议: a branch's round of a year ({b}:review:<year>, JSON), the 自评
// ({b}:review:<year>:self, userid → JSON), the 评定 ({b}:review:<year>:verdict),
// who has rated whom ({b}:review:<year>:rated:<rater>, a set of userids,
// never a grade) and each rated member's tally
// ({b}:review:<year>:tally:<rated>, grade → count). No key or value holds a
// grade together with its rater: a ballot is one SADD and one HINCRBY, in
// one script, and nothing else.

func (s *Store) reviewKey(branchID string, year int, parts ...string) string {
	return s.branchKey(branchID, append([]string{"review", strconv.Itoa(year)}, parts...)...)
}

// OpenReview implements bot.ReviewStore.
func (s *Store) OpenReview(ctx context.Context, r bot.ReviewRound) (bot.ReviewRound, bool, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return bot.ReviewRound{}, false, fmt.Errorf("store: encode review: %w", err)
	}
	set, err := s.rdb.SetNX(ctx, s.reviewKey(r.BranchID, r.Year), raw, 0).Result()
	if err != nil {
		return bot.ReviewRound{}, false, fmt.Errorf("store: open review: %w", err)
	}
	if set {
		return r, true, nil
	}
	stored, _, err := s.Review(ctx, r.BranchID, r.Year)
	return stored, false, err
}

// Review implements bot.ReviewStore.
func (s *Store) Review(ctx context.Context, branchID string, year int) (bot.ReviewRound, bool, error) {
	var r bot.ReviewRound
	found, err := s.getJSON(ctx, s.reviewKey(branchID, year), &r)
	return r, found, err
}

// getJSON reads a JSON string key.
func (s *Store) getJSON(ctx context.Context, key string, v any) (bool, error) {
	raw, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read %s: %w", key, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("store: decode %s: %w", key, err)
	}
	return true, nil
}

// hsetJSON stores v as JSON in a hash field.
func (s *Store) hsetJSON(ctx context.Context, key, field string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", key, err)
	}
	if err := s.rdb.HSet(ctx, key, field, raw).Err(); err != nil {
		return fmt.Errorf("store: write %s: %w", key, err)
	}
	return nil
}

// hgetAllJSON decodes every field of a hash of JSON values.
func hgetAllJSON[T any](ctx context.Context, s *Store, key string) (map[string]T, error) {
	all, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", key, err)
	}
	out := make(map[string]T, len(all))
	for field, raw := range all {
		var v T
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("store: decode %s %s: %w", key, field, err)
		}
		out[field] = v
	}
	return out, nil
}

// SaveSelfAssessment implements bot.ReviewStore.
func (s *Store) SaveSelfAssessment(ctx context.Context, branchID string, year int, a bot.SelfAssessment) error {
	return s.hsetJSON(ctx, s.reviewKey(branchID, year, "self"), a.UserID, a)
}

// SelfAssessments implements bot.ReviewStore.
func (s *Store) SelfAssessments(ctx context.Context, branchID string, year int) (map[string]bot.SelfAssessment, error) {
	return hgetAllJSON[bot.SelfAssessment](ctx, s, s.reviewKey(branchID, year, "self"))
}

// ballotScript notes that the rater rated (KEYS[1], the rater's set) and
// counts the grade (KEYS[2], the rated member's tally), or does nothing
// when the rater had rated that member already.
var ballotScript = redis.NewScript(`
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return 1
`)

// CastBallot implements bot.ReviewStore.
func (s *Store) CastBallot(ctx context.Context, branchID string, year int, rater, rated string, g bot.Grade) (bool, error) {
	keys := []string{s.reviewKey(branchID, year, "rated", rater), s.reviewKey(branchID, year, "tally", rated)}
	n, err := ballotScript.Run(ctx, s.rdb, keys, rated, string(g)).Int()
	if err != nil {
		return false, fmt.Errorf("store: cast ballot: %w", err)
	}
	return n == 1, nil
}

// RatedBy implements bot.ReviewStore.
func (s *Store) RatedBy(ctx context.Context, branchID string, year int, raters []string) (map[string][]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(raters))
	for i, r := range raters {
		cmds[i] = pipe.SMembers(ctx, s.reviewKey(branchID, year, "rated", r))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: read raters: %w", err)
	}
	out := make(map[string][]string, len(raters))
	for i, r := range raters {
		if ids := cmds[i].Val(); len(ids) > 0 {
			out[r] = ids
		}
	}
	return out, nil
}

// Tallies implements bot.ReviewStore.
func (s *Store) Tallies(ctx context.Context, branchID string, year int, rated []string) (map[string]bot.GradeTally, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(rated))
	for i, id := range rated {
		cmds[i] = pipe.HGetAll(ctx, s.reviewKey(branchID, year, "tally", id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: read tallies: %w", err)
	}
	out := make(map[string]bot.GradeTally, len(rated))
	for i, id := range rated {
		t := bot.GradeTally{}
		for g, n := range cmds[i].Val() {
			count, err := strconv.Atoi(n)
			if err != nil {
				return nil, fmt.Errorf("store: tally of %s: %w", id, err)
			}
			t[bot.Grade(g)] = count
		}
		out[id] = t
	}
	return out, nil
}

// SaveVerdict implements bot.ReviewStore.
func (s *Store) SaveVerdict(ctx context.Context, branchID string, year int, v bot.Verdict) error {
	return s.hsetJSON(ctx, s.reviewKey(branchID, year, "verdict"), v.UserID, v)
}

// Verdicts implements bot.ReviewStore.
func (s *Store) Verdicts(ctx context.Context, branchID string, year int) (map[string]bot.Verdict, error) {
	return hgetAllJSON[bot.Verdict](ctx, s, s.reviewKey(branchID, year, "verdict"))
}

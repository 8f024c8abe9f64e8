package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// A branch's roster in one command. Member records are org-wide keys
// (member:<id>), which no single command can read together on a Cluster,
// so reading a branch by its id sets cost one GET per member (100,000 of a
// 100,000-member weekly summary's 158,000 commands). {b}:roster keeps a copy
// of the records of the branch's active members (those of {b}:members and
// {b}:members:pending), field = lower-cased member id (which may be
// "corp/userid") → the same JSON as member:<id>; BranchMembers and
// BranchPending read it with one HVALS. SaveMembers keeps it in step with
// the records and the sets, which stay the record (Member, a rollback).
//
// A hash is trusted once built: the build reads the branch's sets and
// records and writes them in one script, with its two fields:
//
//   - rosterBuilt: how many roster writes of releases that keep no hashes
//     the org had seen when it was built. Such writes (an install being
//     upgraded one replica at a time) add 1 to roster:version; this
//     release's add rosterHashedStep, so roster:version mod rosterHashedStep
//     counts them. A hash built before the count moved is built again on
//     its next read, so a member an older replica moved or changed is not
//     kept stale; a hash never built (an upgraded install's) is built on its
//     first read: no manual step.
//   - rosterWrites: bumped by every write of this release to the hash, so a
//     build that raced a write (its reads older than the write) starts again
//     instead of storing what it read.
//
// Field names starting with '#' are never member ids: a WeCom userid is
// letters, digits and _-@. and a corp id is a short config id.
const (
	rosterBuiltField  = "#built"
	rosterBuiltPrefix = "built:" // the value of rosterBuiltField: built:<count>
	rosterWritesField = "#writes"
	// rosterHashedStep is what a roster write of this release adds to
	// roster:version (the member caches only compare it).
	rosterHashedStep = 1 << 32
	// rosterLegacyTTL bounds how long a process trusts its reading of the
	// count of older releases' writes.
	rosterLegacyTTL = time.Second
	// rosterBuildTries bounds the builds of one read that lose a race with
	// writers; then the read falls back to the sets and records.
	rosterBuildTries = 3
)

func (s *Store) branchRosterKey(branchID string) string { return s.branchKey(branchID, "roster") }

// legacyRoster caches roster:version mod rosterHashedStep.
type legacyRoster struct {
	sync.Mutex
	n  int64
	at time.Time
}

// legacyRosterWrites is the count of roster writes that kept no branch
// hashes, read at most once per rosterLegacyTTL (fresh: read now).
func (s *Store) legacyRosterWrites(ctx context.Context, fresh bool) (int64, error) {
	s.legacy.Lock()
	n, at := s.legacy.n, s.legacy.at
	s.legacy.Unlock()
	if !fresh && !at.IsZero() && time.Since(at) < rosterLegacyTTL {
		return n, nil
	}
	start := time.Now()
	v, err := s.rdb.Get(ctx, s.rosterVersionKey()).Int64()
	if errors.Is(err, redis.Nil) {
		v, err = 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: read roster version: %w", err)
	}
	n = v % rosterHashedStep
	s.legacy.Lock()
	if start.After(s.legacy.at) {
		s.legacy.n, s.legacy.at = n, start
	}
	s.legacy.Unlock()
	return n, nil
}

// branchRoster reads the branch's active members, counted or pending, in
// one HGETALL, building the hash first when it is not built or older than
// an older release's roster write.
func (s *Store) branchRoster(ctx context.Context, branchID string) ([]bot.Member, error) {
	legacy, err := s.legacyRosterWrites(ctx, false)
	if err != nil {
		return nil, err
	}
	for range rosterBuildTries {
		// HVALS, not HGETALL: the values tell themselves apart (a record
		// is a JSON object, the built mark starts with rosterBuiltPrefix,
		// the write count is a number) and no map is made.
		vals, err := s.rdb.HVals(ctx, s.branchRosterKey(branchID)).Result()
		if err != nil {
			return nil, fmt.Errorf("store: read branch roster: %w", err)
		}
		out, built, err := decodeRoster(vals)
		if err != nil {
			return nil, err
		}
		if built >= legacy {
			return out, nil
		}
		writes, err := s.rdb.HGet(ctx, s.branchRosterKey(branchID), rosterWritesField).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("store: read branch roster: %w", err)
		}
		if legacy, err = s.buildBranchRoster(ctx, branchID, writes); err != nil {
			return nil, err
		}
	}
	// Writers kept winning: read the sets and records as releases before did.
	pipe := s.rdb.Pipeline()
	counted := pipe.SMembers(ctx, s.branchMembersKey(branchID))
	pending := pipe.SMembers(ctx, s.branchPendingKey(branchID))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: list branch members: %w", err)
	}
	return s.members(ctx, append(counted.Val(), pending.Val()...))
}

// decodeRoster decodes a roster hash's values: the records, ordered by
// userid, and the count the hash was built at (-1: not built).
func decodeRoster(vals []string) ([]bot.Member, int64, error) {
	// Records start {"userid":"<id>" (json.Marshal writes the fields in
	// order, and '"' sorts below every character of an id), so sorting the
	// strings sorts the members, without moving the decoded structs; the
	// odd record written otherwise is caught below.
	slices.Sort(vals)
	out := make([]bot.Member, 0, len(vals))
	built := int64(-1)
	for _, raw := range vals {
		if n, ok := strings.CutPrefix(raw, rosterBuiltPrefix); ok {
			if v, err := strconv.ParseInt(n, 10, 64); err == nil {
				built = v
			}
			continue
		}
		if !strings.HasPrefix(raw, "{") {
			continue // the write count
		}
		m, err := decodeMemberString(raw)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	byID := func(a, b bot.Member) int { return strings.Compare(a.UserID, b.UserID) }
	if !slices.IsSortedFunc(out, byID) {
		slices.SortFunc(out, byID)
	}
	return out, built, nil
}

// buildRosterScript replaces a branch's roster hash with the records given
// (id, JSON pairs after the first two arguments) of the ids still in one of
// its sets, unless a writer has written the hash since the caller read
// ARGV[1] from it. It returns 1 when built.
var buildRosterScript = redis.NewScript(`
local writes = redis.call('HGET', KEYS[1], '` + rosterWritesField + `') or ''
if writes ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do
  if redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 1 or redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('HSET', KEYS[1], '` + rosterBuiltField + `', '` + rosterBuiltPrefix + `' .. ARGV[2])
if writes ~= '' then redis.call('HSET', KEYS[1], '` + rosterWritesField + `', writes) end
return 1
`)

// buildBranchRoster builds the branch's roster hash from its sets and the
// member records (writes is the hash's rosterWrites as read before), and
// returns the count of older releases' writes it was built at. Concurrent
// builds by several replicas write the same thing; a build that loses to a
// writer leaves the hash as the writer left it.
func (s *Store) buildBranchRoster(ctx context.Context, branchID, writes string) (int64, error) {
	// The count first: an older release's write after this read is seen by
	// the next read, whatever this build reads.
	legacy, err := s.legacyRosterWrites(ctx, true)
	if err != nil {
		return 0, err
	}
	pipe := s.rdb.Pipeline()
	counted := pipe.SMembers(ctx, s.branchMembersKey(branchID))
	pending := pipe.SMembers(ctx, s.branchPendingKey(branchID))
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("store: list branch members: %w", err)
	}
	ids := append(counted.Val(), pending.Val()...)
	args := make([]any, 0, 2+2*len(ids))
	args = append(args, writes, legacy)
	err = s.memberRecords(ctx, ids, func(id, raw string) error {
		args = append(args, id, raw) // listed but gone: not kept
		return nil
	})
	if err != nil {
		return 0, err
	}
	keys := []string{s.branchRosterKey(branchID), s.branchMembersKey(branchID), s.branchPendingKey(branchID)}
	if err := buildRosterScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return 0, fmt.Errorf("store: build branch roster: %w", err)
	}
	return legacy, nil
}

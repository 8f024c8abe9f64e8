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

var (
	_ bot.DuesStore = (*Store)(nil)
	_ bot.Steps     = (*Store)(nil)
)

func (s *Store) duesAmountKey(branchID string) string { return s.branchKey(branchID, "dues", "amount") }
func (s *Store) duesMonthKey(branchID string, m bot.Month) string {
	return s.branchKey(branchID, "dues", m.String())
}
func (s *Store) stepsKey(scope string) string { return s.branchKey(scope, "steps") }

// SetDuesAmount implements bot.DuesStore: the amount in fen.
func (s *Store) SetDuesAmount(ctx context.Context, branchID, userID string, amount bot.Cents) error {
	if err := s.rdb.HSet(ctx, s.duesAmountKey(branchID), userID, int64(amount)).Err(); err != nil {
		return fmt.Errorf("store: set dues: %w", err)
	}
	return nil
}

// DuesAmounts implements bot.DuesStore.
func (s *Store) DuesAmounts(ctx context.Context, branchID string) (map[string]bot.Cents, error) {
	all, err := s.rdb.HGetAll(ctx, s.duesAmountKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read dues amounts: %w", err)
	}
	return decodeDuesAmounts(all)
}

// DuesAmountsMany implements bot.DuesStore.
func (s *Store) DuesAmountsMany(ctx context.Context, branchIDs []string) (map[string]map[string]bot.Cents, error) {
	return hashesMany(ctx, s, branchIDs, s.duesAmountKey, decodeDuesAmounts)
}

func decodeDuesAmounts(all map[string]string) (map[string]bot.Cents, error) {
	out := make(map[string]bot.Cents, len(all))
	for id, v := range all {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("store: dues amount of %s: %w", id, err)
		}
		out[id] = bot.Cents(n)
	}
	return out, nil
}

// recordDuesScript keeps the first payment of a member's month (one key).
var recordDuesScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then return {1, ARGV[2]} end
return {0, redis.call('HGET', KEYS[1], ARGV[1])}
`)

// RecordDues implements bot.DuesStore.
func (s *Store) RecordDues(ctx context.Context, branchID string, p bot.DuesPayment) (bot.DuesPayment, bool, error) {
	m, ok := bot.ParseMonth(p.Month, bot.Month{Year: 9999, Month: 12})
	if !ok {
		return p, false, fmt.Errorf("store: dues month %q", p.Month)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return p, false, fmt.Errorf("store: encode dues: %w", err)
	}
	res, err := recordDuesScript.Run(ctx, s.rdb, []string{s.duesMonthKey(branchID, m)}, p.UserID, raw).Slice()
	if err != nil {
		return p, false, fmt.Errorf("store: record dues: %w", err)
	}
	created, _ := res[0].(int64)
	stored, _ := res[1].(string)
	var out bot.DuesPayment
	if err := json.Unmarshal([]byte(stored), &out); err != nil {
		return p, false, fmt.Errorf("store: decode dues: %w", err)
	}
	return out, created == 1, nil
}

// revokeDuesScript removes a member's payment of a month and returns it
// (one key).
var revokeDuesScript = redis.NewScript(`
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
return stored
`)

// RevokeDues implements bot.DuesStore.
func (s *Store) RevokeDues(ctx context.Context, branchID, userID string, m bot.Month) (bot.DuesPayment, bool, error) {
	raw, err := revokeDuesScript.Run(ctx, s.rdb, []string{s.duesMonthKey(branchID, m)}, userID).Text()
	if errors.Is(err, redis.Nil) {
		return bot.DuesPayment{}, false, nil
	}
	if err != nil {
		return bot.DuesPayment{}, false, fmt.Errorf("store: revoke dues: %w", err)
	}
	var p bot.DuesPayment
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return bot.DuesPayment{}, false, fmt.Errorf("store: decode dues: %w", err)
	}
	return p, true, nil
}

// DuesPaid implements bot.DuesStore: one pipelined read.
func (s *Store) DuesPaid(ctx context.Context, branchID string, months []bot.Month) (map[bot.Month]map[string]bot.DuesPayment, error) {
	many, err := s.DuesPaidMany(ctx, []string{branchID}, months)
	return many[branchID], err
}

// DuesPaidMany implements bot.DuesStore: a hash a branch and month, in one
// pipeline.
func (s *Store) DuesPaidMany(ctx context.Context, branchIDs []string, months []bot.Month) (map[string]map[bot.Month]map[string]bot.DuesPayment, error) {
	cmds := make([][]*redis.MapStringStringCmd, len(branchIDs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b, id := range branchIDs {
			for _, m := range months {
				cmds[b] = append(cmds[b], p.HGetAll(ctx, s.duesMonthKey(id, m)))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read dues: %w", err)
	}
	out := make(map[string]map[bot.Month]map[string]bot.DuesPayment, len(branchIDs))
	for b, id := range branchIDs {
		byMonth := make(map[bot.Month]map[string]bot.DuesPayment, len(months))
		for i, m := range months {
			paid := make(map[string]bot.DuesPayment, len(cmds[b][i].Val()))
			for id, raw := range cmds[b][i].Val() {
				var p bot.DuesPayment
				if err := json.Unmarshal([]byte(raw), &p); err != nil {
					return nil, fmt.Errorf("store: decode dues: %w", err)
				}
				paid[id] = p
			}
			byMonth[m] = paid
		}
		out[id] = byMonth
	}
	return out, nil
}

// onceScript takes a one-time step for a run: HSETNX, or the same run
// again. KEYS[2], when given, is where releases before 0.12 kept an
// announcement's steps ({b}:ann:<no>:steps, field nudge|eve): a step taken
// there stays taken, so an upgrade nudges no one twice.
var onceScript = redis.NewScript(`
if KEYS[2] then
  local prior = redis.call('HGET', KEYS[2], ARGV[3])
  if prior then
    if prior == ARGV[2] then return 1 end
    return 0
  end
end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then return 1 end
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 1 end
return 0
`)

// Once implements bot.Steps: every job's one-time steps, in the scope's
// steps hash.
func (s *Store) Once(ctx context.Context, scope, step, run string) (bool, error) {
	keys, legacyField := []string{s.stepsKey(scope)}, ""
	if no, name, ok := bot.ParseAnnouncementStep(step); ok {
		keys, legacyField = append(keys, s.annKey(scope, no, "steps")), name
	}
	mine, err := onceScript.Run(ctx, s.rdb, keys, step, run, legacyField).Int()
	if err != nil {
		return false, fmt.Errorf("store: step %s: %w", step, err)
	}
	return mine == 1, nil
}

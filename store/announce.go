package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.AnnounceStore = (*Store)(nil)

// Announcements live under their scope's hash tag ({tech}, or {!org} for the
// whole org), so the numbering script and the sign-up script touch one slot.
// Records have no TTL: they are the ledger. Drafts expire.

func (s *Store) draftKey(author string) string { return s.key("draft", author) }
func (s *Store) annSeqKey(scope string) string { return s.branchKey(scope, "ann", "seq") }
func (s *Store) annIDsKey(scope string) string { return s.branchKey(scope, "ann", "ids") }
func (s *Store) annRecordsKey(scope string) string {
	return s.branchKey(scope, "ann", "records")
}
func (s *Store) annIndexKey(scope string) string { return s.branchKey(scope, "ann", "index") }
func (s *Store) annKey(scope string, no int, part string) string {
	return s.branchKey(scope, "ann", strconv.Itoa(no), part)
}

// SaveDraft implements bot.AnnounceStore: the author's one draft, replaced.
func (s *Store) SaveDraft(ctx context.Context, a bot.Announcement, ttl time.Duration) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("store: encode draft: %w", err)
	}
	key := s.draftKey(a.Author)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		p.HSet(ctx, key, "id", a.ID, "a", raw)
		p.PExpire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save draft: %w", err)
	}
	return nil
}

type draftMedia struct {
	bot.Media
	At  int64 `json:"at"`            // unix ms
	Seq int   `json:"seq,omitempty"` // arrival order: two pictures in one millisecond keep theirs
}

// Draft implements bot.AnnounceStore.
func (s *Store) Draft(ctx context.Context, author string) (bot.Announcement, bool, error) {
	fields, err := s.rdb.HGetAll(ctx, s.draftKey(author)).Result()
	if err != nil {
		return bot.Announcement{}, false, fmt.Errorf("store: read draft: %w", err)
	}
	raw, ok := fields["a"]
	if !ok {
		return bot.Announcement{}, false, nil
	}
	var a bot.Announcement
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return bot.Announcement{}, false, fmt.Errorf("store: decode draft: %w", err)
	}
	var media []draftMedia
	for k, v := range fields {
		if !strings.HasPrefix(k, "m:") {
			continue
		}
		var m draftMedia
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return bot.Announcement{}, false, fmt.Errorf("store: decode draft media: %w", err)
		}
		media = append(media, m)
	}
	// Pictures go out in the order sent (drafts written before seq existed
	// have only their times).
	slices.SortFunc(media, func(x, y draftMedia) int { return cmp.Or(cmp.Compare(x.Seq, y.Seq), cmp.Compare(x.At, y.At)) })
	for _, m := range media {
		a.Media = append(a.Media, m.Media)
	}
	return a, true, nil
}

// attachScript adds a picture to a draft only while the draft exists (it
// must not outlive it without a TTL); a retried picture is added once.
// Returns {found, media count}.
var attachScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'a') == 0 then return {0, 0} end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  local v = cjson.decode(ARGV[2])
  v['seq'] = redis.call('HLEN', KEYS[1]) - 1 -- arrival order, 1 for the first picture
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(v))
end
return {1, redis.call('HLEN', KEYS[1]) - 2}
`)

// AttachToDraft implements bot.AnnounceStore.
func (s *Store) AttachToDraft(ctx context.Context, author string, m bot.Media) (int, bool, error) {
	raw, err := json.Marshal(draftMedia{Media: m, At: time.Now().UnixMilli()})
	if err != nil {
		return 0, false, fmt.Errorf("store: encode media: %w", err)
	}
	res, err := attachScript.Run(ctx, s.rdb, []string{s.draftKey(author)}, "m:"+m.ID, raw).Int64Slice()
	if err != nil {
		return 0, false, fmt.Errorf("store: attach to draft: %w", err)
	}
	return int(res[1]), res[0] == 1, nil
}

// dropDraftScript deletes a draft only if it is still the one sent.
var dropDraftScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'id') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// DropDraft implements bot.AnnounceStore.
func (s *Store) DropDraft(ctx context.Context, author, draftID string) error {
	if err := dropDraftScript.Run(ctx, s.rdb, []string{s.draftKey(author)}, draftID).Err(); err != nil {
		return fmt.Errorf("store: drop draft: %w", err)
	}
	return nil
}

// publishScript numbers an announcement once per draft id (KEYS: ids, seq,
// records, index; one hash tag): a retried 发送 finds its number.
var publishScript = redis.NewScript(`
local no = redis.call('HGET', KEYS[1], ARGV[1])
if no then return {0, tonumber(no)} end
no = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], no)
redis.call('HSET', KEYS[3], no, ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], no)
return {1, no}
`)

// Publish implements bot.AnnounceStore.
func (s *Store) Publish(ctx context.Context, a bot.Announcement) (bot.Announcement, error) {
	a.No = 0
	raw, err := json.Marshal(a)
	if err != nil {
		return a, fmt.Errorf("store: encode announcement: %w", err)
	}
	keys := []string{s.annIDsKey(a.Scope), s.annSeqKey(a.Scope), s.annRecordsKey(a.Scope), s.annIndexKey(a.Scope)}
	res, err := publishScript.Run(ctx, s.rdb, keys, a.ID, raw, a.SentAt.UnixMilli()).Int64Slice()
	if err != nil {
		return a, fmt.Errorf("store: publish: %w", err)
	}
	if res[0] == 1 {
		a.No = int(res[1])
		return a, nil
	}
	stored, found, err := s.Announcement(ctx, a.Scope, int(res[1]))
	if err != nil || !found {
		return a, errors.Join(err, fmt.Errorf("store: announcement %s #%d is numbered but not stored", a.Scope, res[1]))
	}
	return stored, nil
}

func decodeAnnouncement(raw string, no int) (bot.Announcement, error) {
	var a bot.Announcement
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return a, fmt.Errorf("store: decode announcement: %w", err)
	}
	a.No = no
	return a, nil
}

// Announcement implements bot.AnnounceStore.
func (s *Store) Announcement(ctx context.Context, scope string, no int) (bot.Announcement, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.annRecordsKey(scope), strconv.Itoa(no)).Result()
	if errors.Is(err, redis.Nil) {
		return bot.Announcement{}, false, nil
	}
	if err != nil {
		return bot.Announcement{}, false, fmt.Errorf("store: read announcement: %w", err)
	}
	a, err := decodeAnnouncement(raw, no)
	return a, err == nil, err
}

// RecentAnnouncements implements bot.AnnounceStore: two round trips.
func (s *Store) RecentAnnouncements(ctx context.Context, scope string, since time.Time, limit int) ([]bot.Announcement, error) {
	many, err := s.RecentAnnouncementsMany(ctx, []string{scope}, since, limit)
	return many[scope], err
}

// RecentAnnouncementsMany implements bot.AnnounceStore: the scopes' indexes
// in one pipeline, the records of those that have any in a second.
func (s *Store) RecentAnnouncementsMany(ctx context.Context, scopes []string, since time.Time, limit int) (map[string][]bot.Announcement, error) {
	min := "-inf"
	if !since.IsZero() {
		min = strconv.FormatInt(since.UnixMilli(), 10)
	}
	idx := make([]*redis.StringSliceCmd, len(scopes))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, scope := range scopes {
			idx[i] = p.ZRevRangeByScore(ctx, s.annIndexKey(scope), &redis.ZRangeBy{Min: min, Max: "+inf", Count: int64(limit)})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: list announcements: %w", err)
	}
	recs := make([]*redis.SliceCmd, len(scopes))
	some := false
	for _, c := range idx {
		some = some || len(c.Val()) > 0
	}
	if some {
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, scope := range scopes {
				if nos := idx[i].Val(); len(nos) > 0 {
					recs[i] = p.HMGet(ctx, s.annRecordsKey(scope), nos...)
				}
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("store: read announcements: %w", err)
		}
	}
	out := make(map[string][]bot.Announcement, len(scopes))
	for i, scope := range scopes {
		if recs[i] == nil {
			out[scope] = nil
			continue
		}
		as, err := decodeAnnouncements(idx[i].Val(), recs[i].Val())
		if err != nil {
			return nil, err
		}
		out[scope] = as
	}
	return out, nil
}

// decodeAnnouncements decodes the records HMGET read for the numbers nos.
func decodeAnnouncements(nos []string, raws []any) ([]bot.Announcement, error) {
	out := make([]bot.Announcement, 0, len(nos))
	for i, raw := range raws {
		str, ok := raw.(string)
		if !ok {
			continue
		}
		no, _ := strconv.Atoi(nos[i])
		a, err := decodeAnnouncement(str, no)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Acknowledge implements bot.AnnounceStore: the first 收到 stands.
func (s *Store) Acknowledge(ctx context.Context, scope string, no int, userID string, at time.Time) (bool, error) {
	first, err := s.rdb.HSetNX(ctx, s.annKey(scope, no, "acks"), userID, at.UnixMilli()).Result()
	if err != nil {
		return false, fmt.Errorf("store: acknowledge: %w", err)
	}
	return first, nil
}

// Responses implements bot.AnnounceStore: one pipelined read.
func (s *Store) Responses(ctx context.Context, scope string, no int) (bot.Responses, error) {
	var acks, declined *redis.MapStringStringCmd
	var joined, waiting *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		acks = p.HGetAll(ctx, s.annKey(scope, no, "acks"))
		joined = p.ZRange(ctx, s.annKey(scope, no, "joined"), 0, -1)
		waiting = p.ZRange(ctx, s.annKey(scope, no, "waiting"), 0, -1)
		declined = p.HGetAll(ctx, s.annKey(scope, no, "declined"))
		return nil
	})
	if err != nil {
		return bot.Responses{}, fmt.Errorf("store: read responses: %w", err)
	}
	r := bot.Responses{Acked: map[string]time.Time{}, Joined: joined.Val(), Waiting: waiting.Val(), Declined: map[string]bool{}}
	for id, ms := range acks.Val() {
		n, _ := strconv.ParseInt(ms, 10, 64)
		r.Acked[id] = time.UnixMilli(n)
	}
	for id := range declined.Val() {
		r.Declined[id] = true
	}
	return r, nil
}

// AckCounts implements bot.AnnounceStore: one pipelined read.
func (s *Store) AckCounts(ctx context.Context, scope string, nos []int) ([]int, error) {
	cmds := make([]*redis.IntCmd, len(nos))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, no := range nos {
			cmds[i] = p.HLen(ctx, s.annKey(scope, no, "acks"))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: count acknowledgements: %w", err)
	}
	out := make([]int, len(nos))
	for i, c := range cmds {
		out[i] = int(c.Val())
	}
	return out, nil
}

// respondScript applies one answer to an activity (KEYS: joined, waiting,
// declined, acks, ops; one hash tag). ARGV: action (join|decline|cancel),
// userid, unix ms, capacity (0: none), op (the message; "" for none). A join takes a place while there is one, else
// a place on the waiting list; leaving a place moves the first waiting up.
// Returns {was, now, position, promoted}.
var respondScript = redis.NewScript(`
local joined, waiting, declined, acks, ops = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local act, user, at, cap, op = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
if op ~= '' then
  local prior = redis.call('HGET', ops, op)
  if prior then return {'replay', prior} end
end
local function done(was, now, pos, promoted)
  if op ~= '' then
    redis.call('HSET', ops, op, was .. '|' .. now .. '|' .. pos .. '|' .. promoted)
    redis.call('EXPIRE', ops, 172800)
  end
  return {was, now, pos, promoted}
end
-- Scores keep arrival order even within one millisecond.
local function after(key)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #last > 0 and tonumber(last[2]) >= at then return tonumber(last[2]) + 1 end
  return at
end
if act == 'join' then
  if redis.call('ZSCORE', joined, user) then return done('joined', 'joined', 0, '') end
  local rank = redis.call('ZRANK', waiting, user)
  if rank then return done('waiting', 'waiting', rank + 1, '') end
  redis.call('HDEL', declined, user)
  redis.call('HSETNX', acks, user, ARGV[3])
  if cap == 0 or redis.call('ZCARD', joined) < cap then
    redis.call('ZADD', joined, after(joined), user)
    return done('', 'joined', 0, '')
  end
  redis.call('ZADD', waiting, after(waiting), user)
  return done('', 'waiting', redis.call('ZRANK', waiting, user) + 1, '')
end
local was = ''
if redis.call('ZREM', joined, user) == 1 then was = 'joined'
elseif redis.call('ZREM', waiting, user) == 1 then was = 'waiting' end
local promoted = ''
if was == 'joined' and (cap == 0 or redis.call('ZCARD', joined) < cap) then
  local first = redis.call('ZRANGE', waiting, 0, 0)
  if #first > 0 then
    redis.call('ZREM', waiting, first[1])
    redis.call('ZADD', joined, after(joined), first[1])
    promoted = first[1]
  end
end
local now = ''
if act == 'decline' then
  redis.call('HSET', declined, user, ARGV[3])
  redis.call('HSETNX', acks, user, ARGV[3])
  now = 'declined'
end
return done(was, now, 0, promoted)
`)

// Respond implements bot.AnnounceStore. The outcome of each op is kept
// two days beside the sign-ups (same hash tag), for WeCom's retries.
func (s *Store) Respond(ctx context.Context, scope string, no int, su bot.SignUp) (bot.SignUpOutcome, error) {
	keys := []string{s.annKey(scope, no, "joined"), s.annKey(scope, no, "waiting"), s.annKey(scope, no, "declined"), s.annKey(scope, no, "acks"), s.annKey(scope, no, "ops")}
	res, err := respondScript.Run(ctx, s.rdb, keys, string(su.Action), su.UserID, su.At.UnixMilli(), su.Capacity, su.Op).Slice()
	if err != nil {
		return bot.SignUpOutcome{}, fmt.Errorf("store: respond: %w", err)
	}
	if len(res) == 2 && res[0] == "replay" {
		prior, _ := res[1].(string)
		parts := strings.SplitN(prior, "|", 4)
		if len(parts) != 4 {
			return bot.SignUpOutcome{}, fmt.Errorf("store: respond: stored outcome %q", prior)
		}
		pos, _ := strconv.Atoi(parts[2])
		return bot.SignUpOutcome{Was: bot.SignUpState(parts[0]), Now: bot.SignUpState(parts[1]), Position: pos, Promoted: parts[3]}, nil
	}
	if len(res) != 4 {
		return bot.SignUpOutcome{}, fmt.Errorf("store: respond: unexpected answer %v", res)
	}
	was, _ := res[0].(string)
	now, _ := res[1].(string)
	pos, _ := res[2].(int64)
	promoted, _ := res[3].(string)
	return bot.SignUpOutcome{Was: bot.SignUpState(was), Now: bot.SignUpState(now), Position: int(pos), Promoted: promoted}, nil
}

package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

var _ bot.RosterStore = (*Store)(nil)

// WeCom treats userids case-insensitively, so keys use the lower-case form
// while records keep the spelling they were given.
func (s *Store) memberKey(userID string) string { return s.key("member", strings.ToLower(userID)) }
func (s *Store) allMembersKey() string          { return s.key("members") }
func (s *Store) branchesKey() string            { return s.key("branches") }
func (s *Store) adminsKey() string              { return s.key("admins") }

// Admins implements bot.Roster: the admins set, kept by SaveMembers (the
// weekly report must not read every member to find a handful).
func (s *Store) Admins(ctx context.Context) ([]bot.Member, error) {
	pipe := s.rdb.Pipeline()
	ids := pipe.SMembers(ctx, s.adminsKey())
	indexed := pipe.Exists(ctx, s.adminsKey()+":indexed")
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: list admins: %w", err)
	}
	if indexed.Val() == 0 { // written before the set was kept: build it once
		return s.indexAdmins(ctx)
	}
	return s.members(ctx, ids.Val())
}

func (s *Store) indexAdmins(ctx context.Context) ([]bot.Member, error) {
	all, err := s.AllMembers(ctx)
	if err != nil {
		return nil, err
	}
	var admins []bot.Member
	pipe := s.rdb.Pipeline() // two org-wide keys: not one slot, so no MULTI
	for _, m := range all {
		if m.Active && m.Role == bot.RoleAdmin {
			admins = append(admins, m)
			pipe.SAdd(ctx, s.adminsKey(), strings.ToLower(m.UserID))
		}
	}
	pipe.Set(ctx, s.adminsKey()+":indexed", 1, 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("store: index admins: %w", err)
	}
	return admins, nil
}
func (s *Store) branchMembersKey(branchID string) string {
	return s.branchKey(branchID, "members")
}

// branchPendingKey holds the branch's active members who do not count
// (待确认, 待转出): kept apart so that every reader of BranchMembers —
// reminders, quorums, summaries — leaves them out without knowing of them.
func (s *Store) branchPendingKey(branchID string) string {
	return s.branchKey(branchID, "members", "pending")
}

// BranchPending implements bot.RosterStore: the branch's roster hash
// (branchroster.go), those who do not count.
func (s *Store) BranchPending(ctx context.Context, branchID string) ([]bot.Member, error) {
	all, err := s.branchRoster(ctx, branchID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, m := range all {
		if m.Active && !m.Counts() {
			out = append(out, m)
		}
	}
	return out, nil
}

// Member implements bot.Roster.
func (s *Store) Member(ctx context.Context, userID string) (bot.Member, bool, error) {
	raw, err := s.rdb.Get(ctx, s.memberKey(userID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return bot.Member{}, false, nil
	}
	if err != nil {
		return bot.Member{}, false, fmt.Errorf("store: get member: %w", err)
	}
	m, err := decodeMember(raw)
	if err != nil {
		return bot.Member{}, false, fmt.Errorf("%w (%s)", err, userID)
	}
	return m, true, nil
}

// Branch implements bot.Roster.
func (s *Store) Branch(ctx context.Context, id string) (bot.Branch, bool, error) {
	raw, err := s.rdb.HGet(ctx, s.branchesKey(), id).Bytes()
	if errors.Is(err, redis.Nil) {
		return bot.Branch{}, false, nil
	}
	if err != nil {
		return bot.Branch{}, false, fmt.Errorf("store: get branch: %w", err)
	}
	b, err := decodeBranch(raw)
	return b, err == nil, err
}

// branchRecord is what Redis keeps of a branch: roles live on members.
type branchRecord struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	ChatID        string   `json:"chat_id,omitempty"`
	Robot         bool     `json:"robot,omitempty"`
	DuesDay       int      `json:"dues_day,omitempty"`
	DepartmentIDs []int    `json:"department_ids,omitempty"`
	Since         bot.Date `json:"since,omitzero"`
	Retired       bool     `json:"retired,omitempty"`
	Groups        []string `json:"groups,omitempty"`
	Company       string   `json:"company,omitempty"` // the corps entry of a single-company branch
	// Cadence is the branch's override: meeting type → monthly, quarterly,
	// yearly or none.
	Cadence map[string]string `json:"cadence,omitempty"`
}

func decodeBranch(raw []byte) (bot.Branch, error) {
	var r branchRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return bot.Branch{}, fmt.Errorf("store: decode branch: %w", err)
	}
	b := bot.Branch{ID: r.ID, Name: r.Name, ChatID: r.ChatID, Robot: r.Robot, DuesDay: r.DuesDay, DepartmentIDs: r.DepartmentIDs, Since: r.Since, Retired: r.Retired, Groups: r.Groups, Company: r.Company}
	for typ, word := range r.Cadence {
		t, okType := bot.ParseMeetingType(typ)
		c, okCadence := bot.ParseBranchCadence(word)
		if !okType || !okCadence {
			continue // written by a later release: the derived duty stands
		}
		if b.Cadence == nil {
			b.Cadence = map[bot.MeetingType]bot.Cadence{}
		}
		b.Cadence[t] = c
	}
	return b, nil
}

func encodeBranch(b bot.Branch) ([]byte, error) {
	r := branchRecord{ID: b.ID, Name: b.Name, ChatID: b.ChatID, Robot: b.Robot, DuesDay: b.DuesDay, DepartmentIDs: b.DepartmentIDs, Since: b.Since, Retired: b.Retired, Groups: b.Groups, Company: b.Company}
	for t, c := range b.Cadence {
		if r.Cadence == nil {
			r.Cadence = map[string]string{}
		}
		r.Cadence[string(t)] = c.String()
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("store: encode branch: %w", err)
	}
	return raw, nil
}

// Branches implements bot.Roster, ordered by id.
func (s *Store) Branches(ctx context.Context) ([]bot.Branch, error) {
	all, err := s.rdb.HGetAll(ctx, s.branchesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list branches: %w", err)
	}
	out := make([]bot.Branch, 0, len(all))
	for _, raw := range all {
		b, err := decodeBranch([]byte(raw))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// SaveBranches implements bot.RosterStore.
func (s *Store) SaveBranches(ctx context.Context, bs []bot.Branch) error {
	if len(bs) == 0 {
		return nil
	}
	existing, err := s.Branches(ctx)
	if err != nil {
		return err
	}
	since := map[string]bot.Date{}
	for _, b := range existing {
		since[b.ID] = b.Since
	}
	fields := make([]any, 0, 2*len(bs))
	for _, b := range bs {
		if old := since[b.ID]; !old.IsZero() && (b.Since.IsZero() || old.Before(b.Since)) {
			b.Since = old
		}
		raw, err := encodeBranch(b)
		if err != nil {
			return err
		}
		fields = append(fields, b.ID, raw)
	}
	if err := s.rdb.HSet(ctx, s.branchesKey(), fields...).Err(); err != nil {
		return fmt.Errorf("store: save branches: %w", err)
	}
	return nil
}

// BranchMembers implements bot.Roster: the branch's roster hash
// (branchroster.go), those who count.
func (s *Store) BranchMembers(ctx context.Context, branchID string) ([]bot.Member, error) {
	all, err := s.branchRoster(ctx, branchID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, m := range all {
		if m.Counts() {
			out = append(out, m)
		}
	}
	return out, nil
}

// AllMembers implements bot.RosterStore.
func (s *Store) AllMembers(ctx context.Context) ([]bot.Member, error) {
	ids, err := s.rdb.SMembers(ctx, s.allMembersKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: list members: %w", err)
	}
	return s.members(ctx, ids)
}

// pipelineChunk bounds one pipeline's size; a 10,000-member org takes ten.
const pipelineChunk = 1000

// members reads member records by id in pipelined chunks (one key per
// command, so this works on Cluster too), ordered by userid.
func (s *Store) members(ctx context.Context, ids []string) ([]bot.Member, error) {
	out := make([]bot.Member, 0, len(ids))
	err := s.memberRecords(ctx, ids, func(_ string, raw string) error {
		m, err := decodeMember([]byte(raw))
		if err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// memberRecords hands each stored member record of ids to each, in
// pipelined chunks of GETs; an id listed but gone is skipped.
func (s *Store) memberRecords(ctx context.Context, ids []string, each func(id, raw string) error) error {
	for start := 0; start < len(ids); start += pipelineChunk {
		chunk := ids[start:min(start+pipelineChunk, len(ids))]
		cmds := make([]*redis.StringCmd, len(chunk))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range chunk {
				cmds[i] = p.Get(ctx, s.memberKey(id))
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("store: read members: %w", err)
		}
		for i, c := range cmds {
			raw, err := c.Result()
			if errors.Is(err, redis.Nil) {
				continue
			}
			if err := each(chunk[i], raw); err != nil {
				return err
			}
		}
	}
	return nil
}

// SaveMembers implements bot.RosterStore. It reads the current records to
// know which branch sets to leave, then writes everything in pipelines.
// Each write is idempotent, so a run cut short by an outage is completed by
// running it again.
func (s *Store) SaveMembers(ctx context.Context, ms []bot.Member) error {
	// The membership history starts from the roster as it was before.
	if _, err := s.indexTenures(ctx); err != nil {
		return err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	current, err := s.members(ctx, ids)
	if err != nil {
		return err
	}
	before := make(map[string]bot.Member, len(current))
	for _, m := range current {
		before[strings.ToLower(m.UserID)] = m
	}
	for start := 0; start < len(ms); start += pipelineChunk {
		chunk := ms[start:min(start+pipelineChunk, len(ms))]
		records := make(map[string][]byte, len(chunk))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, m := range chunk {
				raw, err := json.Marshal(m)
				if err != nil {
					return fmt.Errorf("store: encode member: %w", err)
				}
				id := strings.ToLower(m.UserID)
				records[id] = raw
				p.Set(ctx, s.memberKey(id), raw, 0)
				p.SAdd(ctx, s.allMembersKey(), id)
				if old, ok := before[id]; ok && old.BranchID != "" && old.BranchID != m.BranchID {
					p.SRem(ctx, s.branchMembersKey(old.BranchID), id)
					p.SRem(ctx, s.branchPendingKey(old.BranchID), id)
					// After the sets (one slot): a build that read them
					// before cannot keep the member (branchroster.go).
					p.HIncrBy(ctx, s.branchRosterKey(old.BranchID), rosterWritesField, 1)
					p.HDel(ctx, s.branchRosterKey(old.BranchID), id)
				}
				if m.BranchID != "" {
					// One of the branch's two sets, or neither once they left.
					counted, pending := s.branchMembersKey(m.BranchID), s.branchPendingKey(m.BranchID)
					switch {
					case m.Counts():
						p.SRem(ctx, pending, id)
						p.SAdd(ctx, counted, id)
					case m.Active:
						p.SRem(ctx, counted, id)
						p.SAdd(ctx, pending, id)
					default:
						p.SRem(ctx, counted, id)
						p.SRem(ctx, pending, id)
					}
				}
				if m.Active && m.Role == bot.RoleAdmin {
					p.SAdd(ctx, s.adminsKey(), id)
				} else {
					p.SRem(ctx, s.adminsKey(), id)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: save members: %w", err)
		}
		// The branch's roster hash once the records are written: a build
		// that reads them after this sees them, and one that read them
		// before sees the count moved and starts again (branchroster.go).
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, m := range chunk {
				if m.BranchID == "" {
					continue
				}
				id := strings.ToLower(m.UserID)
				key := s.branchRosterKey(m.BranchID)
				p.HIncrBy(ctx, key, rosterWritesField, 1)
				if m.Active {
					p.HSet(ctx, key, id, records[id])
				} else {
					p.HDel(ctx, key, id)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: save branch rosters: %w", err)
		}
	}
	// Every MemberCache empties itself when it sees the version move; this
	// process's at once.
	s.rosterWrites.Lock()
	for _, c := range s.rosterWrites.caches {
		c.clear()
	}
	s.rosterWrites.Unlock()
	// rosterHashedStep, not 1: this write kept the branch hashes.
	if err := s.rdb.IncrBy(ctx, s.rosterVersionKey(), rosterHashedStep).Err(); err != nil {
		return fmt.Errorf("store: bump roster version: %w", err)
	}
	return nil
}

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// ArchiveLine is one record moved out of Redis: a JSON line of the archive
// file, with the record exactly as Redis kept it.
type ArchiveLine struct {
	Kind   string          `json:"kind"` // checkin, study, meeting, minutes, photo (an ArchivedPhoto), leave, audit
	Branch string          `json:"branch,omitempty"`
	Key    string          `json:"key"`             // where it lived, without the prefix
	Field  string          `json:"field,omitempty"` // hash field or stream id
	Record json.RawMessage `json:"record"`
}

// ArchivePlan is what an archive run found before `before`: written to the
// file first, deleted from Redis only after the file is safely closed.
type ArchivePlan struct {
	Counts  map[string]int // records per kind
	deletes []archiveDelete
}

// archiveDelete removes a key, or some fields (or stream ids) of it, and
// entries of an index (zkey) that point at them. key may be "" for an
// index entry alone.
type archiveDelete struct {
	key    string
	fields []string // hash fields; none: the whole key
	stream []string // stream ids
	zkey   string
	zmem   []string
}

// ArchiveCollect writes every ledger record dated before `before` (check-in
// days, study reports by the day studied, closed meetings by their opening,
// with their minutes and photos, leaves by their last day, audit entries
// by when they were written) to w as JSON lines, and returns the plan
// that ArchiveDelete carries out. It changes nothing in Redis.
func (s *Store) ArchiveCollect(ctx context.Context, before time.Time, loc *time.Location, w io.Writer) (*ArchivePlan, error) {
	plan := &ArchivePlan{Counts: map[string]int{}}
	enc := json.NewEncoder(w)
	emit := func(l ArchiveLine) error {
		l.Key = strings.TrimPrefix(l.Key, s.prefix)
		plan.Counts[l.Kind]++
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("store: write archive: %w", err)
		}
		return nil
	}
	cut := bot.DateOf(before, loc)
	steps := []func(context.Context, bot.Date, time.Time, func(ArchiveLine) error, *ArchivePlan) error{
		s.archiveCheckins, s.archiveStudy, s.archiveMeetings, s.archiveLeaves, s.archiveAudit,
	}
	for _, step := range steps {
		if err := step(ctx, cut, before, emit, plan); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// ArchiveDelete removes what the plan lists, in pipelines.
func (s *Store) ArchiveDelete(ctx context.Context, plan *ArchivePlan) error {
	const batch = 500
	for start := 0; start < len(plan.deletes); start += batch {
		pipe := s.rdb.Pipeline()
		for _, d := range plan.deletes[start:min(start+batch, len(plan.deletes))] {
			switch {
			case d.key == "":
			case len(d.stream) > 0:
				pipe.XDel(ctx, d.key, d.stream...)
			case len(d.fields) > 0:
				pipe.HDel(ctx, d.key, d.fields...)
			default:
				pipe.Del(ctx, d.key)
			}
			if d.zkey != "" && len(d.zmem) > 0 {
				members := make([]any, len(d.zmem))
				for i, m := range d.zmem {
					members[i] = m
				}
				pipe.ZRem(ctx, d.zkey, members...)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("store: archive delete: %w", err)
		}
	}
	return nil
}

// scan lists the keys matching pattern on every node (a maintenance path:
// SCAN is fine here, never on a message's path).
func (s *Store) scan(ctx context.Context, pattern string) ([]string, error) {
	var keys []string
	each := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		return iter.Err()
	}
	var err error
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, each)
	case *redis.Client:
		err = each(ctx, c)
	default:
		return nil, fmt.Errorf("store: scan: unsupported client %T", s.rdb)
	}
	if err != nil {
		return nil, fmt.Errorf("store: scan %s: %w", pattern, err)
	}
	return keys, nil
}

// branchOf reads the hash tag of a branch key.
func branchOf(key string) string {
	open, end := strings.IndexByte(key, '{'), strings.IndexByte(key, '}')
	if open < 0 || end < open {
		return ""
	}
	return key[open+1 : end]
}

func (s *Store) archiveCheckins(ctx context.Context, cut bot.Date, _ time.Time, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	keys, err := s.scan(ctx, s.prefix+"{*}:checkin:day:*")
	if err != nil {
		return err
	}
	for _, key := range keys {
		day, err := bot.ParseDate(key[strings.LastIndexByte(key, ':')+1:])
		if err != nil || !day.Before(cut) {
			continue
		}
		branch := branchOf(key)
		records, err := s.rdb.HGetAll(ctx, key).Result()
		if err != nil {
			return fmt.Errorf("store: archive check-ins: %w", err)
		}
		for userID, raw := range records {
			if err := emit(ArchiveLine{Kind: "checkin", Branch: branch, Key: key, Field: userID, Record: json.RawMessage(raw)}); err != nil {
				return err
			}
			// The member's index of check-in days loses this day.
			plan.deletes = append(plan.deletes, archiveDelete{zkey: s.checkinMemberKey(branch, userID), zmem: []string{day.String()}})
		}
		plan.deletes = append(plan.deletes, archiveDelete{key: key}, archiveDelete{key: s.checkinLocationKey(branch, day)})
	}
	return nil
}

func (s *Store) archiveStudy(ctx context.Context, cut bot.Date, _ time.Time, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	keys, err := s.scan(ctx, s.prefix+"{*}:study:*:days")
	if err != nil {
		return err
	}
	for _, daysKey := range keys {
		reportsKey := strings.TrimSuffix(daysKey, ":days")
		if err := s.archiveIndexed(ctx, "study", reportsKey, daysKey, cut.Number(), emit, plan); err != nil {
			return err
		}
	}
	// The day sums of archived days go with their reports (they are
	// derived from them, so they are not written to the archive).
	sums, err := s.scan(ctx, s.prefix+"{*}:studysum:*")
	if err != nil {
		return err
	}
	for _, key := range sums {
		if day, err := bot.ParseDate(key[strings.LastIndexByte(key, ':')+1:]); err == nil && day.Before(cut) {
			plan.deletes = append(plan.deletes, archiveDelete{key: key})
		}
	}
	return nil
}

// archiveIndexed moves the records of a hash whose index scores them
// before cut: written as lines, then their fields and index entries go.
func (s *Store) archiveIndexed(ctx context.Context, kind, hashKey, indexKey string, cut int64, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	ids, err := s.rdb.ZRangeByScore(ctx, indexKey, &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(cut, 10)}).Result()
	if err != nil {
		return fmt.Errorf("store: archive %s: %w", kind, err)
	}
	if len(ids) == 0 {
		return nil
	}
	raws, err := s.rdb.HMGet(ctx, hashKey, ids...).Result()
	if err != nil {
		return fmt.Errorf("store: archive %s: %w", kind, err)
	}
	for i, raw := range raws {
		if str, ok := raw.(string); ok {
			if err := emit(ArchiveLine{Kind: kind, Branch: branchOf(hashKey), Key: hashKey, Field: ids[i], Record: json.RawMessage(str)}); err != nil {
				return err
			}
		}
	}
	plan.deletes = append(plan.deletes, archiveDelete{key: hashKey, fields: ids, zkey: indexKey, zmem: ids})
	return nil
}

func (s *Store) archiveMeetings(ctx context.Context, _ bot.Date, before time.Time, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	keys, err := s.scan(ctx, s.prefix+"{*}:meetings")
	if err != nil {
		return err
	}
	for _, index := range keys {
		branch := branchOf(index)
		ids, err := s.rdb.ZRangeByScore(ctx, index, &redis.ZRangeBy{Min: "-inf", Max: "(" + strconv.FormatInt(before.Unix(), 10)}).Result()
		if err != nil {
			return fmt.Errorf("store: archive meetings: %w", err)
		}
		for _, id := range ids {
			m, err := s.meeting(ctx, branch, id)
			if err != nil {
				return err
			}
			if m.ClosedAt.IsZero() {
				continue // still open: it stays
			}
			att, err := s.Attendance(ctx, branch, id)
			if err != nil {
				return err
			}
			outcomes, err := s.Outcomes(ctx, branch, []string{id})
			if err != nil {
				return err
			}
			raw, err := json.Marshal(struct {
				Meeting     bot.Meeting          `json:"meeting"`
				Attendance  []bot.Attendance     `json:"attendance"`
				Snapshot    *bot.MeetingSnapshot `json:"snapshot,omitempty"`
				Corrections []bot.Correction     `json:"corrections,omitempty"`
			}{m, att, outcomes[id].Snapshot, outcomes[id].Corrections})
			if err != nil {
				return fmt.Errorf("store: encode meeting: %w", err)
			}
			if err := emit(ArchiveLine{Kind: "meeting", Branch: branch, Key: s.meetingKey(branch, id), Record: raw}); err != nil {
				return err
			}
			if err := s.archiveMeetingRecord(ctx, branch, id, emit, plan); err != nil {
				return err
			}
			plan.deletes = append(plan.deletes,
				archiveDelete{key: s.meetingKey(branch, id), zkey: index, zmem: []string{id}},
				archiveDelete{key: s.attendanceKey(branch, id)},
				archiveDelete{key: s.correctionsKey(branch, id)},
				archiveDelete{key: s.correctionIDsKey(branch, id)},
				archiveDelete{key: s.snapshotKey(branch, id)})
		}
	}
	return nil
}

// ArchivedPhoto is a photo's line in the archive: its description as
// Redis kept it, and its bytes (base64 in the JSON).
type ArchivedPhoto struct {
	Photo json.RawMessage `json:"photo"`
	Data  []byte          `json:"data,omitempty"`
}

// archiveMeetingRecord moves a meeting's minutes and photos (with their
// bytes) along with it: left behind they would be unreachable, and kept
// forever.
func (s *Store) archiveMeetingRecord(ctx context.Context, branch, id string, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	minutesKey, photosKey := s.minutesKey(branch, id), s.photosKey(branch, id)
	minutes, err := s.rdb.HGetAll(ctx, minutesKey).Result()
	if err != nil {
		return fmt.Errorf("store: archive minutes: %w", err)
	}
	for _, field := range sortedKeys(minutes) {
		if err := emit(ArchiveLine{Kind: "minutes", Branch: branch, Key: minutesKey, Field: field, Record: json.RawMessage(minutes[field])}); err != nil {
			return err
		}
	}
	photos, err := s.rdb.HGetAll(ctx, photosKey).Result()
	if err != nil {
		return fmt.Errorf("store: archive photos: %w", err)
	}
	for _, mediaID := range sortedKeys(photos) {
		// One photo's bytes at a time: a meeting may hold 30 of up to 10 MB.
		data, err := s.PhotoData(ctx, branch, id, mediaID)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(ArchivedPhoto{Photo: json.RawMessage(photos[mediaID]), Data: data})
		if err != nil {
			return fmt.Errorf("store: encode photo: %w", err)
		}
		if err := emit(ArchiveLine{Kind: "photo", Branch: branch, Key: photosKey, Field: mediaID, Record: raw}); err != nil {
			return err
		}
		plan.deletes = append(plan.deletes, archiveDelete{key: s.photoKey(branch, id, mediaID)})
	}
	plan.deletes = append(plan.deletes, archiveDelete{key: minutesKey}, archiveDelete{key: photosKey})
	return nil
}

// sortedKeys lists a hash's fields in order, so archives are stable.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *Store) archiveLeaves(ctx context.Context, cut bot.Date, _ time.Time, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	keys, err := s.scan(ctx, s.prefix+"{*}:leaves")
	if err != nil {
		return err
	}
	for _, key := range keys {
		branch := branchOf(key)
		// Reading a window indexes leaves stored before the index existed.
		if _, err := s.Leaves(ctx, branch, cut, cut); err != nil {
			return err
		}
		if err := s.archiveIndexed(ctx, "leave", key, s.leavesByEndKey(branch), cut.Number(), emit, plan); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) archiveAudit(ctx context.Context, _ bot.Date, before time.Time, emit func(ArchiveLine) error, plan *ArchivePlan) error {
	end := "(" + strconv.FormatInt(before.UnixMilli(), 10)
	msgs, err := s.rdb.XRange(ctx, s.auditKey(), "-", end).Result()
	if err != nil {
		return fmt.Errorf("store: archive audit: %w", err)
	}
	var ids []string
	for _, m := range msgs {
		raw, err := json.Marshal(m.Values)
		if err != nil {
			return fmt.Errorf("store: encode audit: %w", err)
		}
		if err := emit(ArchiveLine{Kind: "audit", Key: s.auditKey(), Field: m.ID, Record: raw}); err != nil {
			return err
		}
		ids = append(ids, m.ID)
	}
	if len(ids) > 0 {
		plan.deletes = append(plan.deletes, archiveDelete{key: s.auditKey(), stream: ids})
	}
	return nil
}

package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

// commandCounter counts the commands a client sends (a pipeline's each).
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*commandCounter)(nil)

// ids lists members' userids in order.
func ids(ms []bot.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

// legacyWrite writes members as the release before the branch roster
// hashes did (store.SaveMembers of that release, command for command): the
// record, the org set, the branch sets, the admins set, then INCR of the
// roster version. from is the member's branch before, if any.
func legacyWrite(ctx context.Context, rdb redis.UniversalClient, prefix string, m bot.Member, raw, from string) error {
	id := strings.ToLower(m.UserID)
	cmds := []redis.Cmder{
		rdb.Set(ctx, prefix+"member:"+id, raw, 0),
		rdb.SAdd(ctx, prefix+"members", id),
	}
	if from != "" && from != m.BranchID {
		cmds = append(cmds, rdb.SRem(ctx, prefix+"{"+from+"}:members", id), rdb.SRem(ctx, prefix+"{"+from+"}:members:pending", id))
	}
	counted, pending := prefix+"{"+m.BranchID+"}:members", prefix+"{"+m.BranchID+"}:members:pending"
	switch {
	case m.Counts():
		cmds = append(cmds, rdb.SRem(ctx, pending, id), rdb.SAdd(ctx, counted, id))
	case m.Active:
		cmds = append(cmds, rdb.SRem(ctx, counted, id), rdb.SAdd(ctx, pending, id))
	default:
		cmds = append(cmds, rdb.SRem(ctx, counted, id), rdb.SRem(ctx, pending, id))
	}
	cmds = append(cmds, rdb.Incr(ctx, prefix+"roster:version"))
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return fmt.Errorf("%v: %w", c.Args(), err)
		}
	}
	return nil
}

func mustLegacyWrite(t *testing.T, rdb redis.UniversalClient, prefix string, m bot.Member, raw, from string) {
	t.Helper()
	if err := legacyWrite(t.Context(), rdb, prefix, m, raw, from); err != nil {
		t.Fatal(err)
	}
}

// Data the previous release wrote (per-member keys and id sets only) is read
// by this one with no manual step: the first read of a branch builds its
// roster hash, and reads after it are one command.
func TestBranchRosterReadsThePreviousReleasesKeys(t *testing.T) {
	cfg := redistest.Config(t)
	rdb, prefix := cfg.Client(), cfg.KeyPrefix
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := t.Context()
	records := []struct {
		m   bot.Member
		raw string
	}{
		// As that release's json.Marshal wrote them.
		{bot.Member{UserID: "ZhangSan", BranchID: "tech", Active: true}, `{"userid":"ZhangSan","name":"张三","branch":"tech","role":"secretary","active":true}`},
		{bot.Member{UserID: "lisi", BranchID: "tech", Active: true}, `{"userid":"lisi","name":"李四","branch":"tech","role":"member","status":"预备党员","joined":"2025-07-01","active":true}`},
		{bot.Member{UserID: "partner/m1", BranchID: "tech", Active: true}, `{"userid":"partner/m1","name":"伙伴","branch":"tech","role":"member","group":"一组","active":true}`},
		{bot.Member{UserID: "m1", BranchID: "tech", Active: true}, `{"userid":"m1","name":"本司","branch":"tech","role":"member","active":true}`},
		{bot.Member{UserID: "newbie", BranchID: "tech", Status: bot.StatusPending, Active: true}, `{"userid":"newbie","name":"新人","branch":"tech","role":"member","status":"待确认","active":true}`},
		{bot.Member{UserID: "gone", BranchID: "tech"}, `{"userid":"gone","name":"离开","branch":"tech","role":"member","active":false}`},
		{bot.Member{UserID: "wangwu", BranchID: "ops", Active: true}, `{"userid":"wangwu","name":"王五","branch":"ops","role":"member","active":true}`},
	}
	for _, r := range records {
		mustLegacyWrite(t, rdb, prefix, r.m, r.raw, "")
	}
	// A set entry whose record is gone (the previous release skipped it).
	if err := rdb.SAdd(ctx, prefix+"{tech}:members", "ghost").Err(); err != nil {
		t.Fatal(err)
	}

	// Another replica of this release: its own process, its own cache.
	s2 := store.NewWithClient(rdb, prefix)
	tech, err := s2.BranchMembers(ctx, "tech")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(tech), []string{"ZhangSan", "lisi", "m1", "partner/m1"}; !slices.Equal(got, want) {
		t.Fatalf("tech = %v, want %v", got, want)
	}
	byID := map[string]bot.Member{}
	for _, m := range tech {
		byID[m.UserID] = m
	}
	if m := byID["lisi"]; m.Name != "李四" || m.Status != bot.StatusProbationary || m.Joined.String() != "2025-07-01" || m.Role != bot.RoleMember {
		t.Fatalf("lisi = %+v", m)
	}
	if m := byID["partner/m1"]; m.Group != "一组" || m.Name != "伙伴" {
		t.Fatalf("partner/m1 = %+v", m)
	}
	pending, err := s2.BranchPending(ctx, "tech")
	if err != nil || !slices.Equal(ids(pending), []string{"newbie"}) {
		t.Fatalf("pending = %v %v", ids(pending), err)
	}
	ops, err := s2.BranchMembers(ctx, "ops")
	if err != nil || !slices.Equal(ids(ops), []string{"wangwu"}) {
		t.Fatalf("ops = %v %v", ids(ops), err)
	}
	if n := rdb.HLen(ctx, prefix+"{tech}:roster").Val(); n != 6 { // five members and the built mark
		t.Fatalf("tech roster hash has %d fields", n)
	}

	// Built once: a branch is now one command, on this replica and others.
	counter := &commandCounter{}
	c := cfg.Client()
	t.Cleanup(func() { _ = c.Close() })
	c.AddHook(counter)
	r := store.NewWithClient(c, prefix)
	if _, err := r.BranchMembers(ctx, "tech"); err != nil { // the version, then the hash
		t.Fatal(err)
	}
	counter.n.Store(0)
	for range 3 {
		if got, err := r.BranchMembers(ctx, "tech"); err != nil || len(got) != 4 {
			t.Fatalf("tech = %v %v", ids(got), err)
		}
	}
	if n := counter.n.Load(); n != 3 {
		t.Fatalf("three reads of a built branch took %d commands, want 3", n)
	}

	// This release's writes keep the hash, and see the old records.
	if err := s2.SaveMembers(ctx, []bot.Member{{UserID: "partner/m1", Name: "伙伴", BranchID: "ops", Role: bot.RoleCommittee, Active: true}}); err != nil {
		t.Fatal(err)
	}
	tech, _ = s2.BranchMembers(ctx, "tech")
	ops, _ = s2.BranchMembers(ctx, "ops")
	if !slices.Equal(ids(tech), []string{"ZhangSan", "lisi", "m1"}) || !slices.Equal(ids(ops), []string{"partner/m1", "wangwu"}) {
		t.Fatalf("after the move: tech %v ops %v", ids(tech), ids(ops))
	}
	if m, found, err := s2.Member(ctx, "Partner/M1"); err != nil || !found || m.BranchID != "ops" || m.Role != bot.RoleCommittee {
		t.Fatalf("Member(partner/m1) = %+v %v %v", m, found, err)
	}
}

// During a rolling upgrade a replica of the previous release may still
// write the roster: a branch hash built before its write is built again,
// so no member stays listed where they left or with their old role.
func TestBranchRosterFollowsAnOlderReplicasWrites(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	rdb := s.Client()
	ms := []bot.Member{
		{UserID: "lisi", Name: "李四", BranchID: "tech", Role: bot.RoleMember, Active: true},
		{UserID: "wangwu", Name: "王五", BranchID: "tech", Role: bot.RoleMember, Active: true},
	}
	if err := s.SaveMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if tech, err := s.BranchMembers(ctx, "tech"); err != nil || len(tech) != 2 {
		t.Fatalf("tech = %v %v", ids(tech), err)
	}
	// The older replica moves lisi to ops and makes wangwu secretary.
	mustLegacyWrite(t, rdb, prefix, bot.Member{UserID: "lisi", BranchID: "ops", Active: true},
		`{"userid":"lisi","name":"李四","branch":"ops","role":"member","active":true}`, "tech")
	mustLegacyWrite(t, rdb, prefix, bot.Member{UserID: "wangwu", BranchID: "tech", Active: true},
		`{"userid":"wangwu","name":"王五","branch":"tech","role":"secretary","active":true}`, "tech")

	r := store.NewWithClient(rdb, prefix) // a replica that has not read the version yet
	tech, err := r.BranchMembers(ctx, "tech")
	if err != nil || !slices.Equal(ids(tech), []string{"wangwu"}) || tech[0].Role != bot.RoleSecretary {
		t.Fatalf("tech = %+v %v", tech, err)
	}
	ops, err := r.BranchMembers(ctx, "ops")
	if err != nil || !slices.Equal(ids(ops), []string{"lisi"}) {
		t.Fatalf("ops = %v %v", ids(ops), err)
	}
}

// Several replicas building the same branches while this release writes
// them end with hashes equal to the records: a build that raced a write
// starts again instead of storing what it read before the write.
func TestBranchRosterBuildsRaceWritesSafely(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	rdb := s.Client()
	const n = 60
	branches := []string{"a", "b", "c"}
	member := func(i, round int) bot.Member {
		st := bot.StatusFull
		if (i+round)%5 == 0 {
			st = bot.StatusPending
		}
		return bot.Member{UserID: fmt.Sprintf("u%02d", i), Name: fmt.Sprintf("n%d-%d", i, round), BranchID: branches[(i+round)%len(branches)],
			Role: bot.RoleMember, Status: st, Active: (i+round)%7 != 0}
	}
	for i := range n { // the previous release's roster: no hashes yet
		m := member(i, 0)
		mustLegacyWrite(t, rdb, prefix, m, fmt.Sprintf(`{"userid":%q,"name":%q,"branch":%q,"role":"member","status":%q,"active":%v}`, m.UserID, m.Name, m.BranchID, m.Status, m.Active), "")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for round := 1; round <= 4; round++ {
		wg.Add(1)
		go func() { // a replica writing
			defer wg.Done()
			for i := range n {
				if err := s.SaveMembers(ctx, []bot.Member{member(i, round)}); err != nil {
					errs <- err
				}
			}
		}()
		wg.Add(1)
		go func() { // an older replica writing elsewhere: every branch is built again
			defer wg.Done()
			for i := range 20 {
				id := fmt.Sprintf("z%d", i)
				if err := legacyWrite(ctx, rdb, prefix, bot.Member{UserID: id, BranchID: "z", Active: true},
					fmt.Sprintf(`{"userid":%q,"branch":"z","role":"member","active":true}`, id), ""); err != nil {
					errs <- err
				}
			}
		}()
		for range 2 {
			wg.Add(1)
			go func() { // replicas reading, each read a process of its own
				defer wg.Done()
				for range 10 {
					for _, b := range branches {
						if _, err := store.NewWithClient(rdb, prefix).BranchMembers(ctx, b); err != nil {
							errs <- err
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	for _, b := range branches { // built again after the last older write, if any
		if _, err := store.NewWithClient(rdb, prefix).BranchMembers(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Whatever the interleaving: each branch's hash, as the races left it,
	// holds exactly what the records say.
	all, err := s.AllMembers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range branches {
		raw, err := rdb.HGetAll(ctx, prefix+"{"+b+"}:roster").Result()
		if err != nil || !strings.HasPrefix(raw["#built"], "built:") {
			t.Fatalf("branch %s's hash was not built: %v %v", b, raw, err)
		}
		for id, rec := range raw {
			if want, _ := rdb.Get(ctx, prefix+"member:"+id).Result(); !strings.HasPrefix(id, "#") && rec != want {
				t.Fatalf("branch %s's hash has %s = %s, the record is %s", b, id, rec, want)
			}
		}
		var wantCounted, wantPending []string
		for _, m := range all {
			switch {
			case m.BranchID != b:
			case m.Counts():
				wantCounted = append(wantCounted, m.UserID)
			case m.Active:
				wantPending = append(wantPending, m.UserID)
			}
		}
		r := store.NewWithClient(rdb, prefix)
		counted, err := r.BranchMembers(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		pending, err := r.BranchPending(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(counted), wantCounted) || !slices.Equal(ids(pending), wantPending) {
			t.Fatalf("branch %s: counted %v pending %v, records say %v %v", b, ids(counted), ids(pending), wantCounted, wantPending)
		}
		for _, m := range counted {
			if rec, _, _ := s.Member(ctx, m.UserID); rec != m {
				t.Fatalf("branch %s lists %+v, the record is %+v", b, m, rec)
			}
		}
	}
}

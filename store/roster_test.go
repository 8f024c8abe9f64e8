package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

func TestSaveMembersKeepsBranchSetsInStep(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	steps := []struct {
		name       string
		save       []bot.Member
		tech, ops  int
		lisiActive bool
	}{
		{"add", []bot.Member{
			{UserID: "LiSi", Name: "李四", BranchID: "tech", Role: bot.RoleMember, Active: true},
			{UserID: "wangwu", Name: "王五", BranchID: "tech", Role: bot.RoleMember, Active: true},
		}, 2, 0, true},
		{"move", []bot.Member{{UserID: "LiSi", Name: "李四", BranchID: "ops", Role: bot.RoleMember, Active: true}}, 1, 1, true},
		{"depart", []bot.Member{{UserID: "LiSi", Name: "李四", BranchID: "ops", Role: bot.RoleMember}}, 1, 0, false},
	}
	for _, st := range steps {
		if err := s.SaveMembers(ctx, st.save); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		tech, err := s.BranchMembers(ctx, "tech")
		if err != nil {
			t.Fatal(err)
		}
		ops, err := s.BranchMembers(ctx, "ops")
		if err != nil {
			t.Fatal(err)
		}
		if len(tech) != st.tech || len(ops) != st.ops {
			t.Fatalf("%s: tech %d ops %d, want %d %d", st.name, len(tech), len(ops), st.tech, st.ops)
		}
		// WeCom userids are case-insensitive.
		m, found, err := s.Member(ctx, "lisi")
		if err != nil || !found || m.UserID != "LiSi" || m.Active != st.lisiActive {
			t.Fatalf("%s: lisi = %+v found=%v err=%v", st.name, m, found, err)
		}
	}
	all, err := s.AllMembers(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("AllMembers %d (%v), want 2: departed members stay", len(all), err)
	}
}

func TestBranches(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	in := []bot.Branch{{ID: "tech", Name: "技术党支部", DepartmentIDs: []int{3, 4}, ChatID: "c1"}, {ID: "ops", Name: "运维党支部"}}
	if err := s.SaveBranches(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Branches(ctx)
	if err != nil || len(got) != 2 || got[0].ID != "ops" || got[1].Name != "技术党支部" || len(got[1].DepartmentIDs) != 2 {
		t.Fatalf("Branches=%+v %v", got, err)
	}
	if _, found, err := s.Branch(ctx, "nope"); found || err != nil {
		t.Fatalf("Branch(nope) found=%v err=%v", found, err)
	}
	// Since keeps the earliest date it was given.
	for _, since := range []bot.Date{{Year: 2026, Month: 3, Day: 1}, {Year: 2026, Month: 11, Day: 22}, {}} {
		if err := s.SaveBranches(ctx, []bot.Branch{{ID: "ops", Name: "运维党支部", Since: since}}); err != nil {
			t.Fatal(err)
		}
	}
	if b, _, _ := s.Branch(ctx, "ops"); b.Since.String() != "2026-03-01" {
		t.Fatalf("Since=%q, want the earliest, 2026-03-01", b.Since)
	}
}

// A branch keeps its 党小组 and its cadence overrides; a record written
// before they existed reads with neither, and members without a group are
// in none.
func TestBranchGroupsAndCadence(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	in := bot.Branch{ID: "tech", Name: "技术党支部", Groups: []string{"第一党小组", "第二党小组"},
		Cadence: map[bot.MeetingType]bot.Cadence{bot.MeetingCommittee: bot.NotRequired, bot.MeetingGroup: bot.Quarterly}}
	if err := s.SaveBranches(ctx, []bot.Branch{in}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Branch(ctx, "tech")
	if err != nil || !slices.Equal(got.Groups, in.Groups) || len(got.Cadence) != 2 ||
		got.Cadence[bot.MeetingCommittee] != bot.NotRequired || got.Cadence[bot.MeetingGroup] != bot.Quarterly {
		t.Fatalf("Branch = %+v %v", got, err)
	}
	raw := s.Client().HGet(ctx, prefix+"branches", "tech").Val()
	if !strings.Contains(raw, `"cadence":{`) || !strings.Contains(raw, `"支委会":"none"`) {
		t.Fatalf("stored record %s", raw)
	}
	// The previous release's record, and a member record without a group.
	old := `{"id":"ops","name":"运维党支部","since":"2025-01-01"}`
	if err := s.Client().HSet(ctx, prefix+"branches", "ops", old).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().Set(ctx, prefix+"member:lisi", `{"userid":"lisi","name":"李四","branch":"ops","role":"member","active":true}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	ops, found, err := s.Branch(ctx, "ops")
	if err != nil || !found || ops.Groups != nil || ops.Cadence != nil || ops.Since.String() != "2025-01-01" {
		t.Fatalf("old branch record = %+v %v %v", ops, found, err)
	}
	if m, _, err := s.Member(ctx, "lisi"); err != nil || m.Group != "" || m.Name != "李四" {
		t.Fatalf("old member record = %+v %v", m, err)
	}
}

func TestLeavesAndAudit(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	l := bot.Leave{ID: "msg:1", BranchID: "tech", UserID: "lisi", From: bot.Date{Year: 2026, Month: 11, Day: 20}, To: bot.Date{Year: 2026, Month: 11, Day: 30}, By: "lisi", At: time.Now().UTC()}
	for range 2 { // a retried message writes the same record
		if err := s.PutLeave(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	leaves, err := s.Leaves(ctx, "tech", bot.Date{Year: 2026, Month: 11, Day: 1}, bot.Date{Year: 2026, Month: 11, Day: 30})
	if err != nil || len(leaves) != 1 || leaves[0].To.String() != "2026-11-30" {
		t.Fatalf("Leaves=%+v %v", leaves, err)
	}
	for i, action := range []string{"roster.import", "leave.set"} {
		if err := s.Append(ctx, bot.AuditEntry{At: time.Unix(int64(i), 0), Actor: "zhangsan", Action: action, Target: "lisi"}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := s.AuditEntries(ctx, 10)
	if err != nil || len(entries) != 2 || entries[0].Action != "roster.import" || entries[1].Target != "lisi" {
		t.Fatalf("AuditEntries=%+v %v", entries, err)
	}
}

func TestModifyStudyIsAtomic(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	r := bot.StudyReport{ID: "msg:1", BranchID: "tech", UserID: "lisi", Day: bot.Date{Year: 2026, Month: 11, Day: 20}, Minutes: 30, Content: "党章", At: time.Now()}
	if _, err := s.RecordStudy(ctx, r); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 { // twenty images arriving at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ModifyStudy(ctx, "tech", "lisi", "msg:1", func(r *bot.StudyReport) error {
				r.Evidence = append(r.Evidence, bot.Evidence{MediaID: fmt.Sprint("m", i)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	last, _, err := s.LastStudy(ctx, "tech", "lisi")
	if err != nil || len(last.Evidence) != 20 {
		t.Fatalf("%d pieces of evidence (%v), want all 20", len(last.Evidence), err)
	}
	stop := errors.New("stop")
	if _, err := s.ModifyStudy(ctx, "tech", "lisi", "msg:1", func(r *bot.StudyReport) error { r.Minutes = 0; return stop }); !errors.Is(err, stop) {
		t.Fatalf("err=%v, want the change's own error", err)
	}
	if last, _, _ := s.LastStudy(ctx, "tech", "lisi"); last.Minutes != 30 {
		t.Fatal("a refused change was written")
	}
}

// Leaves are found by window: the cost follows the window, not the years
// kept, and leaves stored before the index existed are indexed on first read.
func TestLeavesByWindow(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	day := func(m, d int) bot.Date { return bot.Date{Year: 2026, Month: time.Month(m), Day: d} }
	leaves := []bot.Leave{
		{ID: "old", BranchID: "tech", UserID: "a", From: day(1, 5), To: day(1, 9)},
		{ID: "spring", BranchID: "tech", UserID: "b", From: day(3, 1), To: day(3, 31)},
		{ID: "long", BranchID: "tech", UserID: "c", From: day(10, 1), To: day(12, 31)},
		{ID: "next", BranchID: "tech", UserID: "d", From: day(11, 25), To: day(11, 26)},
	}
	for _, l := range leaves {
		if err := s.PutLeave(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	// As if stored by an earlier version: no index.
	if err := s.Client().Del(ctx, s.Prefix()+"{tech}:leaves:by_end").Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to bot.Date
		want     []string
	}{
		{day(11, 16), day(11, 22), []string{"long"}},
		{day(11, 16), day(11, 30), []string{"long", "next"}},
		{day(3, 31), day(3, 31), []string{"spring"}},
		{day(1, 1), day(12, 31), []string{"old", "spring", "long", "next"}},
		{day(2, 1), day(2, 28), nil},
	}
	for _, tc := range tests {
		got, err := s.Leaves(ctx, "tech", tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range got {
			ids = append(ids, l.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("Leaves(%s..%s) = %v, want %v", tc.from, tc.to, ids, tc.want)
		}
	}
}

// A member removed by another replica is not served from this one's cache
// for longer than a poll.
func TestMemberCacheSeesOtherReplicasWrites(t *testing.T) {
	cfg := redistest.Config(t)
	here, there := store.New(cfg), store.New(cfg)
	t.Cleanup(func() { _ = here.Close(); _ = there.Close() })
	ctx := t.Context()
	lisi := bot.Member{UserID: "lisi", Name: "李四", BranchID: "tech", Role: bot.RoleSecretary, Active: true}
	if err := there.SaveMembers(ctx, []bot.Member{lisi}); err != nil {
		t.Fatal(err)
	}
	cache := here.MemberCache(time.Minute)
	go cache.Run(ctx, 50*time.Millisecond)
	if m, found, err := cache.Member(ctx, "lisi"); err != nil || !found || m.Role != bot.RoleSecretary {
		t.Fatalf("Member = %+v %v %v", m, found, err)
	}
	lisi.Active, lisi.Role = false, bot.RoleMember // retired on the other replica
	if err := there.SaveMembers(ctx, []bot.Member{lisi}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		m, _, err := cache.Member(ctx, "lisi")
		if err != nil {
			t.Fatal(err)
		}
		if !m.Active && m.Role == bot.RoleMember {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache still serves %+v two seconds after the write", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

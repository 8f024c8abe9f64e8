package bot_test

// The roster on real Redis: an import is all or nothing and says what it
// changed; the dues column sets amounts; the config's org is seeded on
// every start (branches retired, admins granted and revoked, audited).
// And the job table the scheduler and `jobs list` derive from.

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func TestImportRoster(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()

	bad := []bot.RosterRow{
		{Line: 2, UserID: "m1", Name: "甲甲", Branch: "tech"},
		{Line: 3, UserID: "@all", Name: "所有人", Branch: "tech"},
		{Line: 4, UserID: "zhao", Name: "", Branch: "nowhere", Role: "群众"},
	}
	_, err := bot.ImportRoster(ctx, w.s, w.s, "cli:test", friday, bad)
	var ie *bot.ImportError
	if !errors.As(err, &ie) || len(ie.Rows) != 2 || ie.Rows[0].Line != 3 || ie.Rows[1].Line != 4 ||
		!strings.HasPrefix(err.Error(), "2 bad row(s), nothing imported:\n  line 3: ") || !strings.Contains(err.Error(), "branch \"nowhere\" does not exist") {
		t.Fatalf("bad rows: %v", err)
	}
	if m, _, _ := w.s.Member(ctx, "m1"); m.Name != "甲" {
		t.Fatalf("a refused import changed m1 to %+v", m)
	}

	rows := []bot.RosterRow{
		{Line: 2, UserID: "M1", Name: "甲甲", Branch: "tech", Role: "党员", Status: "正式党员", Joined: "2016-11-20", Dues: "50"},
		{Line: 3, UserID: "m3", Name: "丙", Branch: "ops", Role: "member", Status: "正式"},
		{Line: 4, UserID: "zhao", Name: "赵", Branch: "ops", Role: "支委", Status: "预备党员", Joined: "2026-03-01", Dues: "12.5"},
		{Line: 5, UserID: "sec", Name: "书记", Branch: "tech", Role: "书记", Status: "正式党员"},
	}
	change, err := bot.ImportRoster(ctx, w.s, w.s, "cli:test", friday, rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := change.Summary(); got != "1 added, 1 updated, 1 moved, 0 departed, 1 unchanged" {
		t.Fatalf("summary %q", got)
	}
	if m, _, _ := w.s.Member(ctx, "m1"); m.Name != "甲甲" {
		t.Fatalf("m1 after the import: %+v", m)
	}
	ops, err := w.s.BranchMembers(ctx, "ops")
	if err != nil || !slices.Equal(userIDs(ops), []string{"m3", "ops1", "ops2", "zhao"}) {
		t.Fatalf("ops after the import: %v %v", userIDs(ops), err)
	}
	if tech, _ := w.s.BranchMembers(ctx, "tech"); slices.Contains(userIDs(tech), "m3") {
		t.Fatal("a moved member stayed in the old branch")
	}
	if !w.audited("roster.import", "", "1 added, 1 updated, 1 moved") {
		t.Fatal("the import is not audited")
	}
	// Importing the same file again changes nothing and writes no audit line.
	again, err := bot.ImportRoster(ctx, w.s, w.s, "cli:test", friday, rows)
	if err != nil || again.Unchanged != 4 || len(again.Writes()) != 0 {
		t.Fatalf("a second import: %+v %v", again, err)
	}

	if err := bot.ImportDues(ctx, w.s, rows); err != nil {
		t.Fatal(err)
	}
	tech, _ := w.s.DuesAmounts(ctx, "tech")
	opsDues, _ := w.s.DuesAmounts(ctx, "ops")
	if tech["m1"] != 5000 || opsDues["zhao"] != 1250 || len(tech) != 1 {
		t.Fatalf("dues after the import: tech %v, ops %v", tech, opsDues)
	}
	err = bot.ImportDues(ctx, w.s, []bot.RosterRow{{Line: 9, UserID: "m2", Branch: "tech", Dues: "五十"}})
	if err == nil || !strings.Contains(err.Error(), "line 9") {
		t.Fatalf("a bad dues cell: %v", err)
	}
	wantText(t, w.say("zhao", "党费"), "你的月党费：12.50 元\n未登记：5月、6月、7月、8月、9月、10月、11月。交了请发“党费 已交 [月份]”。")
}

func TestSeedOrg(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	org := bot.Org{
		Name:   "某某党委",
		Admins: []string{"M2", "newadmin"},
		Branches: []bot.Branch{
			{ID: "tech", Name: "技术党支部（新名）", Members: []string{"sec", "m1", "m2", "fresh"}, Secretaries: []string{"sec"}},
			{ID: "ops", Name: "运维党支部", Members: []string{"ops1"}, Secretaries: []string{"ops1"}},
		},
	}
	if err := org.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := bot.SeedOrg(ctx, w.s, w.s, friday.AddDate(0, 1, 0), org)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || !slices.Equal(res.Granted, []string{"m2"}) || !slices.Equal(res.Revoked, []string{"boss"}) || !slices.Equal(res.RetiredBranches, []string{"solo"}) {
		t.Fatalf("seed result %+v", res)
	}
	branches, err := w.s.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]bot.Branch{}
	for _, b := range branches {
		byID[b.ID] = b
	}
	if !byID["solo"].Retired || byID["tech"].Name != "技术党支部（新名）" || byID["tech"].Since != (bot.Date{Year: 2024, Month: 1, Day: 1}) {
		t.Fatalf("branches after seeding: %+v", byID)
	}
	members := map[string]bot.Member{}
	all, err := w.s.AllMembers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		members[m.UserID] = m
	}
	if m := members["m2"]; m.Role != bot.RoleAdmin || m.BranchID != "tech" || m.Name != "乙" {
		t.Fatalf("m2 %+v, want an admin who keeps their branch and name", m)
	}
	if m := members["boss"]; m.Role != bot.RoleMember || m.Active {
		t.Fatalf("boss %+v, want retired: an admin no longer listed, outside every branch", m)
	}
	if m := members["fresh"]; m.Name != "fresh" || m.BranchID != "tech" || !m.Active {
		t.Fatalf("fresh %+v", m)
	}
	if m := members["newadmin"]; m.Role != bot.RoleAdmin || m.BranchID != "" {
		t.Fatalf("newadmin %+v", m)
	}
	if m := members["m3"]; m.BranchID != "tech" || !m.Active { // not in the config: an import's member stays
		t.Fatalf("m3 %+v", m)
	}
	if !w.audited("admin.revoke", "boss", "not in org.admins") || !w.audited("roster.seed.admins", "", "2 added") {
		t.Fatal("seeding's admin changes are not audited")
	}
	// A retired branch is no longer part of the org's announcements.
	wantHas(t, w.say("newadmin", "公告 全体 通知"), "将发给全体 2 个支部 8 名党员。")
}

func TestJobTable(t *testing.T) {
	t.Parallel()
	names := bot.JobNames()
	if len(names) != len(bot.Jobs) || names[0] != bot.JobCheckinReminder {
		t.Fatalf("job names %v", names)
	}
	schedule := bot.DefaultSchedule()
	if !slices.Equal(slices.Sorted(maps.Keys(schedule)), slices.Sorted(slices.Values(names))) || schedule[bot.JobWeeklySummary] != "0 0 20 * * SUN" {
		t.Fatalf("default schedule %v", schedule)
	}
	for _, name := range names {
		if j, ok := bot.LookupJob(name); !ok || j.Name != name || j.Summary == "" {
			t.Errorf("LookupJob(%q) = %+v %v", name, j, ok)
		}
	}
	if _, ok := bot.LookupJob("nope"); ok {
		t.Error("LookupJob found an unknown job")
	}
	b := newWorld(t, friday).b
	if _, err := b.RunJob(t.Context(), bot.JobRun{Name: "nope", Fire: friday}); err == nil || !strings.Contains(err.Error(), `unknown job "nope"`) {
		t.Errorf("RunJob of an unknown job: %v", err)
	}
	if _, err := bot.New(bot.Deps{Location: time.UTC}); err == nil || !strings.Contains(err.Error(), "are required") {
		t.Errorf("New without its ports: %v", err)
	}
}

func userIDs(ms []bot.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

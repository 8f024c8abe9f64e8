package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
)

// monthMeeting holds a closed 党小组会 on the 15th of a month with these
// statuses (userid → present/excused).
func monthMeeting(t *testing.T, s *store.Store, month time.Month, statuses map[string]bot.AttendanceStatus) {
	t.Helper()
	ctx := t.Context()
	at := time.Date(2026, month, 15, 15, 0, 0, 0, cst)
	m := bot.Meeting{ID: fmt.Sprintf("m-%02d", month), BranchID: "tech", Type: bot.MeetingGroup, Code: "1234", OpenedBy: "sec", OpenedAt: at, ExpiresAt: at.Add(2 * time.Hour)}
	if _, _, err := s.OpenMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	for u, st := range statuses {
		if _, _, err := s.RecordAttendance(ctx, "tech", m.ID, bot.Attendance{UserID: u, Status: st, At: at, Reason: "出差"}); err != nil {
			t.Fatal(err)
		}
	}
	m.ClosedBy, m.ClosedAt = "sec", at.Add(time.Hour)
	if _, err := s.CloseMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// The monthly job warns the secretary, privately, of members at 2, 3 or 5
// months in a row without organisational life or dues; an excused absence
// neither counts nor breaks the run, a month on leave is skipped, and
// members on long leave are left out of the warning and shown apart in 预警.
func TestEarlyWarningThresholds(t *testing.T) {
	fire := time.Date(2026, 12, 1, 9, 0, 0, 0, cst)
	b, s := newDomain(t, fire)
	ctx := t.Context()
	P, E := bot.Present, bot.Excused
	all := map[string]bot.AttendanceStatus{"sec": P, "com": P, "m1": P, "m2": P, "m3": P}
	monthMeeting(t, s, time.June, all)
	monthMeeting(t, s, time.July, all)
	monthMeeting(t, s, time.August, map[string]bot.AttendanceStatus{"sec": P, "com": P, "m1": P})
	monthMeeting(t, s, time.September, map[string]bot.AttendanceStatus{"sec": P, "com": P, "m1": P, "m2": E})
	monthMeeting(t, s, time.October, map[string]bot.AttendanceStatus{"sec": P, "com": P})
	monthMeeting(t, s, time.November, map[string]bot.AttendanceStatus{"sec": P, "com": P})
	if err := s.PutLeave(ctx, bot.Leave{ID: "l1", BranchID: "tech", UserID: "m3", From: bot.Date{Year: 2026, Month: 10, Day: 1}, To: bot.Date{Year: 2026, Month: 12, Day: 31}, Reason: "外派", By: "sec", At: fire}); err != nil {
		t.Fatal(err)
	}
	for mo := time.June; mo <= time.November; mo++ {
		for _, u := range []string{"sec", "m1", "m2", "m3"} {
			if u == "m1" && mo > time.September {
				continue // m1 stopped paying in October
			}
			p := bot.DuesPayment{UserID: u, Month: bot.Month{Year: 2026, Month: mo}.String(), Amount: 5000, At: fire, By: u, Via: "self"}
			if _, _, err := s.RecordDues(ctx, "tech", p); err != nil {
				t.Fatal(err)
			}
		}
	}
	risks, err := b.Risks(ctx, bot.Branch{ID: "tech", Name: "技术党支部", Since: bot.Date{Year: 2024, Month: 1, Day: 1}}, fire)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int{}
	for _, r := range risks {
		got[r.Member.UserID] = [2]int{r.NoMeeting, r.NoDues}
	}
	want := map[string][2]int{"sec": {0, 0}, "com": {0, 6}, "m1": {2, 2}, "m2": {3, 0}, "m3": {2, 0}}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: no meeting %d, no dues %d months; want %v", id, got[id][0], got[id][1], w)
		}
	}
	outs, err := b.Job(ctx, bot.JobMonthly, fire)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []bot.Notice
	for _, o := range outs {
		if strings.HasPrefix(o.Key, "warn:") {
			warnings = append(warnings, o.Notice)
		}
	}
	if len(warnings) != 1 || !slices.Equal(warnings[0].To, []string{"sec"}) || warnings[0].ChatID != "" {
		t.Fatalf("warnings %+v: want one, to the secretary only", warnings)
	}
	text := warnings[0].Text
	for _, w := range []string{"甲：连续 2 个月未参加组织生活，连续 2 个月未交党费", "乙：连续 3 个月未参加组织生活"} {
		if !strings.Contains(text, w) {
			t.Errorf("warning lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "丙") || strings.Contains(text, "支委：") {
		t.Errorf("warned of 丙 (long leave) or 支委 (6 months, not a threshold):\n%s", text)
	}
}

// 转正 after the 预备期 (党章 第七条): a month ahead the member is asked
// privately for the 转正申请 and the secretary to prepare; a week ahead the
// secretary again; from the due day, weekly, the secretary is asked for
// the 党员大会 until one is held on or after the due day (one held before
// it does not count). Each step once.
func TestProbationReminders(t *testing.T) {
	b, s := newDomain(t, time.Now())
	ctx := t.Context()
	err := s.SaveMembers(ctx, []bot.Member{
		{UserID: "p1", Name: "预备一", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 12, Day: 20}, Active: true},
		{UserID: "p2", Name: "预备二", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 12, Day: 28}, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	// run fires the job on a day (a second run that day when again) and
	// returns the 转正 notices, "to: text".
	run := func(y int, month time.Month, day int, again bool) []string {
		t.Helper()
		minute := 5
		if again {
			minute = 35
		}
		outs, err := b.RunJob(ctx, bot.JobRun{Name: bot.JobLifecycle, Fire: time.Date(y, month, day, 9, minute, 0, 0, cst)})
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, o := range outs {
			if strings.HasPrefix(o.Key, "probation:") {
				texts = append(texts, strings.Join(o.Notice.To, "|")+": "+o.Notice.Text)
			}
		}
		return texts
	}
	tests := []struct {
		name  string
		day   int
		month time.Month
		again bool     // a second run that day
		want  []string // one fragment per notice, in order
	}{
		{"a month before: the secretary prepares", 20, time.November, false, []string{"sec: 【转正】预备一 的预备期将于 12月20日 满一年。请提前准备：督促本人提交转正申请，征求党小组和党员群众意见，支委会审查。预备期满后及时召开党员大会讨论其转正。",
			"p1: 预备一，你的预备期将于 12月20日 满一年。请在期满前向党支部提交书面转正申请"}},
		{"the same day again", 20, time.November, true, nil},
		{"a week before", 13, time.December, false, []string{"sec: 【转正】预备一 的预备期一周后（12月20日）满一年。请确认已收到转正申请、完成支委会审查"}},
		{"no day between", 14, time.December, false, nil},
		{"on the day", 20, time.December, false, []string{"sec: 【转正】预备一 的预备期今天满一年，请及时召开党员大会讨论其转正（发“会议 党员大会 预备一转正”）。"}},
	}
	for _, tc := range tests {
		got := run(2026, tc.month, tc.day, tc.again)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %q, want %d notices", tc.name, got, len(tc.want))
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(got[i], w) {
				t.Fatalf("%s: notice %d\n%s\nwant it to start\n%s", tc.name, i, got[i], w)
			}
		}
	}
	// A 党员大会 on the 22nd: after 预备一's due day, before 预备二's.
	holdMeeting(t, s, bot.MeetingGeneral, time.Date(2026, 12, 22, 15, 0, 0, 0, cst), "sec", "m1", "m2", "p2")
	if got := run(2026, time.December, 27, false); len(got) != 0 { // 预备一's first weekly reminder: the meeting counts
		t.Fatalf("a week after 预备一's day, after a 党员大会: %q", got)
	}
	got := run(2026, time.December, 28, false)
	if len(got) != 1 || !strings.Contains(got[0], "预备二 的预备期今天满一年") {
		t.Fatalf("预备二's day after a 党员大会 held before it: %q, want the reminder", got)
	}
	if got := run(2027, time.January, 4, false); len(got) != 1 || !strings.HasPrefix(got[0], "sec: 【转正】预备二 的预备期已于 12月28日 满一年，还没有召开党员大会讨论其转正，请尽快召开") {
		t.Fatalf("a week after 预备二's day: %q", got)
	}
	if got := run(2027, time.March, 22, false); len(got) != 1 { // twelve weeks after
		t.Fatalf("twelve weeks after 预备二's day: %q", got)
	}
	if got := run(2027, time.March, 29, false); len(got) != 0 { // then the reminders stop
		t.Fatalf("thirteen weeks after 预备二's day: %q", got)
	}
}

// 政治生日: a greeting on the anniversary (29 February on the 28th in other
// years), never in a probationary member's first year; off by config; the
// secretaries see the coming week's in the weekly summary.
func TestPoliticalBirthday(t *testing.T) {
	b, s := newDomain(t, time.Now())
	b.PoliticalBirthday = true
	ctx := t.Context()
	err := s.SaveMembers(ctx, []bot.Member{
		{UserID: "old", Name: "老党员", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Joined: bot.Date{Year: 2010, Month: 11, Day: 20}, Active: true},
		{UserID: "new", Name: "新党员", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 11, Day: 20}, Active: true},
		{UserID: "leap", Name: "闰日", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Joined: bot.Date{Year: 2008, Month: 2, Day: 29}, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	greeted := func(at time.Time) map[string]string {
		t.Helper()
		outs, err := b.RunJob(ctx, bot.JobRun{Name: bot.JobLifecycle, Fire: at})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range outs {
			if strings.HasPrefix(o.Key, "birthday:") {
				out[strings.Join(o.Notice.To, "|")] = o.Notice.Text
			}
		}
		return out
	}
	if got := greeted(time.Date(2026, 11, 20, 9, 5, 0, 0, cst)); len(got) != 1 || !strings.Contains(got["old"], "入党 16 周年") {
		t.Fatalf("2026-11-20: %v", got)
	}
	if got := greeted(time.Date(2027, 2, 28, 9, 5, 0, 0, cst)); len(got) != 1 || !strings.Contains(got["leap"], "19 周年") {
		t.Fatalf("2027-02-28: %v", got)
	}
	if got := greeted(time.Date(2028, 2, 28, 9, 5, 0, 0, cst)); len(got) != 0 {
		t.Fatalf("2028-02-28 (a leap year: the 29th): %v", got)
	}
	if got := greeted(time.Date(2028, 2, 29, 9, 5, 0, 0, cst)); !strings.Contains(got["leap"], "20 周年") {
		t.Fatalf("2028-02-29: %v", got)
	}
	outs, err := b.Job(ctx, bot.JobWeeklySummary, time.Date(2027, 11, 14, 20, 0, 0, 0, cst))
	if err != nil {
		t.Fatal(err)
	}
	var report string
	for _, o := range outs {
		if o.Key == "summary:tech" {
			report = o.Notice.Markdown
		}
	}
	if !strings.Contains(report, "未来一周政治生日：") || !strings.Contains(report, "老党员（11月20日，17 周年）") || !strings.Contains(report, "新党员（11月20日，2 周年）") {
		t.Fatalf("summary:\n%s", report)
	}
	b.PoliticalBirthday = false
	if got := greeted(time.Date(2029, 11, 20, 9, 5, 0, 0, cst)); len(got) != 0 {
		t.Fatalf("political_birthday off: %v", got)
	}
}

// The review's cases: a month on leave (one leave or two back to back)
// counts in a dues run — dues are owed on leave (2008 规定); an excused newest month repeats no
// warning; months before joining do not count; a secretary at risk is told
// of by the committee, never to themself.
func TestEarlyWarningEdgeCases(t *testing.T) {
	fire := time.Date(2026, 12, 1, 9, 0, 0, 0, cst)
	b, s := newDomain(t, fire)
	ctx := t.Context()
	err := s.SaveMembers(ctx, []bot.Member{{UserID: "m4", Name: "丁", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull,
		Joined: bot.Date{Year: 2026, Month: 10, Day: 10}, Active: true}})
	if err != nil {
		t.Fatal(err)
	}
	P, E := bot.Present, bot.Excused
	for mo := time.June; mo <= time.November; mo++ {
		st := map[string]bot.AttendanceStatus{"sec": P, "com": P, "m1": P, "m2": P}
		switch {
		case mo == time.August:
			st["m3"] = P
		case mo == time.November:
			st["m3"] = E
		case mo < time.August:
			st["m3"] = P
		}
		monthMeeting(t, s, mo, st)
	}
	leave := func(id, user string, from, to bot.Date) {
		if err := s.PutLeave(ctx, bot.Leave{ID: id, BranchID: "tech", UserID: user, From: from, To: to, Reason: "外派", By: "sec", At: fire}); err != nil {
			t.Fatal(err)
		}
	}
	leave("l1", "m1", bot.Date{Year: 2026, Month: 9, Day: 1}, bot.Date{Year: 2026, Month: 9, Day: 30})
	leave("l2", "m2", bot.Date{Year: 2026, Month: 9, Day: 1}, bot.Date{Year: 2026, Month: 9, Day: 15})
	leave("l3", "m2", bot.Date{Year: 2026, Month: 9, Day: 16}, bot.Date{Year: 2026, Month: 9, Day: 30})
	pay := func(user string, months ...time.Month) {
		for _, mo := range months {
			p := bot.DuesPayment{UserID: user, Month: bot.Month{Year: 2026, Month: mo}.String(), Amount: 100, At: fire, By: user, Via: "self"}
			if _, _, err := s.RecordDues(ctx, "tech", p); err != nil {
				t.Fatal(err)
			}
		}
	}
	pay("m1", time.June, time.July, time.August) // Sep on leave, Oct–Nov unpaid: 3
	pay("m2", time.June, time.July, time.August) // Sep on leave (two leaves), Oct–Nov: 3
	pay("m3", time.June, time.July, time.August, time.September, time.October, time.November)
	pay("sec", time.June, time.July, time.August, time.September) // Oct–Nov: 2
	pay("com", time.June, time.July, time.August, time.September, time.October, time.November)
	outs, err := b.Job(ctx, bot.JobMonthly, fire)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range outs {
		if strings.HasPrefix(o.Key, "warn:") {
			got[strings.Join(o.Notice.To, "|")] += o.Notice.Text
		}
	}
	for _, w := range []string{"甲：连续 3 个月未交党费", "乙：连续 3 个月未交党费", "丁：连续 2 个月未参加组织生活，连续 2 个月未交党费"} {
		if !strings.Contains(got["sec"], w) {
			t.Errorf("the secretary's warning lacks %q:\n%s", w, got["sec"])
		}
	}
	if strings.Contains(got["sec"], "书记：") || strings.Contains(got["sec"], "丙") {
		t.Errorf("the secretary was told of themself, or of 丙 again (excused in November):\n%s", got["sec"])
	}
	if !strings.Contains(got["com"], "书记：连续 2 个月未交党费") || strings.Contains(got["com"], "甲") {
		t.Errorf("the committee should hear of the secretary only:\n%s", got["com"])
	}
	if len(got) != 2 {
		t.Errorf("warnings went to %v, want the secretary and the committee member", got)
	}
}

// Without a secretary the committee hears of a 转正; a manual dues run does
// not take the collection day's reminder away.
func TestNoSecretaryAndManualDuesRun(t *testing.T) {
	b, s := newDomain(t, time.Now())
	ctx := t.Context()
	if err := s.SaveBranches(ctx, []bot.Branch{{ID: "tech", Name: "技术党支部"}, {ID: "ops", Name: "运维党支部"}}); err != nil {
		t.Fatal(err)
	}
	err := s.SaveMembers(ctx, []bot.Member{
		{UserID: "ocom", Name: "运维支委", BranchID: "ops", Role: bot.RoleCommittee, Status: bot.StatusFull, Active: true},
		{UserID: "op1", Name: "运维预备", BranchID: "ops", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 12, Day: 20}, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := b.RunJob(ctx, bot.JobRun{Name: bot.JobLifecycle, Fire: time.Date(2026, 11, 20, 9, 5, 0, 0, cst)})
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(outs, func(o bot.Outbound) bool { return o.Key == "probation:op1:month" }); i < 0 || !slices.Equal(outs[i].Notice.To, []string{"ocom"}) {
		t.Fatalf("转正 without a secretary: %+v", outs)
	}
	cards := func(run bot.JobRun) int {
		t.Helper()
		outs, err := b.RunJob(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range outs {
			if o.Notice.Card != nil && strings.HasPrefix(o.Key, "dues:tech") {
				n += len(o.Notice.To)
			}
		}
		return n
	}
	if n := cards(bot.JobRun{Name: bot.JobDuesReminder, Fire: time.Date(2026, 12, 2, 10, 0, 0, 0, cst), Manual: true}); n != 5 {
		t.Fatalf("manual run reminded %d, want the five unpaid", n)
	}
	if n := cards(bot.JobRun{Name: bot.JobDuesReminder, Fire: time.Date(2026, 12, 5, 9, 15, 0, 0, cst)}); n != 5 {
		t.Fatalf("the collection day reminded %d after a manual run, want the five unpaid", n)
	}
	if n := cards(bot.JobRun{Name: bot.JobDuesReminder, Fire: time.Date(2026, 12, 5, 9, 45, 0, 0, cst)}); n != 0 {
		t.Fatalf("a second fire that day reminded %d", n)
	}
}

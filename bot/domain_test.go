package bot_test

// Domain rules on real Redis (package store, a disposable redis-server):
// quorum, obligations, leave and who reminders reach. The wire (callbacks,
// the qyapi) is the end-to-end tests' concern in cmd/partybot.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

var cst = time.FixedZone("CST", 8*3600)

// outboxRecorder keeps what the bot enqueues.
type outboxRecorder struct {
	mu      sync.Mutex
	notices map[string]bot.Notice
}

func (o *outboxRecorder) Enqueue(_ context.Context, id string, n bot.Notice) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notices[id] = n
	return nil
}

// branch is five members of one branch: a secretary, a committee member
// (probationary: no vote), three full members.
var branch = []bot.Member{
	{UserID: "sec", Name: "书记", BranchID: "tech", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
	{UserID: "com", Name: "支委", BranchID: "tech", Role: bot.RoleCommittee, Status: bot.StatusProbationary, Active: true},
	{UserID: "m1", Name: "甲", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	{UserID: "m2", Name: "乙", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	{UserID: "m3", Name: "丙", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
}

func newDomain(t *testing.T, now time.Time) (*bot.Bot, *store.Store) {
	t.Helper()
	s := store.New(redistest.Config(t))
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	if err := s.SaveBranches(ctx, []bot.Branch{{ID: "tech", Name: "技术党支部", Since: bot.Date{Year: 2024, Month: 1, Day: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMembers(ctx, branch); err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Deps{
		Roster: s, Dedupe: s, Checkins: s, Leaves: s, Audit: s, Meetings: s, Studies: s, Announcements: s, Minutes: s, Dues: s, Steps: s, Development: s, Talks: s, Rectify: s, Reviews: s, LifeMeetings: s, Makeups: s, Materials: s, ThemeDays: s,
		Outbox: &outboxRecorder{notices: map[string]bot.Notice{}}, Location: cst,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

// holdMeeting opens and closes a meeting at `at` with these present.
func holdMeeting(t *testing.T, s *store.Store, typ bot.MeetingType, at time.Time, present ...string) bot.Meeting {
	t.Helper()
	ctx := t.Context()
	m := bot.Meeting{ID: at.Format("20060102150405") + "-" + string(typ), BranchID: "tech", Type: typ, Code: "1234",
		OpenedBy: "sec", OpenedAt: at, ExpiresAt: at.Add(2 * time.Hour)}
	if _, _, err := s.OpenMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, u := range present {
		if _, _, err := s.RecordAttendance(ctx, "tech", m.ID, bot.Attendance{UserID: u, Status: bot.Present, At: at, Via: "code"}); err != nil {
			t.Fatal(err)
		}
	}
	m.ClosedBy, m.ClosedAt = "sec", at.Add(time.Hour)
	if _, err := s.CloseMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestQuorum(t *testing.T) {
	at := time.Date(2026, 11, 18, 15, 0, 0, 0, cst)
	tests := []struct {
		name          string
		typ           bot.MeetingType
		present       []string
		eligible      int
		met           bool
		absent, total int
	}{
		// 党员大会: the four full members vote; more than half must come.
		{"general, 3 of 4 voters", bot.MeetingGeneral, []string{"sec", "m1", "m2"}, 4, true, 2, 5},
		{"general, 2 of 4 voters is not more than half", bot.MeetingGeneral, []string{"sec", "m1", "com"}, 4, false, 2, 5},
		// 支委会: only the committee is expected and counted.
		{"committee, both", bot.MeetingCommittee, []string{"sec", "com"}, 2, true, 0, 2},
		{"committee, one of two", bot.MeetingCommittee, []string{"sec"}, 2, false, 1, 2},
		{"党课 has no quorum", bot.MeetingLecture, []string{"m1"}, 0, false, 4, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, s := newDomain(t, at.Add(2*time.Hour))
			r, err := b.MeetingRecord(t.Context(), holdMeeting(t, s, tc.typ, at, tc.present...))
			if err != nil {
				t.Fatal(err)
			}
			if r.Eligible != tc.eligible || (r.QuorumApplies && r.QuorumMet() != tc.met) {
				t.Errorf("eligible %d, quorum met %v; want %d, %v", r.Eligible, r.QuorumMet(), tc.eligible, tc.met)
			}
			if len(r.Absent) != tc.absent || len(r.Present)+len(r.Excused)+len(r.Absent) != tc.total {
				t.Errorf("present %d, excused %d, absent %d; want %d absent of %d", len(r.Present), len(r.Excused), len(r.Absent), tc.absent, tc.total)
			}
		})
	}
}

func TestLeaveExcusesFromMeetingOnlyWhenEnteredBeforeItClosed(t *testing.T) {
	at := time.Date(2026, 11, 18, 15, 0, 0, 0, cst)
	day := bot.Date{Year: 2026, Month: 11, Day: 18}
	tests := []struct {
		name    string
		entered time.Time
		excused bool
	}{
		{"before the meeting", at.Add(-24 * time.Hour), true},
		{"after it closed", at.Add(3 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, s := newDomain(t, at.Add(4*time.Hour))
			m := holdMeeting(t, s, bot.MeetingGeneral, at, "sec", "m1", "m2")
			leave := bot.Leave{ID: "l1", BranchID: "tech", UserID: "m3", From: day, To: day, Reason: "出差", By: "m3", At: tc.entered}
			if err := s.PutLeave(t.Context(), leave); err != nil {
				t.Fatal(err)
			}
			r, err := b.MeetingRecord(t.Context(), m)
			if err != nil {
				t.Fatal(err)
			}
			excused := slices.ContainsFunc(r.Excused, func(m bot.Member) bool { return m.UserID == "m3" })
			if excused != tc.excused {
				t.Fatalf("m3 excused = %v, want %v (excused %v, absent %v)", excused, tc.excused, r.Excused, r.Absent)
			}
		})
	}
}

// The daily check-in reminder is off unless the org or the branch turns
// it on (the 2024 rules on 形式主义 reject forced 打卡); when on, it goes
// to those not checked in and not on leave, on working days.
func TestCheckinReminderRecipients(t *testing.T) {
	friday := time.Date(2026, 11, 20, 9, 30, 0, 0, cst)
	today := bot.DateOf(friday, cst)
	on := bot.CheckinReminder{All: true}
	tests := []struct {
		name    string
		setting bot.CheckinReminder
		fire    time.Time
		checked []string
		onLeave []string
		want    []string
	}{
		{"everyone not checked in", on, friday, []string{"m1"}, nil, []string{"com", "m2", "m3", "sec"}},
		{"not those on leave", on, friday, []string{"m1"}, []string{"m2", "sec"}, []string{"com", "m3"}},
		{"nobody on a Saturday", on, friday.AddDate(0, 0, 1), nil, nil, nil},
		{"off by default", bot.CheckinReminder{}, friday, []string{"m1"}, nil, nil},
		{"on for the branch", bot.CheckinReminder{Branches: map[string]bool{"tech": true}}, friday, []string{"m1"}, nil, []string{"com", "m2", "m3", "sec"}},
		{"on for another branch", bot.CheckinReminder{Branches: map[string]bool{"ops": true}}, friday, nil, nil, nil},
		{"on for all, off for the branch", bot.CheckinReminder{All: true, Branches: map[string]bool{"tech": false}}, friday, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, s := newDomain(t, tc.fire)
			b.CheckinReminder = tc.setting
			ctx := t.Context()
			for _, u := range tc.checked {
				if _, _, err := s.CheckIn(ctx, bot.Checkin{BranchID: "tech", UserID: u, Day: today, At: friday, Source: "msg:" + u}); err != nil {
					t.Fatal(err)
				}
			}
			for _, u := range tc.onLeave {
				l := bot.Leave{ID: "leave-" + u, BranchID: "tech", UserID: u, From: today, To: today.AddDays(3), By: u, At: friday.Add(-time.Hour)}
				if err := s.PutLeave(ctx, l); err != nil {
					t.Fatal(err)
				}
			}
			outs, err := b.Job(ctx, bot.JobCheckinReminder, tc.fire)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range outs {
				got = append(got, o.Notice.To...)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("reminded %v, want %v", got, tc.want)
			}
		})
	}
}

func TestObligations(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, cst) // Monday
	tests := []struct {
		name string
		held []bot.MeetingType
		done map[bot.MeetingType]bool
	}{
		{"nothing held", nil, map[bot.MeetingType]bool{bot.MeetingCommittee: false, bot.MeetingGeneral: false}},
		{"this month's 支委会 and this quarter's 党员大会", []bot.MeetingType{bot.MeetingCommittee, bot.MeetingGeneral},
			map[bot.MeetingType]bool{bot.MeetingCommittee: true, bot.MeetingGeneral: true, bot.MeetingLecture: false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, s := newDomain(t, now)
			for i, typ := range tc.held {
				holdMeeting(t, s, typ, time.Date(2026, 11, 10+i, 15, 0, 0, 0, cst), "sec", "com", "m1", "m2")
			}
			obs, err := b.Obligations(t.Context(), "tech", now)
			if err != nil {
				t.Fatal(err)
			}
			for typ, wantDone := range tc.done {
				i := slices.IndexFunc(obs, func(o bot.Obligation) bool { return o.Type == typ })
				if i < 0 {
					t.Fatalf("no obligation for %s in %+v", typ, obs)
				}
				if done := obs[i].Done > 0; done != wantDone {
					t.Errorf("%s done = %v, want %v", typ, done, wantDone)
				}
			}
		})
	}
}

// panicky is a check-in store that panics while told to.
type panicky struct {
	*store.Store
	panics bool
}

func (p *panicky) CheckInMessage(ctx context.Context, c bot.Checkin, prev bot.Date, history func(bot.Date) (int, error)) (bot.CheckinOutcome, error) {
	if p.panics {
		panic("boom")
	}
	return p.Store.CheckInMessage(ctx, c, prev, history)
}

// A panic in a handler is that message's error: nothing is marked done,
// so WeCom's retry is processed, and the process goes on.
func TestPanicReleasesTheClaim(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
	_, s := newDomain(t, now)
	checkins := &panicky{Store: s, panics: true}
	b, err := bot.New(bot.Deps{
		Roster: s, Dedupe: s, Checkins: checkins, Leaves: s, Audit: s, Meetings: s, Studies: s, Announcements: s, Minutes: s, Dues: s, Steps: s, Development: s, Talks: s, Rectify: s, Reviews: s, LifeMeetings: s, Makeups: s, Materials: s, ThemeDays: s,
		Outbox: &outboxRecorder{notices: map[string]bot.Notice{}}, Location: cst,
		Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := bot.Message{MsgID: "42", From: "m1", Kind: bot.KindText, Text: "签到", Time: now}
	if _, err := b.Handle(t.Context(), msg); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("Handle with a panicking store: err=%v, want a panic error", err)
	}
	checkins.panics = false
	reply, err := b.Handle(t.Context(), msg) // WeCom's retry
	if err != nil || !strings.Contains(reply.Text, "签到成功") {
		t.Fatalf("retry after a panic: %q %v, want it processed", reply.Text, err)
	}
}

// directory is an address book of one department.
type directory []bot.DirectoryUser

func (d directory) DepartmentUsers(context.Context, int) ([]bot.DirectoryUser, error) { return d, nil }

// Names from the address book lose control characters (U+000B would make a
// passive reply's XML invalid); "@all" is never taken for a member.
func TestSyncKeepsNamesAndUserIDsSafe(t *testing.T) {
	_, s := newDomain(t, time.Date(2026, 11, 20, 9, 0, 0, 0, cst))
	ctx := t.Context()
	if err := s.SaveBranches(ctx, []bot.Branch{{ID: "tech", Name: "技术党支部", DepartmentIDs: []int{7}}}); err != nil {
		t.Fatal(err)
	}
	dir := directory{{UserID: "zhou", Name: "周\v伟\u202e"}, {UserID: "@all", Name: "所有人"}}
	if _, err := bot.SyncRoster(ctx, s, bot.Directories{"": dir}, s, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	m, found, err := s.Member(ctx, "zhou")
	if err != nil || !found || m.Name != "周伟" {
		t.Fatalf("synced member %+v %v %v, want the name 周伟", m, found, err)
	}
	if _, found, _ := s.Member(ctx, "@all"); found {
		t.Fatal("@all was synced as a member")
	}
}

// A branch of 83 members behind target: the secretaries' summary lists all
// of them, in as many messages as WeCom's 2048 bytes need.
func TestWeeklySummaryListsEveryoneBehind(t *testing.T) {
	fire := time.Date(2026, 11, 22, 20, 0, 0, 0, cst)
	_, s := newDomain(t, fire)
	var many []bot.Member
	for i := range 78 {
		many = append(many, bot.Member{UserID: fmt.Sprintf("u%02d", i), Name: fmt.Sprintf("欧阳同志%02d", i),
			BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true})
	}
	if err := s.SaveMembers(t.Context(), many); err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Deps{
		Roster: s, Dedupe: s, Checkins: s, Leaves: s, Audit: s, Meetings: s, Studies: s, Announcements: s, Minutes: s, Dues: s, Steps: s, Development: s, Talks: s, Rectify: s, Reviews: s, LifeMeetings: s, Makeups: s, Materials: s, ThemeDays: s,
		Outbox: &outboxRecorder{notices: map[string]bot.Notice{}}, Location: cst,
		Now: func() time.Time { return fire }, Targets: bot.StudyTargets{WeeklyMinutes: 60},
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := b.Job(t.Context(), bot.JobWeeklySummary, fire)
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	parts := 0
	for _, o := range outs {
		if o.Notice.Markdown == "" || strings.Join(o.Notice.To, "|") != "com|sec" {
			continue
		}
		parts++
		if len(o.Notice.Markdown) > 2048 {
			t.Fatalf("part %s has %d bytes", o.Key, len(o.Notice.Markdown))
		}
		report.WriteString(o.Notice.Markdown)
	}
	if parts < 2 {
		t.Fatalf("%d parts, want the report split", parts)
	}
	if !strings.Contains(report.String(), "学习未达标（83 人）") {
		t.Fatalf("report lacks the count:\n%s", report.String())
	}
	for _, m := range append(many, branch...) {
		if !strings.Contains(report.String(), m.Name) {
			t.Fatalf("report lacks %s", m.Name)
		}
	}
}

// 签到 is one script: deliveries of one message, even concurrent ones, make
// one check-in and all get the first answer; the streak is kept as state,
// grows over rest days and restarts after a missed working day.
func TestCheckinMessageIsAtomicAndKeepsTheStreak(t *testing.T) {
	thu := time.Date(2026, 11, 19, 9, 0, 0, 0, cst)
	var now time.Time
	b, s := newDomain(t, thu)
	b.Now = func() time.Time { return now }
	send := func(id string) string {
		reply, err := b.Handle(t.Context(), bot.Message{MsgID: id, From: "m1", Kind: bot.KindText, Text: "签到", Time: now})
		if err != nil {
			t.Fatal(err)
		}
		return reply.Text
	}
	now = thu
	replies := make([]string, 8)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func() { defer wg.Done(); replies[i] = send("dup-1") }()
	}
	wg.Wait()
	for _, r := range replies {
		if r != replies[0] || !strings.Contains(r, "签到成功") {
			t.Fatalf("concurrent deliveries answered %q and %q; want the first answer every time", replies[0], r)
		}
	}
	if days, _ := s.CheckinDays(t.Context(), "tech", "m1", bot.DateOf(thu, cst), bot.DateOf(thu, cst)); len(days) != 1 {
		t.Fatalf("%d check-ins, want 1", len(days))
	}
	steps := []struct {
		day    time.Time
		id     string
		streak string
	}{
		{thu, "dup-2", "你今天 09:00 已经签到过了"}, // another message the same day
		{thu.AddDate(0, 0, 1), "fri", "已连续签到 2 天"},
		{thu.AddDate(0, 0, 4), "mon", "已连续签到 3 天"}, // the weekend does not break it
		{thu.AddDate(0, 0, 6), "wed", "已连续签到 1 天"}, // Tuesday was missed
		{thu.AddDate(0, 0, 6), "wed", "已连续签到 1 天"}, // WeCom's retry: the same answer
	}
	for _, st := range steps {
		now = st.day
		if got := send(st.id); !strings.Contains(got, st.streak) {
			t.Fatalf("%s: %q, want %q", st.id, got, st.streak)
		}
	}
}

// A 1,000-branch org: every admin gets two messages, the digest naming the
// (at most ten) branches owing most — meetings overdue, 转正 not discussed,
// dues arrears; never ranked by check-in rate — and the workbook with every
// branch.
func TestOrgDigestIsTwoMessages(t *testing.T) {
	fire := time.Date(2026, 11, 22, 20, 0, 0, 0, cst)
	b, s := newDomain(t, fire)
	ctx := t.Context()
	var branches []bot.Branch
	var members []bot.Member
	for i := range 1000 {
		id := fmt.Sprintf("b%03d", i)
		since := bot.Date{Year: 2026, Month: 11, Day: 1} // no overdue period before
		if i == 500 {
			since = bot.Date{Year: 2024, Month: 1, Day: 1} // overdue: it existed last period
		}
		branches = append(branches, bot.Branch{ID: id, Name: "第" + id + "支部", Since: since})
		m := bot.Member{UserID: "u" + id, BranchID: id, Role: bot.RoleSecretary, Active: true}
		if i == 7 { // its 预备期 ended on 1 November: the 转正 is due
			m.Status, m.Joined = bot.StatusProbationary, bot.Date{Year: 2025, Month: 11, Day: 1}
		}
		members = append(members, m)
	}
	members = append(members, bot.Member{UserID: "admin", Role: bot.RoleAdmin, Active: true}, bot.Member{UserID: "admin2", Role: bot.RoleAdmin, Active: true})
	if err := s.SaveBranches(ctx, branches); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMembers(ctx, members); err != nil {
		t.Fatal(err)
	}
	// tech collects dues in the bot and nobody paid September or October;
	// b123 set an amount too, but it began in November: nothing is owed.
	for _, a := range []struct{ branch, user string }{{"tech", "m1"}, {"b123", "ub123"}} {
		if err := s.SetDuesAmount(ctx, a.branch, a.user, 5000); err != nil {
			t.Fatal(err)
		}
	}
	// Everyone but b007's and b008's secretaries checked in on Friday.
	for _, m := range members[:1000] {
		if m.BranchID != "b007" && m.BranchID != "b008" {
			if _, _, err := s.CheckIn(ctx, bot.Checkin{BranchID: m.BranchID, UserID: m.UserID, Day: bot.Date{Year: 2026, Month: 11, Day: 20}, At: fire}); err != nil {
				t.Fatal(err)
			}
		}
	}
	outs, err := b.Job(ctx, bot.JobWeeklySummary, fire)
	if err != nil {
		t.Fatal(err)
	}
	var toAdmin []bot.Notice
	for _, o := range outs {
		if slices.Contains(o.Notice.To, "admin") {
			toAdmin = append(toAdmin, o.Notice)
		}
	}
	if len(toAdmin) != 2 || toAdmin[1].File == nil || !toAdmin[1].File.Export.SummaryOnly {
		t.Fatalf("%d messages to an admin, want the digest and the workbook: %+v", len(toAdmin), toAdmin)
	}
	digest := toAdmin[0].Markdown
	// 技术党支部 (newDomain's) is overdue and owes dues, b500 is overdue,
	// b007 owes a 转正; b008's low check-in rate is no duty.
	for _, want := range []string{
		"1. 技术党支部：<font color=\"warning\">上期未开 党员大会、支委会等 5 项</font>；5 人欠缴党费 2 个月以上；本期待开",
		"\n2. 第b500支部：<font color=\"warning\">上期未开 党员大会、党课等 4 项</font>；本期待开",
		"\n3. 第b007支部：转正待讨论 1 人；本期待开",
		"\n另有 998 个支部",
	} {
		if !strings.Contains(digest, want) || strings.Contains(digest, "b008") || strings.Contains(digest, "b123") || len(digest) > 2048 {
			t.Fatalf("digest lacks %q:\n%s", want, digest)
		}
	}
	// The branches' own reports say the same to their leaders.
	for key, want := range map[string]string{"summary:b007": "预备期已满、待党员大会讨论转正：</font>ub007", "summary:tech": "> 欠缴党费 2 个月以上：5 人"} {
		if report := keyed(t, outs, key); !strings.Contains(report.Markdown, want) {
			t.Errorf("%s lacks %q:\n%s", key, want, report.Markdown)
		}
	}
}

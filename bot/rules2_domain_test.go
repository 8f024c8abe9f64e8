package bot_test

// Rules that hold (issue #22): leave does not hide dues arrears, a long
// absence raises the 组织关系 question, 预警 never shows a leader their own
// line.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// payDues records a member's dues for months of 2026 in tech.
func payDues(t *testing.T, w *world, user string, months ...time.Month) {
	t.Helper()
	for _, mo := range months {
		p := bot.DuesPayment{UserID: user, Month: bot.Month{Year: 2026, Month: mo}.String(), Amount: 100, At: w.now, By: user, Via: "self"}
		if _, _, err := w.s.RecordDues(w.t.Context(), "tech", p); err != nil {
			t.Fatal(err)
		}
	}
}

// putLeave stores a leave of a tech member.
func putLeave(t *testing.T, w *world, id, user string, from, to bot.Date) {
	t.Helper()
	l := bot.Leave{ID: id, BranchID: "tech", UserID: user, From: from, To: to, Reason: "外派", By: user, At: w.now}
	if err := w.s.PutLeave(w.t.Context(), l); err != nil {
		t.Fatal(err)
	}
}

func day(y int, m time.Month, d int) bot.Date { return bot.Date{Year: y, Month: m, Day: d} }

// Leave excuses meetings, never dues: a member who chains leave for half a
// year without paying is at risk, and the monthly warning names them.
func TestLeaveDoesNotHideDuesArrears(t *testing.T) {
	t.Parallel()
	fire := time.Date(2026, 12, 1, 9, 0, 0, 0, beijing)
	w := newWorld(t, fire)
	P := bot.Present
	for mo := time.June; mo <= time.November; mo++ {
		st := map[string]bot.AttendanceStatus{"sec": P, "com": P, "m1": P, "m2": P}
		if mo == time.June {
			st["m3"] = P
		}
		monthMeeting(t, w.s, mo, st)
	}
	// m3 chains three leaves, July to the end of the year; m2 is away in
	// September and October but pays (or has it paid) every month.
	putLeave(t, w, "l1", "m3", day(2026, 7, 1), day(2026, 8, 31))
	putLeave(t, w, "l2", "m3", day(2026, 9, 1), day(2026, 10, 31))
	putLeave(t, w, "l3", "m3", day(2026, 11, 1), day(2026, 12, 31))
	putLeave(t, w, "l4", "m2", day(2026, 9, 1), day(2026, 10, 31))
	all := []time.Month{time.June, time.July, time.August, time.September, time.October, time.November}
	for _, u := range []string{"sec", "com", "m1", "m2"} {
		payDues(t, w, u, all...)
	}
	payDues(t, w, "m3", time.June)

	risks, err := w.b.Risks(t.Context(), orgBranches[0], fire)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user               string
		noMeeting, noDues  int
		longLeave, warning bool
	}{
		{"m3", 0, 5, true, true}, // meetings excused by leave; five months unpaid
		{"m2", 0, 0, false, false},
		{"m1", 0, 0, false, false},
	}
	for _, tc := range tests {
		i := slices.IndexFunc(risks, func(r bot.Risk) bool { return r.Member.UserID == tc.user })
		if i < 0 {
			t.Fatalf("no risk row for %s", tc.user)
		}
		r := risks[i]
		if r.NoMeeting != tc.noMeeting || r.NoDues != tc.noDues || r.LongLeave != tc.longLeave {
			t.Errorf("%s: no meeting %d, no dues %d, long leave %v; want %d, %d, %v", tc.user, r.NoMeeting, r.NoDues, r.LongLeave, tc.noMeeting, tc.noDues, tc.longLeave)
		}
	}
	warn := keyed(t, w.job(bot.JobMonthly), "warn:tech:sec:0")
	if !strings.Contains(warn.Text, "\n丙：连续 5 个月未交党费（长期请假：外派）\n") || strings.Contains(warn.Text, "乙") {
		t.Fatalf("warning:\n%s", warn.Text)
	}
}

// Away six months or more (one leave or several back to back): the
// leaders are asked, once per absence, to move the 组织关系 or register a
// 流动党员; a secretary away is told of to the committee.
func TestLongAbsenceAsksAboutTransfer(t *testing.T) {
	t.Parallel()
	w := newWorld(t, time.Date(2026, 11, 20, 9, 5, 0, 0, beijing))
	putLeave(t, w, "m1-a", "m1", day(2026, 11, 20), day(2027, 2, 28)) // 101 days
	putLeave(t, w, "m1-b", "m1", day(2027, 3, 1), day(2027, 5, 31))   // with the first, 193
	putLeave(t, w, "m2-a", "m2", day(2026, 11, 20), day(2027, 4, 30)) // 162 days: not yet
	putLeave(t, w, "sec-a", "sec", day(2026, 6, 1), day(2027, 1, 31)) // under way for months
	ended := bot.Leave{ID: "m3-a", BranchID: "tech", UserID: "m3", From: day(2026, 11, 20), To: day(2027, 11, 19), By: "m3", At: w.now, Ended: true}
	if err := w.s.PutLeave(t.Context(), ended); err != nil {
		t.Fatal(err)
	}

	away := func() map[string]bot.Notice {
		t.Helper()
		out := map[string]bot.Notice{}
		for _, o := range w.job(bot.JobLifecycle) {
			if strings.HasPrefix(o.Key, "away:") {
				out[strings.TrimPrefix(o.Key, "away:")] = o.Notice
			}
		}
		return out
	}
	got := away()
	if len(got) != 2 {
		t.Fatalf("told of %v, want m1 and sec", got)
	}
	if n := got["m1"]; !slices.Equal(n.To, []string{"sec"}) ||
		n.Text != "【组织关系】甲 请假 2026年11月20日 至 2027年5月31日（共 193 天，原因：外派），离开已满或将满 6 个月。按《党员教育管理工作条例》，外出 6 个月以上、地点相对固定的，应转移组织关系；流动的应登记为流动党员。请与本人联系，办理转出或流动党员登记。" {
		t.Fatalf("m1: %+v", n)
	}
	if n := got["sec"]; !slices.Equal(n.To, []string{"com"}) || !strings.Contains(n.Text, "书记 请假 2026年6月1日 至 2027年1月31日（共 245 天") {
		t.Fatalf("sec: %+v", n)
	}

	w.now = w.now.AddDate(0, 0, 1)
	if got := away(); len(got) != 0 {
		t.Fatalf("the next day: %v", got)
	}
	// A leave added to the end is the same absence; m2's grows past six months.
	putLeave(t, w, "m1-c", "m1", day(2027, 6, 1), day(2027, 6, 30))
	putLeave(t, w, "m2-b", "m2", day(2027, 5, 1), day(2027, 6, 30))
	w.now = w.now.AddDate(0, 0, 1)
	if got := away(); len(got) != 1 || !strings.Contains(got["m2"].Text, "乙 请假 2026年11月20日 至 2027年6月30日（共 223 天") {
		t.Fatalf("after more leave: %v", got)
	}
}

// 预警 typed by a leader on the list leaves out their own line, as the
// monthly job does; the rest of the committee and the admins see it.
func TestWarningsLeaveOutTheAsker(t *testing.T) {
	t.Parallel()
	w := newWorld(t, time.Date(2026, 12, 1, 9, 0, 0, 0, beijing))
	P := bot.Present
	for _, u := range []string{"sec", "com", "m1", "m2", "m3"} {
		payDues(t, w, u, time.June, time.July, time.August, time.September)
	}
	for _, mo := range []time.Month{time.October, time.November} {
		monthMeeting(t, w.s, mo, map[string]bot.AttendanceStatus{"com": P, "m1": P, "m3": P})
		payDues(t, w, "com", mo)
		payDues(t, w, "m1", mo)
		payDues(t, w, "m3", mo)
	}
	const head = "技术党支部 预警（仅你可见；连续 6 个月可视为自行脱党，请及早谈心谈话）\n"
	const secLine = "书记：连续 2 个月未参加组织生活，连续 2 个月未交党费"
	const m2Line = "乙：连续 2 个月未参加组织生活，连续 2 个月未交党费"
	tests := []struct{ from, text, want string }{
		{"sec", "预警", head + m2Line},
		{"com", "预警", head + m2Line + "\n" + secLine},
		{"boss", "预警 tech", head + m2Line + "\n" + secLine},
	}
	for _, tc := range tests {
		wantText(t, w.say(tc.from, tc.text), tc.want)
	}
}

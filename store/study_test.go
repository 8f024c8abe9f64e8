package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// The batched reads (pipelines of 1,000 members) must return, member by
// member, what StudyReports returns: the span's reports in day order,
// withdrawn ones included; the brief read keeps what tally counts.
func TestStudyReportsManyAgreesWithStudyReports(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	from := bot.Date{Year: 2026, Month: time.November, Day: 16}
	to := from.AddDays(6)
	var ids []string
	for i := range 1010 { // more than one pipeline
		u := fmt.Sprintf("u%03d", i)
		ids = append(ids, u)
		for d := range i % 4 { // none to three reports, every second day, one before the span
			r := bot.StudyReport{ID: fmt.Sprintf("s-%s-%d", u, d), BranchID: "tech", UserID: u, Day: from.AddDays(2*d - 1),
				Minutes: 10 + i + d, Content: "党章 \"第一章\"", Kind: "自学", At: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)}
			if _, err := s.RecordStudy(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 == 3 && i%3 == 0 { // withdraw the first report in the span
			if _, err := s.ModifyStudy(ctx, "tech", u, fmt.Sprintf("s-%s-1", u), func(r *bot.StudyReport) error {
				r.Withdrawn = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids = append(ids, "nobody")
	many, err := s.StudyReportsMany(ctx, "tech", ids, from, to)
	if err != nil {
		t.Fatal(err)
	}
	brief, err := s.StudyReportsBrief(ctx, "tech", ids, from, to)
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := 0
	for _, u := range ids {
		want, err := s.StudyReports(ctx, "tech", u, from, to)
		if err != nil {
			t.Fatal(err)
		}
		got, short := many[u], brief[u]
		if len(got) != len(want) || len(short) != len(want) {
			t.Fatalf("%s: many %d, brief %d reports, StudyReports %d", u, len(got), len(short), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].Content != want[i].Content || got[i].Withdrawn != want[i].Withdrawn {
				t.Fatalf("%s report %d: many %+v, want %+v", u, i, got[i], want[i])
			}
			if b := short[i]; b.Day != want[i].Day || b.Minutes != want[i].Minutes || b.Withdrawn != want[i].Withdrawn || b.UserID != u {
				t.Fatalf("%s report %d: brief %+v, want day, minutes and withdrawal of %+v", u, i, b, want[i])
			}
			if want[i].Withdrawn {
				withdrawn++
			}
		}
	}
	// The day sums kept with every write agree with the reports.
	sums, ok, err := s.StudySums(ctx, "tech", from, to)
	if err != nil || !ok {
		t.Fatalf("StudySums = %v, %v; want sums covering the span", ok, err)
	}
	for _, u := range ids {
		var want bot.StudySum
		for _, r := range many[u] {
			if !r.Withdrawn {
				want.Reports++
				want.Minutes += r.Minutes
			}
		}
		if sums[u] != want {
			t.Fatalf("%s: sums %+v, reports add up to %+v", u, sums[u], want)
		}
	}
	if withdrawn == 0 || len(many) == 0 {
		t.Fatalf("the test wrote no withdrawn report (%d) or read nothing (%d)", withdrawn, len(many))
	}
}

// The sums vouch only for days after the first report this version wrote:
// earlier reports were written without them.
func TestStudySumsStartAfterTheirFirstReport(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	wed := bot.Date{Year: 2026, Month: time.November, Day: 18}
	week := bot.Date{Year: 2026, Month: time.November, Day: 16}
	if _, ok, err := s.StudySums(ctx, "tech", week, wed); err != nil || ok {
		t.Fatalf("no report yet: StudySums ok=%v err=%v, want not whole", ok, err)
	}
	// A late report (for Monday, sent on a later day this week) vouches
	// only from a week after its day.
	late := bot.StudyReport{ID: "late", BranchID: "tech", UserID: "lisi", Day: week, Minutes: 30, Late: true, At: time.Now()}
	if _, err := s.RecordStudy(ctx, late); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		from, to bot.Date
		whole    bool
	}{
		{week, wed, false},
		{week.AddDays(6), week.AddDays(6), false},
		{week.AddDays(7), week.AddDays(13), true},
	}
	for _, tc := range tests {
		sums, ok, err := s.StudySums(ctx, "tech", tc.from, tc.to)
		if err != nil || ok != tc.whole {
			t.Fatalf("StudySums %v–%v: ok=%v err=%v, want whole=%v", tc.from, tc.to, ok, err, tc.whole)
		}
		if ok && len(sums) != 0 {
			t.Fatalf("StudySums %v–%v = %v, want nothing: the report is on %v", tc.from, tc.to, sums, week)
		}
	}
	// A report sent on its own day vouches from the next day: the first
	// value stays (a later report cannot move it).
	onTime := bot.StudyReport{ID: "on-time", BranchID: "tech", UserID: "lisi", Day: week.AddDays(1), Minutes: 20, At: time.Now()}
	if _, err := s.RecordStudy(ctx, onTime); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.StudySums(ctx, "tech", week.AddDays(2), wed); ok {
		t.Fatal("a second report moved the first whole day earlier")
	}
}

// The weekly chart's reads: check-ins counted per day, and the study day
// sums added up per day (withdrawn reports left out), which agree with
// StudySums over the same days.
func TestChartReadsCountByDay(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	week := bot.Date{Year: 2026, Month: time.November, Day: 16}
	lastWeek := week.AddDays(-7)
	at := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	// The first report is two weeks back (late, so the sums vouch from a
	// week after its day: last Monday).
	first := bot.StudyReport{ID: "first", BranchID: "tech", UserID: "lisi", Day: lastWeek.AddDays(-7), Minutes: 5, Late: true, At: at}
	if _, err := s.RecordStudy(ctx, first); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.StudyDayMinutes(ctx, "tech", lastWeek.AddDays(-1), week); err != nil || ok {
		t.Fatalf("before the sums began: ok=%v err=%v, want not whole", ok, err)
	}
	wantCheckins := []int{2, 0, 1, 0, 0, 0, 3}
	wantMinutes := make([]int, 14)
	users := []string{"zhangsan", "lisi", "wangwu"}
	for d, n := range wantCheckins {
		for _, u := range users[:n] {
			if _, _, err := s.CheckIn(ctx, bot.Checkin{BranchID: "tech", UserID: u, Day: lastWeek.AddDays(d), At: at, Source: "文字"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, d := range []int{0, 0, 3, 8, 13} { // days from last Monday
		r := bot.StudyReport{ID: fmt.Sprintf("s%d", i), BranchID: "tech", UserID: users[i%3], Day: lastWeek.AddDays(d), Minutes: 10 * (i + 1), At: at}
		if _, err := s.RecordStudy(ctx, r); err != nil {
			t.Fatal(err)
		}
		wantMinutes[d] += r.Minutes
	}
	if _, err := s.ModifyStudy(ctx, "tech", users[3%3], "s3", func(r *bot.StudyReport) error { r.Withdrawn = true; return nil }); err != nil {
		t.Fatal(err)
	}
	wantMinutes[8] -= 40

	counts, err := s.CheckinCounts(ctx, "tech", lastWeek, lastWeek.AddDays(6))
	if err != nil || fmt.Sprint(counts) != fmt.Sprint(wantCheckins) {
		t.Fatalf("CheckinCounts = %v, %v; want %v", counts, err, wantCheckins)
	}
	minutes, ok, err := s.StudyDayMinutes(ctx, "tech", lastWeek, week.AddDays(6))
	if err != nil || !ok || fmt.Sprint(minutes) != fmt.Sprint(wantMinutes) {
		t.Fatalf("StudyDayMinutes = %v, %v, %v; want %v", minutes, ok, err, wantMinutes)
	}
	sums, ok, err := s.StudySums(ctx, "tech", lastWeek, week.AddDays(6))
	total := 0
	for _, sum := range sums {
		total += sum.Minutes
	}
	if err != nil || !ok || total != 10+20+30+50 {
		t.Fatalf("StudySums add up to %d (%v, %v), want the day minutes' %d", total, ok, err, 10+20+30+50)
	}
}

package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// The weekly summary's chart compares the week with the one before: its
// check-ins and study minutes per day. Last week's study is known once the
// study day sums reach back to last Monday; before that the chart has
// this week's, counted from the reports.
func TestWeeklyChartComparesWeeks(t *testing.T) {
	week := bot.Date{Year: 2026, Month: time.November, Day: 16}
	lastWeek := week.AddDays(-7)
	fire := time.Date(2026, 11, 22, 20, 0, 0, 0, cst) // Sunday evening
	tests := []struct {
		name      string
		sumsFrom  bot.Date // the day of the first report; recorded late, so the sums vouch from a week after it
		wantLast  []int
		wantThis  []int
		wantCheck []int
	}{
		{name: "sums cover both weeks", sumsFrom: lastWeek.AddDays(-7),
			wantLast: []int{30, 0, 0, 0, 45, 0, 0}, wantThis: []int{0, 60, 0, 0, 0, 0, 20}, wantCheck: []int{3, 2, 0, 0, 1, 0, 0}},
		{name: "sums began last week", sumsFrom: lastWeek.AddDays(-3),
			wantLast: nil, wantThis: []int{0, 60, 0, 0, 0, 0, 20}, wantCheck: []int{3, 2, 0, 0, 1, 0, 0}},
		{name: "sums began this week", sumsFrom: week, // this week is counted from the reports
			wantLast: nil, wantThis: []int{0, 60, 0, 0, 0, 0, 20}, wantCheck: []int{3, 2, 0, 0, 1, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startBranch(t)
			ctx := t.Context()
			if err := e.app.Store.SaveBranches(ctx, []bot.Branch{{ID: "tech", Name: "技术党支部"}}); err != nil {
				t.Fatal(err)
			}
			at := time.Date(2026, 11, 9, 9, 0, 0, 0, cst)
			reports := []bot.StudyReport{{Day: tc.sumsFrom, Minutes: 0, Late: true}}
			for d, m := range tc.wantLast {
				if m > 0 {
					reports = append(reports, bot.StudyReport{Day: lastWeek.AddDays(d), Minutes: m})
				}
			}
			if tc.wantLast == nil { // the same reports, read without their day sums
				reports = append(reports, bot.StudyReport{Day: lastWeek, Minutes: 30}, bot.StudyReport{Day: lastWeek.AddDays(4), Minutes: 45})
			}
			for d, m := range tc.wantThis {
				if m > 0 {
					reports = append(reports, bot.StudyReport{Day: week.AddDays(d), Minutes: m})
				}
			}
			for i, r := range reports {
				r.ID, r.BranchID, r.UserID, r.Content, r.Kind, r.At = fmt.Sprint("r", i), "tech", "lisi", "党章", "自学", at
				if _, err := e.app.Store.RecordStudy(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			for d, n := range tc.wantCheck {
				for _, u := range []string{"zhangsan", "lisi", "wangwu"}[:n] {
					if _, _, err := e.app.Store.CheckIn(ctx, bot.Checkin{BranchID: "tech", UserID: u, Day: lastWeek.AddDays(d), At: at, Source: "文字"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, _, err := e.app.Store.CheckIn(ctx, bot.Checkin{BranchID: "tech", UserID: "lisi", Day: week.AddDays(2), At: at, Source: "文字"}); err != nil {
				t.Fatal(err)
			}

			outs, err := e.app.Bot.Job(ctx, bot.JobWeeklySummary, fire)
			if err != nil {
				t.Fatal(err)
			}
			var chart *bot.WeekBars
			for _, o := range outs {
				if o.Key == "chart:tech" {
					chart = o.Notice.Image.Chart
				}
			}
			if chart == nil {
				t.Fatalf("no chart among %d messages", len(outs))
			}
			want := bot.WeekBars{Daily: [7]int{0, 0, 1, 0, 0, 0, 0}, Members: 5, Week: week,
				LastDaily: tc.wantCheck, StudyMinutes: tc.wantThis, LastStudyMinutes: tc.wantLast}
			if fmt.Sprintf("%+v", *chart) != fmt.Sprintf("%+v", want) {
				t.Errorf("chart\n%+v\nwant\n%+v", *chart, want)
			}
		})
	}
}

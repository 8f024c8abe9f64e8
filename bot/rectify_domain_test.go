package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// 整改 and 议定 share one list numbered per branch; only leaders add, the
// owner or a leader closes.
func TestRectifyItems(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	for _, tc := range []struct{ from, text, want string }{
		{"sec", "整改 @m1 完善学习台账 截止 11-30", "已登记整改 #1：完善学习台账，责任人 甲，截止 2026-11-30。"},
		{"sec", "议定 @m2 慰问困难党员 截止 12-05", "已登记议定 #2：慰问困难党员，责任人 乙，截止 2026-12-05。"},
		{"ops1", "整改 @ops2 整理党费台账 截止 12-01", "已登记整改 #1："},
		{"m1", "整改 @m2 什么 截止 12-01", "只有支部书记、支委或党委管理员可以使用"},
		{"m1", "议定 @m2 什么 截止 12-01", "只有支部书记、支委或党委管理员可以使用"},
		{"sec", "整改 @m1 没有截止", "用法：整改 @userid 事项 截止 日期"},
		{"sec", "整改 @m1 事项 截止 某天", "截止日期看不懂：某天"},
		{"sec", "整改 @ops2 事项 截止 12-01", "只能给本支部的同志登记整改事项。"},
		{"m1", "整改", "你的未完成事项：\n#1 完善学习台账（甲，截止 2026-11-30）"},
		{"m3", "整改", "你没有未完成的整改和议定事项。"},
		{"m2", "整改 完成 #1", "#1 只有责任人或书记、支委可以标记完成。"},
		{"m1", "整改 完成 #9", "本支部没有 #9 事项"},
		{"m1", "整改 完成 #1 已补齐", "#1 完善学习台账 已标记完成。"},
		{"m1", "整改 完成 #1", "#1 已于 2026-11-20 完成。"},
		{"com", "整改 完成 #2 已慰问", "#2 慰问困难党员 已标记完成。"},
		{"sec", "整改", "本支部没有未完成的整改和议定事项。"},
	} {
		wantHas(t, w.say(tc.from, tc.text), tc.want)
	}
	if !w.audited("议定完成", "m2", "#2") {
		t.Fatal("com closing m2's item is not audited")
	}
	done, total, err := w.b.RectifyProgress(t.Context(), "tech", 2026)
	if err != nil || done != 2 || total != 2 {
		t.Fatalf("progress %d/%d %v, want 2/2", done, total, err)
	}
	wantHas(t, w.say("sec", "整改 @m3 学习笔记 截止 12-10"), "#3")
	if done, total, _ := w.b.RectifyProgress(t.Context(), "tech", 2026); done != 2 || total != 3 {
		t.Fatalf("progress %d/%d, want 2/3", done, total)
	}
	if done, total, _ := w.b.RectifyProgress(t.Context(), "tech", 2025); done != 0 || total != 0 {
		t.Fatalf("2025 progress %d/%d, want 0/0", done, total)
	}
	l, err := w.b.Ledger(t.Context(), []bot.Branch{orgBranches[0]}, bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if items := l.Branches[0].Rectify; len(items) != 3 || items[0].DoneNote != "已补齐" || items[1].Kind != bot.KindDecision {
		t.Fatalf("ledger items %+v", items)
	}
}

// The owner hears three days before the deadline and on the day, once each.
func TestRectifyReminders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantHas(t, w.say("sec", "整改 @m1 完善学习台账 截止 11-30"), "#1")
	for _, tc := range []struct {
		day  time.Time
		want string // "" means nothing for #1
	}{
		{time.Date(2026, 11, 26, 9, 25, 0, 0, beijing), ""},
		{time.Date(2026, 11, 27, 9, 25, 0, 0, beijing), "将于 2026-11-30 截止"},
		{time.Date(2026, 11, 27, 15, 0, 0, 0, beijing), ""},
		{time.Date(2026, 11, 28, 9, 25, 0, 0, beijing), ""},
		{time.Date(2026, 11, 30, 9, 25, 0, 0, beijing), "今天（2026-11-30）截止"},
		{time.Date(2026, 12, 1, 9, 25, 0, 0, beijing), ""},
	} {
		w.now = tc.day
		var got []bot.Notice
		for _, o := range w.job(bot.JobYearCycle) {
			if strings.HasPrefix(o.Key, "tech:rect:1:") {
				got = append(got, o.Notice)
			}
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Fatalf("%s: unexpected %+v", tc.day, got)
		case tc.want != "" && (len(got) != 1 || got[0].To[0] != "m1" || !strings.Contains(got[0].Text, tc.want)):
			t.Fatalf("%s: got %+v, want %q to m1", tc.day, got, tc.want)
		}
	}
}

// Overdue items show in the secretaries' weekly report.
func TestWeeklyReportShowsOverdueItems(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantHas(t, w.say("sec", "整改 @m1 完善学习台账 截止 11-21"), "#1")
	wantHas(t, w.say("sec", "整改 @m2 学习笔记 截止 12-21"), "#2")
	w.now = time.Date(2026, 11, 22, 20, 0, 0, 0, beijing)
	for _, o := range w.job(bot.JobWeeklySummary) {
		if strings.HasPrefix(o.Key, "summary:tech") {
			if !strings.Contains(o.Notice.Markdown, "整改/议定逾期 1 项：#1（发“整改”查看）") {
				t.Fatalf("report:\n%s", o.Notice.Markdown)
			}
			return
		}
	}
	t.Fatal("no weekly report for tech")
}

package bot_test

// 补学 end to end: the absent and excused of a meeting learn privately what
// it covered (those on leave when their leave ends), confirm once, are
// reminded a week on, and the leaders' weekly report lists who is pending.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// noticeTo finds the notice addressed to exactly one user.
func noticeTo(ns []bot.Notice, userID string) (bot.Notice, bool) {
	i := slices.IndexFunc(ns, func(n bot.Notice) bool { return slices.Equal(n.To, []string{userID}) })
	if i < 0 {
		return bot.Notice{}, false
	}
	return ns[i], true
}

func TestMakeupReachesAbsentAndExcusedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday.Add(-time.Hour))
	ctx := t.Context()
	wantHas(t, w.say("m3", "请假 11-20 到 11-22 出差"), "11月20日")
	w.now = friday
	w.say("sec", "会议 党课 学习党章")
	w.say("sec", "纪要 议题：党章第一章")
	w.say("m1", "签到 2468")
	w.say("m2", "请假 家中有事")
	w.now = friday.Add(50 * time.Minute)
	r := w.say("sec", "结束会议")

	// com was absent, m2 excused: both told now; m3 is on leave, m1 came.
	var to []string
	for _, n := range r.Notices {
		if strings.Contains(n.Text, "补学") {
			to = append(to, n.To...)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"com", "m2"}) {
		t.Fatalf("补学 went to %v, want com and m2: %+v", to, r.Notices)
	}
	n, _ := noticeTo(r.Notices, "m2")
	for _, part := range []string{"党课「学习党章」", "11月20日", "党章第一章", "会议照片 0 张", "补学 心得"} {
		if !strings.Contains(n.Text, part) {
			t.Fatalf("补学 message %q lacks %q", n.Text, part)
		}
	}

	wantText(t, w.say("m1", "补学"), "你没有待补学的会议 👍")
	// A retried message (same MsgId) completes it once.
	msg := bot.Message{MsgID: "makeup-1", From: "m2", Kind: bot.KindText, Text: "补学 收获很大"}
	wantText(t, w.must(msg), "✅ 已记录补学：党课「学习党章」，计 50 分钟学习。10 分钟内发的图片作为凭证。")
	w.must(msg)
	wantText(t, w.say("m2", "补学 再来一次"), "你没有待补学的会议 👍")
	wantHas(t, w.picture("m2", "pic-1"), "学习凭证")
	reports, err := w.s.StudyReports(ctx, "tech", "m2", bot.DateOf(friday, beijing), bot.DateOf(friday, beijing))
	if err != nil || len(reports) != 1 || reports[0].Kind != bot.StudyMakeup || reports[0].Minutes != 50 ||
		reports[0].Reflection != "收获很大" || len(reports[0].Evidence) != 1 {
		t.Fatalf("补学 reports %+v %v", reports, err)
	}
	wantHas(t, w.say("m2", "我的"), "本年学时 1.1/32（集中 1.1、自学 0")
	if !w.audited("makeup.done", "m2", "学习党章") {
		t.Fatal("补学 is not audited")
	}

	// On leave: nothing until the leave ends, then once.
	if outs := w.job(bot.JobMakeup); len(outs) != 0 {
		t.Fatalf("makeup job during leave: %+v", outs)
	}
	w.now = friday.AddDate(0, 0, 3)
	outs := w.job(bot.JobMakeup)
	if len(outs) != 1 || !slices.Equal(outs[0].Notice.To, []string{"m3"}) || !strings.Contains(outs[0].Notice.Text, "党章第一章") {
		t.Fatalf("after leave %+v", outs)
	}
	w.now = w.now.Add(time.Hour)
	if outs := w.job(bot.JobMakeup); len(outs) != 0 {
		t.Fatalf("told twice: %+v", outs)
	}

	// A week after closing the still pending are reminded, once.
	w.now = friday.AddDate(0, 0, 7).Add(time.Hour)
	outs = w.job(bot.JobMakeup)
	var reminded []string
	for _, o := range outs {
		if !strings.HasPrefix(o.Notice.Text, "⏰ 还未补学") {
			t.Fatalf("reminder %q", o.Notice.Text)
		}
		reminded = append(reminded, o.Notice.To...)
	}
	slices.Sort(reminded)
	if !slices.Equal(reminded, []string{"com", "m3"}) {
		t.Fatalf("reminded %v", reminded)
	}
	w.now = w.now.Add(time.Hour)
	if outs := w.job(bot.JobMakeup); len(outs) != 0 {
		t.Fatalf("reminded twice: %+v", outs)
	}
}

func TestMakeupSeveralPendingByNumber(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "会议 党课 第一课")
	w.now = friday.Add(time.Hour)
	w.say("sec", "结束会议")
	w.now = friday.Add(2 * time.Hour)
	w.say("sec", "会议 党员大会 例会")
	w.now = friday.Add(3 * time.Hour)
	w.say("sec", "结束会议")
	wantText(t, w.say("m1", "补学 心得"), "你有 2 项待补学：\n#1 党课「第一课」（11月20日）\n#2 党员大会「例会」（11月20日）\n回复“补学 #序号 心得”确认其中一项。")
	wantText(t, w.say("m1", "补学 #5"), "没有第 5 项，你有 2 项待补学。")
	wantText(t, w.say("m1", "补学 #2 很好"), "✅ 已记录补学：党员大会「例会」，计 60 分钟学习。10 分钟内发的图片作为凭证。\n还有 1 项待补学，发“补学”查看。")
	wantText(t, w.say("m1", "补学"), "✅ 已记录补学：党课「第一课」，计 60 分钟学习。10 分钟内发的图片作为凭证。")
	wantHas(t, w.say("m1", "我的"), "本年学时 2.6/32（集中 2.6、自学 0")
	wantHas(t, w.say("sec", "进度"), "\n补学 1/4（党员大会「例会」）：甲")

	// The ledger: each meeting's 补学, and 汇总's pace names.
	l, err := w.b.Ledger(t.Context(), orgBranches[:1], bot.Span{From: bot.DateOf(friday, beijing), To: bot.DateOf(friday, beijing)}, false)
	if err != nil {
		t.Fatal(err)
	}
	ms := l.Branches[0].Meetings
	if len(ms) != 2 || len(ms[1].Makeups) != 4 || ms[1].Makeups[1].UserID != "m1" || ms[1].Makeups[1].Done == nil ||
		ms[1].Makeups[1].Done.Reflection != "很好" || ms[0].Makeups[1].Done == nil {
		t.Fatalf("ledger makeups %+v", ms)
	}
	if behind := l.Branches[0].Summary.HoursBehind; len(behind) != 5 || behind[0] != "支委（0/49.6）" {
		t.Fatalf("汇总 pace %v", behind)
	}
}

func TestWeeklySummaryShowsMakeupAndPaceToLeadersOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "会议 党课 第一课")
	w.say("m1", "签到 2468")
	w.now = friday.Add(time.Hour)
	w.say("sec", "结束会议")
	w.now = time.Date(2026, 11, 22, 20, 0, 0, 0, beijing)
	if report := keyed(t, w.job(bot.JobWeeklySummary), "summary:tech").Markdown; strings.Contains(report, "本年学时") || !strings.Contains(report, "待补学（3 项）") {
		t.Fatalf("a mid-month report: 补学 weekly, 学时 only in a month's first report:\n%s", report)
	}
	w.now = time.Date(2026, 12, 6, 20, 0, 0, 0, beijing) // the first weekly report of December
	outs := w.job(bot.JobWeeklySummary)
	report := keyed(t, outs, "summary:tech").Markdown
	for _, part := range []string{"待补学（3 项）：支委·党课、乙·党课、丙·党课", "本年学时低于进度（已学/应达）", "甲（1.3/29.8）", "书记（1.3/52.1）"} {
		if !strings.Contains(report, part) {
			t.Fatalf("leaders' report lacks %q:\n%s", part, report)
		}
	}
	chat := keyed(t, outs, "chat:tech").Text
	if strings.Contains(chat, "学时") || strings.Contains(chat, "补学") {
		t.Fatalf("group chat shows 学时 or 补学: %q", chat)
	}
}

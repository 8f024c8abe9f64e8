package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// The month's 主题党日 plan is quoted by the monthly reminder and 进度; an
// agreed action naming an owner becomes a 议定 item, others stay on the plan.
func TestThemePlanQuoted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	r := w.say("sec", "主题党日 计划 12 学习纪律处分条例 议定：@m1 整理学习笔记 截止 12-20；走访困难党员")
	if !strings.Contains(r.Text, "2026年12月主题党日计划：学习纪律处分条例") || !strings.Contains(r.Text, "已登记议定 #1") {
		t.Fatalf("plan: %q", r.Text)
	}
	items, err := w.s.RectifyItems(t.Context(), "tech")
	if err != nil || len(items) != 1 || items[0].Owner != "m1" || items[0].Kind != bot.KindDecision {
		t.Fatalf("items: %+v %v", items, err)
	}
	if r := w.say("m1", "主题党日 计划 别的"); strings.Contains(r.Text, "已制定") {
		t.Fatalf("a member set the plan: %q", r.Text)
	}

	w.now = time.Date(2026, 12, 1, 9, 0, 0, 0, beijing)
	var quoted bool
	for _, o := range w.job(bot.JobMonthly) {
		if strings.HasPrefix(o.Key, "themeday:tech") && strings.Contains(o.Notice.Text, "12月主题党日主题：学习纪律处分条例") && strings.Contains(o.Notice.Text, "走访困难党员") {
			quoted = true
		}
	}
	if !quoted {
		t.Fatal("the monthly reminder does not quote the plan")
	}
	if r := w.say("sec", "进度"); !strings.Contains(r.Text, "12月主题党日主题：学习纪律处分条例") {
		t.Fatalf("进度: %q", r.Text)
	}
	if r := w.say("sec", "主题党日"); !strings.Contains(r.Text, "学习纪律处分条例") {
		t.Fatalf("show: %q", r.Text)
	}
}

// The 主题党日 opened in a month with a plan carries its theme: the leader's
// reply and the members' sign-in text quote it.
func TestThemeDayMeetingQuotesThePlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "主题党日 计划 学习纪律处分条例")
	r := w.say("sec", "会议 主题党日 十一月主题党日")
	if !strings.Contains(r.Text, "11月主题党日主题：学习纪律处分条例") {
		t.Fatalf("open reply %q", r.Text)
	}
	var quoted bool
	for _, n := range r.Notices {
		quoted = quoted || (n.Text != "" && strings.Contains(n.Text, "学习纪律处分条例"))
	}
	if !quoted {
		t.Fatalf("the members' sign-in text lacks the theme: %+v", r.Notices)
	}
	w.say("sec", "结束会议")
	if r := w.say("sec", "会议 党课 不是主题党日"); strings.Contains(r.Text, "主题党日主题") {
		t.Fatalf("another meeting type quotes the theme: %q", r.Text)
	}
}

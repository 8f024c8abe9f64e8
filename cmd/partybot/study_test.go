package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// Only the command word is normalised: what a member writes is stored as
// typed, while the words the bot parses (３０分钟) are folded.
func TestStudyStoredAsTyped(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.run(t, []step{{"qianqi", "ＳＴＵＤＹ Go语言ＡＰＩ设计 ３０分钟 Very Good", "已记录学习 ✅ Go语言ＡＰＩ设计 30分钟"}})
	last, _, err := e.app.Store.LastStudy(t.Context(), "tech", "qianqi")
	if err != nil || last.Content != "Go语言ＡＰＩ设计" || last.Reflection != "Very Good" {
		t.Fatalf("stored %q / %q (%v), want the words as typed", last.Content, last.Reflection, err)
	}
}

func TestStudyFlow(t *testing.T) {
	t.Parallel()
	e := startBranch(t) // Friday 2026-11-20 14:00
	e.app.Bot.Targets = bot.StudyTargets{WeeklyMinutes: 120, WeeklyReports: 2}

	e.run(t, []step{
		{"lisi", "学习 党章第一章 30分钟 收获很大", "已记录学习 ✅ 党章第一章 30分钟（自学）"},
		{"lisi", "学习 党章", "用法：学习 <内容> <时长> [心得]"},
		{"lisi", "学习 昨天 集体学习 党史 一个半小时", "补记 11月19日"},
		{"lisi", "学习 11-10 党史 1h", "只能补记本周"},
	})

	t.Run("retried MsgId counts once", func(t *testing.T) {
		for range 2 {
			resp := e.send(t, "wangwu", "学习 党的二十大报告 1小时", "study-1")
			if !strings.Contains(resp.ReplyText, "本周学习 60/120 分钟，1/2 次") {
				t.Fatalf("reply %q", resp.ReplyText)
			}
		}
		reports, err := e.app.Store.StudyReports(t.Context(), "tech", "wangwu", bot.Date{Year: 2026, Month: 11, Day: 16}, bot.Date{Year: 2026, Month: 11, Day: 22})
		if err != nil || len(reports) != 1 {
			t.Fatalf("%d reports (%v), want 1", len(reports), err)
		}
	})

	t.Run("image within 10 minutes is evidence", func(t *testing.T) {
		e.clock.Set(e.clock.Now().Add(5 * time.Minute))
		resp, err := e.wc.Post(e.wc.ImageXML("wangwu", "MEDIA1", "img-1", e.clock.Now()))
		if err != nil || !strings.Contains(resp.ReplyText, "已作为“党的二十大报告”的学习凭证（共 1 张）") {
			t.Fatalf("image: %v %q", err, resp.ReplyText)
		}
		e.clock.Set(e.clock.Now().Add(10 * time.Minute))
		resp, err = e.wc.Post(e.wc.ImageXML("wangwu", "MEDIA2", "img-2", e.clock.Now()))
		if err != nil || !strings.Contains(resp.ReplyText, "图片未保存") {
			t.Fatalf("late image: %v %q", err, resp.ReplyText)
		}
		last, _, err := e.app.Store.LastStudy(t.Context(), "tech", "wangwu")
		if err != nil || len(last.Evidence) != 1 || last.Evidence[0].MediaID != "MEDIA1" {
			t.Fatalf("evidence %+v %v", last.Evidence, err)
		}
	})

	t.Run("撤回 within 24 hours", func(t *testing.T) {
		e.run(t, []step{
			{"zhaoliu", "学习 党史 20分钟", "已记录学习"},
			{"zhaoliu", "撤回", "已撤回：党史 20分钟"},
			{"zhaoliu", "撤回", "没有可撤回的学习记录"},
		})
		e.run(t, []step{{"lisi", "学习 党规 10分钟", "本周学习 130/120 分钟 ✅，3/2 次 ✅"}})
		e.clock.Set(e.clock.Now().Add(25 * time.Hour))
		e.run(t, []step{{"lisi", "撤回", "只能撤回 24 小时内"}})
	})

	// Saturday 2026-11-21 15:15 now. lisi checked in on Friday only.
	e.run(t, []step{
		{"lisi", "我的", "李四 · 本周（11月16日–22日）"},
	})
	for _, want := range []string{"本周学习 130/120 分钟 ✅，3/2 次 ✅", "11月：签到 0 天 · 学习 130 分钟 / 3 次"} {
		if !strings.Contains(e.last, want) {
			t.Errorf("我的 lacks %q:\n%s", want, e.last)
		}
	}

	e.run(t, []step{
		{"lisi", "本周", "只有支部书记、支委或党委管理员可以使用"},
		{"zhangsan", "本周", "技术党支部 本周（11月16日–22日）"},
	})
	for _, want := range []string{"李四｜0｜130′｜3", "王五｜0｜60′｜1", "赵六｜0｜0′｜0",
		"未达标：钱七（差120分钟、差2次）、王五（差60分钟、差1次）、张三（差120分钟、差2次）、赵六（差120分钟、差2次）"} {
		if !strings.Contains(e.last, want) {
			t.Errorf("本周 lacks %q:\n%s", want, e.last)
		}
	}
	if strings.Contains(e.last, "lisi") {
		t.Errorf("本周 shows userids:\n%s", e.last)
	}

	e.run(t, []step{{"lisi", "排行", "排行榜未开启"}})
	if strings.Contains(helpFor(t, e, "lisi"), "排行") {
		t.Error("help offers 排行 while it is off")
	}
	e.app.Bot.Leaderboard = true
	e.run(t, []step{{"lisi", "排行", "1. 李四 130分钟"}})
}

func helpFor(t *testing.T, e *e2e, who string) string {
	t.Helper()
	e.msgSeq++
	return e.send(t, who, "帮助", fmt.Sprint(e.msgSeq)).ReplyText
}

func TestHelpShowsOnlyWhatYouMayUse(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	member, secretary := helpFor(t, e, "lisi"), helpFor(t, e, "zhangsan")
	if strings.Contains(member, "会议") || strings.Contains(member, "名单") {
		t.Errorf("a member's help lists secretary commands:\n%s", member)
	}
	if !strings.Contains(secretary, "会议") || !strings.Contains(secretary, "进度") {
		t.Errorf("a secretary's help lacks their commands:\n%s", secretary)
	}
}

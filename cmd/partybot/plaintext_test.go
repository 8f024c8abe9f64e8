package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// With wecom.plain_text (members on WeChat's 微工作台, which shows neither
// cards nor markdown) every message goes out as text, image or file: the
// previews, announcements, activities, meeting sign-in, dues reminder,
// weekly summary, org digest and obligations reminder. Each card's text
// names the words to type, and typing them works.
func TestPlainTextSendsNoCardOrMarkdown(t *testing.T) {
	fake := newFake(t)
	e := startBranchWith(t, fake, func(c *Config) {
		c.WeCom.PlainText = true
		c.Org.Branches[0].ChatID = "techchat"
		c.Org.Branches[0].RobotKey = testRobotKey
		fake.AddAppChat("techchat", "zhangsan", "lisi", "wangwu", "zhaoliu", "qianqi")
		fake.AddRobot(testRobotKey)
	})
	if err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "admin1", Name: "管理员", Role: bot.RoleAdmin, Status: bot.StatusFull, Active: true},
	}); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"zhangsan", "公告 周五下午三点党员大会\n请准时参加。", "公告预览"},
		{"zhangsan", "发送", "已发送公告 #1"},
		{"zhangsan", "活动 志愿服务 11-28 14:00 阳光社区", "活动预览"},
	})
	waitFor(t, "the activity preview as text", func() bool {
		return slices.ContainsFunc(e.textsOf("zhangsan"), func(s string) bool {
			return strings.Contains(s, "确认发送活动？") && strings.Contains(s, "回复“发送”发出，“取消”放弃")
		})
	})
	e.run(t, []step{{"zhangsan", "发送", "已发送活动 #2"}})
	e.open(t, "党员大会", "")
	e.fire(t, bot.JobDuesReminder, time.Date(2026, 12, 5, 9, 15, 0, 0, cst))
	e.fire(t, bot.JobWeeklySummary, time.Date(2026, 11, 22, 20, 0, 0, 0, cst))
	e.fire(t, bot.JobObligations, time.Date(2026, 11, 23, 9, 0, 0, 0, cst))
	e.drain(t)

	sends := 0
	for _, c := range fake.Calls("") {
		switch c.API {
		case "message/send", "appchat/send", "webhook/send":
			sends++
			if mt := c.Body["msgtype"]; mt != "text" && mt != "image" && mt != "file" {
				t.Errorf("%s sent a %v with plain_text on: %v", c.API, mt, c.Body)
			}
			if text, ok := c.Body["text"].(map[string]any); ok {
				content := text["content"].(string)
				if strings.Contains(content, "**") || strings.Contains(content, "<font") || strings.Contains(content, "\n>") || len(content) > 2048 {
					t.Errorf("markup left in a text: %q", content)
				}
			}
		}
	}
	if dead, err := e.app.Outbox.DeadLetters(t.Context()); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v)", dead, err)
	}
	for _, want := range []struct{ to, text string }{
		{"lisi", "周五下午三点党员大会\n"},
		{"lisi", "回复“收到”确认"},
		{"lisi", "回复“报名”或“不参加”"},
		{"lisi", "回复“签到 签到码”签到"},
		{"lisi", "回复“党费 已交”登记"},
		{"zhangsan", "确认发送公告？"},
		{"zhangsan", "周报"},
		{"zhangsan", "组织生活提醒"},
		{"admin1", "全组织"},
	} {
		if !slices.ContainsFunc(e.textsOf(want.to), func(s string) bool { return strings.Contains(s, want.text) }) {
			t.Errorf("no text to %s with %q among %q", want.to, want.text, e.textsOf(want.to))
		}
	}
	if sends < 12 {
		t.Fatalf("only %d sends: the sequence did not run", sends)
	}
	// The words the texts name do what the buttons do.
	e.run(t, []step{
		{"lisi", "收到", "已确认收到 #1"},
		{"lisi", "报名", "报名成功"},
		{"wangwu", "不参加", "不参加《志愿服务》"},
	})
	e.clock.Set(time.Date(2026, 12, 5, 10, 0, 0, 0, cst)) // the reminder's day
	e.run(t, []step{{"lisi", "党费 已交", "已登记 2026年12月党费"}})
}

package bot_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

var msgSeq atomic.Int64

// say sends text as userID, as a new message, and returns the reply.
func say(t *testing.T, b *bot.Bot, userID, text string) bot.Reply {
	t.Helper()
	id := fmt.Sprintf("routes-%d", msgSeq.Add(1))
	r, err := b.Handle(t.Context(), bot.Message{Kind: bot.KindText, MsgID: id, From: userID, Text: text})
	if err != nil {
		t.Fatalf("%s %q: %v", userID, text, err)
	}
	return r
}

// click presses a template-card button as userID.
func click(t *testing.T, b *bot.Bot, userID, key string) bot.Reply {
	t.Helper()
	r, err := b.Handle(t.Context(), bot.Message{Kind: bot.KindEvent, Event: "template_card_event", From: userID, EventKey: key,
		Time: time.Unix(msgSeq.Add(1), 0), TaskID: "task"})
	if err != nil {
		t.Fatalf("%s clicks %q: %v", userID, key, err)
	}
	return r
}

// 帮助 fits a phone: a member sees every command one per line, a leader
// sees the groups and asks for one group's details.
func TestHelpGroups(t *testing.T) {
	b, _ := newDomain(t, time.Date(2026, 11, 18, 10, 0, 0, 0, cst))
	tests := []struct {
		name, who, text string
		want, notWant   []string
		maxLines        int
	}{
		{"a member's list is flat", "m1", "帮助", []string{"· 签到", "· 党费", "· 收到"}, []string{"会议", "【", "名单", "设置"}, 13},
		{"a leader sees groups", "sec", "帮助", []string{"【日常】帮助、签到、学习", "【会议】会议、结束会议", "【公告与活动】公告", "【台账与党费】党费、导出", "【支部管理】本周、名单、预警", "帮助 会议"}, []string{"· "}, 9},
		{"one group by part of its name", "sec", "帮助 公告", []string{"【公告与活动】", "· 公告 内容", "· 活动状态"}, []string{"签到"}, 12},
		{"one group by a command word", "sec", "帮助 dues", []string{"【台账与党费】", "· 党费 设置 @userid 50", "· 导出"}, []string{"· 签到"}, 10},
		{"a member asks for a group they cannot use", "m1", "帮助 会议", []string{"没有“会议”这一类命令"}, []string{"结束会议"}, 3},
		{"leaders' 取消 is hidden from members", "m1", "帮助 公告", []string{"· 收到", "· 取消报名"}, []string{"· 取消 —", "公告状态"}, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := say(t, b, tc.who, tc.text).Text
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("reply lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("reply has %q:\n%s", w, text)
				}
			}
			if n := strings.Count(text, "\n") + 1; n > tc.maxLines {
				t.Errorf("%d lines, want ≤ %d:\n%s", n, tc.maxLines, text)
			}
		})
	}
}

// A card click gets the row's access check, as a typed command does: a
// member cannot press another leader's 发送 even with its key.
func TestCardClicksAreGuardedLikeCommands(t *testing.T) {
	b, _ := newDomain(t, time.Date(2026, 11, 18, 10, 0, 0, 0, cst))
	say(t, b, "sec", "公告 明天下午开会")
	tests := []struct {
		name, who, key, wantButton string
	}{
		{"a member cannot send", "m1", "ann_send:x", "无权发送"},
		{"a member cannot drop a draft", "m1", "ann_cancel:x", "无权操作"},
		{"a leader's stale key", "sec", "ann_send:x", "已失效"},
		{"an unknown key is ignored", "m1", "nothing:1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := click(t, b, tc.who, tc.key).ReplaceButton; got != tc.wantButton {
				t.Errorf("button %q, want %q", got, tc.wantButton)
			}
		})
	}
	if r := say(t, b, "m1", "党费 设置 @m2 50"); !strings.Contains(r.Text, "“党费 设置”只有支部书记、支委或党委管理员可以使用") {
		t.Errorf("a member's 党费 设置: %q", r.Text)
	}
	if r := say(t, b, "m1", "党费 什么"); !strings.Contains(r.Text, "用法：党费") {
		t.Errorf("an unknown 党费 word: %q", r.Text)
	}
}

package bot_test

// Cards as text (wecom.plain_text, for WeChat's 微工作台): each button's
// typed twin is named, is a real command, and does what the button does.

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
)

func TestCardPlainText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", 120)
	tests := []struct {
		name string
		card bot.Card
		want string
	}{
		{"announcement", bot.Card{Title: "周五开会", Description: "技术党支部 公告 #1", Subtitle: "请准时参加。",
			Buttons: []bot.Button{{Text: "收到", Key: "ann_ack:tech:1"}}},
			"周五开会\n技术党支部 公告 #1\n请准时参加。\n回复“收到”确认"},
		{"draft preview", bot.Card{Title: "确认发送公告？", Description: "周五开会",
			Buttons: []bot.Button{{Text: "发送", Key: "ann_send:d1"}, {Text: "取消", Key: "ann_cancel:d1", Secondary: true}}},
			"确认发送公告？\n周五开会\n回复“发送”发出，“取消”放弃"},
		{"activity", bot.Card{Title: "活动：志愿服务", Description: "活动 #1，点“报名”参加", Subtitle: "11月28日 14:00",
			Buttons: []bot.Button{{Text: "报名", Key: "act_join:tech:1"}, {Text: "不参加", Key: "act_no:tech:1"}}},
			"活动：志愿服务\n活动 #1，点“报名”参加\n11月28日 14:00\n回复“报名”或“不参加”"},
		{"meeting sign-in", bot.Card{Title: "党员大会", Description: "签到码 1234，16:00 前有效",
			Buttons: []bot.Button{{Text: "签到", Key: "meeting_signin:m1"}}},
			"党员大会\n签到码 1234，16:00 前有效\n回复“签到 签到码”签到"},
		{"dues", bot.Card{Title: "11月党费", Buttons: []bot.Button{{Text: "已交", Key: "dues_paid:2026-11"}}},
			"11月党费\n回复“党费 已交”登记"},
		{"an old queued card", bot.Card{Title: "旧卡片", LegacyButtonText: "收到", LegacyButtonKey: "ann_ack:tech:2"},
			"旧卡片\n回复“收到”确认"},
		{"cut as the card cuts", bot.Card{Title: "标题", Subtitle: long},
			"标题\n" + strings.Repeat("长", 111) + "…"},
		{"a key no route knows", bot.Card{Title: "标题", Buttons: []bot.Button{{Text: "?", Key: "nobody:1"}}}, "标题"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.card.PlainText(); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

var quoted = regexp.MustCompile(`“([^”]+)”`)

// Every word a card's text asks for is a command the sender may type.
func TestTypedTwinsAreCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	for _, key := range []string{"meeting_signin:x", "dues_paid:2026-11", "ann_send:d", "ann_cancel:d", "ann_ack:tech:1", "act_join:tech:1", "act_no:tech:1"} {
		hint := bot.Card{Title: "t", Buttons: []bot.Button{{Text: "b", Key: key}}}.PlainText()
		words := quoted.FindAllStringSubmatch(hint, -1)
		if len(words) != 1 {
			t.Fatalf("%s: hint %q names %d words, want 1", key, hint, len(words))
		}
		typed := strings.Replace(words[0][1], "签到码", "1234", 1)
		if r := w.say("sec", typed); strings.Contains(r.Text, "没看懂") {
			t.Errorf("%s: %q is not a command: %q", key, typed, r.Text)
		}
	}
}

// Typing 不参加 does what the activity card's 不参加 does: the member is
// recorded as declining, and a place they held moves to the waiting list.
func TestTypedDeclineIsTheButton(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantText(t, w.say("m1", "不参加"), "现在没有需要回复的活动。")
	w.say("sec", "活动 志愿服务 11-28 14:00 阳光社区 名额 1")
	w.say("sec", "发送")
	wantButton(t, w.click("m2", "act_no:tech:1"), "不参加")
	wantText(t, w.say("m3", "不参加"), "已登记：不参加《志愿服务》。想参加请发“报名”。")
	w.say("m1", "报名")
	w.say("com", "报名") // waiting
	r := w.say("m1", "decline")
	wantText(t, r, "已取消报名，登记为不参加《志愿服务》。想参加请再发“报名”。")
	if len(r.Notices) != 1 || !slices.Equal(r.Notices[0].To, []string{"com"}) {
		t.Fatalf("the waiting member should move up: %+v", r.Notices)
	}
	resp, err := w.s.Responses(t.Context(), "tech", 1)
	if err != nil || !resp.Declined["m1"] || !resp.Declined["m2"] || !resp.Declined["m3"] || !slices.Equal(resp.Joined, []string{"com"}) {
		t.Fatalf("responses %+v %v: typed and clicked 不参加 should be recorded alike", resp, err)
	}
}

package wecom

import (
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
)

func TestMarkdownToText(t *testing.T) {
	for _, tc := range []struct{ name, md, want string }{
		{"weekly summary", "**技术党支部 周报（11月16日—22日）**\n> 签到率：<font color=\"info\">80%</font>（8/10）\n> 本期应开未开：<font color=\"warning\">党课</font>",
			"技术党支部 周报（11月16日—22日）\n签到率：80%（8/10）\n本期应开未开：党课"},
		{"headings and code", "# 标题\n### 小标题\n发送 `签到`", "标题\n小标题\n发送 签到"},
		{"a link", "详见[台账](https://example.com/x)", "详见台账 (https://example.com/x)"},
		{"blank lines kept", "a\n\n>b", "a\n\nb"},
		{"no markup", "学习未达标（2 人）：甲、乙", "学习未达标（2 人）：甲、乙"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := markdownToText(tc.md); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAsPlainText(t *testing.T) {
	long := strings.Repeat("**一行很长的周报内容**\n", 200)
	for _, tc := range []struct {
		name      string
		n         bot.Notice
		converted bool
		parts     int
	}{
		{"card", bot.Notice{To: []string{"a"}, Card: &bot.Card{Title: "t", Buttons: []bot.Button{{Text: "收到", Key: "ann_ack:tech:1"}}}}, true, 1},
		{"markdown", bot.Notice{To: []string{"a"}, Markdown: "**x**"}, true, 1},
		{"long markdown is split and numbered", bot.Notice{To: []string{"a"}, Markdown: long}, true, 3},
		{"text stays", bot.Notice{To: []string{"a"}, Text: "x"}, false, 0},
		{"media stays", bot.Notice{To: []string{"a"}, Media: &bot.Media{Type: "image", ID: "m"}}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts, ok := asPlainText(tc.n)
			if ok != tc.converted || len(parts) != tc.parts {
				t.Fatalf("converted %v into %d parts, want %v and %d", ok, len(parts), tc.converted, tc.parts)
			}
			for i, p := range parts {
				if p.Card != nil || p.Markdown != "" || p.Text == "" || len(p.Text) > maxTextBytes || strings.Join(p.To, "|") != "a" {
					t.Fatalf("part %d %+v", i, p)
				}
				if len(parts) > 1 && !strings.HasPrefix(p.Text, "（") {
					t.Fatalf("part %d of a split is not numbered: %q", i, p.Text[:20])
				}
			}
		})
	}
}

package bot

import (
	"strings"
	"testing"
	"time"
)

func TestParseStudy(t *testing.T) {
	today := Date{2026, time.November, 20} // a Friday
	tests := []struct {
		in                  string
		day                 string
		minutes             int
		content, reflection string
		ok                  bool
	}{
		{"党章第一章 30分钟 收获很大", "2026-11-20", 30, "党章第一章", "收获很大", true},
		{"二十大报告 第三部分 一个半小时", "2026-11-20", 90, "二十大报告 第三部分", "", true},
		{"昨天 党史 1h", "2026-11-19", 60, "党史", "", true},
		{"周一 集体学习 2小时 很充实", "2026-11-16", 120, "集体学习", "很充实", true},
		{"11-18 党课 45分钟", "2026-11-18", 45, "党课", "", true},
		{"30分钟", "", 0, "", "", false},  // no content
		{"党章", "", 0, "", "", false},    // no duration
		{"党章 很久", "", 0, "", "", false}, // not a duration
		{"", "", 0, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			day, minutes, content, reflection, ok := parseStudy(strings.Fields(tc.in), today)
			if ok != tc.ok {
				t.Fatalf("ok=%v, want %v", ok, tc.ok)
			}
			if ok && (day.String() != tc.day || minutes != tc.minutes || content != tc.content || reflection != tc.reflection) {
				t.Fatalf("got %s %d %q %q", day, minutes, content, reflection)
			}
		})
	}
	if got := studyKind("集体学习 党章"); got != "集体学习" {
		t.Fatalf("kind %q", got)
	}
	if got := studyKind("读书"); got != "自学" {
		t.Fatalf("default kind %q", got)
	}
}

package bot

import (
	"slices"
	"strings"
	"testing"
)

func TestReportColoursTheRateByWhetherItIsGood(t *testing.T) {
	tests := []struct {
		checkins, expected int
		colour             string
	}{
		{0, 20, "warning"},
		{15, 20, "warning"},
		{16, 20, "info"},
		{20, 20, "info"},
		{0, 0, "info"}, // nothing expected: 100%
	}
	for _, tc := range tests {
		s := BranchSummary{Branch: Branch{Name: "技术党支部"}, Checkins: tc.checkins, Expected: tc.expected}
		report := strings.Join(s.markdown(Date{Year: 2026, Month: 11, Day: 16}), "\n")
		if want := "签到率：<font color=\"" + tc.colour + "\">"; !strings.Contains(report, want) {
			t.Errorf("%d/%d: report lacks %q:\n%s", tc.checkins, tc.expected, want, report)
		}
	}
}

func TestListLinesWrapsWithoutLosingNames(t *testing.T) {
	long := strings.Repeat("长", 250) // one name over the width stays whole
	tests := []struct {
		name  string
		names []string
	}{
		{"none", nil},
		{"one", []string{"张三"}},
		{"many", slices.Repeat([]string{"张三", "李四（请假）", "王五五"}, 60)},
		{"a long name", []string{"甲", long, "乙"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := listLines("未签到：", tt.names)
			if got, want := strings.Join(lines, ""), "未签到："+strings.Join(tt.names, "、"); got != want {
				t.Fatalf("joined lines = %q, want %q", got, want)
			}
			for i, l := range lines {
				if len(l) > 600+len("、") && !strings.Contains(l, long) {
					t.Errorf("line %d is %d bytes: %q", i, len(l), l)
				}
			}
			if len(tt.names) > 100 && len(lines) < 2 {
				t.Errorf("%d names on %d line(s): not wrapped", len(tt.names), len(lines))
			}
		})
	}
}

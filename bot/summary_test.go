package bot

import (
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

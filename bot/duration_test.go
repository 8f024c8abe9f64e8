package bot

import "testing"

func TestParseStudyDuration(t *testing.T) {
	tests := []struct {
		in   string
		want int // 0: malformed
	}{
		{"30分钟", 30}, {"30min", 30}, {"30mins", 30}, {"30m", 30}, {"30分", 30},
		{"半小时", 30}, {"半个小时", 30}, {"1小时", 60}, {"1个小时", 60}, {"1.5小时", 90},
		{"1h30m", 90}, {"1h30min", 90}, {"1小时30分钟", 90}, {"1小时30分", 90}, {"1小时30", 90},
		{"90分钟", 90}, {"一个半小时", 90}, {"1个半小时", 90}, {"1小时半", 90}, {"两个半小时", 150},
		{"2h", 120}, {"2H", 120}, {"2hr", 120}, {"2hours", 120}, {"0.5h", 30},
		{"两小时", 120}, {"两个小时", 120}, {"一小时", 60}, {"三十分钟", 30}, {"四十五分钟", 45},
		{"十五分钟", 15}, {"九十分钟", 90}, {"一刻钟", 15}, {"三刻钟", 45}, {"2个钟头", 120},
		{"45 min", 0}, // two words: the caller passes one token
		{"１小时", 60},   // full-width digits, as phones type them
		{"12小时", 720}, {"1分钟", 1},
		// malformed
		{"30", 0}, {"abc", 0}, {"分钟", 0}, {"0分钟", 0}, {"-5分钟", 0},
		{"1.5.5小时", 0}, {"13小时", 0}, {"半", 0}, {"1h70m", 0}, {"1e2min", 0},
		{"三十", 0}, {"十十分钟", 0}, {"0.3分钟", 0}, {"1.51小时", 0}, {"1.55小时", 93}, {"小时", 0}, {"", 0},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d forms", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseStudyDuration(tc.in)
			if tc.want == 0 {
				if ok {
					t.Fatalf("ParseStudyDuration(%q)=%d, want malformed", tc.in, got)
				}
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("ParseStudyDuration(%q)=%d,%v want %d", tc.in, got, ok, tc.want)
			}
		})
	}
}

package bot

import (
	"testing"
	"time"
)

func TestChinaCalendar(t *testing.T) {
	cal, err := NewChinaCalendar([]string{"2027-02-09"}, []string{"2027-02-20"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		day  Date
		want bool
		why  string
	}{
		{Date{2026, time.February, 14}, true, "调休 Saturday before 春节"},
		{Date{2026, time.February, 28}, true, "调休 Saturday after 春节"},
		{Date{2026, time.February, 16}, false, "春节 Monday"},
		{Date{2026, time.October, 1}, false, "国庆节 Thursday"},
		{Date{2026, time.October, 10}, true, "国庆 调休 Saturday"},
		{Date{2026, time.November, 21}, false, "plain Saturday"},
		{Date{2026, time.November, 23}, true, "plain Monday"},
		{Date{2025, time.January, 26}, true, "2025 春节调休 Sunday"},
		{Date{2027, time.February, 9}, false, "holiday added in config"},
		{Date{2027, time.February, 20}, true, "make-up day added in config"},
	}
	for _, tc := range tests {
		t.Run(tc.why, func(t *testing.T) {
			if got := cal.IsWorkday(tc.day); got != tc.want {
				t.Fatalf("IsWorkday(%s)=%v, want %v", tc.day, got, tc.want)
			}
		})
	}
	if _, err := NewChinaCalendar([]string{"tomorrow"}, nil); err == nil {
		t.Fatal("a bad override date was accepted")
	}
}

func TestStreakAcrossHolidayAndMakeUpDay(t *testing.T) {
	cal, err := NewChinaCalendar(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Checked in Fri 2/13, the 调休 Saturday 2/14, then nothing through the
	// 春节 holiday (2/15–2/23), then Tue 2/24: the streak survives the
	// holiday and counts the Saturday.
	checked := map[Date]bool{}
	for _, d := range []Date{{2026, 2, 12}, {2026, 2, 13}, {2026, 2, 14}, {2026, 2, 24}} {
		checked[d] = true
	}
	if got := Streak(checked, Date{2026, 2, 24}, cal, 400); got != 4 {
		t.Fatalf("streak %d, want 4", got)
	}
	// Missing the 调休 Saturday breaks it, as missing any working day does.
	delete(checked, Date{2026, 2, 14})
	if got := Streak(checked, Date{2026, 2, 24}, cal, 400); got != 1 {
		t.Fatalf("streak without the make-up day %d, want 1", got)
	}
	// With the weekday-only calendar the same gap over 春节 would break it.
	checked[Date{2026, 2, 14}] = true
	if got := Streak(checked, Date{2026, 2, 24}, WeekdayCalendar{}, 400); got != 1 {
		t.Fatalf("weekday calendar streak %d, want 1", got)
	}
}

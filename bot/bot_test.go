package bot

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"签到", "签到"},
		{"  签到  ", "签到"},
		{"\u3000签到\u3000", "签到"},
		{"ＣｈｅｃｋＩｎ", "checkin"},
		{"/checkin", "checkin"},
		{"HELP", "help"},
		{"？", "?"},
		{"签到　１２３４", "签到 1234"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Normalize(tc.in); got != tc.want {
				t.Fatalf("Normalize(%q)=%q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func noop(context.Context, Request) (Reply, error) { return Reply{}, nil }

func TestRouterRejectsDuplicateWords(t *testing.T) {
	_, err := NewRouter(
		Command{Name: "签到", Aliases: []string{"checkin"}, Run: noop},
		Command{Name: "打卡", Aliases: []string{"CHECKIN"}, Run: noop},
	)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "checkin") {
		t.Fatalf("NewRouter err=%v, want a clash on checkin", err)
	}
}

func TestRouterLookup(t *testing.T) {
	r, err := NewRouter(
		Command{Name: "签到", Aliases: []string{"打卡", "checkin"}, Run: noop},
		Command{Name: "帮助", Aliases: []string{"help"}, Run: noop},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text     string
		wantName string
		wantArgs string
	}{
		{"签到", "签到", ""},
		{"打卡", "签到", ""},
		{"Check In", "", ""}, // two words: not an alias
		{"CHECKIN 1234", "签到", "1234"},
		{"ｈｅｌｐ", "帮助", ""},
		{"吃饭", "", ""},
		{"   ", "", ""},
		{"签到\n今天\t在家", "签到", "今天 在家"},
		{"\u3000打卡\u3000", "签到", ""},
		// Only the command word is normalised: arguments stay as typed.
		{"ＣＨＥＣＫＩＮ Go语言ＡＰＩ设计 Very Good", "签到", "Go语言ＡＰＩ设计 Very Good"},
		{"　/help　A　B ", "帮助", "A B"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			cmd, args, ok := r.Lookup(tc.text)
			if tc.wantName == "" {
				if ok {
					t.Fatalf("Lookup(%q) found %q, want nothing", tc.text, cmd.Name)
				}
				return
			}
			if !ok || cmd.Name != tc.wantName || strings.Join(args, " ") != tc.wantArgs {
				t.Fatalf("Lookup(%q)=%v %v %v, want %q %q", tc.text, cmd, args, ok, tc.wantName, tc.wantArgs)
			}
		})
	}
}

func TestStreak(t *testing.T) {
	// 2026-11-20 is a Friday; 21 and 22 are the weekend.
	fri := Date{2026, time.November, 20}
	days := func(ds ...Date) map[Date]bool {
		m := map[Date]bool{}
		for _, d := range ds {
			m[d] = true
		}
		return m
	}
	tests := []struct {
		name    string
		checked map[Date]bool
		today   Date
		want    int
	}{
		{"nothing", days(), fri, 0},
		{"today only", days(fri), fri, 1},
		{"three weekdays", days(fri, fri.AddDays(-1), fri.AddDays(-2)), fri, 3},
		{"gap on a weekday ends it", days(fri, fri.AddDays(-2)), fri, 1},
		{"today not yet checked in", days(fri.AddDays(-1), fri.AddDays(-2)), fri, 2},
		{"weekend skipped", days(fri.AddDays(3), fri, fri.AddDays(-1)), fri.AddDays(3), 3},
		{"weekend check-in counts", days(fri.AddDays(3), fri.AddDays(1), fri), fri.AddDays(3), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Streak(tc.checked, tc.today, WeekdayCalendar{}, 400); got != tc.want {
				t.Fatalf("Streak=%d, want %d", got, tc.want)
			}
		})
	}
}

func TestDate(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-11-21 17:30 UTC is already the 22nd in Beijing.
	d := DateOf(time.Date(2026, 11, 21, 17, 30, 0, 0, time.UTC), loc)
	if got, want := d.String(), "2026-11-22"; got != want {
		t.Fatalf("DateOf=%s, want %s", got, want)
	}
	if got := DateFromNumber(d.Number()); got != d {
		t.Fatalf("DateFromNumber(Number())=%v, want %v", got, d)
	}
	if got, want := d.AddDays(10).String(), "2026-12-02"; got != want {
		t.Fatalf("AddDays=%s, want %s", got, want)
	}
}

func TestOrgValidate(t *testing.T) {
	ok := Branch{ID: "tech", Name: "技术党支部", Secretaries: []string{"a"}, Members: []string{"a", "b"}}
	tests := []struct {
		name    string
		org     Org
		wantErr string
	}{
		{"valid", Org{Branches: []Branch{ok}}, ""},
		{"no branches", Org{}, "org.branches"},
		{"bad id", Org{Branches: []Branch{{ID: "Tech{1}", Name: "x", Members: []string{"a"}}}}, "org.branches[0].id"},
		{"duplicate id", Org{Branches: []Branch{ok, {ID: "tech", Name: "y", Members: []string{"c"}}}}, "used by another branch"},
		{"member twice", Org{Branches: []Branch{ok, {ID: "ops", Name: "y", Members: []string{"b"}}}}, "already a member of branch tech"},
		{"secretary not member", Org{Branches: []Branch{{ID: "ops", Name: "y", Secretaries: []string{"z"}, Members: []string{"c"}}}}, "z is not listed in members"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.org.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate err=%v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

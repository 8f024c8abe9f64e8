package bot

import (
	"strings"
	"testing"
	"time"
)

func TestParseLeaveSpan(t *testing.T) {
	today := Date{2026, time.November, 22}
	tests := []struct {
		in            string
		from, to, why string
		ok            bool
	}{
		{"11-20 到 11-30 出差", "2026-11-20", "2026-11-30", "出差", true},
		{"11-20到11-30 出差", "2026-11-20", "2026-11-30", "出差", true},
		{"11/20 至 11/30", "2026-11-20", "2026-11-30", "", true},
		{"11.20~11.30 探亲 休假", "2026-11-20", "2026-11-30", "探亲 休假", true},
		{"11月25日 到 12月2日 培训", "2026-11-25", "2026-12-02", "培训", true},
		{"明天 体检", "2026-11-23", "2026-11-23", "体检", true},
		{"今天", "2026-11-22", "2026-11-22", "", true},
		{"1-5 到 1-8 回老家", "2027-01-05", "2027-01-08", "回老家", true},
		{"2026-12-31 到 2027-01-02", "2026-12-31", "2027-01-02", "", true},
		{"12-20 到 1-3", "2026-12-20", "2027-01-03", "", true},
		{"", "", "", "", false},
		{"出差", "", "", "", false},
		{"11-30 到 11-20", "", "", "", false},
		{"2-30", "", "", "", false},
		{"11-20 到 下周", "", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			from, to, why, ok := parseLeaveSpan(strings.Fields(tc.in), today)
			if ok != tc.ok {
				t.Fatalf("ok=%v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if from.String() != tc.from || to.String() != tc.to || why != tc.why {
				t.Fatalf("got %s..%s %q, want %s..%s %q", from, to, why, tc.from, tc.to, tc.why)
			}
		})
	}
}

func TestLeaveCovers(t *testing.T) {
	l := Leave{From: Date{Year: 2026, Month: 11, Day: 20}, To: Date{Year: 2026, Month: 11, Day: 30}}
	for _, tc := range []struct {
		day  Date
		want bool
	}{
		{Date{2026, 11, 19}, false}, {Date{2026, 11, 20}, true}, {Date{2026, 11, 30}, true}, {Date{2026, 12, 1}, false},
	} {
		if got := l.Covers(tc.day); got != tc.want {
			t.Fatalf("Covers(%s)=%v, want %v", tc.day, got, tc.want)
		}
	}
	l.Ended = true
	if l.Covers(Date{2026, 11, 25}) {
		t.Fatal("an ended leave still covers a day")
	}
}

func TestBuildMembers(t *testing.T) {
	branches := map[string]bool{"tech": true, "ops": true}
	rows := []RosterRow{
		{Line: 2, UserID: "lisi", Name: "李四", Branch: "tech", Role: "党员", Status: "正式党员", Joined: "2015-07-01"},
		{Line: 3, UserID: "zhangsan", Name: "张三", Branch: "tech", Role: "书记"},
		{Line: 4, UserID: "boss", Name: "王总", Branch: "", Role: "admin"},
	}
	ms, err := BuildMembers(rows, branches)
	if err != nil {
		t.Fatal(err)
	}
	if ms[1].Role != RoleSecretary || ms[0].Status != StatusFull || ms[2].BranchID != "" || !ms[0].Active {
		t.Fatalf("members %+v", ms)
	}

	bad := []RosterRow{
		{Line: 2, UserID: "lisi", Name: "李四", Branch: "tech", Role: "党员"},
		{Line: 3, UserID: "lisi", Name: "李四", Branch: "tech", Role: "党员"},
		{Line: 4, UserID: "wang wu", Name: "", Branch: "nowhere", Role: "boss", Status: "群众", Joined: "yesterday"},
		{Line: 5, UserID: "zhao", Name: "赵", Branch: "", Role: "member"},
	}
	_, err = BuildMembers(bad, branches)
	ie, ok := err.(*ImportError)
	if !ok {
		t.Fatalf("err=%v, want *ImportError", err)
	}
	want := map[int][]string{
		3: {"already on line 2"},
		4: {"not a WeCom userid", "name is empty", "role \"boss\"", "branch \"nowhere\" does not exist", "status \"群众\"", "joined \"yesterday\""},
		5: {"only admins, or those retired with active 否, may have none"},
	}
	if len(ie.Rows) != len(want) {
		t.Fatalf("%d bad rows, want %d: %v", len(ie.Rows), len(want), ie)
	}
	for _, r := range ie.Rows {
		for _, frag := range want[r.Line] {
			if !strings.Contains(r.Reason, frag) {
				t.Errorf("line %d: %q lacks %q", r.Line, r.Reason, frag)
			}
		}
	}
}

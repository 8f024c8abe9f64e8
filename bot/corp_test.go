package bot

import "testing"

func TestQualify(t *testing.T) {
	tests := []struct {
		corp, written, want string
	}{
		{"", "M1", "m1"},                   // the home corp's own member
		{"partner", "m1", "partner/m1"},    // a bare userid is the writer's corp
		{"", "partner/m1", "partner/m1"},   // another corp named
		{"partner", "home/m1", "m1"},       // the home corp named from another
		{"partner", " Home/LiSi ", "lisi"}, // spelling does not matter
		{"home", "m1", "m1"},
	}
	for _, tt := range tests {
		if got := Qualify(tt.corp, tt.written); got != tt.want {
			t.Errorf("Qualify(%q, %q) = %q, want %q", tt.corp, tt.written, got, tt.want)
		}
	}
}

func TestMemberIDs(t *testing.T) {
	tests := []struct {
		id         string
		valid      bool
		corp, user string
	}{
		{"m1", true, "", "m1"},
		{"partner/m1", true, "partner", "m1"},
		{"home/m1", false, "home", "m1"}, // never stored: the home corp's ids are bare
		{"Partner/m1", false, "Partner", "m1"},
		{"a/b/c", false, "a", "b/c"},
		{"/m1", false, "", "m1"},
	}
	for _, tt := range tests {
		if got := ValidUserID(tt.id); got != tt.valid {
			t.Errorf("ValidUserID(%q) = %v, want %v", tt.id, got, tt.valid)
		}
		if corp, user := SplitMemberID(tt.id); corp != tt.corp || user != tt.user {
			t.Errorf("SplitMemberID(%q) = %q, %q", tt.id, corp, user)
		}
	}
	if got := (Message{MsgID: "7", From: "partner/m1"}).DedupeKey(); got != "msg:partner/7" {
		t.Errorf("a partner message's dedupe key = %q: MsgIds repeat across corps", got)
	}
	if got := (Message{MsgID: "7", From: "m1"}).DedupeKey(); got != "msg:7" {
		t.Errorf("a home message's dedupe key = %q, want the old one", got)
	}
}

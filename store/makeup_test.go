package store_test

import (
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// A retried close adds no second make-up and keeps the first; only the
// first completion stands.
func TestMakeupsAddOnceCompleteOnce(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	m := bot.Meeting{ID: "m1", BranchID: "tech", Type: bot.MeetingLecture, ClosedAt: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)}
	first := []bot.Makeup{{Meeting: m, UserID: "u1", Name: "甲", Status: bot.Absent}, {Meeting: m, UserID: "u2", Status: bot.Excused, Deferred: true}}
	if err := s.AddMakeups(ctx, "tech", first); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMakeups(ctx, "tech", []bot.Makeup{{Meeting: m, UserID: "u1", Name: "改了", Status: bot.Excused}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		user, reflection string
		want             bool
	}{
		{"u1", "收获很大", true},
		{"u1", "第二次", false},
		{"u2", "", true},
	}
	for _, tt := range tests {
		got, err := s.CompleteMakeup(ctx, "tech", "m1", tt.user, bot.MakeupDone{At: at, Reflection: tt.reflection, StudyID: "makeup:m1:" + tt.user, Minutes: 45})
		if err != nil || got != tt.want {
			t.Fatalf("complete %s %q: %v %v, want %v", tt.user, tt.reflection, got, err, tt.want)
		}
	}
	ms, err := s.Makeups(ctx, "tech")
	if err != nil || len(ms) != 2 {
		t.Fatalf("makeups %+v %v", ms, err)
	}
	for _, mk := range ms {
		switch {
		case mk.Done == nil || !mk.Done.At.Equal(at):
			t.Fatalf("not done: %+v", mk)
		case mk.UserID == "u1" && (mk.Name != "甲" || mk.Status != bot.Absent || mk.Done.Reflection != "收获很大"):
			t.Fatalf("u1 %+v %+v", mk, mk.Done)
		case mk.UserID == "u2" && !mk.Deferred:
			t.Fatalf("u2 %+v", mk)
		}
	}
	if other, err := s.Makeups(ctx, "ops"); err != nil || len(other) != 0 {
		t.Fatalf("ops %+v %v", other, err)
	}
}

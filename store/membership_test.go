package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// 待确认 and 待转出 live in a branch's pending set, never its members set:
// every reader of BranchMembers leaves them out without knowing of them.
func TestSaveMembersKeepsPendingApart(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	steps := []struct {
		name                     string
		m                        bot.Member
		techCounted, techPending []string
		opsCounted, opsPending   []string
	}{
		{"found by the sync", bot.Member{UserID: "qz", BranchID: "tech", Status: bot.StatusPending, Active: true}, nil, []string{"qz"}, nil, nil},
		{"confirmed", bot.Member{UserID: "qz", BranchID: "tech", Status: bot.StatusFull, Active: true}, []string{"qz"}, nil, nil, nil},
		{"leaving", bot.Member{UserID: "qz", BranchID: "tech", Status: bot.StatusLeaving, Active: true}, nil, []string{"qz"}, nil, nil},
		{"received in ops", bot.Member{UserID: "qz", BranchID: "ops", Status: bot.StatusFull, Active: true}, nil, nil, []string{"qz"}, nil},
		{"pending in ops", bot.Member{UserID: "qz", BranchID: "ops", Status: bot.StatusPending, Active: true}, nil, nil, nil, []string{"qz"}},
		{"gone", bot.Member{UserID: "qz", BranchID: "ops", Status: bot.StatusPending}, nil, nil, nil, nil},
	}
	ids := func(ms []bot.Member, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.UserID)
		}
		return out
	}
	for _, st := range steps {
		if err := s.SaveMembers(ctx, []bot.Member{st.m}); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := [][]string{ids(s.BranchMembers(ctx, "tech")), ids(s.BranchPending(ctx, "tech")), ids(s.BranchMembers(ctx, "ops")), ids(s.BranchPending(ctx, "ops"))}
		want := [][]string{st.techCounted, st.techPending, st.opsCounted, st.opsPending}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%s: tech %v/%v ops %v/%v, want %v", st.name, got[0], got[1], got[2], got[3], want)
		}
	}
}

func TestTenures(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	day := func(m time.Month, d int) bot.Date { return bot.Date{Year: 2026, Month: m, Day: d} }
	moves := []bot.TenureMove{
		{BranchID: "tech", UserID: "a", Enter: true},                   // since always (an import)
		{BranchID: "tech", UserID: "a", Day: day(11, 10)},              // left
		{BranchID: "tech", UserID: "a", Day: day(11, 12)},              // left again: nothing
		{BranchID: "tech", UserID: "a", Day: day(11, 20), Enter: true}, // back
		{BranchID: "tech", UserID: "a", Day: day(11, 21), Enter: true}, // in already: nothing
		{BranchID: "tech", UserID: "b", Day: day(11, 5)},               // left, before the history knew them
	}
	if err := s.RecordTenures(ctx, moves); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tenures(ctx, "tech")
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.Tenure{
		{UserID: "a", To: day(11, 10)},
		{UserID: "a", From: day(11, 20)},
		{UserID: "b", To: day(11, 5)},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("tenures %+v, want %+v", got, want)
	}
	span := bot.Span{From: day(11, 11), To: day(11, 19)}
	if got[0].Overlaps(span) || got[1].Overlaps(span) || !got[0].Overlaps(bot.Span{From: day(11, 10), To: day(11, 10)}) {
		t.Fatal("Overlaps: a's absence from the 11th to the 19th")
	}
}

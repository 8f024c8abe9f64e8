package store_test

import (
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// 整改 numbers run per branch; a saved item replaces its number; talks are
// kept by the year of their date, in the order recorded.
func TestRectifyNumbersAndTalksByYear(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		branch string
		want   int
	}{{"tech", 1}, {"tech", 2}, {"ops", 1}, {"tech", 3}} {
		it, err := s.AddRectifyItem(ctx, tc.branch, bot.RectifyItem{Kind: bot.KindRectify, Owner: "m1", What: "台账", At: at})
		if err != nil || it.No != tc.want {
			t.Fatalf("%s: #%d %v, want #%d", tc.branch, it.No, err, tc.want)
		}
	}
	if err := s.SaveRectifyItem(ctx, "tech", bot.RectifyItem{No: 2, Kind: bot.KindDecision, Owner: "m2", Done: true, DoneAt: at}); err != nil {
		t.Fatal(err)
	}
	items, err := s.RectifyItems(ctx, "tech")
	if err != nil || len(items) != 3 || items[0].No != 1 || items[2].No != 3 || !items[1].Done || items[1].Owner != "m2" {
		t.Fatalf("items %+v %v", items, err)
	}
	talks := []bot.Talk{
		{A: "sec", B: "m1", Date: bot.Date{Year: 2026, Month: 3, Day: 1}, Notes: "私下"},
		{A: "com", B: "m2", Date: bot.Date{Year: 2026, Month: 11, Day: 20}},
		{A: "sec", B: "m2", Date: bot.Date{Year: 2027, Month: 1, Day: 5}},
	}
	for _, tk := range talks {
		if err := s.AddTalk(ctx, "tech", tk); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Talks(ctx, "tech", 2026)
	if err != nil || len(got) != 2 || got[0].Notes != "私下" || got[1].B != "m2" {
		t.Fatalf("2026 talks %+v %v", got, err)
	}
	if got, _ := s.Talks(ctx, "ops", 2026); len(got) != 0 {
		t.Fatalf("ops talks %+v", got)
	}
}

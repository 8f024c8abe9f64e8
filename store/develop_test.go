package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
)

// A person on the 发展 path has their steps and 思想汇报 in their own data
// (PIPL); erase refuses them while they are on the path, and once they
// have left it blanks the reports' text and pictures and keeps the dates.
func TestPersonalDataOfSomeoneOnThePath(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	const secret = "对党的认识更深了"
	if _, err := s.UpdateApplicant(ctx, "tech", "zhao", func(a *bot.Applicant, exists bool) error {
		*a = bot.Applicant{UserID: "zhao", Name: "赵六", BranchID: "tech", Records: []bot.DevRecord{
			{Step: bot.DevApplied, Date: bot.Date{Year: 2025, Month: 1, Day: 6}, By: "sec", Op: "m1"},
			{Step: bot.DevActivist, Date: bot.Date{Year: 2025, Month: 3, Day: 3}, By: "sec", Op: "m2", With: []string{"m1", "m2"}},
		}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, op := range []string{"r1", "r1", "r2"} { // r1 twice: a WeCom retry stores once
		first, err := s.AddThoughtReport(ctx, bot.ThoughtReport{BranchID: "tech", UserID: "zhao", At: at.Add(time.Duration(i) * time.Hour), Op: op, Text: secret})
		if err != nil || first != (i != 1) {
			t.Fatalf("report %d: first=%v err=%v", i, first, err)
		}
	}
	if _, ok, err := s.AttachToThoughtReport(ctx, "tech", "zhao", bot.Media{Type: "image", ID: "p1"}, at); err != nil || !ok {
		t.Fatalf("attach: %v %v", ok, err)
	}

	d, err := s.PersonalData(ctx, "zhao", at)
	if err != nil {
		t.Fatal(err)
	}
	if d.Development == nil || len(d.Development.Records) != 2 || len(d.ThoughtReports) != 2 || d.ThoughtReports[1].Text != secret || len(d.ThoughtReports[1].Media) != 1 {
		t.Fatalf("personal data %+v", d)
	}
	if _, err := s.EraseMember(ctx, "zhao", "cli:test", at, false); !errors.Is(err, store.ErrActiveMember) {
		t.Fatalf("erase while on the path: %v", err)
	}
	if _, err := s.UpdateApplicant(ctx, "tech", "zhao", func(a *bot.Applicant, _ bool) error {
		a.Records = append(a.Records, bot.DevRecord{Step: bot.DevWithdrawn, Date: bot.Date{Year: 2026, Month: 3, Day: 2}, By: "sec", Op: "m3", Note: "本人申请"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.EraseMember(ctx, "zhao", "cli:test", at, false)
	if err != nil || rep.ThoughtReports != 2 {
		t.Fatalf("erase: %+v %v", rep, err)
	}
	d, err = s.PersonalData(ctx, "zhao", at)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(d)
	if strings.Contains(string(raw), secret) || strings.Contains(string(raw), `"p1"`) || len(d.ThoughtReports) != 2 {
		t.Fatalf("after erase: %s", raw)
	}
	if again, err := s.EraseMember(ctx, "zhao", "cli:test", at, false); err != nil || again.Total() != 0 {
		t.Fatalf("a second erase: %+v %v", again, err)
	}
}

package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// Every …Many read answers for each branch what the one-branch read does:
// the weekly summary reads chunks of branches with them.
func TestManyReadsAgreeWithOneBranchReads(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	mon := bot.Date{Year: 2026, Month: 11, Day: 16}
	at := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	branches := []string{"tech", "ops", "empty"}
	for i, b := range branches[:2] {
		ms := []bot.Member{
			{UserID: b + "1", Name: "甲", BranchID: b, Role: bot.RoleSecretary, Active: true},
			{UserID: "partner/" + b + "2", Name: "乙", BranchID: b, Role: bot.RoleMember, Active: true},
			{UserID: b + "3", Name: "丙", BranchID: b, Role: bot.RoleMember, Status: bot.StatusPending, Active: true},
		}
		if err := s.SaveMembers(ctx, ms); err != nil {
			t.Fatal(err)
		}
		for d := range 3 + i {
			day := mon.AddDays(d - 7)
			if _, _, err := s.CheckIn(ctx, bot.Checkin{BranchID: b, UserID: ms[d%2].UserID, Day: day, At: at.AddDate(0, 0, d-7), Source: day.String()}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.CheckIn(ctx, bot.Checkin{BranchID: b, UserID: ms[1].UserID, Day: mon.AddDays(d), At: at.AddDate(0, 0, d), Source: "w" + day.String()}); err != nil {
				t.Fatal(err)
			}
			r := bot.StudyReport{ID: b + day.String(), BranchID: b, UserID: ms[d%2].UserID, Day: day, Minutes: 30 + d, Content: "党章", Kind: "自学", At: at}
			if _, err := s.RecordStudy(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutLeave(ctx, bot.Leave{ID: "l" + b, BranchID: b, UserID: ms[0].UserID, From: mon, To: mon.AddDays(2), By: ms[0].UserID, At: at}); err != nil {
			t.Fatal(err)
		}
		m := bot.Meeting{ID: "m" + b, BranchID: b, Type: bot.MeetingGroup, Code: "1234", OpenedBy: ms[0].UserID, OpenedAt: at, ExpiresAt: at.Add(time.Hour)}
		if _, _, err := s.OpenMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDuesAmount(ctx, b, ms[1].UserID, 2500); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateApplicant(ctx, b, "app"+b, func(a *bot.Applicant, _ bool) error {
			a.UserID, a.Name, a.BranchID = "app"+b, "申请人", b
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddRectifyItem(ctx, b, bot.RectifyItem{Kind: "整改", Owner: ms[0].UserID, What: "台账", Due: mon, By: ms[0].UserID, At: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddMakeups(ctx, b, []bot.Makeup{{Meeting: m, UserID: ms[1].UserID, Name: "乙", Status: bot.Absent}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecordDues(ctx, b, bot.DuesPayment{UserID: ms[1].UserID, Month: "2026-11", Amount: 2500, At: at, By: ms[1].UserID, Via: "self"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Publish(ctx, bot.Announcement{ID: "d" + b, Scope: b, Title: "通知", Author: ms[0].UserID, SentAt: at, To: []string{ms[1].UserID}}); err != nil {
			t.Fatal(err)
		}
	}
	week, last := bot.Span{From: mon, To: mon.AddDays(6)}, bot.Span{From: mon.AddDays(-7), To: mon.AddDays(-1)}
	from, to := at.Add(-time.Hour), at.Add(24*time.Hour)

	members, err := s.BranchMembersMany(ctx, branches)
	check(t, "BranchMembersMany", err)
	checkins, err := s.CheckinDaysAndCountsMany(ctx, branches, week, last)
	check(t, "CheckinDaysAndCountsMany", err)
	study, err := s.StudyDaySumsMany(ctx, branches, last.From, week.To)
	check(t, "StudyDaySumsMany", err)
	leaves, err := s.LeavesMany(ctx, branches, week.From, week.To)
	check(t, "LeavesMany", err)
	meetings, err := s.MeetingsMany(ctx, branches, from, to)
	check(t, "MeetingsMany", err)
	amounts, err := s.DuesAmountsMany(ctx, branches)
	check(t, "DuesAmountsMany", err)
	applicants, err := s.BranchApplicantsMany(ctx, branches)
	check(t, "BranchApplicantsMany", err)
	rectify, err := s.RectifyItemsMany(ctx, branches)
	check(t, "RectifyItemsMany", err)
	makeups, err := s.MakeupsMany(ctx, branches)
	check(t, "MakeupsMany", err)
	months := []bot.Month{{Year: 2026, Month: 10}, {Year: 2026, Month: 11}}
	paid, err := s.DuesPaidMany(ctx, branches, months)
	check(t, "DuesPaidMany", err)
	recent, err := s.RecentAnnouncementsMany(ctx, branches, from, 100)
	check(t, "RecentAnnouncementsMany", err)

	for _, b := range branches {
		one, err := s.BranchMembers(ctx, b)
		same(t, b, "members", members[b], one, err)
		days, counts, err := s.CheckinDaysAndCounts(ctx, b, week, last)
		same(t, b, "check-in days", checkins[b].Days, days, err)
		same(t, b, "check-in counts", checkins[b].Counts, counts, err)
		sums, first, err := s.StudyDaySums(ctx, b, last.From, week.To)
		same(t, b, "study days", study[b], bot.StudyDays{Days: sums, First: first}, err)
		ls, err := s.Leaves(ctx, b, week.From, week.To)
		same(t, b, "leaves", leaves[b], ls, err)
		mt, err := s.Meetings(ctx, b, from, to)
		same(t, b, "meetings", meetings[b], mt, err)
		am, err := s.DuesAmounts(ctx, b)
		same(t, b, "dues amounts", amounts[b], am, err)
		ap, err := s.BranchApplicants(ctx, b)
		same(t, b, "applicants", applicants[b], ap, err)
		ri, err := s.RectifyItems(ctx, b)
		same(t, b, "rectify items", rectify[b], ri, err)
		mk, err := s.Makeups(ctx, b)
		same(t, b, "makeups", makeups[b], mk, err)
		pd, err := s.DuesPaid(ctx, b, months)
		same(t, b, "dues paid", paid[b], pd, err)
		an, err := s.RecentAnnouncements(ctx, b, from, 100)
		same(t, b, "announcements", recent[b], an, err)
	}
	// Not a vacuous agreement: the seeded records are there.
	if len(members["tech"]) != 2 || len(checkins["ops"].Days) == 0 || study["tech"].First.IsZero() || len(leaves["ops"]) != 1 ||
		len(meetings["tech"]) != 1 || amounts["ops"]["partner/ops2"] != 2500 || len(applicants["tech"]) != 1 || len(rectify["ops"]) != 1 || len(makeups["tech"]) != 1 ||
		len(paid["ops"][months[1]]) != 1 || len(recent["tech"]) != 1 {
		t.Fatalf("seeded records missing: %v %v %v %v %v %v %v %v %v", members, checkins, study, leaves, meetings, amounts, applicants, rectify, makeups)
	}
}

func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// same fails unless many (from a …Many read) equals one (the one-branch
// read); nil and empty are the same.
func same(t *testing.T, branch, what string, many, one any, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s %s: %v", branch, what, err)
	}
	empty := func(v any) bool {
		r := reflect.ValueOf(v)
		k := r.Kind()
		return (k == reflect.Slice || k == reflect.Map) && r.Len() == 0
	}
	if empty(many) && empty(one) {
		return
	}
	if !reflect.DeepEqual(many, one) {
		t.Fatalf("%s %s: many %+v, one %+v", branch, what, many, one)
	}
}

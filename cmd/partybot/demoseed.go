package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
)

// The demo starts three to four weeks into the sample branch's life, so
// that every command shows what it does: check-ins on working days (with
// misses), study reports, a 支委会 and a 党员大会 with attendance and
// minutes, a business trip on leave, dues set and partly paid, and two
// announcements, the newer one acknowledged by half. Everything is written
// through the store's own methods with timestamps before now, and drawn
// from a fixed seed: the same day gives the same history.

// demoSeededKey, under the demo's key prefix, marks a Redis that holds the
// sample history, so a restart on the same -redis adds nothing.
const demoSeededKey = "demo:seeded"

// demoHistoryWeeks is how many whole weeks before this one are filled.
const demoHistoryWeeks = 3

// demoRandomSeed fixes the draw of who missed which day.
const demoRandomSeed = 20240701

// demoHabit is how one sample member uses the bot.
type demoHabit struct {
	userID       string
	checkinRate  float64 // chance of a check-in on a working day
	everyDay     bool    // checks in on rest days too
	doneToday    bool    // has checked in today before the demo starts
	checkinAt    int     // usual minute of the day
	studyPerWeek float64 // study reports in an average week
	studyMinutes []int   // the lengths they usually report
	dues         bot.Cents
	// duesOwed is how many of the latest months (this one first) they
	// have not paid yet.
	duesOwed int
}

// demoHabits follows demoMembers. The secretary never misses a working
// day and has not checked in yet today, so the simulator's first 签到 as
// him shows a long streak; 李明 has not either (the browser test signs
// him in); 赵强 is behind on study and owes two months of dues.
var demoHabits = []demoHabit{
	{userID: "zhangshuji", checkinRate: 1, checkinAt: 8*60 + 10, studyPerWeek: 3, studyMinutes: []int{40, 45, 60}, dues: 8640},
	{userID: "wangfang", checkinRate: 0.9, doneToday: true, checkinAt: 8*60 + 35, studyPerWeek: 2.4, studyMinutes: []int{45, 60, 60}, dues: 5200},
	{userID: "liming", checkinRate: 0.8, checkinAt: 9*60 + 5, studyPerWeek: 2, studyMinutes: []int{30, 40, 45}, dues: 3850, duesOwed: 1},
	{userID: "zhaoqiang", checkinRate: 0.6, checkinAt: 10*60 + 20, studyPerWeek: 1, studyMinutes: []int{30}, dues: 2400, duesOwed: 2},
	{userID: "chenjing", checkinRate: 0.95, everyDay: true, doneToday: true, checkinAt: 7*60 + 50, studyPerWeek: 3, studyMinutes: []int{30, 40, 50}, dues: 1200},
}

// demoStudies are what the sample members report; each kind is the one
// the bot reads from such a text.
var demoStudies = []struct {
	content, reflection string
	kind                bot.StudyKind
}{
	{"党章第二章 党员的义务和权利", "对照义务查找差距", bot.StudySelf},
	{"《中国共产党简史》第五章", "", bot.StudySelf},
	{"学习强国 专题学习：基层治理", "结合本部门工作有启发", bot.StudyTopic},
	{"集体学习 二十届三中全会精神", "", bot.StudyGroup},
	{"党课：弘扬伟大建党精神", "深受教育", bot.StudyLecture},
	{"《习近平谈治国理政》第四卷 选读", "", bot.StudySelf},
}

// demoHistory writes the sample history of branch "demo".
type demoHistory struct {
	st    *store.Store
	loc   *time.Location
	cal   bot.Calendar
	now   time.Time
	today bot.Date
	rng   *rand.Rand
	// What was written, for the log line.
	checkins, studies, meetings, announced int
}

// seedDemoHistory writes the sample history unless this Redis has it
// already (then it returns nil).
func seedDemoHistory(ctx context.Context, st *store.Store, cal bot.Calendar, loc *time.Location, now time.Time) (*demoHistory, error) {
	key := st.Prefix() + demoSeededKey
	first, err := st.Client().SetNX(ctx, key, now.Format(time.RFC3339), 0).Result()
	if err != nil {
		return nil, fmt.Errorf("demo: mark history: %w", err)
	}
	if !first {
		return nil, nil
	}
	h := &demoHistory{st: st, loc: loc, cal: cal, now: now.In(loc), today: bot.DateOf(now, loc),
		rng: rand.New(rand.NewPCG(demoRandomSeed, 0))}
	if err := h.write(ctx); err != nil {
		// Unmarked, the next start writes it again: every write is
		// idempotent (ids, first-one-stands), so nothing doubles.
		_ = st.Client().Del(context.WithoutCancel(ctx), key).Err()
		return nil, fmt.Errorf("demo: sample history: %w", err)
	}
	return h, nil
}

func (h *demoHistory) write(ctx context.Context) error {
	start := monday(h.today).AddDays(-7 * demoHistoryWeeks)
	general, committee := h.workdaysBefore(6), h.workdaysBefore(13)
	if committee.Before(start) { // holidays in the way
		start = committee
	}
	// The bot knew the branch from the history's first day: 进度 and 预警
	// judge from then, not from this start.
	br, found, err := h.st.Branch(ctx, "demo")
	if err != nil {
		return err
	}
	if !found {
		return errors.New("branch demo is not in the roster")
	}
	br.Since = start
	if err := h.st.SaveBranches(ctx, []bot.Branch{br}); err != nil {
		return err
	}
	if err := h.applicant(ctx); err != nil {
		return err
	}
	trip := bot.Leave{ID: "demo-seed:leave:zhaoqiang", BranchID: "demo", UserID: "zhaoqiang",
		From: general.AddDays(-1), To: general.AddDays(1), Reason: "出差（外地项目验收）", By: "zhaoqiang",
		At: h.at(general.AddDays(-3), 17*60+40)}
	if err := h.st.PutLeave(ctx, trip); err != nil {
		return err
	}
	for d := start; !h.today.Before(d); d = d.AddDays(1) {
		if err := h.day(ctx, d, trip); err != nil {
			return err
		}
	}
	if err := h.holdMeetings(ctx, committee, general); err != nil {
		return err
	}
	if err := h.dues(ctx); err != nil {
		return err
	}
	return h.announcements(ctx)
}

// day writes one day's check-ins and study reports.
func (h *demoHistory) day(ctx context.Context, d bot.Date, trip bot.Leave) error {
	workday := h.cal.IsWorkday(d)
	for _, m := range demoHabits {
		// Draw for every member every day, so one member's rule does not
		// shift another's misses.
		show, jitter := h.rng.Float64(), h.rng.IntN(25)-12
		switch {
		case d == h.today && !m.doneToday,
			!workday && !m.everyDay,
			trip.UserID == m.userID && trip.Covers(d),
			d != h.today && show >= m.checkinRate:
			continue
		}
		at := h.at(d, m.checkinAt+jitter)
		if d == h.today {
			at = h.past(at)
		}
		_, created, err := h.st.CheckIn(ctx, bot.Checkin{BranchID: "demo", UserID: m.userID, Day: d, At: at,
			Source: "demo-seed:checkin:" + m.userID + ":" + d.String()})
		if err != nil {
			return err
		}
		if created {
			h.checkins++
		}
	}
	for _, m := range demoHabits {
		studied, pick, minutes, evening := h.rng.Float64(), h.rng.IntN(len(demoStudies)), m.studyMinutes[h.rng.IntN(len(m.studyMinutes))], h.rng.IntN(150)
		at := h.at(d, 19*60+30+evening)
		if !workday || studied >= m.studyPerWeek/5 || (trip.UserID == m.userID && trip.Covers(d)) || !at.Before(h.now) {
			continue
		}
		s := demoStudies[pick]
		created, err := h.st.RecordStudy(ctx, bot.StudyReport{
			ID: "demo-seed:study:" + m.userID + ":" + d.String(), BranchID: "demo", UserID: m.userID,
			Day: d, Minutes: minutes, Content: s.content, Kind: s.kind, Reflection: s.reflection, At: at,
		})
		if err != nil {
			return err
		}
		if created {
			h.studies++
		}
	}
	return nil
}

// holdMeetings holds a 支委会 and, with 赵强 away on his trip, a 党员大会;
// both closed, with minutes. Their records are read from the attendance
// by the bot's own rules, as for any meeting closed without a snapshot.
func (h *demoHistory) holdMeetings(ctx context.Context, committee, general bot.Date) error {
	type arrival struct {
		userID, via string
		after       time.Duration
	}
	for _, mt := range []struct {
		typ          bot.MeetingType
		title, code  string
		day          bot.Date
		open, length int // minute of the day, minutes
		arrivals     []arrival
		minutes      bot.Minutes
	}{
		{bot.MeetingCommittee, "研究季度工作安排", "5260", committee, 9 * 60, 50,
			[]arrival{{"wangfang", "card", time.Minute}},
			bot.Minutes{By: "zhangshuji", Place: "二楼小会议室", Host: "张书记", Recorder: "王芳",
				Topics: "季度工作安排；党员大会议程", Content: "确定下次党员大会学习党章并安排志愿服务。"}},
		{bot.MeetingGeneral, "学习党章", "3827", general, 14*60 + 30, 95,
			[]arrival{{"chenjing", "code", time.Minute}, {"wangfang", "code", 2 * time.Minute}, {"liming", "card", 6 * time.Minute}},
			bot.Minutes{By: "wangfang", Place: "三楼会议室", Host: "张书记", Recorder: "王芳",
				Topics:  "学习党章总纲；讨论社区志愿服务安排",
				Content: "张书记领学党章总纲，陈静、李明谈了学习体会。\n决定本月组织一次社区志愿服务，王芳负责报名。"}},
	} {
		opened := h.at(mt.day, mt.open)
		m := bot.Meeting{
			ID: opened.UTC().Format("20060102150405") + "-5eed00", BranchID: "demo", Type: mt.typ, Title: mt.title,
			Code: mt.code, OpenedBy: "zhangshuji", OpenedAt: opened, ExpiresAt: opened.Add(bot.DefaultSignInWindow),
		}
		current, ok, err := h.st.OpenMeeting(ctx, m)
		if err != nil {
			return err
		}
		if !ok && current.ID != m.ID {
			return fmt.Errorf("branch demo has a meeting open (%s): close it, or start the demo with -empty", current.Label())
		}
		// The chair is present without signing in, as the bot records it.
		att := []bot.Attendance{{UserID: "zhangshuji", Status: bot.Present, At: opened, Via: "chair"}}
		for _, a := range mt.arrivals {
			att = append(att, bot.Attendance{UserID: a.userID, Status: bot.Present, At: opened.Add(a.after), Via: a.via})
		}
		for _, a := range att {
			if _, _, err := h.st.RecordAttendance(ctx, "demo", m.ID, a); err != nil {
				return err
			}
		}
		m.ClosedBy, m.ClosedAt = "zhangshuji", opened.Add(time.Duration(mt.length)*time.Minute)
		m.CloseKey = "demo-seed:close:" + m.ID
		if _, err := h.st.CloseMeeting(ctx, m); err != nil {
			return err
		}
		mins := mt.minutes
		mins.ID, mins.At = "demo-seed:minutes:"+m.ID, m.ClosedAt.Add(15*time.Minute)
		if _, err := h.st.AddMinutes(ctx, "demo", m.ID, mins); err != nil {
			return err
		}
		h.meetings++
	}
	return nil
}

// dues sets everyone's amount and records the last seven months paid on
// each month's collection day, except what a member still owes.
func (h *demoHistory) dues(ctx context.Context) error {
	this := bot.MonthOf(h.today)
	joined := map[string]bot.Month{}
	for _, m := range demoMembers {
		joined[m.UserID] = bot.MonthOf(m.Joined)
	}
	for i, m := range demoHabits {
		if err := h.st.SetDuesAmount(ctx, "demo", m.userID, m.dues); err != nil {
			return err
		}
		for back := 6; back >= m.duesOwed; back-- {
			month := this.Add(-back)
			if month.Before(joined[m.userID]) {
				continue
			}
			day := month.First().AddDays(bot.DefaultDuesDay - 1 - i%3) // some pay early
			at := h.at(day, 9*60+17*i)
			if back == 0 {
				at = h.past(at)
			}
			via := "self"
			if i%2 == 1 {
				via = "card"
			}
			p := bot.DuesPayment{UserID: m.userID, Month: month.String(), Amount: m.dues, At: at, By: m.userID, Via: via}
			if _, _, err := h.st.RecordDues(ctx, "demo", p); err != nil {
				return err
			}
		}
	}
	return nil
}

// announcements publishes an older notice everyone acknowledged and, the
// last working day, one that half have.
func (h *demoHistory) announcements(ctx context.Context) error {
	var to []string
	for _, m := range demoHabits {
		if m.userID != "zhangshuji" {
			to = append(to, m.userID)
		}
	}
	slices.Sort(to)
	for i, a := range []struct {
		day         bot.Date
		clock       int
		title, body string
		acks        []string
	}{
		{h.workdaysBefore(11), 10 * 60, "关于开展“学党章、守党规”专题学习的通知",
			"请大家本月内通读党章，每周至少登记两次学习，每次不少于 30 分钟。", []string{"chenjing", "wangfang", "liming", "zhaoqiang"}},
		{h.workdaysBefore(1), 16*60 + 30, "请提交本月学习心得",
			"每人一篇，500 字左右。\n发给王芳汇总，月底前交。", []string{"wangfang", "chenjing"}},
	} {
		sent := h.at(a.day, a.clock)
		pub, err := h.st.Publish(ctx, bot.Announcement{ID: fmt.Sprintf("demo-seed:ann:%d", i+1), Scope: "demo",
			Title: a.title, Body: a.body, Author: "zhangshuji", SentAt: sent, To: to})
		if err != nil {
			return err
		}
		h.announced++
		for j, userID := range a.acks {
			at := sent.Add(time.Duration(7+j*j*23) * time.Minute)
			if _, err := h.st.Acknowledge(ctx, "demo", pub.No, userID, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// at is minute-of-day clock on day d in the demo's time zone.
func (h *demoHistory) at(d bot.Date, clock int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, clock/60, clock%60, 0, 0, h.loc)
}

// past moves a time of today that has not come yet to just before now.
func (h *demoHistory) past(t time.Time) time.Time {
	if t.Before(h.now) {
		return t
	}
	midnight := h.at(h.today, 0)
	if t = h.now.Add(-2 * time.Minute); t.Before(midnight) {
		return midnight
	}
	return t
}

// workdaysBefore is the n-th working day before today.
func (h *demoHistory) workdaysBefore(n int) bot.Date {
	d := h.today
	for n > 0 {
		d = d.AddDays(-1)
		if h.cal.IsWorkday(d) {
			n--
		}
	}
	return d
}

// monday is the first day of d's week.
func monday(d bot.Date) bot.Date {
	return d.AddDays(-((int(d.Weekday()) + 6) % 7))
}

// demoApplicant is on the 发展党员 path: an 入党积极分子 for over a year with
// two 考察, so 发展 进度 shows the next step (发展对象) and the simulator
// can speak as someone who is not a member yet (入党进度, 思想汇报).
const demoApplicant = "liuyang"

// applicant records 刘洋's steps, dated back from today.
func (h *demoHistory) applicant(ctx context.Context) error {
	month := func(n int) bot.Date { // the same day n months ago (a day the month lacks: its last)
		m := bot.MonthOf(h.today).Add(-n)
		return bot.Date{Year: m.Year, Month: m.Month, Day: min(h.today.Day, m.Last().Day)}
	}
	steps := []bot.DevRecord{
		{Step: bot.DevApplied, Date: month(16)},
		{Step: bot.DevTalked, Date: month(16).AddDays(12), With: []string{"zhangshuji"}},
		{Step: bot.DevActivist, Date: month(14), With: []string{"wangfang", "liming"}},
		{Step: bot.DevReviewed, Date: month(8), Note: "学习认真，积极参加志愿服务"},
		{Step: bot.DevReviewed, Date: month(2), Note: "思想汇报按时，群众评价好"},
	}
	_, err := h.st.UpdateApplicant(ctx, "demo", demoApplicant, func(a *bot.Applicant, exists bool) error {
		if exists {
			return nil
		}
		*a = bot.Applicant{UserID: demoApplicant, Name: "刘洋", BranchID: "demo"}
		for i, r := range steps {
			r.By, r.At, r.Op = "zhangshuji", h.at(r.Date, 10*60), fmt.Sprintf("demo-seed:dev:%d", i)
			a.Records = append(a.Records, r)
		}
		return nil
	})
	return err
}

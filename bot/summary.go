package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// leaders are the userids who run a branch: its secretaries and committee.
func leaders(members []MemberStats) []string {
	var out []string
	for _, s := range members {
		if s.Member.Role.Leads() {
			out = append(out, s.Member.UserID)
		}
	}
	return out
}

// BranchSummary is one branch's week.
type BranchSummary struct {
	Branch        Branch
	Headcount     int // active members
	Members       []MemberStats
	Expected      int // member working days, less leave
	Checkins      int // check-ins on those days
	StudyMinutes  int
	StudyReports  int
	OnTarget      int
	Behind        []string // "name（差…）"
	MeetingsHeld  map[MeetingType]int
	Duties        int      // obligations in their current period (the 成绩单's 应开)
	Pending       []string // meeting types due this period and not yet held
	Overdue       []string // meeting types none of which was held last period
	DailyCheckins [7]int   // Monday to Sunday
	Unreached     []string // names WeCom did not deliver to this week
	Birthdays     []string // 政治生日 in the coming week
	Pipeline      string   // 发展党员 in one line (the weekly report only)
	Rectify       string   // overdue 整改/议定 items in one line (the weekly report only)
	// The weekly chart's other series, Monday first; nil when not read (本周,
	// the ledger) or not known: see WeekBars.
	DailyStudyMinutes, LastDailyCheckins, LastDailyStudyMinutes []int
	ProbationsDue                                               []string // 预备党员 past their 预备期 with no 党员大会 since
	DuesArrears                                                 int      // members owing the last two complete months' dues
	// HoursBehind names members below the year's 学时 pace and
	// MakeupPending the 补学 not done (the leaders' report only).
	HoursBehind, MakeupPending []string

	// reads are what the weekly report read that its 成绩单 row counts too.
	reads scoreReads
}

// Owed counts the duties a branch owes: meeting types overdue, 转正 not
// discussed after the 预备期, members in dues arrears. The org digest
// ranks by it: duties, never check-in rates (the 2024 rules on 形式主义
// reject rankings of 打卡).
func (s BranchSummary) Owed() int {
	return len(s.Overdue) + len(s.ProbationsDue) + s.DuesArrears
}

// Rate is the check-in rate in percent (100 when nothing was expected).
func (s BranchSummary) Rate() int {
	if s.Expected == 0 {
		return 100
	}
	return s.Checkins * 100 / s.Expected
}

// summarize computes a branch's week up to fire from its chunk's records,
// with last week's days for the chart.
func (b *Bot) summarize(ctx context.Context, br Branch, fire time.Time, r *weekReads) (BranchSummary, error) {
	today := DateOf(fire, b.Location)
	span := Span{weekStart(today), today}
	stats, trend, err := b.weekStats(ctx, br.ID, span, r.members[br.ID], r.checkins[br.ID], r.study[br.ID])
	if err != nil {
		return BranchSummary{}, err
	}
	in := summaryInputs{leaves: r.leaves[br.ID], meetings: r.meetings[br.ID], missed: r.missed, amounts: r.amounts[br.ID]}
	s, err := b.summarizeWith(ctx, br, true, span, fire, stats, in)
	if err != nil {
		return BranchSummary{}, err
	}
	s.LastDailyCheckins, s.DailyStudyMinutes, s.LastDailyStudyMinutes = trend.lastCheckins, trend.study, trend.lastStudy
	s.Pipeline = b.pipelineLine(r.applicants[br.ID], today)
	s.reads.applicants, s.reads.applicantsRead = r.applicants[br.ID], true
	s.Rectify = rectifyLine(r.rectify[br.ID], today)
	if err := b.learningLines(ctx, &s, fire, r.makeups[br.ID]); err != nil {
		return BranchSummary{}, err
	}
	return s, nil
}

// weekTrend is the weekly chart's series besides this week's check-ins,
// Monday first; nil when not known (see WeekBars).
type weekTrend struct {
	lastCheckins, study, lastStudy []int
}

// weekReads are the records the weekly summary reads of a chunk of
// branches, each kind for the whole chunk in one round trip (a dozen for
// the chunk, where reading branch by branch took a dozen per branch).
type weekReads struct {
	members    map[string][]Member
	checkins   map[string]CheckinWeek // this week's days by member, last week's counts by day
	study      map[string]StudyDays   // both weeks' day sums
	leaves     map[string][]Leave
	meetings   map[string][]Meeting // summaryMeetingsRange
	missed     map[string]bool      // nil without a delivery log
	amounts    map[string]map[string]Cents
	applicants map[string][]Applicant
	rectify    map[string][]RectifyItem
	makeups    map[string][]Makeup
	// With a 成绩单 span: its months' dues paid, the announcements since
	// its start.
	paid   map[string]map[Month]map[string]DuesPayment
	recent map[string][]Announcement
}

// readWeeks reads a chunk of branches' weeks up to fire, and what their
// 成绩单 rows over score count when that is given.
func (b *Bot) readWeeks(ctx context.Context, branches []Branch, fire time.Time, score *Span) (*weekReads, error) {
	today := DateOf(fire, b.Location)
	span := Span{weekStart(today), today}
	lastWeek := Span{span.From.AddDays(-7), span.From.AddDays(-1)}
	ids := make([]string, len(branches))
	for i, br := range branches {
		ids[i] = br.ID
	}
	var r weekReads
	var err error
	if r.members, err = b.Roster.BranchMembersMany(ctx, ids); err != nil {
		return nil, fmt.Errorf("bot: list branches: %w", err)
	}
	if r.checkins, err = b.Checkins.CheckinDaysAndCountsMany(ctx, ids, span, lastWeek); err != nil {
		return nil, fmt.Errorf("bot: check-ins: %w", err)
	}
	if r.study, err = b.Studies.StudyDaySumsMany(ctx, ids, lastWeek.From, span.To); err != nil {
		return nil, fmt.Errorf("bot: study days: %w", err)
	}
	if r.leaves, err = b.Leaves.LeavesMany(ctx, ids, span.From, span.To); err != nil {
		return nil, fmt.Errorf("bot: read leaves: %w", err)
	}
	from, to := b.summaryMeetingsRange(span, fire)
	if r.meetings, err = b.Meetings.MeetingsMany(ctx, ids, from, to); err != nil {
		return nil, fmt.Errorf("bot: list meetings: %w", err)
	}
	if b.Deliveries != nil {
		var all []string
		for _, id := range ids {
			for _, m := range r.members[id] {
				all = append(all, m.UserID)
			}
		}
		r.missed = map[string]bool{}
		if len(all) > 0 {
			if r.missed, err = b.undeliveredSet(ctx, all, span.Start(b.Location)); err != nil {
				return nil, err
			}
		}
	}
	if r.amounts, err = b.Dues.DuesAmountsMany(ctx, ids); err != nil {
		return nil, fmt.Errorf("bot: dues amounts: %w", err)
	}
	if r.applicants, err = b.Development.BranchApplicantsMany(ctx, ids); err != nil {
		return nil, fmt.Errorf("bot: list applicants: %w", err)
	}
	if r.rectify, err = b.Rectify.RectifyItemsMany(ctx, ids); err != nil {
		return nil, fmt.Errorf("bot: rectify items: %w", err)
	}
	if r.makeups, err = b.Makeups.MakeupsMany(ctx, ids); err != nil {
		return nil, fmt.Errorf("bot: read makeups: %w", err)
	}
	if score != nil {
		if r.paid, err = b.Dues.DuesPaidMany(ctx, ids, b.scoreMonths(*score, fire)); err != nil {
			return nil, fmt.Errorf("bot: dues paid: %w", err)
		}
		if r.recent, err = b.Announcements.RecentAnnouncementsMany(ctx, ids, score.Start(b.Location), scoreAnnouncementsLimit); err != nil {
			return nil, fmt.Errorf("bot: announcements: %w", err)
		}
	}
	return &r, nil
}

// weekStats tallies a branch's members over the week so far from its
// check-ins and study day sums, and the chart's other series. Only in the
// week after the sums began are this week's reports read instead.
func (b *Bot) weekStats(ctx context.Context, branchID string, span Span, members []Member, cw CheckinWeek, study StudyDays) ([]MemberStats, weekTrend, error) {
	trend := weekTrend{lastCheckins: cw.Counts}
	lastWeek := Span{span.From.AddDays(-7), span.From.AddDays(-1)}
	var sums map[string]StudySum
	var reports map[string][]StudyReport
	first := study.First
	sumsOK := !first.IsZero() && !span.From.Before(first)
	switch {
	case sumsOK:
		thisWeek := study.Days[span.From.Number()-lastWeek.From.Number():]
		sums, trend.study = AddStudySums(thisWeek), weekOf(StudyDayTotals(thisWeek))
		if !lastWeek.From.Before(first) {
			trend.lastStudy = StudyDayTotals(study.Days[:7])
		}
	default: // the sums begin after Monday: count this week's reports
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = m.UserID
		}
		var err error
		if reports, err = b.Studies.StudyReportsBrief(ctx, branchID, ids, span.From, span.To); err != nil {
			return nil, trend, fmt.Errorf("bot: study reports of %s: %w", branchID, err)
		}
		daily := make([]int, 7)
		for _, rs := range reports {
			for _, r := range rs {
				if i := r.Day.Number() - span.From.Number(); !r.Withdrawn && i >= 0 && i < 7 && !span.To.Before(r.Day) {
					daily[i] += r.Minutes
				}
			}
		}
		trend.study = daily
	}
	return countSpan(members, span, cw.Days, reports, sums, sumsOK), trend, nil
}

// weekOf pads the days of a week so far to seven.
func weekOf(days []int) []int {
	out := make([]int, 7)
	copy(out, days)
	return out
}

// summarizeSpan computes a branch's numbers over a span, with obligations as
// they stand at now. The weekly summary, 本周 and the ledger all use it.
func (b *Bot) summarizeSpan(ctx context.Context, br Branch, span Span, now time.Time) (BranchSummary, error) {
	d, err := b.readSpan(ctx, br.ID, span, false)
	if err != nil {
		return BranchSummary{}, err
	}
	return b.summarizeData(ctx, br, false, span, now, d.stats)
}

// summarizeData computes the summary from a span's members' tallies. stored
// says br was read from the roster just now (the weekly summary's), so the
// obligations need not read it again.
func (b *Bot) summarizeData(ctx context.Context, br Branch, stored bool, span Span, now time.Time, stats []MemberStats) (BranchSummary, error) {
	in := summaryInputs{}
	var err error
	if in.leaves, err = b.Leaves.Leaves(ctx, br.ID, span.From, span.To); err != nil {
		return BranchSummary{}, fmt.Errorf("bot: read leaves: %w", err)
	}
	from, to := b.summaryMeetingsRange(span, now)
	if in.meetings, err = b.Meetings.Meetings(ctx, br.ID, from, to); err != nil {
		return BranchSummary{}, fmt.Errorf("bot: list meetings: %w", err)
	}
	if b.Deliveries != nil && len(stats) > 0 {
		ids := make([]string, len(stats))
		for i, m := range stats {
			ids[i] = m.Member.UserID
		}
		if in.missed, err = b.undeliveredSet(ctx, ids, span.Start(b.Location)); err != nil {
			return BranchSummary{}, err
		}
	}
	if in.amounts, err = b.Dues.DuesAmounts(ctx, br.ID); err != nil {
		return BranchSummary{}, fmt.Errorf("bot: dues amounts: %w", err)
	}
	return b.summarizeWith(ctx, br, stored, span, now, stats, in)
}

// summaryInputs are a branch's records that a summary reads besides its
// members' tallies: read by summarizeData for one branch, or for a chunk of
// branches at once by the weekly summary.
type summaryInputs struct {
	leaves   []Leave         // overlapping the span
	meetings []Meeting       // opened in summaryMeetingsRange
	missed   map[string]bool // userids WeCom did not reach since the span's start; nil: not known
	amounts  map[string]Cents
}

// summaryMeetingsRange is the meetings a summary reads, once: the span's and
// the obligations' (from a year before this year's start up to now).
func (b *Bot) summaryMeetingsRange(span Span, now time.Time) (from, to time.Time) {
	return minTime(span.Start(b.Location), standingSince(now.In(b.Location))), maxTime(span.End(b.Location), now.Add(time.Second))
}

// undeliveredSet is the members among ids WeCom did not reach since since.
func (b *Bot) undeliveredSet(ctx context.Context, ids []string, since time.Time) (map[string]bool, error) {
	missed, err := b.Deliveries.Undelivered(ctx, ids, since)
	if err != nil {
		return nil, fmt.Errorf("bot: read undelivered: %w", err)
	}
	out := make(map[string]bool, len(missed))
	for _, id := range missed {
		out[id] = true
	}
	return out, nil
}

// summarizeWith is summarizeData with the branch's records read.
func (b *Bot) summarizeWith(ctx context.Context, br Branch, stored bool, span Span, now time.Time, stats []MemberStats, in summaryInputs) (BranchSummary, error) {
	week, today := span.From, span.To
	leaves := in.leaves
	var err error
	s := BranchSummary{Branch: br, Headcount: len(stats), Members: stats, MeetingsHeld: map[MeetingType]int{}}
	// The span's days and which are workdays, once for the branch, not
	// once per member.
	first := week.Number()
	n := max(int(today.Number()-first+1), 0)
	days, workday, checked := make([]Date, n), make([]bool, n), make([]bool, n)
	for i := range n {
		days[i] = week.AddDays(i)
		workday[i] = b.Calendar.IsWorkday(days[i])
	}
	leavesOf := map[string][]Leave{}
	for _, l := range leaves {
		leavesOf[l.UserID] = append(leavesOf[l.UserID], l)
	}
	for _, m := range stats {
		clear(checked)
		for _, d := range m.checkinDays {
			i := d.Number() - first
			if i >= 0 && i < int64(n) {
				checked[i] = true
			}
			if i >= 0 && i < int64(len(s.DailyCheckins)) {
				s.DailyCheckins[i]++
			}
		}
		own := leavesOf[m.Member.UserID]
		for i := range n {
			if workday[i] && !slices.ContainsFunc(own, func(l Leave) bool { return l.Covers(days[i]) }) {
				s.Expected++
				if checked[i] {
					s.Checkins++
				}
			}
		}
		s.StudyMinutes += m.Week.StudyMinutes
		s.StudyReports += m.Week.StudyReports
		if why := m.Behind(b.Targets); why != "" {
			s.Behind = append(s.Behind, m.Member.DisplayName()+"（"+why+"）")
		} else {
			s.OnTarget++
		}
	}
	from := time.Date(week.Year, week.Month, week.Day, 0, 0, 0, 0, b.Location)
	until := time.Date(today.Year, today.Month, today.Day+1, 0, 0, 0, 0, b.Location)
	if now.Add(time.Second).Before(until) {
		until = now.Add(time.Second)
	}
	earliest, latest := standingSince(now.In(b.Location)), now.Add(time.Second)
	meetings := slices.Clone(in.meetings)
	for _, m := range meetings {
		if at := m.OpenedAt.Unix(); !m.ClosedAt.IsZero() && at >= from.Unix() && at < until.Unix() {
			s.MeetingsHeld[m.Type]++
		}
	}
	members := make([]Member, len(stats))
	for i, m := range stats {
		members[i] = m.Member
	}
	if !stored {
		var found bool
		if br, found, err = b.Roster.Branch(ctx, br.ID); err != nil {
			return BranchSummary{}, fmt.Errorf("bot: read branch: %w", err)
		} else if !found {
			br = Branch{ID: s.Branch.ID}
		}
	}
	year := slices.DeleteFunc(meetings, func(m Meeting) bool {
		at := m.OpenedAt.Unix()
		return at < earliest.Unix() || at >= latest.Unix()
	})
	obs, _, err := b.standingWith(ctx, br, members, now, year)
	if err != nil {
		return BranchSummary{}, err
	}
	s.Duties = len(obs)
	for _, o := range obs {
		if o.Done == 0 {
			s.Pending = append(s.Pending, o.Label())
		}
		if o.MissedLast {
			s.Overdue = append(s.Overdue, o.Label())
		}
	}
	for _, m := range stats {
		if in.missed[m.Member.UserID] {
			s.Unreached = append(s.Unreached, m.Member.DisplayName())
		}
	}
	if err := b.owedByMembers(ctx, &s, DateOf(now, b.Location), in.amounts); err != nil {
		return BranchSummary{}, err
	}
	if b.PoliticalBirthday {
		s.Birthdays = birthdaysWithin(stats, DateOf(now, b.Location).AddDays(1))
	}
	return s, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// owedByMembers fills in the 转正 due and the dues arrears as they stand
// on today.
func (b *Bot) owedByMembers(ctx context.Context, s *BranchSummary, today Date, amounts map[string]Cents) error {
	br := s.Branch
	for _, ms := range s.Members {
		m := ms.Member
		if m.Status != StatusProbationary || m.Joined.IsZero() || today.Before(probationEnd(m)) {
			continue
		}
		held, err := b.generalMeetingSince(ctx, br.ID, probationEnd(m), today)
		if err != nil {
			return err
		}
		if !held {
			s.ProbationsDue = append(s.ProbationsDue, m.DisplayName())
		}
	}
	// A branch that has set no amounts keeps its dues outside the bot:
	// it is not counted as owing them.
	s.reads.amounts, s.reads.amountsRead = amounts, true
	if len(amounts) == 0 {
		return nil
	}
	this := MonthOf(today)
	months := []Month{this.Add(-2), this.Add(-1)}
	paid, err := b.Dues.DuesPaid(ctx, br.ID, months)
	if err != nil {
		return fmt.Errorf("bot: dues paid: %w", err)
	}
	for _, ms := range s.Members {
		m := ms.Member
		owes := true
		for _, mo := range months {
			_, ok := paid[mo][m.UserID]
			// Nothing is owed from before the bot knew the branch or the member joined.
			early := (!br.Since.IsZero() && mo.Before(MonthOf(br.Since))) || (!m.Joined.IsZero() && mo.Before(MonthOf(m.Joined)))
			owes = owes && !ok && !early
		}
		if owes {
			s.DuesArrears++
		}
	}
	return nil
}

// MeetingsText lists the meetings held, by type.
func (s BranchSummary) MeetingsText() string {
	var held []string
	for _, t := range MeetingTypes {
		if n := s.MeetingsHeld[t]; n > 0 {
			held = append(held, fmt.Sprintf("%s %d 次", t, n))
		}
	}
	if len(held) == 0 {
		return "无"
	}
	return strings.Join(held, "、")
}

// markdown is the secretaries' weekly report (WeCom markdown), in as many
// messages as WeCom's 2048 bytes need: every name is listed.
func (s BranchSummary) markdown(week Date) []string {
	lines := []string{
		fmt.Sprintf("**%s 周报（%s）**", s.Branch.Name, fmtWeek(week)),
		fmt.Sprintf("> 签到率：<font color=\"%s\">%d%%</font>（%d/%d 人·工作日，已扣除请假）", rateColour(s.Rate()), s.Rate(), s.Checkins, s.Expected),
		fmt.Sprintf("> 学习：%d 分钟，%d 次；达标 %d/%d 人", s.StudyMinutes, s.StudyReports, s.OnTarget, len(s.Members)),
		fmt.Sprintf("> 本周会议：%s", s.MeetingsText()),
	}
	if len(s.Pending) > 0 {
		lines = append(lines, fmt.Sprintf("> 本期应开未开：<font color=\"warning\">%s</font>", strings.Join(s.Pending, "、")))
	}
	if s.Pipeline != "" {
		lines = append(lines, "> "+s.Pipeline)
	}
	if s.Rectify != "" {
		lines = append(lines, "> <font color=\"warning\">"+s.Rectify+"</font>")
	}
	if len(s.ProbationsDue) > 0 {
		lines = append(lines, listLines("> <font color=\"warning\">预备期已满、待党员大会讨论转正：</font>", s.ProbationsDue)...)
	}
	if s.DuesArrears > 0 {
		lines = append(lines, fmt.Sprintf("> 欠缴党费 2 个月以上：%d 人（发“预警”看名单）", s.DuesArrears))
	}
	if len(s.Unreached) > 0 {
		lines = append(lines, listLines(fmt.Sprintf("> %d 人未收到，可能已离职或未激活：", len(s.Unreached)), s.Unreached)...)
	}
	if len(s.Birthdays) > 0 {
		lines = append(lines, listLines("> 未来一周政治生日：", s.Birthdays)...)
	}
	if len(s.MakeupPending) > 0 {
		lines = append(lines, listLines(fmt.Sprintf("> 待补学（%d 项）：", len(s.MakeupPending)), s.MakeupPending)...)
	}
	if len(s.HoursBehind) > 0 {
		lines = append(lines, listLines("> 本年学时低于进度（已学/应达）：", s.HoursBehind)...)
	}
	if len(s.Behind) > 0 {
		lines = append(lines, listLines(fmt.Sprintf("学习未达标（%d 人）：", len(s.Behind)), s.Behind)...)
	}
	return SplitText(strings.Join(lines, "\n"), MaxMessageBytes)
}

// goodRate is the check-in rate (percent) from which the report shows it
// in green; below it, orange: a 0% in green read as praise.
const goodRate = 80

// rateColour is the WeCom markdown colour of a check-in rate.
func rateColour(rate int) string {
	if rate >= goodRate {
		return "info"
	}
	return "warning"
}

// listLines writes a label and names joined by 、, wrapped into lines short
// enough that a message split between lines never cuts a name.
func listLines(label string, names []string) []string {
	const width = 600 // bytes: about 200 characters, a few lines on a phone
	var out []string
	var cur strings.Builder
	cur.Grow(width + 64)
	cur.WriteString(label)
	for i, n := range names {
		sep := "、"
		if i == 0 {
			sep = ""
		}
		if cur.Len()+len(sep)+len(n) > width && cur.String() != label {
			cur.WriteString("、")
			out, sep = append(out, cur.String()), ""
			cur.Reset()
			cur.Grow(width + 64)
		}
		cur.WriteString(sep)
		cur.WriteString(n)
	}
	return append(out, cur.String())
}

// chatText is the short version for the branch group chat: totals only,
// never names (no public ranking or shaming).
func (s BranchSummary) chatText(week Date) string {
	return fmt.Sprintf("%s 本周（%s）签到率 %d%%，共学习 %d 分钟、%d 次，召开会议：%s。辛苦大家！",
		s.Branch.Name, fmtWeek(week), s.Rate(), s.StudyMinutes, s.StudyReports, s.MeetingsText())
}

// weeklySummary sends each branch's report and chart to its secretaries and
// committee, a short version to its group chat, and the org view to admins.
func (b *Bot) weeklySummary(ctx context.Context, fire time.Time) ([]Outbound, error) {
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return nil, err
	}
	week := weekStart(DateOf(fire, b.Location))
	admins, err := b.admins(ctx)
	if err != nil {
		return nil, err
	}
	// The admins' digest carries this month's 成绩单 so far, counted from
	// what the branches' reports read, plus a few reads a branch.
	month, _, _ := ScorecardSpan(nil, DateOf(fire, b.Location))
	var scoreSpan *Span
	if len(admins) > 0 {
		scoreSpan = &month
	}
	parts, err := b.summarizeAll(ctx, branches, fire, week, scoreSpan)
	if err != nil {
		return nil, err
	}
	var out []Outbound
	summaries := make([]BranchSummary, len(parts))
	scores := make([]BranchScore, len(parts))
	for i, p := range parts {
		out = append(out, p.outs...)
		summaries[i], scores[i] = p.summary, p.score
	}
	if len(admins) > 0 {
		sc, err := b.assembleScorecard(ctx, month, fire, scores)
		if err != nil {
			return nil, err
		}
		sc.Label = "本月"
		// Two messages, however large the org: the digest, and every
		// branch's row in a workbook built when it is delivered.
		span := Span{week, DateOf(fire, b.Location)}
		for i, n := range orgDigest(summaries, span, admins, sc.digestLines(digestCompanies)) {
			out = append(out, Outbound{Key: fmt.Sprintf("org:%d", i), Notice: n})
		}
	}
	return out, nil
}

// fewOf names two items and counts the rest: a digest line fits a phone.
func fewOf(items []string) string {
	if len(items) <= 2 {
		return strings.Join(items, "、")
	}
	return fmt.Sprintf("%s等 %d 项", strings.Join(items[:2], "、"), len(items))
}

// digestTop is how many branches the org digest names.
const digestTop = 10

// digestCompanies is how many companies the digest's 成绩单 block names.
const digestCompanies = 8

// orgDigest is the admins' view of the org: one markdown message with the
// totals, the 成绩单 block (score) and the branches owing most (overdue
// meetings, 转正 not discussed, dues arrears: BranchSummary.Owed), and the
// full table as a workbook.
func orgDigest(summaries []BranchSummary, span Span, to []string, score []string) []Notice {
	var total BranchSummary
	members, meetings := 0, 0
	for _, s := range summaries {
		total.Expected += s.Expected
		total.Checkins += s.Checkins
		total.StudyMinutes += s.StudyMinutes
		total.StudyReports += s.StudyReports
		members += s.Headcount
		for _, n := range s.MeetingsHeld {
			meetings += n
		}
	}
	label := fmtSpan(span.From, span.To)
	if span.From == weekStart(span.To) {
		label = fmtWeek(span.From)
	}
	lines := []string{
		fmt.Sprintf("**全组织（%s）**", label),
		fmt.Sprintf("> %d 个支部、%d 名党员；签到率 %d%%；学习 %d 分钟、%d 次；召开会议 %d 次",
			len(summaries), members, total.Rate(), total.StudyMinutes, total.StudyReports, meetings),
	}
	lines = append(lines, score...)
	owing := slices.DeleteFunc(slices.Clone(summaries), func(s BranchSummary) bool { return s.Owed() == 0 })
	slices.SortStableFunc(owing, func(x, y BranchSummary) int {
		if d := y.Owed() - x.Owed(); d != 0 {
			return d
		}
		if d := len(y.Overdue) - len(x.Overdue); d != 0 {
			return d
		}
		return len(y.Pending) - len(x.Pending)
	})
	top := owing[:min(digestTop, len(owing))]
	if len(top) > 0 {
		lines = append(lines, "应办未办最多的支部：")
	} else {
		lines = append(lines, "各支部没有逾期未开的会议、待讨论的转正或欠缴的党费 👍")
	}
	var rows []string
	for i, s := range top {
		var parts []string
		if len(s.Overdue) > 0 {
			parts = append(parts, "<font color=\"warning\">上期未开 "+fewOf(s.Overdue)+"</font>")
		}
		if len(s.ProbationsDue) > 0 {
			parts = append(parts, fmt.Sprintf("转正待讨论 %d 人", len(s.ProbationsDue)))
		}
		if s.DuesArrears > 0 {
			parts = append(parts, fmt.Sprintf("%d 人欠缴党费 2 个月以上", s.DuesArrears))
		}
		if len(s.Pending) > 0 {
			parts = append(parts, "本期待开 "+fewOf(s.Pending))
		}
		rows = append(rows, fmt.Sprintf("%d. %s：%s", i+1, cutRunes(Plain(s.Branch.Name), 16), strings.Join(parts, "；")))
	}
	// As many branches as the one message holds, the 成绩单 block taking
	// its share: never a third message.
	tail := func(shown int) string {
		if more := len(summaries) - shown; more > 0 {
			return fmt.Sprintf("另有 %d 个支部，见附件“支部汇总”。", more)
		}
		return "各支部明细见附件“支部汇总”。"
	}
	shown := len(rows)
	for shown > 0 && len(strings.Join(slices.Concat(lines, rows[:shown], []string{tail(shown)}), "\n")) > MaxMessageBytes {
		shown--
	}
	lines = append(append(lines, rows[:shown]...), tail(shown))
	digest := strings.Join(lines, "\n")
	if len(digest) > MaxMessageBytes { // never a third message
		digest = SplitText(digest, MaxMessageBytes)[0]
	}
	exp := ExportRequest{From: span.From, To: span.To, SummaryOnly: true}
	return []Notice{
		{To: to, Markdown: digest},
		{To: to, File: &File{Name: exp.FileName("全组织"), Export: &exp}},
	}
}

// branchReport is one branch's part of the weekly summary: its messages,
// its line in the org report and its totals (members' details dropped, so
// that a large org's run holds messages, not every member's week).
type branchReport struct {
	summary BranchSummary
	outs    []Outbound
	orgLine string
	score   BranchScore // this month's 成绩单 row, when the admins get a digest
}

// report turns a branch's summary into its messages.
func (s BranchSummary) report(week Date) branchReport {
	br := s.Branch
	var out []Outbound
	if to := leaders(s.Members); len(to) > 0 {
		for i, part := range s.markdown(week) {
			key := "summary:" + br.ID
			if i > 0 {
				key += fmt.Sprintf(":%d", i)
			}
			out = append(out, Outbound{Key: key, Notice: Notice{To: to, Markdown: part}})
		}
		out = append(out, Outbound{Key: "chart:" + br.ID, Notice: Notice{To: to,
			Image: &Image{Name: br.ID + "-" + week.String() + ".png", Chart: &WeekBars{
				Daily: s.DailyCheckins, Members: len(s.Members), Week: week, LastDaily: s.LastDailyCheckins,
				StudyMinutes: s.DailyStudyMinutes, LastStudyMinutes: s.LastDailyStudyMinutes,
			}}}})
	}
	if br.ChatID != "" {
		out = append(out, Outbound{Key: "chat:" + br.ID, Notice: Notice{ChatID: br.ChatID, Text: s.chatText(week)}})
	}
	line := fmt.Sprintf("%s：签到率 %d%%，学习 %d 分钟/%d 次，会议 %s", br.Name, s.Rate(), s.StudyMinutes, s.StudyReports, s.MeetingsText())
	if len(s.Pending) > 0 {
		line += "，<font color=\"warning\">未开 " + strings.Join(s.Pending, "、") + "</font>"
	}
	s.Members, s.Behind, s.Unreached, s.Birthdays, s.HoursBehind, s.MakeupPending = nil, nil, nil, nil, nil, nil
	s.reads = scoreReads{}
	return branchReport{summary: s, outs: out, orgLine: line}
}

// summaryChunk is how many branches the weekly summary reads together (each
// kind of record of a chunk in one round trip), and summaryConcurrency how
// many chunks are in flight: one chunk's reads overlap another's counting.
const (
	summaryChunk       = 50
	summaryConcurrency = 3
)

// summarizeAll reports every branch, a chunk of branches at a time, in
// order, with its 成绩单 row over score when that is given.
func (b *Bot) summarizeAll(ctx context.Context, branches []Branch, fire time.Time, week Date, score *Span) ([]branchReport, error) {
	out := make([]branchReport, len(branches))
	var errs []error
	var mu sync.Mutex
	sem := make(chan struct{}, summaryConcurrency)
	var wg sync.WaitGroup
	for start := 0; start < len(branches); start += summaryChunk {
		chunk := branches[start:min(start+summaryChunk, len(branches))]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := b.summarizeChunk(ctx, chunk, fire, week, score, out[start:start+len(chunk)])
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// summarizeChunk reads a chunk of branches and reports each into out, with
// its 成绩单 row over score when that is given.
func (b *Bot) summarizeChunk(ctx context.Context, chunk []Branch, fire time.Time, week Date, score *Span, out []branchReport) error {
	r, err := b.readWeeks(ctx, chunk, fire, score)
	if err != nil {
		return err
	}
	var errs []error
	for i, br := range chunk {
		s, err := b.summarize(ctx, br, fire, r)
		var sc BranchScore
		if err == nil && score != nil {
			members := make([]Member, len(s.Members))
			for j, m := range s.Members {
				members[j] = m.Member
			}
			s.reads.paid, s.reads.recent = r.paid[br.ID], r.recent[br.ID]
			s.reads.paidRead, s.reads.recentRead = true, true
			sc, err = b.scoreBranch(ctx, scoreInput{branch: br, members: members, span: *score, now: fire,
				duties: &[2]int{s.Duties, s.Duties - len(s.Pending)}, reads: s.reads})
		}
		out[i] = s.report(week)
		out[i].score = sc
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// admins lists the org's active admins.
func (b *Bot) admins(ctx context.Context) ([]string, error) {
	admins, err := b.Roster.Admins(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: list admins: %w", err)
	}
	out := make([]string, len(admins))
	for i, m := range admins {
		out[i] = m.UserID
	}
	return out, nil
}

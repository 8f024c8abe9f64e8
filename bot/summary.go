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

// summarize computes a branch's week up to fire, with last week's days for
// the chart.
func (b *Bot) summarize(ctx context.Context, br Branch, fire time.Time) (BranchSummary, error) {
	today := DateOf(fire, b.Location)
	span := Span{weekStart(today), today}
	d, err := b.readSpan(ctx, br.ID, span, false)
	if err != nil {
		return BranchSummary{}, err
	}
	s, err := b.summarizeData(ctx, br, span, fire, d.stats)
	if err != nil {
		return BranchSummary{}, err
	}
	if err := b.readWeekTrend(ctx, &s, span, d.reports); err != nil {
		return BranchSummary{}, err
	}
	if s.Pipeline, s.reads.applicants, err = b.pipelineLine(ctx, br.ID, today); err != nil {
		return BranchSummary{}, err
	}
	s.reads.applicantsRead = true
	if s.Rectify, err = b.rectifyLine(ctx, br.ID, today); err != nil {
		return BranchSummary{}, err
	}
	if err := b.learningLines(ctx, &s, fire); err != nil {
		return BranchSummary{}, err
	}
	return s, nil
}

// readWeekTrend fills the chart's series besides this week's check-ins:
// two pipelined reads, last week's check-in counts (7 HLEN) and both weeks'
// study day sums (15 commands); a third only in the week or two after the
// sums began. reports are this week's, when readSpan read them.
func (b *Bot) readWeekTrend(ctx context.Context, s *BranchSummary, span Span, reports map[string][]StudyReport) error {
	lastWeek := Span{span.From.AddDays(-7), span.From.AddDays(-1)}
	last, err := b.Checkins.CheckinCounts(ctx, s.Branch.ID, lastWeek.From, lastWeek.To)
	if err != nil {
		return fmt.Errorf("bot: last week's check-ins of %s: %w", s.Branch.ID, err)
	}
	s.LastDailyCheckins = last
	minutes, ok, err := b.Studies.StudyDayMinutes(ctx, s.Branch.ID, lastWeek.From, span.To)
	if err != nil {
		return fmt.Errorf("bot: study days of %s: %w", s.Branch.ID, err)
	}
	if ok {
		s.LastDailyStudyMinutes, s.DailyStudyMinutes = minutes[:7], weekOf(minutes[7:])
		return nil
	}
	// The sums begin after last Monday: last week stays unknown, this
	// week comes from the reports readSpan read, or else from the sums.
	if reports == nil {
		if minutes, ok, err = b.Studies.StudyDayMinutes(ctx, s.Branch.ID, span.From, span.To); err != nil {
			return fmt.Errorf("bot: study days of %s: %w", s.Branch.ID, err)
		}
		if ok {
			s.DailyStudyMinutes = weekOf(minutes)
		}
		return nil
	}
	daily := make([]int, 7)
	for _, rs := range reports {
		for _, r := range rs {
			if i := r.Day.Number() - span.From.Number(); !r.Withdrawn && i >= 0 && i < 7 && !span.To.Before(r.Day) {
				daily[i] += r.Minutes
			}
		}
	}
	s.DailyStudyMinutes = daily
	return nil
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
	return b.summarizeData(ctx, br, span, now, d.stats)
}

// summarizeData computes the summary from a span's members' tallies.
func (b *Bot) summarizeData(ctx context.Context, br Branch, span Span, now time.Time, stats []MemberStats) (BranchSummary, error) {
	week, today := span.From, span.To
	leaves, err := b.Leaves.Leaves(ctx, br.ID, week, today)
	if err != nil {
		return BranchSummary{}, fmt.Errorf("bot: read leaves: %w", err)
	}
	s := BranchSummary{Branch: br, Headcount: len(stats), Members: stats, MeetingsHeld: map[MeetingType]int{}}
	for _, m := range stats {
		excused := func(d Date) bool {
			return slices.ContainsFunc(leaves, func(l Leave) bool { return l.UserID == m.Member.UserID && l.Covers(d) })
		}
		checked := map[Date]bool{}
		for _, d := range m.checkinDays {
			checked[d] = true
			if i := d.Number() - week.Number(); i < int64(len(s.DailyCheckins)) {
				s.DailyCheckins[i]++
			}
		}
		for d := week; d.Number() <= today.Number(); d = d.AddDays(1) {
			if b.Calendar.IsWorkday(d) && !excused(d) {
				s.Expected++
				if checked[d] {
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
	meetings, err := b.Meetings.Meetings(ctx, br.ID, from, until)
	if err != nil {
		return BranchSummary{}, fmt.Errorf("bot: list meetings: %w", err)
	}
	for _, m := range meetings {
		if !m.ClosedAt.IsZero() {
			s.MeetingsHeld[m.Type]++
		}
	}
	members := make([]Member, len(stats))
	for i, m := range stats {
		members[i] = m.Member
	}
	obs, _, err := b.standingOf(ctx, br.ID, members, now)
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
	if s.Unreached, err = b.unreached(ctx, stats, from); err != nil {
		return BranchSummary{}, err
	}
	if err := b.owedByMembers(ctx, &s, DateOf(now, b.Location)); err != nil {
		return BranchSummary{}, err
	}
	if b.PoliticalBirthday {
		s.Birthdays = birthdaysWithin(stats, DateOf(now, b.Location).AddDays(1))
	}
	return s, nil
}

// owedByMembers fills in the 转正 due and the dues arrears as they stand
// on today.
func (b *Bot) owedByMembers(ctx context.Context, s *BranchSummary, today Date) error {
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
	amounts, err := b.Dues.DuesAmounts(ctx, br.ID)
	if err != nil {
		return fmt.Errorf("bot: dues amounts: %w", err)
	}
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

// unreached names the members WeCom did not deliver to since since.
func (b *Bot) unreached(ctx context.Context, stats []MemberStats, since time.Time) ([]string, error) {
	if b.Deliveries == nil || len(stats) == 0 {
		return nil, nil
	}
	ids := make([]string, len(stats))
	names := make(map[string]string, len(stats))
	for i, m := range stats {
		ids[i], names[m.Member.UserID] = m.Member.UserID, m.Member.DisplayName()
	}
	missed, err := b.Deliveries.Undelivered(ctx, ids, since)
	if err != nil {
		return nil, fmt.Errorf("bot: read undelivered: %w", err)
	}
	out := make([]string, len(missed))
	for i, id := range missed {
		out[i] = names[id]
	}
	return out, nil
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
	cur := label
	for i, n := range names {
		sep := "、"
		if i == 0 {
			sep = ""
		}
		if len(cur)+len(sep)+len(n) > width && cur != label {
			out, cur, sep = append(out, cur+"、"), "", ""
		}
		cur += sep + n
	}
	return append(out, cur)
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

// summaryConcurrency bounds the branches summarized at once: each is a few
// round trips, and Redis answers many clients at a time.
const summaryConcurrency = 16

// summarizeAll reports every branch, several at a time, in order, with
// its 成绩单 row over score when that is given.
func (b *Bot) summarizeAll(ctx context.Context, branches []Branch, fire time.Time, week Date, score *Span) ([]branchReport, error) {
	out := make([]branchReport, len(branches))
	errs := make([]error, len(branches))
	sem := make(chan struct{}, summaryConcurrency)
	var wg sync.WaitGroup
	for i, br := range branches {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s, err := b.summarize(ctx, br, fire)
			var sc BranchScore
			if err == nil && score != nil {
				members := make([]Member, len(s.Members))
				for j, m := range s.Members {
					members[j] = m.Member
				}
				sc, err = b.scoreBranch(ctx, scoreInput{branch: br, members: members, span: *score, now: fire,
					duties: &[2]int{s.Duties, s.Duties - len(s.Pending)}, reads: s.reads})
			}
			out[i], errs[i] = s.report(week), err
			out[i].score = sc
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
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

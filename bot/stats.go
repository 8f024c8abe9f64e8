package bot

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tally counts one member's activity over a span of days.
type Tally struct {
	Checkins     int
	StudyMinutes int
	StudyReports int
}

// MemberStats is a member's week and month.
type MemberStats struct {
	Member      Member
	Week, Month Tally
	WeekFrom    Date
	Streak      int

	checkinDays []Date // the week's, when read by BranchWeek
}

// tally counts check-in days and study reports (withdrawn ones left out)
// in [from, to]. Every number shown — 我的, 本周, the weekly summary, the
// ledger — is counted here, or for a branch's week from the study day sums
// (StudySums), which the store keeps by the same rule as reports are
// written; a test holds the two equal.
func tally(days []Date, reports []StudyReport, from, to Date) Tally {
	var t Tally
	first, last := from.Number(), to.Number()
	for _, d := range days {
		if n := d.Number(); n >= first && n <= last {
			t.Checkins++
		}
	}
	for _, r := range reports {
		if n := r.Day.Number(); !r.Withdrawn && n >= first && n <= last {
			t.StudyMinutes += r.Minutes
			t.StudyReports++
		}
	}
	return t
}

// Behind says what the member lacks for the weekly targets, or "".
func (s MemberStats) Behind(t StudyTargets) string {
	var parts []string
	if t.WeeklyMinutes > 0 && s.Week.StudyMinutes < t.WeeklyMinutes {
		parts = append(parts, "差"+strconv.Itoa(t.WeeklyMinutes-s.Week.StudyMinutes)+"分钟")
	}
	if t.WeeklyReports > 0 && s.Week.StudyReports < t.WeeklyReports {
		parts = append(parts, "差"+strconv.Itoa(t.WeeklyReports-s.Week.StudyReports)+"次")
	}
	return strings.Join(parts, "、")
}

// MemberStats counts a member's check-ins and study for the week (from
// Monday) and month containing now, and their streak.
func (b *Bot) MemberStats(ctx context.Context, m Member, now time.Time) (MemberStats, error) {
	today := DateOf(now, b.Location)
	week, month := weekStart(today), Date{today.Year, today.Month, 1}
	from := min(week.Number(), month.Number())
	first := DateFromNumber(from)
	s := MemberStats{Member: m, WeekFrom: week}
	if m.BranchID == "" {
		return s, nil
	}
	act, err := b.Checkins.Activity(ctx, m.BranchID, m.UserID, first, today)
	if err != nil {
		return s, fmt.Errorf("bot: check-ins of %s: %w", m.UserID, err)
	}
	switch {
	case !act.StreakKept: // before streaks were kept: count from history
		if s.Streak, err = b.streakOn(ctx, m, today); err != nil {
			return s, err
		}
	case !act.StreakLast.Before(b.previousWorkday(today)):
		s.Streak = act.StreakCount // alive: today's check-in may still come
	}
	reports, err := b.Studies.StudyReports(ctx, m.BranchID, m.UserID, first, today)
	if err != nil {
		return s, fmt.Errorf("bot: study reports of %s: %w", m.UserID, err)
	}
	s.Week, s.Month = tally(act.Days, reports, week, today), tally(act.Days, reports, month, today)
	return s, nil
}

// BranchWeek tallies every active member of a branch for the week (from
// Monday) up to now's day, reading the whole branch in a few round trips.
// Streaks and month totals are left out: summaries do not show them.
func (b *Bot) BranchWeek(ctx context.Context, branchID string, now time.Time) ([]MemberStats, error) {
	today := DateOf(now, b.Location)
	return b.BranchSpan(ctx, branchID, Span{weekStart(today), today})
}

// BranchSpan tallies every active member of a branch over the span (in
// Week), reading the whole branch in a few round trips.
func (b *Bot) BranchSpan(ctx context.Context, branchID string, span Span) ([]MemberStats, error) {
	d, err := b.readSpan(ctx, branchID, span, false)
	return d.stats, err
}

// spanData is what a branch's span is counted from, read once.
type spanData struct {
	stats    []MemberStats
	reports  map[string][]StudyReport
	checkins []Checkin // with records only
}

// readSpan reads a branch's members, check-ins and study over the span.
// withRecords reads each check-in's record (for the ledger) and counts the
// days from them, instead of reading the members' day indexes.
func (b *Bot) readSpan(ctx context.Context, branchID string, span Span, withRecords bool) (spanData, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return spanData{}, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	return b.readSpanOf(ctx, branchID, members, span, withRecords)
}

// readSpanOf is readSpan for the given members (the ledger's: all who
// were members during the span).
func (b *Bot) readSpanOf(ctx context.Context, branchID string, members []Member, span Span, withRecords bool) (spanData, error) {
	var out spanData
	var err error
	week, today := span.From, span.To
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	var days map[string][]Date
	if withRecords {
		if out.checkins, err = b.Checkins.CheckinRecords(ctx, branchID, week, today); err != nil {
			return out, fmt.Errorf("bot: check-ins of %s: %w", branchID, err)
		}
		days = make(map[string][]Date, len(members))
		for _, c := range out.checkins {
			days[c.UserID] = append(days[c.UserID], c.Day)
		}
	} else if span.Days() < len(ids) { // fewer days than members: read by day
		if days, err = b.Checkins.CheckinDaysOfBranch(ctx, branchID, week, today); err != nil {
			return out, fmt.Errorf("bot: check-in days of %s: %w", branchID, err)
		}
	} else if days, err = b.Checkins.CheckinDaysMany(ctx, branchID, ids, week, today); err != nil {
		return out, fmt.Errorf("bot: check-in days of %s: %w", branchID, err)
	}
	var sums map[string]StudySum
	sumsOK := false
	if !withRecords { // counted only: the day sums, when they cover the span
		if sums, sumsOK, err = b.Studies.StudySums(ctx, branchID, week, today); err != nil {
			return out, fmt.Errorf("bot: study sums of %s: %w", branchID, err)
		}
	}
	var reports map[string][]StudyReport
	switch {
	case sumsOK:
	case withRecords: // listed in the ledger
		reports, err = b.Studies.StudyReportsMany(ctx, branchID, ids, week, today)
	default:
		reports, err = b.Studies.StudyReportsBrief(ctx, branchID, ids, week, today)
	}
	if err != nil {
		return out, fmt.Errorf("bot: study reports of %s: %w", branchID, err)
	}
	out.reports = reports
	out.stats = countSpan(members, span, days, reports, sums, sumsOK)
	return out, nil
}

// countSpan tallies each member's span from their check-in days and study
// reports, or from the study sums when sumsOK.
func countSpan(members []Member, span Span, days map[string][]Date, reports map[string][]StudyReport, sums map[string]StudySum, sumsOK bool) []MemberStats {
	stats := make([]MemberStats, len(members))
	for i, m := range members {
		t := tally(days[m.UserID], reports[m.UserID], span.From, span.To)
		if sumsOK {
			t.StudyReports, t.StudyMinutes = sums[m.UserID].Reports, sums[m.UserID].Minutes
		}
		s := MemberStats{Member: m, WeekFrom: span.From, Week: t}
		s.checkinDays = days[m.UserID]
		stats[i] = s
	}
	return stats
}

func fmtWeek(from Date) string {
	to := from.AddDays(6)
	if from.Month == to.Month {
		return fmt.Sprintf("%d月%d日–%d日", from.Month, from.Day, to.Day)
	}
	return fmtDay(from) + "–" + fmtDay(to)
}

func (b *Bot) me(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "你不属于任何支部，没有个人统计。"}, nil
	}
	s, err := b.MemberStats(ctx, req.Member, req.Now)
	if err != nil {
		return Reply{}, err
	}
	now := req.Now.In(b.Location)
	text := fmt.Sprintf("%s · 本周（%s）\n签到 %d 天 · %s\n%d月：签到 %d 天 · 学习 %d 分钟 / %d 次\n已连续签到 %d 天（仅你可见）",
		req.Member.DisplayName(), fmtWeek(s.WeekFrom), s.Week.Checkins, b.weekProgress(s),
		now.Month(), s.Month.Checkins, s.Month.StudyMinutes, s.Month.StudyReports, s.Streak)
	hours, err := b.YearHours(ctx, req.Member.BranchID, []Member{req.Member}, req.Now)
	if err != nil {
		return Reply{}, err
	}
	text += "\n" + hours[0].line()
	if pending, err := b.pendingMakeups(ctx, req.Member.BranchID, req.Member.UserID); err != nil {
		return Reply{}, err
	} else if len(pending) > 0 {
		text += fmt.Sprintf("\n待补学 %d 项，发“补学”查看", len(pending))
	}
	return Reply{Text: text}, nil
}

func (b *Bot) week(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) > 0 && (Normalize(req.Args[0]) == "全部" || Normalize(req.Args[0]) == "all") {
		return b.orgWeek(ctx, req)
	}
	branch, refusal, err := b.targetBranch(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	stats, err := b.BranchWeek(ctx, branch.ID, req.Now)
	if err != nil {
		return Reply{}, err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s 本周（%s）\n姓名｜签到｜学习｜次数", branch.Name, fmtWeek(weekStart(DateOf(req.Now, b.Location))))
	var behind []string
	for _, s := range stats {
		fmt.Fprintf(&sb, "\n%s｜%d｜%d′｜%d", s.Member.DisplayName(), s.Week.Checkins, s.Week.StudyMinutes, s.Week.StudyReports)
		if why := s.Behind(b.Targets); why != "" {
			behind = append(behind, s.Member.DisplayName()+"（"+why+"）")
		}
	}
	switch {
	case len(behind) > 0:
		fmt.Fprintf(&sb, "\n未达标：%s", strings.Join(behind, "、"))
	case b.Targets != (StudyTargets{}):
		sb.WriteString("\n全员达标 👍")
	}
	return Reply{Text: sb.String()}, nil
}

// orgWeek handles an admin's "本周 全部": the org digest now, and the
// per-branch workbook through the outbox.
func (b *Bot) orgWeek(ctx context.Context, req Request) (Reply, error) {
	if req.Member.Role != RoleAdmin {
		return Reply{Text: "“本周 全部”只有党委管理员可以使用。"}, nil
	}
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return Reply{}, err
	}
	today := DateOf(req.Now, b.Location)
	span := Span{weekStart(today), today}
	parts, err := b.summarizeAll(ctx, branches, req.Now, span.From, nil)
	if err != nil {
		return Reply{}, err
	}
	summaries := make([]BranchSummary, len(parts))
	for i, p := range parts {
		summaries[i] = p.summary
	}
	digest := orgDigest(summaries, span, []string{req.Member.UserID}, nil)
	return Reply{Text: strings.NewReplacer("**", "", "<font color=\"warning\">", "", "</font>", "", "> ", "").Replace(digest[0].Markdown),
		Notices: digest[1:]}, nil
}

// leaderboard ranks the branch by study minutes this week. Off unless
// rules.leaderboard is true: official guidance discourages rankings.
func (b *Bot) leaderboard(ctx context.Context, req Request) (Reply, error) {
	if !b.Leaderboard {
		return Reply{Text: "排行榜未开启：党建助手默认不做公开排名。发送“我的”查看自己的进度。"}, nil
	}
	if req.Member.BranchID == "" {
		return Reply{Text: "你不属于任何支部。"}, nil
	}
	stats, err := b.BranchWeek(ctx, req.Member.BranchID, req.Now)
	if err != nil {
		return Reply{}, err
	}
	sort.SliceStable(stats, func(i, j int) bool { return stats[i].Week.StudyMinutes > stats[j].Week.StudyMinutes })
	var sb strings.Builder
	sb.WriteString("本周学习时长（本支部）")
	for i, s := range stats[:min(10, len(stats))] {
		fmt.Fprintf(&sb, "\n%d. %s %d分钟", i+1, s.Member.DisplayName(), s.Week.StudyMinutes)
	}
	return Reply{Text: sb.String()}, nil
}

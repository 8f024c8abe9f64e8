package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// 学时 for the year (党员教育管理工作条例: every member studies at least 32
// 学时 a year, secretaries and 支委 at least 56).

// MinutesPerHour is one 学时: a 45-minute class hour, as Party schools and
// the 党员教育管理工作条例's 学时 count it.
const MinutesPerHour = 45

// Yearly 学时 targets (党员教育管理工作条例).
const (
	HoursTargetMember = 32
	HoursTargetLeader = 56 // secretaries and 支委
)

// HoursTarget is the member's yearly 学时 target by role.
func HoursTarget(r Role) int {
	if r.Leads() {
		return HoursTargetLeader
	}
	return HoursTargetMember
}

// YearHours is one member's study this year, in minutes.
type YearHours struct {
	Member Member
	// Collective is 集中学习: meetings attended (their length, or 45
	// minutes) and 补学.
	Collective int
	// Self is 自学: 学习 reports and 学习材料 marked 已学.
	Self int
}

// Minutes is the year's total.
func (h YearHours) Minutes() int { return h.Collective + h.Self }

// Target is the member's yearly target in 学时.
func (h YearHours) Target() int { return HoursTarget(h.Member.Role) }

// fmtHours writes minutes as 学时 with one decimal, without a trailing .0.
func fmtHours(minutes int) string {
	return strconv.FormatFloat(float64(minutes*10/MinutesPerHour)/10, 'f', -1, 64)
}

// BehindPace reports whether the member is below the pace that reaches the
// target by year's end: target × days elapsed / days in the year.
func (h YearHours) BehindPace(today Date) (behind bool, dueMinutes int) {
	jan1 := Date{Year: today.Year, Month: time.January, Day: 1}
	elapsed := today.Number() - jan1.Number() + 1
	days := Date{Year: today.Year + 1, Month: time.January, Day: 1}.Number() - jan1.Number()
	due := int(int64(h.Target()*MinutesPerHour) * elapsed / days)
	return h.Minutes() < due, due
}

// YearHours tallies this year's 学时 of members of a branch, up to now.
func (b *Bot) YearHours(ctx context.Context, branchID string, members []Member, now time.Time) ([]YearHours, error) {
	today := DateOf(now, b.Location)
	jan1 := Date{Year: today.Year, Month: time.January, Day: 1}
	out := make([]YearHours, len(members))
	index := map[string]int{}
	ids := make([]string, len(members))
	for i, m := range members {
		out[i].Member, index[m.UserID], ids[i] = m, i, m.UserID
	}
	from := time.Date(today.Year, time.January, 1, 0, 0, 0, 0, b.Location)
	meetings, err := b.Meetings.Meetings(ctx, branchID, from, now.Add(time.Second))
	if err != nil {
		return nil, fmt.Errorf("bot: list meetings: %w", err)
	}
	outcomes, err := b.closedOutcomes(ctx, branchID, meetings)
	if err != nil {
		return nil, err
	}
	for _, m := range meetings {
		if m.ClosedAt.IsZero() {
			continue
		}
		r, err := b.recordOf(ctx, m, outcomes[m.ID])
		if err != nil {
			return nil, err
		}
		for _, p := range r.Present {
			if i, ok := index[p.UserID]; ok {
				out[i].Collective += meetingMinutes(m)
			}
		}
	}
	reports, err := b.Studies.StudyReportsMany(ctx, branchID, ids, jan1, today)
	if err != nil {
		return nil, fmt.Errorf("bot: read study: %w", err)
	}
	for uid, rs := range reports {
		i, ok := index[uid]
		if !ok {
			continue
		}
		for _, r := range rs {
			switch {
			case r.Withdrawn:
			case r.Kind == StudyMakeup:
				out[i].Collective += r.Minutes
			default:
				out[i].Self += r.Minutes
			}
		}
	}
	for i, m := range members {
		mins, err := b.MaterialMinutes(ctx, branchID, m.UserID, today.Year)
		if err != nil {
			return nil, fmt.Errorf("bot: material minutes: %w", err)
		}
		out[i].Self += mins
	}
	return out, nil
}

// hoursLine is `我的`'s 学时 line.
func (h YearHours) line() string {
	return fmt.Sprintf("本年学时 %s/%d（集中 %s、自学 %s；1 学时 = 45 分钟）",
		fmtHours(h.Minutes()), h.Target(), fmtHours(h.Collective), fmtHours(h.Self))
}

// hoursBehind names the members below the year's pace, in roster order
// (never ranked), for the leaders' report only.
func (b *Bot) hoursBehind(ctx context.Context, branchID string, members []Member, now time.Time) ([]string, error) {
	hours, err := b.YearHours(ctx, branchID, members, now)
	if err != nil {
		return nil, err
	}
	today := DateOf(now, b.Location)
	var out []string
	for _, h := range hours {
		if behind, due := h.BehindPace(today); behind {
			out = append(out, fmt.Sprintf("%s（%s/%s）", h.Member.DisplayName(), fmtHours(h.Minutes()), fmtHours(due)))
		}
	}
	return out, nil
}

// learningLines fills the weekly report's 补学 and 学时 lines.
func (b *Bot) learningLines(ctx context.Context, s *BranchSummary, now time.Time, ms []Makeup) error {
	members := make([]Member, len(s.Members))
	current := map[string]bool{}
	for i, m := range s.Members {
		members[i], current[m.Member.UserID] = m.Member, true
	}
	// The year's 学时 read every member's study of the year: monthly, in the
	// first weekly report of a month, is pace enough, and keeps the weekly
	// job's Redis work near a week's (docs/BENCHMARKS.md).
	if DateOf(now, b.Location).Day <= 7 {
		var err error
		if s.HoursBehind, err = b.hoursBehind(ctx, s.Branch.ID, members, now); err != nil {
			return err
		}
	}
	ms = slices.Clone(ms)
	sortMakeups(ms)
	s.reads.makeups, s.reads.makeupsRead = ms, true
	for _, mk := range ms {
		if mk.Done == nil && current[mk.UserID] { // those who left owe nothing here
			s.MakeupPending = append(s.MakeupPending, mk.Name+"·"+string(mk.Meeting.Type))
		}
	}
	return nil
}

// ledgerHours fills the 汇总's 学时 column: who is below the pace at the
// span's end (or now, for a span running to today).
func (b *Bot) ledgerHours(ctx context.Context, s *BranchSummary, span Span, now time.Time) error {
	at := now
	if end := span.End(b.Location); end.Before(now) {
		at = end.Add(-time.Second)
	}
	members := make([]Member, len(s.Members))
	for i, m := range s.Members {
		members[i] = m.Member
	}
	var err error
	s.HoursBehind, err = b.hoursBehind(ctx, s.Branch.ID, members, at)
	return err
}

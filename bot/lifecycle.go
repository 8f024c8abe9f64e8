package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A member's year in the branch: the six-month early warning (no
// organisational life, no dues), 转正 of a 预备党员 on time, and the 政治生日.

// warnAt are the run lengths (months) at which the secretary is warned;
// six in a row is grounds for removal (党章 Art. 9), so the branch acts early.
var warnAt = []int{2, 3, 5}

// Risk is a member drifting away: months in a row without organisational
// life attended, and without dues.
type Risk struct {
	Member    Member
	NoMeeting int // months in a row with no meeting attended (excused months skipped)
	NoDues    int // months in a row with no dues recorded
	// NewMeeting and NewDues: the last month added to the run (it was not
	// skipped), so a warning at a threshold is news, not a repeat.
	NewMeeting, NewDues bool
	LongLeave           bool
	LeaveReason         string
}

// Reason is the risk in words.
func (r Risk) Reason() string {
	var parts []string
	if r.NoMeeting >= warnAt[0] {
		parts = append(parts, fmt.Sprintf("连续 %d 个月未参加组织生活", r.NoMeeting))
	}
	if r.NoDues >= warnAt[0] {
		parts = append(parts, fmt.Sprintf("连续 %d 个月未交党费", r.NoDues))
	}
	return strings.Join(parts, "，")
}

// riskWindow is how many complete months are looked at.
const riskWindow = 6

// Risks computes each active member's runs, over the complete months before
// now's month (this month is not over), from the branch's meetings, their
// records and the dues. A month with an excused absence and no attendance,
// or spent wholly on leave, neither counts nor breaks the run.
func (b *Bot) Risks(ctx context.Context, br Branch, now time.Time) ([]Risk, error) {
	today := DateOf(now, b.Location)
	this := MonthOf(today)
	months := lastMonths(this.Add(-1), riskWindow)
	first := months[0]
	if !br.Since.IsZero() && first.Before(MonthOf(br.Since)) {
		first = MonthOf(br.Since) // before the bot knew the branch nothing is known
	}
	members, err := b.Roster.BranchMembers(ctx, br.ID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", br.ID, err)
	}
	from, to := Span{months[0].First(), months[len(months)-1].Last()}.Start(b.Location), Span{months[0].First(), months[len(months)-1].Last()}.End(b.Location)
	meetings, err := b.Meetings.Meetings(ctx, br.ID, from, to)
	if err != nil {
		return nil, fmt.Errorf("bot: list meetings: %w", err)
	}
	// present[month][user], excused[month][user]; expected[month][user]:
	// a meeting the member was expected at was held that month (a 支委会
	// is not a member's organisational life, nor another group's 党小组会).
	present, excused, expected := map[Month]map[string]bool{}, map[Month]map[string]bool{}, map[Month]map[string]bool{}
	for _, m := range meetings {
		if m.ClosedAt.IsZero() || m.Type == MeetingOther {
			continue
		}
		rec, err := b.MeetingRecord(ctx, m)
		if err != nil {
			return nil, err
		}
		mo := MonthOf(DateOf(m.OpenedAt, b.Location))
		if present[mo] == nil {
			present[mo], excused[mo], expected[mo] = map[string]bool{}, map[string]bool{}, map[string]bool{}
		}
		for _, mem := range members {
			if ok, _ := expectedAt(m, mem); ok {
				expected[mo][mem.UserID] = true
			}
		}
		for _, p := range rec.Present {
			present[mo][p.UserID] = true
		}
		for _, e := range rec.Excused {
			excused[mo][e.UserID] = true
		}
	}
	paid, err := b.Dues.DuesPaid(ctx, br.ID, months)
	if err != nil {
		return nil, fmt.Errorf("bot: dues paid: %w", err)
	}
	leaves, err := b.Leaves.Leaves(ctx, br.ID, months[0].First(), today)
	if err != nil {
		return nil, fmt.Errorf("bot: read leaves: %w", err)
	}
	away := func(userID string, mo Month) bool { // on leave every day of the month, by one leave or several
		for d := mo.First(); !mo.Last().Before(d); d = d.AddDays(1) {
			if !slices.ContainsFunc(leaves, func(l Leave) bool { return l.UserID == userID && l.Covers(d) }) {
				return false
			}
		}
		return true
	}
	last := months[len(months)-1]
	out := make([]Risk, 0, len(members))
	for _, mem := range members {
		r := Risk{Member: mem}
		since := first
		if !mem.Joined.IsZero() && since.Before(MonthOf(mem.Joined)) {
			since = MonthOf(mem.Joined) // nothing was owed before joining
		}
		for i := len(months) - 1; i >= 0 && !months[i].Before(since); i-- {
			mo := months[i]
			if present[mo][mem.UserID] {
				break
			}
			// A month with no meeting the member was expected at is not the
			// member's gap (党章 第九条); an excused absence or a month on
			// leave is skipped.
			if !expected[mo][mem.UserID] || excused[mo][mem.UserID] || away(mem.UserID, mo) {
				continue
			}
			r.NoMeeting++
			r.NewMeeting = r.NewMeeting || mo == last
		}
		for i := len(months) - 1; i >= 0 && !months[i].Before(since); i-- {
			mo := months[i]
			if _, ok := paid[mo][mem.UserID]; ok {
				break
			}
			if away(mem.UserID, mo) {
				continue
			}
			r.NoDues++
			r.NewDues = r.NewDues || mo == last
		}
		for _, l := range leaves {
			if l.UserID == mem.UserID && l.Covers(today) && l.To.Number()-l.From.Number() >= 30 {
				r.LongLeave, r.LeaveReason = true, Plain(l.Reason)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// warnings handles "预警": the members at risk, those on long leave apart.
func (b *Bot) warnings(ctx context.Context, req Request) (Reply, error) {
	br, refusal, err := b.targetBranch(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	risks, err := b.Risks(ctx, br, req.Now)
	if err != nil {
		return Reply{}, err
	}
	var atRisk, onLeave []string
	for _, r := range risks {
		reason := r.Reason()
		switch {
		case reason == "":
		case r.LongLeave:
			onLeave = append(onLeave, fmt.Sprintf("%s：%s（长期请假：%s）", r.Member.DisplayName(), reason, r.LeaveReason))
		default:
			atRisk = append(atRisk, fmt.Sprintf("%s：%s", r.Member.DisplayName(), reason))
		}
	}
	if len(atRisk)+len(onLeave) == 0 {
		return Reply{Text: br.Name + "：近半年没有连续 2 个月未参加组织生活或未交党费的党员 👍"}, nil
	}
	text := br.Name + " 预警（仅你可见；连续 6 个月可视为自行脱党，请及早谈心谈话）"
	if len(atRisk) > 0 {
		text += "\n" + strings.Join(atRisk, "\n")
	}
	if len(onLeave) > 0 {
		text += "\n请假中：\n" + strings.Join(onLeave, "\n")
	}
	return Reply{Text: text}, nil
}

// earlyWarnings tells each branch's secretaries (privately) who reached 2, 3
// or 5 months in a row this month: part of the monthly job.
func (b *Bot) earlyWarnings(ctx context.Context, fire time.Time) ([]Outbound, error) {
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		risks, err := b.Risks(ctx, br, fire)
		if err != nil {
			return err
		}
		var members []Member
		var warned []Risk
		for _, r := range risks {
			members = append(members, r.Member)
			reached := (r.NewMeeting && slices.Contains(warnAt, r.NoMeeting)) || (r.NewDues && slices.Contains(warnAt, r.NoDues))
			if reached && !r.LongLeave {
				warned = append(warned, r)
			}
		}
		recipients := leadersOf(members)
		// Each leader hears of the others, never of themself; a leader at
		// risk is heard of by the committee.
		lines := map[string][]string{}
		for _, r := range warned {
			line := r.Member.DisplayName() + "：" + r.Reason()
			to := recipients
			if slices.Contains(recipients, r.Member.UserID) {
				to = append(slices.Clone(recipients), committeeOf(members)...)
			}
			for _, id := range to {
				if id != r.Member.UserID && !slices.Contains(lines[id], line) {
					lines[id] = append(lines[id], line)
				}
			}
		}
		ids := make([]string, 0, len(lines))
		for id := range lines {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, to := range ids {
			text := "【预警】" + br.Name + "（仅你可见）\n" + strings.Join(lines[to], "\n") + "\n连续 6 个月可视为自行脱党，请及早联系、谈心谈话。发“预警”看全部。"
			for i, part := range SplitText(text, MaxMessageBytes) {
				out = append(out, Outbound{Key: fmt.Sprintf("warn:%s:%s:%d", br.ID, to, i), Notice: Notice{To: []string{to}, Text: part}})
			}
		}
		return nil
	})
	return out, err
}

// leadersOf is who hears of a branch's members privately: its secretaries,
// or without one its committee.
func leadersOf(members []Member) []string {
	var secretaries []string
	for _, m := range members {
		if m.Role == RoleSecretary {
			secretaries = append(secretaries, m.UserID)
		}
	}
	if len(secretaries) == 0 {
		return committeeOf(members)
	}
	return secretaries
}

func committeeOf(members []Member) []string {
	var out []string
	for _, m := range members {
		if m.Role == RoleCommittee {
			out = append(out, m.UserID)
		}
	}
	return out
}

// probationEnd is the day a 预备党员's probation year ends.
func probationEnd(m Member) Date {
	return anniversary(m.Joined, m.Joined.Year+1)
}

// anniversary is d's day in year; 29 February falls on the 28th in other years.
func anniversary(d Date, year int) Date {
	if d.Month == time.February && d.Day == 29 && lastDay(Date{year, time.February, 1}).Day == 28 {
		return Date{year, time.February, 28}
	}
	return Date{year, d.Month, d.Day}
}

// lifecycle is the daily job of a member's milestones: the secretaries hear
// a month and a week before a 预备党员's probation ends that a 党员大会 must
// discuss the 转正 (and on the day if none was held); members get a short
// greeting on their 政治生日 (unless rules.political_birthday is off).
func (b *Bot) lifecycle(ctx context.Context, run JobRun) ([]Outbound, error) {
	today := DateOf(run.Fire, b.Location)
	token := JobRunToken(run)
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		secretaries := leadersOf(members)
		for _, m := range members {
			if m.Joined.IsZero() {
				continue
			}
			if m.Status == StatusProbationary && len(secretaries) > 0 {
				o, err := b.probationNotice(ctx, br, m, today, secretaries, token)
				if err != nil {
					return err
				}
				out = append(out, o...)
			}
			if b.PoliticalBirthday && isPoliticalBirthday(m, today) {
				mine, err := b.Steps.Once(ctx, br.ID, fmt.Sprintf("birthday:%s:%d", m.UserID, today.Year), token)
				if err != nil {
					return err
				}
				if mine {
					years := today.Year - m.Joined.Year
					out = append(out, Outbound{Key: "birthday:" + m.UserID, Notice: Notice{To: []string{m.UserID}, Text: fmt.Sprintf(
						"%s，今天是你的政治生日 🎂 入党 %d 周年。不忘初心，继续前进！", m.DisplayName(), years)}})
				}
			}
		}
		return nil
	})
	return out, err
}

// isPoliticalBirthday: the anniversary of joining, from the first year as a
// full member (a 预备党员's first anniversary is their 转正 day instead).
func isPoliticalBirthday(m Member, today Date) bool {
	years := today.Year - m.Joined.Year
	if years < 1 || anniversary(m.Joined, today.Year) != today {
		return false
	}
	return !(m.Status == StatusProbationary && years == 1)
}

// probationNotice tells the secretaries of an approaching 转正, each step once.
func (b *Bot) probationNotice(ctx context.Context, br Branch, m Member, today Date, to []string, token string) ([]Outbound, error) {
	due := probationEnd(m)
	var step, text string
	switch today {
	case due.AddDays(-30):
		step, text = "month", fmt.Sprintf("【转正】%s 的预备期将于 %s 满一年。请在到期前召开党员大会讨论其转正（发“会议 党员大会 %s转正”）。", m.DisplayName(), fmtDay(due), m.DisplayName())
	case due.AddDays(-7):
		step, text = "week", fmt.Sprintf("【转正】%s 的预备期一周后（%s）满一年，党员大会请抓紧安排。", m.DisplayName(), fmtDay(due))
	case due:
		held, err := b.generalMeetingSince(ctx, br.ID, due.AddDays(-60), today)
		if err != nil || held {
			return nil, err
		}
		step, text = "day", fmt.Sprintf("【转正】%s 的预备期今天满一年，近两个月还没有召开党员大会讨论其转正，请尽快召开。", m.DisplayName())
	default:
		return nil, nil
	}
	mine, err := b.Steps.Once(ctx, br.ID, fmt.Sprintf("probation:%s:%s:%s", m.UserID, due, step), token)
	if err != nil || !mine {
		return nil, err
	}
	return []Outbound{{Key: "probation:" + m.UserID + ":" + step, Notice: Notice{To: to, Text: text}}}, nil
}

// generalMeetingSince reports whether a 党员大会 was held (closed) in [from, to].
func (b *Bot) generalMeetingSince(ctx context.Context, branchID string, from, to Date) (bool, error) {
	span := Span{from, to}
	meetings, err := b.Meetings.Meetings(ctx, branchID, span.Start(b.Location), span.End(b.Location))
	if err != nil {
		return false, fmt.Errorf("bot: list meetings: %w", err)
	}
	return slices.ContainsFunc(meetings, func(m Meeting) bool { return m.Type == MeetingGeneral && !m.ClosedAt.IsZero() }), nil
}

// upcomingProbations lists a branch's 转正 dates within the next 90 days.
func upcomingProbations(members []Member, today Date) []string {
	var out []string
	for _, m := range members {
		if m.Status != StatusProbationary || m.Joined.IsZero() {
			continue
		}
		due := probationEnd(m)
		if days := due.Number() - today.Number(); days >= -30 && days <= 90 {
			out = append(out, fmt.Sprintf("%s %s", m.DisplayName(), fmtDay(due)))
		}
	}
	return out
}

// birthdaysWithin lists the members whose 政治生日 falls in [from, from+6].
func birthdaysWithin(members []MemberStats, from Date) []string {
	var out []string
	for _, s := range members {
		m := s.Member
		if m.Joined.IsZero() {
			continue
		}
		for d := from; d.Number() <= from.AddDays(6).Number(); d = d.AddDays(1) {
			if isPoliticalBirthday(m, d) {
				out = append(out, fmt.Sprintf("%s（%s，%d 周年）", m.DisplayName(), fmtDay(d), d.Year-m.Joined.Year))
			}
		}
	}
	return out
}

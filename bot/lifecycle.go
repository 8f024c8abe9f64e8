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
// records and the dues. For meetings, a month with an excused absence and
// no attendance, or spent wholly on leave, neither counts nor breaks the
// run; for dues, leave excuses nothing.
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
		// Dues are owed on leave too (paid by proxy or back-paid, 2008 规定):
		// a month away neither excuses nor breaks a run of arrears.
		for i := len(months) - 1; i >= 0 && !months[i].Before(since); i-- {
			mo := months[i]
			if _, ok := paid[mo][mem.UserID]; ok {
				break
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
// As in the monthly job, a leader on the list never sees their own line
// (warnings go to the leaders, never to the person): the committee and
// admins do.
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
		case reason == "", r.Member.UserID == req.Member.UserID:
		case r.LongLeave:
			onLeave = append(onLeave, r.Member.DisplayName()+"："+reason+longLeaveNote(r.LeaveReason))
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

// longLeaveNote marks a warning's line of a member on long leave.
func longLeaveNote(reason string) string {
	if reason == "" {
		return "（长期请假）"
	}
	return "（长期请假：" + reason + "）"
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
			// Long leave silences the meetings warning, never the dues one.
			meetings := r.NewMeeting && slices.Contains(warnAt, r.NoMeeting) && !r.LongLeave
			dues := r.NewDues && slices.Contains(warnAt, r.NoDues)
			if meetings || dues {
				warned = append(warned, r)
			}
		}
		recipients := leadersOf(members)
		// Each leader hears of the others, never of themself; a leader at
		// risk is heard of by the committee.
		lines := map[string][]string{}
		for _, r := range warned {
			line := r.Member.DisplayName() + "：" + r.Reason()
			if r.LongLeave {
				line += longLeaveNote(r.LeaveReason)
			}
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

// lifecycle is the daily job of a member's milestones: a 预备党员's 转正
// (probationNotice), the leaders told once of a member away six months or
// more (longAbsences), and a short greeting on members' 政治生日 (unless
// rules.political_birthday is off).
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
		away, err := b.longAbsences(ctx, br, members, today, token)
		out = append(out, away...)
		return err
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

// probationReminders is how many weekly reminders follow the end of a
// probation while no 党员大会 has discussed the 转正 (about three months).
const probationReminders = 12

// probationNotice walks a 预备党员 to 转正, each step once. The 预备期 must
// end before the 党员大会 discusses it, promptly (党章 第七条; 发展党员工作细则
// steps 22–23), so: a month ahead the member is asked (privately) for the
// 转正申请 and the leaders to prepare (征求意见, 支委会审查); a week ahead the
// leaders again; on the due day, and weekly after it, the leaders are asked
// for the 党员大会 until one is held on or after the due day.
func (b *Bot) probationNotice(ctx context.Context, br Branch, m Member, today Date, to []string, token string) ([]Outbound, error) {
	due := probationEnd(m)
	name := m.DisplayName()
	meet := fmt.Sprintf("（发“会议 党员大会 %s转正”）", name)
	var step, text string
	var private []Outbound
	days := int(today.Number() - due.Number())
	switch {
	case days == -30:
		step = "month"
		text = fmt.Sprintf("【转正】%s 的预备期将于 %s 满一年。请提前准备：督促本人提交转正申请，征求党小组和党员群众意见，支委会审查。预备期满后及时召开党员大会讨论其转正。", name, fmtDay(due))
		private = []Outbound{{Key: "probation:" + m.UserID + ":apply", Notice: Notice{To: []string{m.UserID}, Text: fmt.Sprintf(
			"%s，你的预备期将于 %s 满一年。请在期满前向党支部提交书面转正申请；有疑问请联系支部书记。", name, fmtDay(due))}}}
	case days == -7:
		step = "week"
		text = fmt.Sprintf("【转正】%s 的预备期一周后（%s）满一年。请确认已收到转正申请、完成支委会审查；期满后及时召开党员大会讨论其转正。", name, fmtDay(due))
	case days >= 0 && days%7 == 0 && days/7 <= probationReminders:
		held, err := b.generalMeetingSince(ctx, br.ID, due, today)
		if err != nil || held {
			return nil, err
		}
		step = fmt.Sprintf("after%d", days/7)
		if days == 0 {
			step, text = "day", fmt.Sprintf("【转正】%s 的预备期今天满一年，请及时召开党员大会讨论其转正%s。", name, meet)
		} else {
			text = fmt.Sprintf("【转正】%s 的预备期已于 %s 满一年，还没有召开党员大会讨论其转正，请尽快召开%s。", name, fmtDay(due), meet)
		}
	default:
		return nil, nil
	}
	mine, err := b.Steps.Once(ctx, br.ID, fmt.Sprintf("probation:%s:%s:%s", m.UserID, due, step), token)
	if err != nil || !mine {
		return nil, err
	}
	return append([]Outbound{{Key: "probation:" + m.UserID + ":" + step, Notice: Notice{To: to, Text: text}}}, private...), nil
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

// awayLimitDays is six months away: a member away that long at one place
// moves their 组织关系 there, or, moving about, registers as a 流动党员
// (党员教育管理工作条例). Leave is self-declared and can be chained, so
// the leaders are told to settle it.
const awayLimitDays = 183

// longAbsences tells a branch's leaders, once per absence, of each member
// whose leave covering today, alone or with leaves back to back, spans six
// months or more. An absence is known by its first day, so a leave added to
// its end does not tell them again.
func (b *Bot) longAbsences(ctx context.Context, br Branch, members []Member, today Date, token string) ([]Outbound, error) {
	// Two years back is far enough to find where a chain of leaves began
	// (one leave is at most maxLeaveDays).
	leaves, err := b.Leaves.Leaves(ctx, br.ID, today.AddDays(-2*maxLeaveDays), today.AddDays(maxLeaveDays))
	if err != nil {
		return nil, fmt.Errorf("bot: read leaves: %w", err)
	}
	var out []Outbound
	for _, m := range members {
		away, reason, ok := absenceAround(leaves, m.UserID, today)
		if !ok || away.Days() < awayLimitDays {
			continue
		}
		to := leadersAbout(members, m.UserID)
		if len(to) == 0 {
			continue
		}
		mine, err := b.Steps.Once(ctx, br.ID, "away:"+m.UserID+":"+away.From.String(), token)
		if err != nil {
			return nil, err
		}
		if !mine {
			continue
		}
		if reason != "" {
			reason = "，原因：" + reason
		}
		text := fmt.Sprintf("【组织关系】%s 请假 %d年%s 至 %d年%s（共 %d 天%s），离开已满或将满 6 个月。按《党员教育管理工作条例》，外出 6 个月以上、地点相对固定的，应转移组织关系；流动的应登记为流动党员。请与本人联系，办理转出或流动党员登记。",
			m.DisplayName(), away.From.Year, fmtDay(away.From), away.To.Year, fmtDay(away.To), away.Days(), reason)
		out = append(out, Outbound{Key: "away:" + m.UserID, Notice: Notice{To: to, Text: text}})
	}
	return out, nil
}

// absenceAround is the member's absence covering today: their leaves
// joined where one begins the day after another ends (or overlaps it), and
// the reason of the leave covering today.
func absenceAround(leaves []Leave, userID string, today Date) (Span, string, bool) {
	var mine []Leave
	for _, l := range leaves {
		if l.UserID == userID && !l.Ended && !l.To.Before(l.From) {
			mine = append(mine, l)
		}
	}
	i := slices.IndexFunc(mine, func(l Leave) bool { return l.Covers(today) })
	if i < 0 {
		return Span{}, "", false
	}
	away, reason := Span{mine[i].From, mine[i].To}, Plain(mine[i].Reason)
	for grown := true; grown; {
		grown = false
		for _, l := range mine {
			if l.From.Before(away.From) && !away.From.AddDays(-1).Before(l.To) {
				away.From, grown = l.From, true
			}
			if away.To.Before(l.To) && !away.To.AddDays(1).Before(l.From) {
				away.To, grown = l.To, true
			}
		}
	}
	return away, reason, true
}

// leadersAbout is who hears privately about a member: the branch's
// leaders (leadersOf), with the committee when the member is one of them,
// and never the member.
func leadersAbout(members []Member, userID string) []string {
	to := leadersOf(members)
	if slices.Contains(to, userID) {
		to = append(slices.Clone(to), committeeOf(members)...)
	}
	return slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(to))), func(id string) bool { return id == userID })
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

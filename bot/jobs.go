package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Scheduled jobs, by the names the config's schedule section uses.
const (
	JobCheckinReminder = "checkin-reminder"
	JobStudyReminder   = "study-reminder"
	JobWeeklySummary   = "weekly-summary"
	JobObligations     = "obligations"
	JobMonthly         = "monthly"
)

// JobNames lists every job.
var JobNames = []string{JobCheckinReminder, JobStudyReminder, JobWeeklySummary, JobObligations, JobMonthly}

// Outbound is one message a job run wants sent. Key is unique within the
// run and the same when the run is repeated, so the outbox can tell a
// repeat from a new message.
type Outbound struct {
	Key    string
	Notice Notice
}

// Job computes one run's messages for the scheduled fire time. It sends
// nothing itself: the caller puts the messages in the outbox.
func (b *Bot) Job(ctx context.Context, name string, fire time.Time) ([]Outbound, error) {
	switch name {
	case JobCheckinReminder:
		return b.checkinReminder(ctx, fire)
	case JobStudyReminder:
		return b.studyReminder(ctx, fire)
	case JobWeeklySummary:
		return b.weeklySummary(ctx, fire)
	case JobObligations:
		return b.obligationsReminder(ctx, fire)
	case JobMonthly:
		return b.monthlyReminder(ctx, fire)
	}
	return nil, fmt.Errorf("bot: unknown job %q", name)
}

// NotCheckedIn lists a branch's active members who have not checked in on
// day d, leaving out those on leave that day: they get no reminder and are
// not counted as missing.
func (b *Bot) NotCheckedIn(ctx context.Context, branchID string, d Date) ([]Member, error) {
	present, err := b.notOnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	done, err := b.Checkins.CheckedIn(ctx, branchID, d)
	if err != nil {
		return nil, fmt.Errorf("bot: read check-ins of %s: %w", branchID, err)
	}
	var out []Member
	for _, m := range present {
		if !done[m.UserID] {
			out = append(out, m)
		}
	}
	return out, nil
}

// notOnLeave lists a branch's active members who are not on leave on day d:
// the only ones reminders go to.
func (b *Bot) notOnLeave(ctx context.Context, branchID string, d Date) ([]Member, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	away, err := b.OnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(members))
	for _, m := range members {
		if !away[m.UserID] {
			out = append(out, m)
		}
	}
	return out, nil
}

func (m Member) leads() bool { return m.Role == RoleSecretary || m.Role == RoleCommittee }

// uniform batches one text to many members: identical messages go out as
// touser lists of at most MaxRecipients, one API call each.
func uniform(key string, to []string, n Notice) []Outbound {
	if len(to) == 0 {
		return nil
	}
	slices.Sort(to)
	n.To = to
	parts := n.Split()
	out := make([]Outbound, len(parts))
	for i, p := range parts {
		out[i] = Outbound{Key: fmt.Sprintf("%s:%d", key, i), Notice: p}
	}
	return out
}

const checkinReminderText = "今天还没签到哦 ☀️ 发送“签到”即可。请假中的同志不会收到此提醒。"

// checkinReminder reminds everyone who has not checked in today, on
// working days only.
func (b *Bot) checkinReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	day := DateOf(fire, b.Location)
	if !b.Calendar.IsWorkday(day) {
		return nil, nil
	}
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: read branches: %w", err)
	}
	var to []string
	for _, br := range branches {
		missing, err := b.NotCheckedIn(ctx, br.ID, day)
		if err != nil {
			return nil, err
		}
		for _, m := range missing {
			to = append(to, m.UserID)
		}
	}
	return uniform("checkin", to, Notice{Text: checkinReminderText}), nil
}

// studyReminder reminds members below the weekly targets (not those on
// leave today).
func (b *Bot) studyReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	if b.Targets == (StudyTargets{}) {
		return nil, nil
	}
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: read branches: %w", err)
	}
	day := DateOf(fire, b.Location)
	var to []string
	for _, br := range branches {
		stats, err := b.BranchWeek(ctx, br.ID, fire)
		if err != nil {
			return nil, err
		}
		away, err := b.OnLeave(ctx, br.ID, day)
		if err != nil {
			return nil, err
		}
		for _, s := range stats {
			if s.Behind(b.Targets) != "" && !away[s.Member.UserID] {
				to = append(to, s.Member.UserID)
			}
		}
	}
	text := fmt.Sprintf("本周学习还没达到目标（%s）。发送“我的”查看进度，发送“学习 内容 时长”记录。", b.targetText())
	return uniform("study", to, Notice{Text: text}), nil
}

func (b *Bot) targetText() string {
	var parts []string
	if b.Targets.WeeklyMinutes > 0 {
		parts = append(parts, fmt.Sprintf("%d 分钟", b.Targets.WeeklyMinutes))
	}
	if b.Targets.WeeklyReports > 0 {
		parts = append(parts, fmt.Sprintf("%d 次", b.Targets.WeeklyReports))
	}
	return strings.Join(parts, "、")
}

// leaders are the userids who run a branch: its secretaries and committee.
func leaders(members []MemberStats) []string {
	var out []string
	for _, s := range members {
		if s.Member.leads() {
			out = append(out, s.Member.UserID)
		}
	}
	return out
}

// BranchSummary is one branch's week.
type BranchSummary struct {
	Branch        Branch
	Members       []MemberStats
	Expected      int // member working days, less leave
	Checkins      int // check-ins on those days
	StudyMinutes  int
	StudyReports  int
	OnTarget      int
	Behind        []string // "name（差…）"
	MeetingsHeld  map[string]int
	Pending       []string // meeting types due this period and not yet held
	DailyCheckins [7]int   // Monday to Sunday
	Unreached     []string // names WeCom did not deliver to this week
}

// Rate is the check-in rate in percent (100 when nothing was expected).
func (s BranchSummary) Rate() int {
	if s.Expected == 0 {
		return 100
	}
	return s.Checkins * 100 / s.Expected
}

// summarize computes a branch's week up to fire.
func (b *Bot) summarize(ctx context.Context, br Branch, fire time.Time) (BranchSummary, error) {
	stats, err := b.BranchWeek(ctx, br.ID, fire)
	if err != nil {
		return BranchSummary{}, err
	}
	leaves, err := b.Leaves.BranchLeaves(ctx, br.ID)
	if err != nil {
		return BranchSummary{}, fmt.Errorf("bot: read leaves: %w", err)
	}
	today := DateOf(fire, b.Location)
	week := weekStart(today)
	s := BranchSummary{Branch: br, Members: stats, MeetingsHeld: map[string]int{}}
	for _, m := range stats {
		excused := func(d Date) bool {
			return slices.ContainsFunc(leaves, func(l Leave) bool { return l.UserID == m.Member.UserID && l.Covers(d) })
		}
		checked := map[Date]bool{}
		for _, d := range m.checkinDays {
			checked[d] = true
			s.DailyCheckins[d.Number()-week.Number()]++
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
	meetings, err := b.Meetings.Meetings(ctx, br.ID, from, fire.Add(time.Second))
	if err != nil {
		return BranchSummary{}, fmt.Errorf("bot: list meetings: %w", err)
	}
	for _, m := range meetings {
		if !m.ClosedAt.IsZero() {
			s.MeetingsHeld[m.Type]++
		}
	}
	obs, err := b.Obligations(ctx, br.ID, fire)
	if err != nil {
		return BranchSummary{}, err
	}
	for _, o := range obs {
		if o.Done == 0 {
			s.Pending = append(s.Pending, o.Type)
		}
	}
	if s.Unreached, err = b.unreached(ctx, stats, from); err != nil {
		return BranchSummary{}, err
	}
	return s, nil
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

func (s BranchSummary) meetingsText() string {
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

// markdown is the secretaries' weekly report (WeCom markdown).
func (s BranchSummary) markdown(week Date) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "**%s 周报（%s）**\n", s.Branch.Name, fmtWeek(week))
	fmt.Fprintf(&sb, "> 签到率：<font color=\"info\">%d%%</font>（%d/%d 人·工作日，已扣除请假）\n", s.Rate(), s.Checkins, s.Expected)
	fmt.Fprintf(&sb, "> 学习：%d 分钟，%d 次；达标 %d/%d 人\n", s.StudyMinutes, s.StudyReports, s.OnTarget, len(s.Members))
	fmt.Fprintf(&sb, "> 本周会议：%s\n", s.meetingsText())
	if len(s.Pending) > 0 {
		fmt.Fprintf(&sb, "> 本期应开未开：<font color=\"warning\">%s</font>\n", strings.Join(s.Pending, "、"))
	}
	if len(s.Unreached) > 0 {
		fmt.Fprintf(&sb, "> %d 人未收到，可能已离职或未激活：%s\n", len(s.Unreached), strings.Join(s.Unreached, "、"))
	}
	if len(s.Behind) > 0 {
		fmt.Fprintf(&sb, "学习未达标：%s", strings.Join(s.Behind, "、"))
	}
	return sb.String()
}

// chatText is the short version for the branch group chat: totals only,
// never names (no public ranking or shaming).
func (s BranchSummary) chatText(week Date) string {
	return fmt.Sprintf("%s 本周（%s）签到率 %d%%，共学习 %d 分钟、%d 次，召开会议：%s。辛苦大家！",
		s.Branch.Name, fmtWeek(week), s.Rate(), s.StudyMinutes, s.StudyReports, s.meetingsText())
}

// maxMarkdownBytes keeps each markdown message under WeCom's 2048 bytes.
const maxMarkdownBytes = 2000

// splitLines packs lines into texts of at most max bytes.
func splitLines(lines []string, max int) []string {
	var out []string
	var cur strings.Builder
	for _, l := range lines {
		if cur.Len() > 0 && cur.Len()+1+len(l) > max {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// weeklySummary sends each branch's report and chart to its secretaries and
// committee, a short version to its group chat, and the org view to admins.
func (b *Bot) weeklySummary(ctx context.Context, fire time.Time) ([]Outbound, error) {
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: read branches: %w", err)
	}
	week := weekStart(DateOf(fire, b.Location))
	var out []Outbound
	var orgLines []string
	var total BranchSummary
	for _, br := range branches {
		s, err := b.summarize(ctx, br, fire)
		if err != nil {
			return nil, err
		}
		total.Expected += s.Expected
		total.Checkins += s.Checkins
		total.StudyMinutes += s.StudyMinutes
		total.StudyReports += s.StudyReports
		if to := leaders(s.Members); len(to) > 0 {
			out = append(out, Outbound{Key: "summary:" + br.ID, Notice: Notice{To: to, Markdown: s.markdown(week)}})
			out = append(out, Outbound{Key: "chart:" + br.ID, Notice: Notice{To: to,
				Image: &Image{Name: br.ID + "-" + week.String() + ".png", PNG: WeekChart(s.DailyCheckins, len(s.Members))}}})
		}
		if br.ChatID != "" {
			out = append(out, Outbound{Key: "chat:" + br.ID, Notice: Notice{ChatID: br.ChatID, Text: s.chatText(week)}})
		}
		line := fmt.Sprintf("%s：签到率 %d%%，学习 %d 分钟/%d 次，会议 %s", br.Name, s.Rate(), s.StudyMinutes, s.StudyReports, s.meetingsText())
		if len(s.Pending) > 0 {
			line += "，<font color=\"warning\">未开 " + strings.Join(s.Pending, "、") + "</font>"
		}
		orgLines = append(orgLines, line)
	}
	admins, err := b.admins(ctx)
	if err != nil {
		return nil, err
	}
	if len(admins) > 0 {
		head := fmt.Sprintf("**全组织周报（%s）**\n> %d 个支部，签到率 %d%%，学习 %d 分钟、%d 次",
			fmtWeek(week), len(branches), total.Rate(), total.StudyMinutes, total.StudyReports)
		for i, text := range splitLines(append([]string{head}, orgLines...), maxMarkdownBytes) {
			out = append(out, Outbound{Key: fmt.Sprintf("org:%d", i), Notice: Notice{To: admins, Markdown: text}})
		}
	}
	return out, nil
}

// admins lists the org's active admins.
func (b *Bot) admins(ctx context.Context) ([]string, error) {
	all, err := b.Roster.AllMembers(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: list members: %w", err)
	}
	var out []string
	for _, m := range all {
		if m.Role == RoleAdmin && m.Active {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

// obligationsReminder tells each branch's leaders what is due or overdue.
func (b *Bot) obligationsReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: read branches: %w", err)
	}
	var out []Outbound
	for _, br := range branches {
		obs, err := b.Obligations(ctx, br.ID, fire)
		if err != nil {
			return nil, err
		}
		var due, overdue []string
		for _, o := range obs {
			this, last := o.Cadence.label()
			if o.Done == 0 {
				d := o.Due.Add(-time.Second)
				due = append(due, fmt.Sprintf("%s%s（%d月%d日前）", this, o.Type, d.Month(), d.Day()))
			}
			if o.MissedLast {
				overdue = append(overdue, last+o.Type)
			}
		}
		if len(due) == 0 && len(overdue) == 0 {
			continue
		}
		to, err := b.presentLeaders(ctx, br.ID, DateOf(fire, b.Location))
		if err != nil {
			return nil, err
		}
		if len(to) == 0 {
			continue
		}
		text := fmt.Sprintf("**%s 组织生活提醒**", br.Name)
		if len(due) > 0 {
			text += "\n> 待开：" + strings.Join(due, "、")
		}
		if len(overdue) > 0 {
			text += "\n> <font color=\"warning\">逾期未开：" + strings.Join(overdue, "、") + "</font>"
		}
		text += "\n开会时发送“会议 类型 标题”即可发签到码。"
		out = append(out, Outbound{Key: "obligations:" + br.ID, Notice: Notice{To: to, Markdown: text}})
	}
	return out, nil
}

// presentLeaders lists a branch's secretaries and committee not on leave on d.
func (b *Bot) presentLeaders(ctx context.Context, branchID string, d Date) ([]string, error) {
	present, err := b.notOnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range present {
		if m.leads() {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

const monthlyMemberText = "新的一月开始了：请按时交纳本月党费，并留意支部本月主题党日安排。"

// monthlyReminder reminds every member of 党费 and 主题党日, and leaders
// that this month's 主题党日 is to be held.
func (b *Bot) monthlyReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: read branches: %w", err)
	}
	day := DateOf(fire, b.Location)
	var everyone, leadersTo []string
	for _, br := range branches {
		present, err := b.notOnLeave(ctx, br.ID, day)
		if err != nil {
			return nil, err
		}
		for _, m := range present {
			everyone = append(everyone, m.UserID)
			if m.leads() {
				leadersTo = append(leadersTo, m.UserID)
			}
		}
	}
	month := fire.In(b.Location).Month()
	out := uniform("dues", everyone, Notice{Text: monthlyMemberText})
	out = append(out, uniform("themeday", leadersTo, Notice{Text: fmt.Sprintf(
		"%d月主题党日请提前安排：开展时发送“会议 主题党日 标题”，结束后发送“结束会议”留痕。", month)})...)
	return out, nil
}

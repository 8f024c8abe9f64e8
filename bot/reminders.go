package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
)

const checkinReminderText = "今天还没签到哦 ☀️ 发送“签到”即可。请假中的同志不会收到此提醒。"

// CheckinReminder says which branches get the daily check-in reminder.
// None unless turned on: no rule asks for a daily 打卡, and the 2024 rules
// on 形式主义 (整治形式主义为基层减负若干规定) reject forced check-ins.
type CheckinReminder struct {
	All      bool            // rules.checkin_reminder: every branch
	Branches map[string]bool // org.branches[].checkin_reminder where set; wins over All
}

// For reports whether branch id is reminded.
func (c CheckinReminder) For(id string) bool {
	if on, set := c.Branches[id]; set {
		return on
	}
	return c.All
}

// checkinReminder reminds everyone who has not checked in today, on
// working days only, in the branches that turned it on.
func (b *Bot) checkinReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	day := DateOf(fire, b.Location)
	if !b.Calendar.IsWorkday(day) {
		return nil, nil
	}
	var to []string
	err := b.eachBranch(ctx, func(br Branch) error {
		if !b.CheckinReminder.For(br.ID) {
			return nil
		}
		missing, err := b.NotCheckedIn(ctx, br.ID, day)
		for _, m := range missing {
			to = append(to, m.UserID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return uniform("checkin", to, Notice{Text: checkinReminderText}), nil
}

// studyReminder reminds members below the weekly targets (not those on
// leave today).
func (b *Bot) studyReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	if b.Targets == (StudyTargets{}) {
		return nil, nil
	}
	day := DateOf(fire, b.Location)
	var to []string
	err := b.eachBranch(ctx, func(br Branch) error {
		stats, err := b.BranchWeek(ctx, br.ID, fire)
		if err != nil {
			return err
		}
		away, err := b.OnLeave(ctx, br.ID, day)
		if err != nil {
			return err
		}
		for _, s := range stats {
			if s.Behind(b.Targets) != "" && !away[s.Member.UserID] {
				to = append(to, s.Member.UserID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// obligationsReminder tells each branch's leaders what is due or overdue.
func (b *Bot) obligationsReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		obs, err := b.Obligations(ctx, br.ID, fire)
		if err != nil {
			return err
		}
		var due, overdue []string
		for _, o := range obs {
			this, last := o.Cadence.label()
			if o.Done == 0 {
				d := o.Due.Add(-time.Second)
				due = append(due, fmt.Sprintf("%s%s（%d月%d日前）", this, o.Label(), d.Month(), d.Day()))
			}
			if o.MissedLast {
				overdue = append(overdue, last+o.Label())
			}
		}
		if len(due) == 0 && len(overdue) == 0 {
			return nil
		}
		to, err := b.presentLeaders(ctx, br.ID, DateOf(fire, b.Location))
		if err != nil || len(to) == 0 {
			return err
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
		return nil
	})
	return out, err
}

// presentLeaders lists a branch's secretaries and committee not on leave on d.
func (b *Bot) presentLeaders(ctx context.Context, branchID string, d Date) ([]string, error) {
	present, err := b.notOnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range present {
		if m.Role.Leads() {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

const monthlyMemberText = "新的一月开始了：请留意支部本月主题党日安排。党费在支部收缴日提醒，交了发“党费 已交”。"

// monthlyReminder reminds every member of 党费 and 主题党日, and leaders
// that this month's 主题党日 is to be held.
func (b *Bot) monthlyReminder(ctx context.Context, fire time.Time) ([]Outbound, error) {
	day := DateOf(fire, b.Location)
	var everyone, leadersTo []string
	var planned []Outbound // branches with a 主题党日 plan: its theme to all
	err := b.eachBranch(ctx, func(br Branch) error {
		present, err := b.notOnLeave(ctx, br.ID, day)
		if err != nil {
			return err
		}
		theme, err := b.themeLine(ctx, br.ID, MonthOf(day))
		if err != nil {
			return err
		}
		if theme != "" {
			var to []string
			for _, m := range present {
				everyone = append(everyone, m.UserID)
				to = append(to, m.UserID)
			}
			planned = append(planned, uniform("themeday:"+br.ID, to, Notice{Text: theme + "。请留意支部安排，按时参加。"})...)
			return nil
		}
		for _, m := range present {
			everyone = append(everyone, m.UserID)
			if m.Role.Leads() {
				leadersTo = append(leadersTo, m.UserID)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	month := fire.In(b.Location).Month()
	out := uniform("dues", everyone, Notice{Text: monthlyMemberText})
	out = append(out, uniform("themeday", leadersTo, Notice{Text: fmt.Sprintf(
		"%d月主题党日请提前安排：发“主题党日 计划 主题”定主题，开展时发送“会议 主题党日 标题”，结束后发送“结束会议”留痕。", month)})...)
	out = append(out, planned...)
	warnings, err := b.earlyWarnings(ctx, fire)
	if err != nil {
		return nil, err
	}
	return append(out, warnings...), nil
}

package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The development job (daily): each reminder of the path once, by Steps.Once.
//   - the talk due within a month of an application (to the secretary, a
//     week before the deadline and when it has passed);
//   - the half-yearly 考察 (to the secretary, when due);
//   - a quarterly 思想汇报 nudge to 积极分子, 发展对象 and 预备党员 who have not
//     handed one in this quarter (from the quarter's last month), with a copy
//     of who is late to their 培养联系人;
//   - the 3-month 审批 deadline (to the admins, a month before and when passed);
//   - the first year as 积极分子 reached (to the secretary).
//
// A manual run sends each secretary every step due within 14 days or
// overdue, whatever was sent before.
func (b *Bot) developmentReminders(ctx context.Context, run JobRun) ([]Outbound, error) {
	today := DateOf(run.Fire, b.Location)
	token := JobRunToken(run)
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return nil, err
	}
	admins, err := b.admins(ctx)
	if err != nil {
		return nil, err
	}
	var out []Outbound
	for _, br := range branches {
		people, err := b.Development.BranchApplicants(ctx, br.ID)
		if err != nil {
			return nil, fmt.Errorf("bot: list applicants: %w", err)
		}
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return nil, fmt.Errorf("bot: branch members: %w", err)
		}
		secretaries := leadersOf(members)
		if run.Manual {
			if text := dueWithin(people, today, developDueAhead, b.Calendar); text != "" && len(secretaries) > 0 {
				out = append(out, Outbound{Key: "dev:" + br.ID + ":due", Notice: Notice{To: secretaries, Text: text}})
			}
			continue
		}
		for _, a := range people {
			if !a.OnPath() {
				continue
			}
			for _, r := range b.applicantReminders(a, today, secretaries, admins) {
				mine, err := b.Steps.Once(ctx, br.ID, "dev:"+a.UserID+":"+r.step, token)
				if err != nil {
					return nil, err
				}
				if mine {
					out = append(out, Outbound{Key: "dev:" + br.ID + ":" + a.UserID + ":" + r.step, Notice: r.notice})
				}
			}
		}
		nudges, err := b.thoughtReportNudges(ctx, br, people, members, today, token)
		if err != nil {
			return nil, err
		}
		out = append(out, nudges...)
	}
	return out, nil
}

type devReminder struct {
	step   string // the one-time step's name: what and for which date
	notice Notice
}

// applicantReminders are the reminders one person's dates call for today.
func (b *Bot) applicantReminders(a Applicant, today Date, secretaries, admins []string) []devReminder {
	var out []devReminder
	add := func(step string, to []string, text string) {
		if len(to) > 0 {
			out = append(out, devReminder{step, Notice{To: to, Text: text}})
		}
	}
	name := a.DisplayName()
	if applied, ok := a.last(DevApplied); ok && !a.has(DevTalked) {
		deadline := applied.Date.AddDays(talkWithinDays)
		switch {
		case deadline.Before(today):
			add("talk-late:"+applied.Date.String(), secretaries, fmt.Sprintf("【发展党员】%s %s 递交入党申请，谈话期限 %s 已过（一个月内派人谈话，发展党员工作细则 第六条）。谈话后发“发展 谈话 @%s 日期”。", name, applied.Date, deadline, a.UserID))
		case !today.Before(deadline.AddDays(-7)):
			add("talk:"+applied.Date.String(), secretaries, fmt.Sprintf("【发展党员】%s 的入党申请（%s）须在 %s 前派人谈话。", name, applied.Date, deadline))
		}
	}
	if s := a.Stage(); s == StageActivist || s == StageCandidate {
		act, _ := a.last(DevActivist)
		review, _ := a.nextReview(act.Date)
		if !today.Before(review.Latest) {
			add("review:"+review.Latest.String(), secretaries, fmt.Sprintf("【发展党员】%s 的半年培养考察到期（%s），考察后发“发展 考察 @%s 日期 意见”。", name, review.Latest, a.UserID))
		}
		if yearOn := addMonths(act.Date, activistMonths); s == StageActivist && !today.Before(yearOn) {
			add("year:"+yearOn.String(), secretaries, fmt.Sprintf("【发展党员】%s 作为入党积极分子已满一年（%s 起），可由支委会研究是否确定为发展对象。", name, act.Date))
		}
	}
	if voted, ok := a.last(DevVoted); ok && a.Stage() == StageVoted && voted.Passed() {
		deadline := addMonths(voted.Date, approveWithinMonths).AddDays(-1)
		switch {
		case deadline.Before(today):
			add("approve-late:"+voted.Date.String(), admins, fmt.Sprintf("【发展党员】%s（%s）%s 经支部大会通过，审批期限 %s 已过（三个月内审批，发展党员工作细则 第二十六条）。", name, a.BranchID, voted.Date, deadline))
		case !today.Before(deadline.AddDays(-30)):
			add("approve:"+voted.Date.String(), admins, fmt.Sprintf("【发展党员】%s（%s）%s 经支部大会通过，请在 %s 前审批：发展 审批 @%s 日期", name, a.BranchID, voted.Date, deadline, a.UserID))
		}
	}
	return out
}

// thoughtReportNudges remind, once a quarter from its last month, those who
// hand in 思想汇报 (积极分子, 发展对象 and 预备党员) and have none this
// quarter; each 培养联系人 learns who of theirs is late.
func (b *Bot) thoughtReportNudges(ctx context.Context, br Branch, people []Applicant, members []Member, today Date, token string) ([]Outbound, error) {
	quarterStart := Month{today.Year, time.Month((int(today.Month)-1)/3*3 + 1)}
	if MonthOf(today).Since(quarterStart) != 2 {
		return nil, nil
	}
	since := quarterStart.First()
	type writer struct {
		userID, name string
		contacts     []string
	}
	var writers []writer
	for _, a := range people {
		if s := a.Stage(); s == StageActivist || s == StageCandidate || s == StageVoted {
			writers = append(writers, writer{a.UserID, a.DisplayName(), a.Contacts()})
		}
	}
	for _, m := range members {
		if m.Status == StatusProbationary {
			writers = append(writers, writer{m.UserID, m.DisplayName(), nil})
		}
	}
	step := fmt.Sprintf("dev:report:%d-Q%d", today.Year, (int(today.Month)-1)/3+1)
	mine, err := b.Steps.Once(ctx, br.ID, step, token)
	if err != nil || !mine {
		return nil, err
	}
	var late []string
	byContact := map[string][]string{}
	for _, w := range writers {
		reports, err := b.Development.ThoughtReports(ctx, br.ID, w.userID)
		if err != nil {
			return nil, fmt.Errorf("bot: thought reports: %w", err)
		}
		if reportsSince(reports, Span{since, since}.Start(b.Location)) > 0 {
			continue
		}
		late = append(late, w.userID)
		for _, c := range w.contacts {
			byContact[c] = append(byContact[c], w.name)
		}
	}
	key := "dev:" + br.ID + ":" + step
	out := uniform(key, late, Notice{Text: "本季度还没有提交思想汇报。发“思想汇报 内容”即可，只送培养联系人和支部书记。"})
	for _, c := range slices.Sorted(maps.Keys(byContact)) {
		names := byContact[c]
		out = append(out, Outbound{Key: key + ":contact:" + c, Notice: Notice{To: []string{c}, Text: "你联系培养的同志本季度尚未提交思想汇报：" + strings.Join(names, "、") + "。"}})
	}
	return out, nil
}

// dueWithin lists every step due within days or overdue, for a secretary.
func dueWithin(people []Applicant, today Date, days int, cal Calendar) string {
	var lines []string
	horizon := today.AddDays(days)
	for _, a := range people {
		if !a.OnPath() {
			continue
		}
		next, ok := a.Next(cal)
		if !ok {
			continue
		}
		when := next.Latest
		if when.IsZero() {
			when = next.Earliest
		}
		if when.IsZero() || horizon.Before(when) {
			continue
		}
		line := "· " + a.DisplayName() + "：" + next.describe()
		if next.Overdue(today) {
			line += "（已逾期）"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return ""
	}
	return fmt.Sprintf("【发展党员】%d 天内到期或已逾期的步骤：\n%s", days, strings.Join(lines, "\n"))
}

// pipelineLine is the weekly summary's line: "发展：申请人 2，积极分子 3，
// 发展对象 1；逾期 1", or "" when nobody is on the path.
func (b *Bot) pipelineLine(people []Applicant, today Date) string {
	counts, overdue, any := map[DevStage]int{}, 0, false
	for _, a := range people {
		if !a.OnPath() {
			continue
		}
		any = true
		counts[a.Stage()]++
		if next, ok := a.Next(b.Calendar); ok && next.Overdue(today) {
			overdue++
		}
	}
	if !any {
		return ""
	}
	return "发展：" + pipelineCounts(counts, overdue)
}

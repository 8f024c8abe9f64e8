package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// What the people on the path and their leaders see: 发展 进度 for leaders,
// 入党进度 and 思想汇报 for the person.

// developProgress handles "发展 进度 [@userid]": each person's stage, last
// step and next step with its window, overdue first.
func (b *Bot) developProgress(ctx context.Context, req Request) (Reply, error) {
	branch, refusal, err := b.targetBranch(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	people, err := b.Development.BranchApplicants(ctx, branch.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list applicants: %w", err)
	}
	today := DateOf(req.Now, b.Location)
	if len(req.Args) > 0 && strings.HasPrefix(Normalize(req.Args[len(req.Args)-1]), "@") {
		id := mentionOf(req, req.Args[len(req.Args)-1])
		i := slices.IndexFunc(people, func(a Applicant) bool { return a.UserID == id })
		if i < 0 {
			return Reply{Text: "@" + id + " 不在本支部的发展名单中。"}, nil
		}
		return Reply{Text: b.applicantDetail(people[i], today)}, nil
	}
	var lines []string
	counts := map[DevStage]int{}
	overdue := 0
	type row struct {
		late bool
		due  Date
		text string
	}
	var rows []row
	for _, a := range people {
		if !a.OnPath() {
			continue
		}
		counts[a.Stage()]++
		next, _ := a.Next(b.Calendar)
		late := next.Overdue(today)
		if late {
			overdue++
		}
		last := a.Records[len(a.Records)-1]
		text := fmt.Sprintf("%s｜%s｜上一步 %s %s｜下一步 %s", a.DisplayName(), a.Stage(), last.Step, fmtDay(last.Date), next.short())
		if late {
			text = "⚠️ " + text + "（已逾期）"
		}
		rows = append(rows, row{late, cmp.Or(next.Latest, next.Earliest), text})
	}
	if len(rows) == 0 {
		return Reply{Text: branch.Name + "目前没有发展中的人员。登记入党申请：发展 申请人 @userid 姓名 日期"}, nil
	}
	slices.SortStableFunc(rows, func(x, y row) int {
		if x.late != y.late {
			if x.late {
				return -1
			}
			return 1
		}
		return cmp.Compare(x.due.Number(), y.due.Number())
	})
	lines = append(lines, branch.Name+" 发展党员："+pipelineCounts(counts, overdue))
	for _, r := range rows {
		lines = append(lines, r.text)
	}
	return Reply{Text: strings.Join(lines, "\n")}, nil
}

// pipelineCounts is "申请人 2，积极分子 3，发展对象 1；逾期 1".
func pipelineCounts(counts map[DevStage]int, overdue int) string {
	s := fmt.Sprintf("申请人 %d，积极分子 %d，发展对象 %d", counts[StageApplicant], counts[StageActivist], counts[StageCandidate]+counts[StageVoted])
	if overdue > 0 {
		s += fmt.Sprintf("；逾期 %d", overdue)
	}
	return s
}

// short is the next step with its deadline or earliest day.
func (d DevDue) short() string {
	switch {
	case !d.Latest.IsZero():
		return string(d.Step) + "（" + fmtDay(d.Latest) + "前）"
	case !d.Earliest.IsZero():
		return string(d.Step) + "（" + fmtDay(d.Earliest) + "起）"
	}
	return string(d.Step)
}

// applicantDetail lists one person's steps and what comes next.
func (b *Bot) applicantDetail(a Applicant, today Date) string {
	lines := []string{fmt.Sprintf("%s：%s", a.DisplayName(), a.Stage())}
	for _, r := range a.Records {
		line := "· " + r.Date.String() + " " + string(r.Step)
		switch {
		case r.Step == DevActivist:
			line += "（培养联系人 " + strings.Join(r.With, "、") + "）"
		case r.Step == DevTrained:
			line += fmt.Sprintf("（%d 学时）", r.Hours)
		case r.Step == DevVoted:
			line += fmt.Sprintf("（赞成 %d、反对 %d、弃权 %d，应到有表决权 %d）", r.Yes, r.No, r.Abstain, r.Entitled)
		}
		lines = append(lines, line)
	}
	if next, ok := a.Next(b.Calendar); ok {
		line := "下一步：" + next.describe()
		if next.Overdue(today) {
			line += "（已逾期）"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// myDevelopment handles "入党进度": the sender's own stage and next step,
// and nobody else's.
func (b *Bot) myDevelopment(ctx context.Context, req Request) (Reply, error) {
	a, found, err := b.Development.Applicant(ctx, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read applicant: %w", err)
	}
	if !found {
		return Reply{Text: "没有你的入党申请记录。递交入党申请书后，由支部书记登记。"}, nil
	}
	today := DateOf(req.Now, b.Location)
	text := fmt.Sprintf("你目前是：%s（%s 递交入党申请）", a.Stage(), a.dateOf(DevApplied))
	if next, ok := a.Next(b.Calendar); ok {
		text += "\n接下来：" + next.describe()
		if next.Overdue(today) {
			text += "（请联系支部书记）"
		}
	}
	if a.OnPath() || a.Stage() == StageAdmitted {
		text += "\n思想汇报：发“思想汇报 内容”，10 分钟内可补发图片；只送培养联系人和支部书记。"
	}
	return Reply{Text: text}, nil
}

// thoughtReport handles "思想汇报 内容": kept with its date and sent to the
// person's 培养联系人 and the branch's leaders, never to a group.
func (b *Bot) thoughtReport(ctx context.Context, req Request) (Reply, error) {
	content := Plain(argText(req.Msg.Text))
	if content == "" {
		return Reply{Text: "用法：思想汇报 内容（可以多行；10 分钟内发的图片一并送出）"}, nil
	}
	if len([]rune(content)) > maxAnnounceRunes {
		return Reply{Text: fmt.Sprintf("思想汇报最多 %d 字，可分几次发送，或以图片形式补发。", maxAnnounceRunes)}, nil
	}
	a, found, err := b.Development.Applicant(ctx, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read applicant: %w", err)
	}
	branchID := req.Member.BranchID
	if found {
		branchID = a.BranchID
	} else if req.Member.Status != StatusProbationary {
		return Reply{Text: "思想汇报由入党积极分子、发展对象和预备党员提交。"}, nil
	}
	r := ThoughtReport{BranchID: branchID, UserID: req.Member.UserID, At: req.Now, Op: req.Msg.DedupeKey(), Text: content}
	if _, err := b.Development.AddThoughtReport(ctx, r); err != nil {
		return Reply{}, fmt.Errorf("bot: store thought report: %w", err)
	}
	to, err := b.thoughtReportReaders(ctx, branchID, a.Contacts())
	if err != nil {
		return Reply{}, err
	}
	name := req.Member.DisplayName()
	notice := Notice{To: to, Text: fmt.Sprintf("【思想汇报】%s %s\n%s", name, DateOf(req.Now, b.Location), content)}
	return Reply{Text: fmt.Sprintf("已收到你的思想汇报（%s），已送培养联系人和支部书记。10 分钟内发的图片会一并送出。", DateOf(req.Now, b.Location)),
		Notices: []Notice{notice}}, nil
}

// thoughtReportReaders are those a 思想汇报 reaches: the 培养联系人 and the
// branch's secretaries and committee (the leaders), nobody else.
func (b *Bot) thoughtReportReaders(ctx context.Context, branchID string, contacts []string) ([]string, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: branch members: %w", err)
	}
	to := slices.Clone(contacts)
	for _, m := range members {
		if m.Role.Leads() && !slices.Contains(to, m.UserID) {
			to = append(to, m.UserID)
		}
	}
	slices.Sort(to)
	return to, nil
}

// attachToThoughtReport forwards a picture sent within 10 minutes of a
// 思想汇报 to the same readers.
func (b *Bot) attachToThoughtReport(ctx context.Context, req Request) (reply Reply, attached bool, err error) {
	a, found, err := b.Development.Applicant(ctx, req.Member.UserID)
	if err != nil {
		return Reply{}, false, fmt.Errorf("bot: read applicant: %w", err)
	}
	branchID := req.Member.BranchID
	if found {
		branchID = a.BranchID
	} else if req.Member.Status != StatusProbationary {
		return Reply{}, false, nil
	}
	media := Media{Type: "image", ID: req.Msg.MediaID}
	r, attached, err := b.Development.AttachToThoughtReport(ctx, branchID, req.Member.UserID, media, req.Now.Add(-thoughtReportWindow))
	if err != nil || !attached {
		return Reply{}, false, err
	}
	to, err := b.thoughtReportReaders(ctx, branchID, a.Contacts())
	if err != nil {
		return Reply{}, false, err
	}
	return Reply{Text: fmt.Sprintf("📎 图片已附在 %s 的思想汇报后（共 %d 张），已送出。", DateOf(r.At, b.Location), len(r.Media)),
		Notices: []Notice{{To: to, Media: &media}}}, true, nil
}

// applicantImage is a picture from someone on the path: it goes with their
// 思想汇报 of the last 10 minutes, or is not kept.
func (b *Bot) applicantImage(ctx context.Context, req Request) (Reply, error) {
	reply, attached, err := b.attachToThoughtReport(ctx, req)
	if err != nil || attached {
		return reply, err
	}
	return Reply{Text: "图片请在“思想汇报 内容”之后 10 分钟内发送。"}, nil
}

// applicantMember is how a person on the path is seen by the commands they
// may use: a member of no role, of their branch, with no status.
func applicantMember(a Applicant) Member {
	return Member{UserID: a.UserID, Name: a.Name, BranchID: a.BranchID, Role: RoleMember, Active: true}
}

// reportsThisQuarter counts a person's 思想汇报 in the quarter of today.
func reportsSince(reports []ThoughtReport, since time.Time) int {
	n := 0
	for _, r := range reports {
		if !r.At.Before(since) {
			n++
		}
	}
	return n
}

// developmentRegister is the branch's 发展党员 register as it stood at the
// end of a day: each person's steps recorded by then (the ledger's sheet).
func (b *Bot) developmentRegister(ctx context.Context, branchID string, until Date) ([]Applicant, error) {
	people, err := b.Development.BranchApplicants(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: development of %s: %w", branchID, err)
	}
	var out []Applicant
	for _, a := range people {
		var kept []DevRecord
		for _, r := range a.Records {
			if !until.Before(r.Date) {
				kept = append(kept, r)
			}
		}
		if len(kept) > 0 {
			a.Records = kept
			out = append(out, a)
		}
	}
	return out, nil
}

// StageAt is the person's stage after the records given (the register).
func (a Applicant) StageAt() DevStage { return a.Stage() }

// RecordNote is what the register shows beside a step: the 联系人 or
// 谈话人, 学时, the vote, or the note.
func (r DevRecord) RecordNote() string {
	switch r.Step {
	case DevActivist:
		return "培养联系人 " + strings.Join(r.With, "、")
	case DevTalked:
		return "谈话人 " + strings.Join(r.With, "、")
	case DevTrained:
		return fmt.Sprintf("%d 学时", r.Hours)
	case DevVoted:
		verdict := "通过"
		if !r.Passed() {
			verdict = "未通过"
		}
		return fmt.Sprintf("赞成 %d、反对 %d、弃权 %d；有表决权 %d 人；%s", r.Yes, r.No, r.Abstain, r.Entitled, verdict)
	}
	return Plain(r.Note)
}

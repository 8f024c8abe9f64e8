package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// 发展党员: the path from 入党申请 to 预备党员 (中国共产党发展党员工作细则, 2014).
// People on it are WeCom users of the corp kept apart from the roster: no
// vote, no quorum weight, no dues, no member reminders, not in 名单. A
// leader registers them (发展 申请人); then they may ask for their own
// stage (入党进度) and hand in 思想汇报, and nothing else.

// DevStep is one recorded step of the path.
type DevStep string

// Steps, in the order of the official register (细则's numbering in the
// comments).
const (
	DevApplied    DevStep = "申请"   // 1 入党申请书 received
	DevTalked     DevStep = "谈话"   // 2 the branch talks with the applicant, within a month
	DevActivist   DevStep = "积极分子" // 3–5 set by the 支委会, 备案, two 培养联系人
	DevReviewed   DevStep = "考察"   // 6 培养考察, every six months
	DevCandidate  DevStep = "发展对象" // 7–9 after at least a year as 积极分子
	DevVetted     DevStep = "政审"   // 10 政治审查
	DevTrained    DevStep = "培训"   // 11 集中培训, ≥ 3 days or 24 学时
	DevPublished  DevStep = "公示"   // before 预审, ≥ 5 working days (practice varies)
	DevPreChecked DevStep = "预审"   // 13 the committee's 预审
	DevVoted      DevStep = "大会"   // 15 the 支部大会 vote
	DevApproved   DevStep = "审批"   // 17 the committee approves within 3 months
	DevWithdrawn  DevStep = "撤销"   // leaves the path
)

// DevStage is where a person stands on the path.
type DevStage string

// Stages.
const (
	StageApplicant DevStage = "入党申请人"
	StageActivist  DevStage = "入党积极分子"
	StageCandidate DevStage = "发展对象"
	StageVoted     DevStage = "待审批"
	StageAdmitted  DevStage = "预备党员"
	StageLeft      DevStage = "已撤销"
)

// Time rules of the path (发展党员工作细则 2014).
const (
	talkWithinDays      = 30 // 第六条: talk within a month of the application
	reviewEveryMonths   = 6  // 第十一条: 考察 every half year
	activistMonths      = 12 // 第十三条: a year as 积极分子 before 发展对象
	trainingMinHours    = 24 // 第十六条: ≥ 3 days or 24 学时
	publicityWorkdays   = 5  // 公示 of at least five working days before 预审
	approveWithinMonths = 3  // 第二十六条: 审批 within three months of the 支部大会
	developDueAhead     = 14 // a manual run lists what falls due within two weeks
	thoughtReportWindow = 10 * time.Minute
)

// DevRecord is one step as a leader recorded it.
type DevRecord struct {
	Step  DevStep   `json:"step"`
	Date  Date      `json:"date"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Op    string    `json:"op"` // the message that recorded it: a retry adds nothing
	With  []string  `json:"with,omitempty"`
	Note  string    `json:"note,omitempty"`
	Hours int       `json:"hours,omitempty"`
	// The 支部大会's vote and how many were entitled to vote.
	Yes      int `json:"yes,omitempty"`
	No       int `json:"no,omitempty"`
	Abstain  int `json:"abstain,omitempty"`
	Entitled int `json:"entitled,omitempty"`
}

// Applicant is a person on the path and the steps recorded for them.
type Applicant struct {
	UserID   string      `json:"userid"`
	Name     string      `json:"name"`
	BranchID string      `json:"branch"`
	Records  []DevRecord `json:"records"`
}

// last is the latest record of step.
func (a Applicant) last(step DevStep) (DevRecord, bool) {
	for i := len(a.Records) - 1; i >= 0; i-- {
		if a.Records[i].Step == step {
			return a.Records[i], true
		}
	}
	return DevRecord{}, false
}

// passedVote reports whether the latest 支部大会 vote passed; a failed vote
// leaves the person a 发展对象.
func (a Applicant) passedVote() bool {
	r, ok := a.last(DevVoted)
	return ok && r.Passed()
}

func (a Applicant) has(step DevStep) bool { _, ok := a.last(step); return ok }

func (a Applicant) count(step DevStep) int {
	n := 0
	for _, r := range a.Records {
		if r.Step == step {
			n++
		}
	}
	return n
}

// Stage is where the person stands.
func (a Applicant) Stage() DevStage {
	switch {
	case a.has(DevWithdrawn):
		return StageLeft
	case a.has(DevApproved):
		return StageAdmitted
	case a.passedVote():
		return StageVoted
	case a.has(DevCandidate):
		return StageCandidate
	case a.has(DevActivist):
		return StageActivist
	}
	return StageApplicant
}

// OnPath reports whether the person is still being developed.
func (a Applicant) OnPath() bool {
	s := a.Stage()
	return s != StageLeft && s != StageAdmitted
}

// Contacts are the two 培养联系人 named when the person became an activist.
func (a Applicant) Contacts() []string {
	r, _ := a.last(DevActivist)
	return r.With
}

// DisplayName is the name, or the userid.
func (a Applicant) DisplayName() string {
	if name := Plain(a.Name); name != "" {
		return name
	}
	return a.UserID
}

// DevDue is a step that falls due: its window and why.
type DevDue struct {
	Step             DevStep
	Earliest, Latest Date // Latest zero: no deadline
	What             string
}

// Overdue reports whether the deadline has passed on today.
func (d DevDue) Overdue(today Date) bool { return !d.Latest.IsZero() && d.Latest.Before(today) }

// Next is the step that comes next and its window, by the 细则's time rules.
func (a Applicant) Next(cal Calendar) (DevDue, bool) {
	applied, _ := a.last(DevApplied)
	switch a.Stage() {
	case StageApplicant:
		if !a.has(DevTalked) {
			return DevDue{DevTalked, applied.Date, applied.Date.AddDays(talkWithinDays), "派人谈话（收到申请书一个月内）"}, true
		}
		return DevDue{Step: DevActivist, Earliest: a.Records[len(a.Records)-1].Date, What: "支委会确定为入党积极分子，指定两名培养联系人"}, true
	case StageActivist:
		act, _ := a.last(DevActivist)
		if a.count(DevReviewed) >= 2 {
			return DevDue{Step: DevCandidate, Earliest: addMonths(act.Date, activistMonths), What: "支委会确定为发展对象"}, true
		}
		return a.nextReview(act.Date)
	case StageCandidate:
		switch {
		case !a.has(DevVetted):
			return DevDue{Step: DevVetted, Earliest: a.dateOf(DevCandidate), What: "政治审查"}, true
		case !a.has(DevTrained):
			return DevDue{Step: DevTrained, Earliest: a.dateOf(DevCandidate), What: "集中培训（不少于 3 天或 24 学时）"}, true
		case !a.has(DevPreChecked):
			from := a.dateOf(DevCandidate)
			if a.has(DevPublished) {
				from = addWorkdays(a.dateOf(DevPublished), publicityWorkdays, cal)
			}
			return DevDue{Step: DevPreChecked, Earliest: from, What: "报党委预审"}, true
		}
		return DevDue{Step: DevVoted, Earliest: a.dateOf(DevPreChecked), What: "召开支部大会讨论接收预备党员"}, true
	case StageVoted:
		voted := a.dateOf(DevVoted)
		return DevDue{DevApproved, voted, addMonths(voted, approveWithinMonths).AddDays(-1), "党委审批（支部大会后三个月内）"}, true
	}
	return DevDue{}, false
}

// nextReview is the half-yearly 考察 that comes next.
func (a Applicant) nextReview(activist Date) (DevDue, bool) {
	from := activist
	if r, ok := a.last(DevReviewed); ok {
		from = r.Date
	}
	due := addMonths(from, reviewEveryMonths)
	return DevDue{DevReviewed, from, due, "培养考察（每半年一次）"}, true
}

func (a Applicant) dateOf(step DevStep) Date { r, _ := a.last(step); return r.Date }

// addWorkdays is the n-th working day after d.
func addWorkdays(d Date, n int, cal Calendar) Date {
	for n > 0 {
		d = d.AddDays(1)
		if cal.IsWorkday(d) {
			n--
		}
	}
	return d
}

// DevelopmentStore keeps the path's people, their steps and 思想汇报.
type DevelopmentStore interface {
	// Applicant finds a person on the path (or admitted from it) by userid.
	Applicant(ctx context.Context, userID string) (a Applicant, found bool, err error)
	// BranchApplicants lists a branch's people, ordered by userid.
	BranchApplicants(ctx context.Context, branchID string) ([]Applicant, error)
	// BranchApplicantsMany is BranchApplicants of several branches in one
	// round trip (the weekly summary reads branches in chunks).
	BranchApplicantsMany(ctx context.Context, branchIDs []string) (map[string][]Applicant, error)
	// UpdateApplicant changes one person atomically: fn sees the stored
	// record (exists=false for a new one) and edits it; an error from fn
	// stores nothing and is returned as it is.
	UpdateApplicant(ctx context.Context, branchID, userID string, fn func(a *Applicant, exists bool) error) (Applicant, error)
	// AddThoughtReport stores r once per r.Op (first=false for a repeat).
	AddThoughtReport(ctx context.Context, r ThoughtReport) (first bool, err error)
	// ThoughtReports lists a person's reports, oldest first.
	ThoughtReports(ctx context.Context, branchID, userID string) ([]ThoughtReport, error)
	// SaveMembers writes roster records: an approved person joins the
	// branch as a 预备党员.
	SaveMembers(ctx context.Context, ms []Member) error
	// AttachToThoughtReport adds a picture to the person's latest report
	// if it was handed in since.
	AttachToThoughtReport(ctx context.Context, branchID, userID string, m Media, since time.Time) (r ThoughtReport, attached bool, err error)
}

// ThoughtReport is a 思想汇报: it reaches the person's 培养联系人 and the
// branch's leaders only, never a group.
type ThoughtReport struct {
	BranchID string    `json:"branch"`
	UserID   string    `json:"userid"`
	At       time.Time `json:"at"`
	Op       string    `json:"op"`
	Text     string    `json:"text"`
	Media    []Media   `json:"media,omitempty"`
}

// devRefusal is a reply naming the rule that refuses a step.
type devRefusal string

func (r devRefusal) Error() string { return string(r) }

// developUsage lists the 发展 subcommands.
const developUsage = "用法：发展 申请人|谈话|积极分子|考察|发展对象|政审|培训|公示|预审|大会|审批|进度|撤销 …\n例如：发展 申请人 @zhaoliu 赵六 2026-03-01"

// develop handles "发展" without a known word.
func (b *Bot) develop(context.Context, Request) (Reply, error) {
	return Reply{Text: developUsage}, nil
}

// devTarget reads "@userid" (a WeCom user, not a member) and the date
// after it from the arguments.
func devTarget(req Request, usage string) (userID string, rest []string, problem string) {
	args := req.Args
	if len(args) == 0 || !strings.HasPrefix(Normalize(args[0]), "@") {
		return "", nil, usage
	}
	id := mentionOf(req, args[0])
	if !ValidUserID(id) {
		return "", nil, "“" + cutRunes(args[0], 20) + "”不是有效的 userid。" + usage
	}
	return id, args[1:], ""
}

// devDate reads a step's date: YYYY-MM-DD, 11-20, 今天…; never in the future.
func devDate(word string, today Date) (Date, string) {
	d, ok := parseDay(Normalize(word), today)
	if !ok {
		return Date{}, "日期写作 2026-03-01 或 3-1。"
	}
	if today.Before(d) {
		return Date{}, "日期 " + d.String() + " 还没到：发展党员的每一步都在做完后登记。"
	}
	return d, ""
}

// devStepRun is a 发展 subcommand that records one step for @userid.
type devStepRun func(b *Bot, ctx context.Context, req Request, a *Applicant, exists bool, rec *DevRecord, rest []string) error

// recordStep is the shared frame of the step subcommands: the target, the
// date, the branch, the rule check (run), the stored record, the audit.
func (b *Bot) recordStep(step DevStep, usage string, run devStepRun) HandlerFunc {
	return func(ctx context.Context, req Request) (Reply, error) {
		userID, rest, problem := devTarget(req, usage)
		if problem != "" {
			return Reply{Text: problem}, nil
		}
		if step != DevApplied {
			if _, found, err := b.Roster.Member(ctx, userID); err != nil {
				return Reply{}, fmt.Errorf("bot: look up %s: %w", userID, err)
			} else if found && step != DevApproved {
				return Reply{Text: "@" + userID + " 已在党员名册中。"}, nil
			}
		}
		today := DateOf(req.Now, b.Location)
		branchID := req.Member.BranchID
		if existing, found, err := b.Development.Applicant(ctx, userID); err != nil {
			return Reply{}, fmt.Errorf("bot: read applicant: %w", err)
		} else if found {
			if !req.Member.Leads(existing.BranchID) {
				return Reply{Text: "@" + userID + " 不是本支部的发展对象。"}, nil
			}
			branchID = existing.BranchID
		}
		if branchID == "" {
			return Reply{Text: "党委管理员请在支部书记登记后再操作（先由支部 发展 申请人）。"}, nil
		}
		var stored DevRecord
		a, err := b.Development.UpdateApplicant(ctx, branchID, userID, func(a *Applicant, exists bool) error {
			for _, r := range a.Records {
				if r.Op == req.Msg.DedupeKey() {
					stored = r
					return nil // a retry of a step already recorded
				}
			}
			if !exists && step != DevApplied {
				return devRefusal("@" + userID + " 还没有登记入党申请：先发“发展 申请人 @" + userID + " 姓名 日期”。")
			}
			if exists && step == DevApplied {
				return devRefusal("@" + userID + " 已登记过入党申请（" + a.dateOf(DevApplied).String() + "）。")
			}
			if exists && !a.OnPath() && step != DevWithdrawn {
				return devRefusal("@" + userID + " 现在是" + string(a.Stage()) + "，不在发展流程中。")
			}
			rec := DevRecord{Step: step, By: req.Member.UserID, At: req.Now, Op: req.Msg.DedupeKey()}
			if step == DevApplied { // 发展 申请人 @userid 姓名 日期
				if len(rest) < 2 || HasHiddenRunes(rest[0]) {
					return devRefusal(usage)
				}
				a.UserID, a.Name, a.BranchID, rest = userID, Plain(rest[0]), branchID, rest[1:]
			}
			if len(rest) == 0 && step != DevWithdrawn {
				return devRefusal(usage)
			}
			if step != DevWithdrawn {
				d, problem := devDate(rest[0], today)
				if problem != "" {
					return devRefusal(problem + "\n" + usage)
				}
				rec.Date, rest = d, rest[1:]
				if len(a.Records) > 0 {
					if prev := a.Records[len(a.Records)-1]; rec.Date.Before(prev.Date) {
						return devRefusal(fmt.Sprintf("日期不能早于上一步“%s”（%s）。", prev.Step, prev.Date))
					}
				}
			} else {
				rec.Date = today
			}
			if err := run(b, ctx, req, a, exists, &rec, rest); err != nil {
				return err
			}
			a.Records = append(a.Records, rec)
			stored = rec
			return nil
		})
		var refusal devRefusal
		switch {
		case errors.As(err, &refusal):
			return Reply{Text: string(refusal)}, nil
		case err != nil:
			return Reply{}, fmt.Errorf("bot: record %s: %w", step, err)
		}
		detail := string(step) + " " + stored.Date.String()
		if err := b.audit(ctx, req, "develop."+devAuditNames[step], Member{UserID: userID, BranchID: a.BranchID}, detail); err != nil {
			return Reply{}, err
		}
		reply, notices, err := b.afterStep(ctx, req, a, stored)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Text: reply, Notices: notices}, nil
	}
}

// devAuditNames are the steps' names in the audit trail.
var devAuditNames = map[DevStep]string{
	DevApplied: "apply", DevTalked: "talk", DevActivist: "activist", DevReviewed: "review", DevCandidate: "candidate",
	DevVetted: "vetting", DevTrained: "training", DevPublished: "publicity", DevPreChecked: "precheck", DevVoted: "vote",
	DevApproved: "approve", DevWithdrawn: "withdraw",
}

// afterStep answers a recorded step with the stage and what comes next;
// 审批 also makes the person a 预备党员 of the branch.
func (b *Bot) afterStep(ctx context.Context, req Request, a Applicant, rec DevRecord) (string, []Notice, error) {
	var notices []Notice
	if rec.Step == DevApproved {
		m := Member{UserID: a.UserID, Name: a.Name, BranchID: a.BranchID, Role: RoleMember, Status: StatusProbationary,
			Joined: a.dateOf(DevVoted), Active: true}
		if err := b.Development.SaveMembers(ctx, []Member{m}); err != nil {
			return "", nil, fmt.Errorf("bot: admit %s: %w", a.UserID, err)
		}
		notices = append(notices, Notice{To: []string{a.UserID}, Text: fmt.Sprintf("祝贺你！党委已审批，你自 %s 起为中共预备党员，预备期一年。请继续按时交思想汇报。", m.Joined)})
	}
	text := fmt.Sprintf("已登记 %s「%s」%s。现为：%s。", a.DisplayName(), rec.Step, rec.Date, a.Stage())
	if rec.Step == DevVoted {
		verdict := "通过"
		if !rec.Passed() {
			verdict = "未通过"
		}
		text = fmt.Sprintf("支部大会表决%s：赞成 %d、反对 %d、弃权 %d；有表决权的正式党员 %d 人，赞成须超过 %d 人（支部工作条例 第十一条）。\n", verdict, rec.Yes, rec.No, rec.Abstain, rec.Entitled, rec.Entitled/2) + text
	}
	if next, ok := a.Next(b.Calendar); ok {
		text += "\n下一步：" + next.describe()
	}
	return text, notices, nil
}

// describe is "what, from when, by when".
func (d DevDue) describe() string {
	s := d.What
	if !d.Earliest.IsZero() {
		s += "，最早 " + d.Earliest.String()
	}
	if !d.Latest.IsZero() {
		s += "，最迟 " + d.Latest.String()
	}
	return s
}

// The step rules: each checks what the 细则 asks before the step and
// reads the step's own arguments.

// stepApplied needs nothing before it: the name was read with the target.
func stepApplied(*Bot, context.Context, Request, *Applicant, bool, *DevRecord, []string) error {
	return nil
}

func stepTalked(b *Bot, ctx context.Context, req Request, a *Applicant, _ bool, rec *DevRecord, rest []string) error {
	if len(rest) >= 2 && Normalize(rest[0]) == "谈话人" {
		rec.With = []string{mentionOf(req, rest[1])}
	} else {
		rec.With = []string{req.Member.UserID}
	}
	return nil
}

func stepActivist(b *Bot, ctx context.Context, req Request, a *Applicant, _ bool, rec *DevRecord, rest []string) error {
	if !a.has(DevTalked) {
		return devRefusal("还没有登记谈话：收到申请书后一个月内派人谈话（发展党员工作细则 第六条），先发“发展 谈话”。")
	}
	if len(rest) > 0 && Normalize(rest[0]) == "联系人" {
		rest = rest[1:]
	}
	if len(rest) != 2 {
		return devRefusal("请指定两名培养联系人（正式党员）：发展 积极分子 @userid 日期 联系人 @a @b")
	}
	for _, w := range rest {
		id := mentionOf(req, w)
		m, found, err := b.Roster.Member(ctx, id)
		if err != nil {
			return fmt.Errorf("look up %s: %w", id, err)
		}
		if !found || !m.Active || m.Status != StatusFull {
			return devRefusal("培养联系人须是正式党员（发展党员工作细则 第十二条）：@" + id + " 不是。")
		}
		if slices.Contains(rec.With, id) {
			return devRefusal("两名培养联系人须是两个人。")
		}
		rec.With = append(rec.With, id)
	}
	return nil
}

func stepReviewed(_ *Bot, _ context.Context, _ Request, a *Applicant, _ bool, rec *DevRecord, rest []string) error {
	if s := a.Stage(); s != StageActivist && s != StageCandidate {
		return devRefusal("培养考察从确定为入党积极分子开始。")
	}
	rec.Note = strings.Join(rest, " ")
	return nil
}

func stepCandidate(_ *Bot, _ context.Context, _ Request, a *Applicant, _ bool, rec *DevRecord, _ []string) error {
	act, ok := a.last(DevActivist)
	if !ok {
		return devRefusal("还不是入党积极分子。")
	}
	if yearOn := addMonths(act.Date, activistMonths); rec.Date.Before(yearOn) {
		return devRefusal(fmt.Sprintf("经过一年以上培养教育和考察才能确定为发展对象（发展党员工作细则 第十三条）：%s 成为积极分子，最早 %s。", act.Date, yearOn))
	}
	if n := a.count(DevReviewed); n < 2 {
		return devRefusal(fmt.Sprintf("还缺培养考察记录：一年里应每半年考察一次，现有 %d 次（发展党员工作细则 第十一条）。", n))
	}
	return nil
}

func stepVetted(_ *Bot, _ context.Context, _ Request, a *Applicant, _ bool, _ *DevRecord, _ []string) error {
	if a.Stage() != StageCandidate {
		return devRefusal("政治审查针对发展对象（发展党员工作细则 第十五条）。")
	}
	return nil
}

func stepTrained(_ *Bot, _ context.Context, _ Request, a *Applicant, _ bool, rec *DevRecord, rest []string) error {
	if a.Stage() != StageCandidate {
		return devRefusal("集中培训针对发展对象（发展党员工作细则 第十六条）。")
	}
	if len(rest) == 0 {
		return devRefusal("请写上学时：发展 培训 @userid 日期 24（或 3天）")
	}
	word := strings.TrimSuffix(strings.TrimSuffix(Normalize(rest[0]), "学时"), "小时")
	if days, ok := strings.CutSuffix(word, "天"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 3 {
			return devRefusal("集中培训不少于 3 天或 24 学时（发展党员工作细则 第十六条）。")
		}
		rec.Hours = n * 8
		return nil
	}
	n, err := strconv.Atoi(word)
	if err != nil || n < trainingMinHours {
		return devRefusal("集中培训不少于 3 天或 24 学时（发展党员工作细则 第十六条）。")
	}
	rec.Hours = n
	return nil
}

func stepPublished(_ *Bot, _ context.Context, _ Request, a *Applicant, _ bool, _ *DevRecord, _ []string) error {
	if a.Stage() != StageCandidate || !a.has(DevVetted) || !a.has(DevTrained) {
		return devRefusal("公示在政治审查和集中培训之后、党委预审之前。")
	}
	return nil
}

func stepPreChecked(b *Bot, _ context.Context, _ Request, a *Applicant, _ bool, rec *DevRecord, _ []string) error {
	if a.Stage() != StageCandidate || !a.has(DevVetted) || !a.has(DevTrained) {
		return devRefusal("报党委预审前须完成政治审查和集中培训（发展党员工作细则 第十七条）。")
	}
	if a.has(DevPublished) {
		if end := addWorkdays(a.dateOf(DevPublished), publicityWorkdays, b.Calendar); rec.Date.Before(end) {
			return devRefusal(fmt.Sprintf("公示不少于 %d 个工作日：%s 开始公示，最早 %s 预审。", publicityWorkdays, a.dateOf(DevPublished), end))
		}
	}
	return nil
}

func stepVoted(b *Bot, ctx context.Context, _ Request, a *Applicant, _ bool, rec *DevRecord, rest []string) error {
	if a.Stage() != StageCandidate || !a.has(DevPreChecked) {
		return devRefusal("支部大会讨论前须经党委预审（发展党员工作细则 第十七条）。")
	}
	votes := map[string]*int{"赞成": &rec.Yes, "同意": &rec.Yes, "反对": &rec.No, "弃权": &rec.Abstain}
	for i := 0; i+1 < len(rest); i += 2 {
		p, ok := votes[Normalize(rest[i])]
		n, err := strconv.Atoi(rest[i+1])
		if !ok || err != nil || n < 0 {
			return devRefusal("用法：发展 大会 @userid 日期 赞成 N 反对 N 弃权 N")
		}
		*p = n
	}
	if len(rest) < 2 {
		return devRefusal("用法：发展 大会 @userid 日期 赞成 N 反对 N 弃权 N")
	}
	meeting, record, found, err := b.generalMeetingOn(ctx, a.BranchID, rec.Date)
	if err != nil {
		return err
	}
	if !found {
		return devRefusal("没有找到 " + rec.Date.String() + " 已结束的党员大会：先用“会议 党员大会 讨论接收预备党员”开会并签到、结束会议，再登记表决结果。")
	}
	rec.Entitled, rec.Note = record.Eligible, meeting.ID
	if !record.QuorumMet() {
		return devRefusal(fmt.Sprintf("当天党员大会到会有表决权的党员 %d/%d，未过半数，表决无效（支部工作条例 第十一条）。", record.EligiblePresent, record.Eligible))
	}
	if rec.Yes+rec.No+rec.Abstain > record.EligiblePresent {
		return devRefusal(fmt.Sprintf("票数合计 %d 超过到会有表决权的党员 %d 人。", rec.Yes+rec.No+rec.Abstain, record.EligiblePresent))
	}
	return nil
}

func stepApproved(_ *Bot, _ context.Context, req Request, a *Applicant, _ bool, rec *DevRecord, _ []string) error {
	if req.Member.Role != RoleAdmin {
		return devRefusal("审批由党委进行：请党委管理员登记。")
	}
	voted, ok := a.last(DevVoted)
	if !ok || !voted.Passed() {
		return devRefusal("支部大会通过后才能审批。")
	}
	if deadline := addMonths(voted.Date, approveWithinMonths); !rec.Date.Before(deadline) {
		return devRefusal(fmt.Sprintf("党委应在支部大会后三个月内审批（发展党员工作细则 第二十六条）：支部大会 %s，期限 %s 已过，请党委说明原因后重新讨论。", voted.Date, deadline.AddDays(-1)))
	}
	return nil
}

func stepWithdrawn(_ *Bot, _ context.Context, _ Request, _ *Applicant, exists bool, rec *DevRecord, rest []string) error {
	if !exists {
		return devRefusal("不在发展流程中。")
	}
	if len(rest) == 0 {
		return devRefusal("请写上原因：发展 撤销 @userid 原因")
	}
	rec.Note = strings.Join(rest, " ")
	return nil
}

// Passed reports whether a 支部大会 vote passed: yes-votes more than half
// of the 正式党员 entitled to vote (支部工作条例 第十一条), not of those present.
func (r DevRecord) Passed() bool { return r.Step == DevVoted && r.Yes*2 > r.Entitled }

// generalMeetingOn finds a closed 党员大会 of the branch on day d and its record.
func (b *Bot) generalMeetingOn(ctx context.Context, branchID string, d Date) (Meeting, MeetingRecord, bool, error) {
	span := Span{d, d}
	meetings, err := b.Meetings.Meetings(ctx, branchID, span.Start(b.Location), span.End(b.Location))
	if err != nil {
		return Meeting{}, MeetingRecord{}, false, fmt.Errorf("bot: list meetings: %w", err)
	}
	for _, m := range meetings {
		if m.Type != MeetingGeneral || m.ClosedAt.IsZero() {
			continue
		}
		record, err := b.MeetingRecord(ctx, m)
		if err != nil {
			return Meeting{}, MeetingRecord{}, false, err
		}
		return m, record, true, nil
	}
	return Meeting{}, MeetingRecord{}, false, nil
}

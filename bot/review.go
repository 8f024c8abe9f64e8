package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// 民主评议党员 (党员教育管理工作条例): once a year every 正式 and 预备党员
// hands in a 自评, rates every other member of the round (民主测评:
// 优秀/合格/基本合格/不合格), and the 支委会 or 党员大会 then records each
// member's 评定.
//
// Ballots are anonymous: only the tally per rated member is kept, and,
// apart from it, which members a rater has rated (never with the grade).
// A second 测评 of the same member is therefore refused: replacing it would
// need the rater's first grade kept somewhere, which links voter to grade.

// Grade is a 民主测评 grade (and a 评定 等次).
type Grade string

// Grades, best first.
const (
	GradeExcellent Grade = "优秀"
	GradeQualified Grade = "合格"
	GradeBasic     Grade = "基本合格"
	GradeFailed    Grade = "不合格"
)

// Grades lists the grades, best first.
var Grades = []Grade{GradeExcellent, GradeQualified, GradeBasic, GradeFailed}

// ParseGrade accepts a grade's name.
func ParseGrade(s string) (Grade, bool) {
	g := Grade(strings.TrimSpace(s))
	return g, slices.Contains(Grades, g)
}

// reviewRemindDays is how long before the deadline the unfinished are
// reminded, once.
const reviewRemindDays = 3

// ReviewRound is a branch's 民主评议 of one year.
type ReviewRound struct {
	BranchID string `json:"branch"`
	Year     int    `json:"year"`
	Deadline Date   `json:"deadline,omitzero"` // zero: none
	OpenedBy string `json:"opened_by"`
	// Members are who rate and are rated: the 正式 and 预备党员 in good
	// standing when the round opened.
	Members []string `json:"members"`
}

func (r ReviewRound) has(userID string) bool { return slices.Contains(r.Members, userID) }

// SelfAssessment is a member's 自评.
type SelfAssessment struct {
	UserID string `json:"userid"`
	Text   string `json:"text"`
	Date   Date   `json:"date"`
}

// Verdict is the branch's 评定 of a member.
type Verdict struct {
	UserID string `json:"userid"`
	Grade  Grade  `json:"grade"`
	By     string `json:"by"`
	Date   Date   `json:"date"`
}

// GradeTally counts a member's grades.
type GradeTally map[Grade]int

// Total is the number of ballots.
func (t GradeTally) Total() int {
	n := 0
	for _, c := range t {
		n += c
	}
	return n
}

// Label is "优秀 2 · 合格 5 · 基本合格 0 · 不合格 0".
func (t GradeTally) Label() string {
	parts := make([]string, len(Grades))
	for i, g := range Grades {
		parts[i] = string(g) + " " + strconv.Itoa(t[g])
	}
	return strings.Join(parts, " · ")
}

// ReviewStore keeps 民主评议 rounds. It never stores a grade with its rater.
type ReviewStore interface {
	// OpenReview stores r unless the branch has a round that year, which it
	// returns instead (opened=false).
	OpenReview(ctx context.Context, r ReviewRound) (stored ReviewRound, opened bool, err error)
	// Review returns the branch's round of year.
	Review(ctx context.Context, branchID string, year int) (r ReviewRound, found bool, err error)
	// SaveSelfAssessment stores a member's 自评, replacing an earlier one.
	SaveSelfAssessment(ctx context.Context, branchID string, year int, s SelfAssessment) error
	// SelfAssessments lists the round's 自评 by userid.
	SelfAssessments(ctx context.Context, branchID string, year int) (map[string]SelfAssessment, error)
	// CastBallot atomically notes that rater has rated rated and adds g to
	// rated's tally; first=false (and nothing changes) when rater had
	// rated rated already. The grade is never stored with the rater.
	CastBallot(ctx context.Context, branchID string, year int, rater, rated string, g Grade) (first bool, err error)
	// RatedBy lists, per rater, whom they have rated (no grades).
	RatedBy(ctx context.Context, branchID string, year int, raters []string) (map[string][]string, error)
	// Tallies returns the grade counts of each of rated.
	Tallies(ctx context.Context, branchID string, year int, rated []string) (map[string]GradeTally, error)
	// SaveVerdict stores the branch's 评定 of a member, replacing an earlier one.
	SaveVerdict(ctx context.Context, branchID string, year int, v Verdict) error
	// Verdicts lists the round's 评定 by userid.
	Verdicts(ctx context.Context, branchID string, year int) (map[string]Verdict, error)
}

func (b *Bot) year(req Request) int { return DateOf(req.Now, b.Location).Year }

// review answers "民主评议" without a subcommand.
func (b *Bot) review(context.Context, Request) (Reply, error) {
	return Reply{Text: "用法：民主评议 开始 [截止 12-20] | 进度 | 结果 | 评定 @userid 等次"}, nil
}

// currentReview is the sender's branch's round of this year; a reply when
// there is none.
func (b *Bot) currentReview(ctx context.Context, req Request) (ReviewRound, string, error) {
	r, found, err := b.Reviews.Review(ctx, req.Member.BranchID, b.year(req))
	if err != nil {
		return ReviewRound{}, "", fmt.Errorf("bot: read review: %w", err)
	}
	if !found {
		return ReviewRound{}, fmt.Sprintf("本支部 %d 年的民主评议还没有开始。", b.year(req)), nil
	}
	return r, "", nil
}

// reviewOpen handles "民主评议 开始 [截止 日期]".
func (b *Bot) reviewOpen(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：民主评议 开始 [截止 12-20]"
	today := DateOf(req.Now, b.Location)
	var deadline Date
	switch args := req.Args; {
	case len(args) == 0:
	case len(args) == 2 && args[0] == "截止":
		d, ok := parseDay(args[1], today)
		if !ok || d.Before(today) {
			return Reply{Text: "截止日期要写成 12-20 或 2026-12-20，且不早于今天。"}, nil
		}
		deadline = d
	default:
		return Reply{Text: usage}, nil
	}
	members, err := b.Roster.BranchMembers(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", req.Member.BranchID, err)
	}
	var ids []string
	for _, m := range members {
		if m.Counts() { // 正式 and 预备党员 in good standing
			ids = append(ids, m.UserID)
		}
	}
	due := ""
	if !deadline.IsZero() {
		due = "，" + deadline.String() + " 前完成"
	}
	text := fmt.Sprintf("%d 年民主评议开始了%s：\n1. 发“自评 内容”提交自我评价；\n2. 对其他每位党员发“测评 @userid 优秀|合格|基本合格|不合格”。\n测评匿名，只统计票数，提交后不能修改。发“我的评议”看自己的进度。", today.Year, due)
	if !req.Confirmed {
		if r, found, err := b.Reviews.Review(ctx, req.Member.BranchID, today.Year); err != nil {
			return Reply{}, fmt.Errorf("bot: read review: %w", err)
		} else if found {
			return Reply{Text: fmt.Sprintf("本支部 %d 年的民主评议已经开始（%d 人）。", r.Year, len(r.Members))}, nil
		}
		return b.previewBroadcast(ctx, req, fmt.Sprintf("开始 %d 年民主评议%s", today.Year, due), ids, text)
	}
	round := ReviewRound{BranchID: req.Member.BranchID, Year: today.Year, Deadline: deadline, OpenedBy: req.Member.UserID, Members: ids}
	stored, opened, err := b.Reviews.OpenReview(ctx, round)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: open review: %w", err)
	}
	if !opened {
		return Reply{Text: fmt.Sprintf("本支部 %d 年的民主评议已经开始（%d 人）。", stored.Year, len(stored.Members))}, nil
	}
	if err := b.audit(ctx, req, "review.open", req.Member, deadline.String()); err != nil {
		return Reply{}, err
	}
	return Reply{
		Text:    fmt.Sprintf("已开始 %d 年民主评议，已私信通知 %d 人%s。", today.Year, len(ids), due),
		Notices: []Notice{{To: ids, Text: text}},
	}, nil
}

// selfAssess handles "自评 内容".
func (b *Bot) selfAssess(ctx context.Context, req Request) (Reply, error) {
	content := Plain(argText(req.Msg.Text))
	if content == "" {
		return Reply{Text: "用法：自评 内容（可以多行）"}, nil
	}
	if len([]rune(content)) > maxAnnounceRunes {
		return Reply{Text: fmt.Sprintf("自评最多 %d 字。", maxAnnounceRunes)}, nil
	}
	round, none, err := b.currentReview(ctx, req)
	if err != nil || none != "" {
		return Reply{Text: none}, err
	}
	if !round.has(req.Member.UserID) {
		return Reply{Text: "你不在本次民主评议的名单中，有疑问请问书记。"}, nil
	}
	s := SelfAssessment{UserID: req.Member.UserID, Text: content, Date: DateOf(req.Now, b.Location)}
	if err := b.Reviews.SaveSelfAssessment(ctx, round.BranchID, round.Year, s); err != nil {
		return Reply{}, fmt.Errorf("bot: save self-assessment: %w", err)
	}
	return Reply{Text: "已收到你的自评（再发一次会替换）。"}, nil
}

// rate handles "测评 @userid 等次". The reply, the audit trail and the logs
// never name the grade with the rater.
func (b *Bot) rate(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：测评 @userid 优秀|合格|基本合格|不合格"
	if len(req.Args) != 2 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Reply{Text: usage}, nil
	}
	grade, ok := ParseGrade(req.Args[1])
	if !ok {
		return Reply{Text: usage}, nil
	}
	round, none, err := b.currentReview(ctx, req)
	if err != nil || none != "" {
		return Reply{Text: none}, err
	}
	who := mentionOf(req, req.Args[0])
	target, found, _, err := b.findMember(ctx, req.Member, who)
	if err != nil {
		return Reply{}, err
	}
	switch {
	case !round.has(req.Member.UserID):
		return Reply{Text: "你不在本次民主评议的名单中，有疑问请问书记。"}, nil
	case !found || !round.has(target.UserID):
		return Reply{Text: "“" + who + "”不在本次民主评议的名单中。"}, nil
	case target.UserID == req.Member.UserID:
		return Reply{Text: "不能测评自己，请发“自评 内容”。"}, nil
	}
	first, err := b.Reviews.CastBallot(ctx, round.BranchID, round.Year, req.Member.UserID, target.UserID, grade)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: cast ballot: %w", err)
	}
	if !first {
		return Reply{Text: fmt.Sprintf("你已测评过 %s，不能修改（测评匿名，系统不保存你投的等次）。", target.DisplayName())}, nil
	}
	return Reply{Text: fmt.Sprintf("已记下对 %s 的测评（匿名）。", target.DisplayName())}, nil
}

// reviewState is what 进度 and 结果 read.
type reviewState struct {
	round   ReviewRound
	names   map[string]string
	self    map[string]SelfAssessment
	rated   map[string][]string
	tallies map[string]GradeTally
	verdict map[string]Verdict
}

func (b *Bot) readReview(ctx context.Context, round ReviewRound) (reviewState, error) {
	st := reviewState{round: round, names: map[string]string{}}
	members, err := b.Roster.BranchMembers(ctx, round.BranchID)
	if err != nil {
		return st, fmt.Errorf("bot: list branch %s: %w", round.BranchID, err)
	}
	for _, m := range members {
		st.names[m.UserID] = m.DisplayName()
	}
	if st.self, err = b.Reviews.SelfAssessments(ctx, round.BranchID, round.Year); err != nil {
		return st, fmt.Errorf("bot: read self-assessments: %w", err)
	}
	if st.rated, err = b.Reviews.RatedBy(ctx, round.BranchID, round.Year, round.Members); err != nil {
		return st, fmt.Errorf("bot: read raters: %w", err)
	}
	if st.tallies, err = b.Reviews.Tallies(ctx, round.BranchID, round.Year, round.Members); err != nil {
		return st, fmt.Errorf("bot: read tallies: %w", err)
	}
	if st.verdict, err = b.Reviews.Verdicts(ctx, round.BranchID, round.Year); err != nil {
		return st, fmt.Errorf("bot: read verdicts: %w", err)
	}
	return st, nil
}

func (st reviewState) name(id string) string { return cmp.Or(st.names[id], id) }

// left is how many others a member has still to rate.
func (st reviewState) left(id string) int {
	n := 0
	for _, other := range st.round.Members {
		if other != id && !slices.Contains(st.rated[id], other) {
			n++
		}
	}
	return n
}

// finished reports whether a member has handed in 自评 and rated everyone.
func (st reviewState) finished(id string) bool {
	_, self := st.self[id]
	return self && st.left(id) == 0
}

// raters counts the members who have rated everyone else.
func (st reviewState) raters() int {
	n := 0
	for _, id := range st.round.Members {
		if st.left(id) == 0 {
			n++
		}
	}
	return n
}

// reviewProgress handles "民主评议 进度": who still owes what, no grades.
func (b *Bot) reviewProgress(ctx context.Context, req Request) (Reply, error) {
	round, none, err := b.currentReview(ctx, req)
	if err != nil || none != "" {
		return Reply{Text: none}, err
	}
	st, err := b.readReview(ctx, round)
	if err != nil {
		return Reply{}, err
	}
	var noSelf, notRated []string
	for _, id := range round.Members {
		if _, ok := st.self[id]; !ok {
			noSelf = append(noSelf, st.name(id))
		}
		if n := st.left(id); n > 0 {
			notRated = append(notRated, fmt.Sprintf("%s（差 %d 人）", st.name(id), n))
		}
	}
	lines := []string{fmt.Sprintf("%d 年民主评议：%d 人，自评 %d/%d，测评完成 %d/%d", round.Year, len(round.Members), len(round.Members)-len(noSelf), len(round.Members), st.raters(), len(round.Members))}
	if !round.Deadline.IsZero() {
		lines = append(lines, "截止："+round.Deadline.String())
	}
	if len(noSelf) > 0 {
		lines = append(lines, "未交自评："+strings.Join(noSelf, "、"))
	}
	if len(notRated) > 0 {
		lines = append(lines, "未测评完："+strings.Join(notRated, "、"))
	}
	if len(noSelf)+len(notRated) == 0 {
		lines = append(lines, "全部完成 ✓")
	}
	return Reply{Text: strings.Join(lines, "\n")}, nil
}

// reviewResults handles "民主评议 结果": tallies, 自评 and 评定 per member.
func (b *Bot) reviewResults(ctx context.Context, req Request) (Reply, error) {
	round, none, err := b.currentReview(ctx, req)
	if err != nil || none != "" {
		return Reply{Text: none}, err
	}
	st, err := b.readReview(ctx, round)
	if err != nil {
		return Reply{}, err
	}
	lines := []string{fmt.Sprintf("%d 年民主测评结果（匿名票数）：", round.Year)}
	for _, id := range round.Members {
		self := "未交自评"
		if _, ok := st.self[id]; ok {
			self = "已自评"
		}
		line := fmt.Sprintf("%s：%s（%d 票）%s", st.name(id), st.tallies[id].Label(), st.tallies[id].Total(), "，"+self)
		if v, ok := st.verdict[id]; ok {
			line += "，评定：" + string(v.Grade)
		}
		lines = append(lines, line)
	}
	return Reply{Text: strings.Join(lines, "\n")}, nil
}

// reviewVerdict handles "民主评议 评定 @userid 等次": the branch's decision
// (by the 支委会 or 党员大会), recorded by a leader and audited.
func (b *Bot) reviewVerdict(ctx context.Context, req Request) (Reply, error) {
	const usage = "用法：民主评议 评定 @userid 优秀|合格|基本合格|不合格"
	target, word, refusal, err := b.namedMemberAnd(ctx, req, usage)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	grade, ok := ParseGrade(word)
	if !ok {
		return Reply{Text: usage}, nil
	}
	// The target's branch: an admin records a 评定 for any branch.
	round, found, err := b.Reviews.Review(ctx, target.BranchID, b.year(req))
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read review: %w", err)
	}
	if !found {
		return Reply{Text: fmt.Sprintf("%s 所在支部 %d 年的民主评议还没有开始。", target.DisplayName(), b.year(req))}, nil
	}
	if !round.has(target.UserID) {
		return Reply{Text: target.DisplayName() + " 不在本次民主评议的名单中。"}, nil
	}
	v := Verdict{UserID: target.UserID, Grade: grade, By: req.Member.UserID, Date: DateOf(req.Now, b.Location)}
	if err := b.Reviews.SaveVerdict(ctx, round.BranchID, round.Year, v); err != nil {
		return Reply{}, fmt.Errorf("bot: save verdict: %w", err)
	}
	if err := b.audit(ctx, req, "review.verdict", target, string(grade)); err != nil {
		return Reply{}, err
	}
	return Reply{Text: fmt.Sprintf("已记录 %s 的评定：%s。", target.DisplayName(), grade)}, nil
}

// myReview handles "我的评议": a member's own tally and 评定, privately.
func (b *Bot) myReview(ctx context.Context, req Request) (Reply, error) {
	round, none, err := b.currentReview(ctx, req)
	if err != nil || none != "" {
		return Reply{Text: none}, err
	}
	id := req.Member.UserID
	if !round.has(id) {
		return Reply{Text: "你不在本次民主评议的名单中。"}, nil
	}
	st, err := b.readReview(ctx, round)
	if err != nil {
		return Reply{}, err
	}
	self := "未交"
	if _, ok := st.self[id]; ok {
		self = "已交"
	}
	lines := []string{
		fmt.Sprintf("%d 年民主评议（仅你可见）", round.Year),
		"自评：" + self,
		fmt.Sprintf("你还需测评 %d 人", st.left(id)),
		fmt.Sprintf("你得到的测评：%s（%d 票）", st.tallies[id].Label(), st.tallies[id].Total()),
	}
	if v, ok := st.verdict[id]; ok {
		lines = append(lines, "支部评定："+string(v.Grade))
	}
	lines = append(lines, "发“自评 内容”交自评，“测评 @userid 优秀|合格|基本合格|不合格”测评（匿名，不能修改）。")
	return Reply{Text: strings.Join(lines, "\n")}, nil
}

// JobReview reminds members who have not finished 民主评议 before its deadline.
const JobReview = "review-reminder"

// reviewReminder reminds, once per round, those who have not finished,
// reviewRemindDays before the deadline.
func (b *Bot) reviewReminder(ctx context.Context, run JobRun) ([]Outbound, error) {
	day := DateOf(run.Fire, b.Location)
	token := JobRunToken(run)
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		round, found, err := b.Reviews.Review(ctx, br.ID, day.Year)
		if err != nil {
			return fmt.Errorf("bot: read review: %w", err)
		}
		if !found || round.Deadline.IsZero() || round.Deadline.Before(day) || day.AddDays(reviewRemindDays).Before(round.Deadline) {
			return nil
		}
		mine, err := b.Steps.Once(ctx, br.ID, "review:"+strconv.Itoa(round.Year)+":remind", token)
		if err != nil || !mine {
			return err
		}
		st, err := b.readReview(ctx, round)
		if err != nil {
			return err
		}
		var due []string
		for _, id := range round.Members {
			if !st.finished(id) {
				due = append(due, id)
			}
		}
		out = append(out, uniform("review:"+br.ID, due, Notice{
			Text: fmt.Sprintf("民主评议 %s 截止，你还没有完成：发“我的评议”看还差什么，“自评 内容”交自评，“测评 @userid 等次”测评。", round.Deadline),
		})...)
		return nil
	})
	return out, err
}

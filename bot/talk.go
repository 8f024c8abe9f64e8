package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// 谈心谈话: at least once a year between 支委 and 支委, 支委 and 党员, 党员
// and 党员 (中国共产党支部工作条例（试行）第十八条). Either of the two records
// the talk; its notes are private to the two and the branch's secretary
// (rules.md): they never appear in a reply to anyone else, in the audit
// trail or in the logs, only in the ledger, which only leaders export.

// Talk is one 谈心谈话 as recorded.
type Talk struct {
	A     string    `json:"a"` // who recorded it
	B     string    `json:"b"` // the other one
	Date  Date      `json:"date"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Notes string    `json:"notes,omitempty"`
}

// With reports whether userID was one of the two.
func (t Talk) With(userID string) bool { return t.A == userID || t.B == userID }

// Other is the one of the two who is not userID.
func (t Talk) Other(userID string) string {
	if t.A == userID {
		return t.B
	}
	return t.A
}

// TalkStore keeps a branch's 谈心谈话, by year.
type TalkStore interface {
	AddTalk(ctx context.Context, branchID string, t Talk) error
	// Talks are the year's talks in the order recorded.
	Talks(ctx context.Context, branchID string, year int) ([]Talk, error)
}

const (
	talkUsage        = "用法：谈心 @userid [谈话要点]"
	talkNudgePairs   = 3 // the monthly nudge suggests at most three pairs
	talkNewMemberFor = 3 // months a new or transferred-in member is suggested first
)

// talk records a 谈心谈话 between the sender and the member named.
func (b *Bot) talk(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) == 0 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Reply{Text: talkUsage}, nil
	}
	who := mentionOf(req, req.Args[0])
	other, found, namesakes, err := b.findMember(ctx, req.Member, who)
	if err != nil {
		return Reply{}, err
	}
	switch {
	case len(namesakes) > 1:
		return Reply{Text: "本支部有多位“" + who + "”，请改用 userid。"}, nil
	case !found || !other.Active:
		return Reply{Text: "找不到党员“" + who + "”，请用 userid，例如 @lisi。"}, nil
	case other.UserID == req.Member.UserID:
		return Reply{Text: "谈心谈话要和另一位同志进行。" + talkUsage}, nil
	case other.BranchID != req.Member.BranchID && req.Member.Role != RoleAdmin:
		return Reply{Text: "只能记录和本支部同志的谈心谈话。"}, nil
	}
	t := Talk{
		A: req.Member.UserID, B: other.UserID, Date: DateOf(req.Now, b.Location),
		By: req.Member.UserID, At: req.Now, Notes: strings.TrimSpace(strings.Join(req.Args[1:], " ")),
	}
	if err := b.Talks.AddTalk(ctx, other.BranchID, t); err != nil {
		return Reply{}, fmt.Errorf("bot: add talk: %w", err)
	}
	// The trail names the pair and the day, never the notes.
	if err := b.audit(ctx, req, "谈心", other, t.Date.String()); err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("已记录：你与%s的谈心谈话（%s）。", other.DisplayName(), t.Date)
	if t.Notes != "" {
		text += "要点只有你们二人和支部书记可见。"
	}
	return Reply{Text: text}, nil
}

// requestTalk (约谈心) tells a 支委 — the one named, or the branch's
// secretary — privately that a member would like a talk.
func (b *Bot) requestTalk(ctx context.Context, req Request) (Reply, error) {
	members, err := b.Roster.BranchMembers(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: branch members: %w", err)
	}
	var to []string
	if len(req.Args) > 0 && strings.HasPrefix(Normalize(req.Args[0]), "@") {
		who := mentionOf(req, req.Args[0])
		for _, m := range members {
			if m.Role.Leads() && (m.UserID == who || Normalize(m.Name) == who) && m.UserID != req.Member.UserID {
				to = append(to, m.UserID)
			}
		}
		if len(to) != 1 {
			return Reply{Text: "“" + who + "”不是本支部的支委。发“约谈心”请书记安排，或 @ 一位支委。"}, nil
		}
	} else {
		to = slices.DeleteFunc(leadersOf(members), func(id string) bool { return id == req.Member.UserID })
	}
	if len(to) == 0 {
		return Reply{Text: "本支部还没有登记书记或支委，请联系党委管理员。"}, nil
	}
	names := namesOf(members, to)
	return Reply{
		Text: "已转告" + strings.Join(names, "、") + "，会尽快和你约时间谈心。",
		Notices: []Notice{{To: to, Text: fmt.Sprintf("【谈心谈话】%s 希望和你谈心谈话，请约个时间。谈后发“谈心 @%s 要点”记录。",
			req.Member.DisplayName(), req.Member.UserID)}},
	}, nil
}

// namesOf are the display names of ids among members, in ids' order.
func namesOf(members []Member, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		name := id
		for _, m := range members {
			if m.UserID == id {
				name = m.DisplayName()
			}
		}
		out = append(out, name)
	}
	return out
}

// talkCoverage is a branch's year so far: who has talked with whom.
type talkCoverage struct {
	members   []Member
	talkedTo  map[string]bool // members some 支委 (other than themselves) talked with
	uncovered []Member        // members no 支委 talked with
	leaderGap [][2]Member     // 支委 pairs without a talk
	leaderSum int             // 支委 pairs in all
	talksOf   map[string]int  // talks per person this year
}

// coverage reads the branch's members and the year's talks.
func (b *Bot) coverage(ctx context.Context, branchID string, year int) (talkCoverage, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return talkCoverage{}, fmt.Errorf("bot: branch members: %w", err)
	}
	members = slices.DeleteFunc(members, func(m Member) bool { return !m.Active || m.Status == StatusPending })
	talks, err := b.Talks.Talks(ctx, branchID, year)
	if err != nil {
		return talkCoverage{}, fmt.Errorf("bot: talks of %s: %w", branchID, err)
	}
	leads := map[string]bool{}
	for _, m := range members {
		leads[m.UserID] = m.Role.Leads()
	}
	c := talkCoverage{members: members, talkedTo: map[string]bool{}, talksOf: map[string]int{}}
	pair := map[[2]string]bool{}
	for _, t := range talks {
		c.talksOf[t.A]++
		c.talksOf[t.B]++
		if leads[t.A] {
			c.talkedTo[t.B] = true
		}
		if leads[t.B] {
			c.talkedTo[t.A] = true
		}
		pair[[2]string{min(t.A, t.B), max(t.A, t.B)}] = true
	}
	var leaders []Member
	for _, m := range members {
		if !c.talkedTo[m.UserID] {
			c.uncovered = append(c.uncovered, m)
		}
		if m.Role.Leads() {
			leaders = append(leaders, m)
		}
	}
	for i, x := range leaders {
		for _, y := range leaders[i+1:] {
			c.leaderSum++
			if !pair[[2]string{min(x.UserID, y.UserID), max(x.UserID, y.UserID)}] {
				c.leaderGap = append(c.leaderGap, [2]Member{x, y})
			}
		}
	}
	return c, nil
}

// TalkCoverage is how many of the branch's members a 支委 has talked with
// in year, of how many (the 组织生活会 checklist asks).
func (b *Bot) TalkCoverage(ctx context.Context, branchID string, year int) (talkedWith, members int, err error) {
	c, err := b.coverage(ctx, branchID, year)
	if err != nil {
		return 0, 0, err
	}
	return len(c.members) - len(c.uncovered), len(c.members), nil
}

// talkCoverageReply (谈心 覆盖) lists this year's gaps for a leader.
func (b *Bot) talkCoverageReply(ctx context.Context, req Request) (Reply, error) {
	branchID := req.Member.BranchID
	if branchID == "" {
		return Reply{Text: "你不属于任何支部。"}, nil
	}
	year := DateOf(req.Now, b.Location).Year
	c, err := b.coverage(ctx, branchID, year)
	if err != nil {
		return Reply{}, err
	}
	lines := []string{
		fmt.Sprintf("%d 年谈心谈话：支委已谈 %d/%d 人；支委之间 %d/%d 对。", year,
			len(c.members)-len(c.uncovered), len(c.members), c.leaderSum-len(c.leaderGap), c.leaderSum),
	}
	if len(c.uncovered) > 0 {
		names := make([]string, len(c.uncovered))
		for i, m := range c.uncovered {
			names[i] = m.DisplayName()
		}
		lines = append(lines, "支委尚未谈过："+strings.Join(names, "、"))
	}
	if len(c.leaderGap) > 0 {
		pairs := make([]string, len(c.leaderGap))
		for i, p := range c.leaderGap {
			pairs[i] = p[0].DisplayName() + "—" + p[1].DisplayName()
		}
		lines = append(lines, "支委之间未谈："+strings.Join(pairs, "、"))
	}
	if len(c.uncovered) == 0 && len(c.leaderGap) == 0 {
		lines = append(lines, "今年已全部谈到，很好！")
	}
	return Reply{Text: strings.Join(lines, "\n")}, nil
}

// talkNudge suggests to the secretaries, once a month, up to three pairs
// for a talk: first members newly on the 预警 list, then new or
// transferred-in members (joined within three months), then the rest no
// 支委 has talked with; then 支委 pairs not yet done.
func (b *Bot) talkNudge(ctx context.Context, br Branch, run JobRun) ([]Outbound, error) {
	today := DateOf(run.Fire, b.Location)
	step := fmt.Sprintf("talk:nudge:%d-%02d", today.Year, today.Month)
	mine, err := b.Steps.Once(ctx, br.ID, step, JobRunToken(run))
	if err != nil || !mine {
		return nil, err
	}
	c, err := b.coverage(ctx, br.ID, today.Year)
	if err != nil {
		return nil, err
	}
	secretaries := leadersOf(c.members)
	if len(secretaries) == 0 || (len(c.uncovered) == 0 && len(c.leaderGap) == 0) {
		return nil, nil
	}
	risks, err := b.Risks(ctx, br, run.Fire)
	if err != nil {
		return nil, err
	}
	newRisk := map[string]bool{}
	for _, r := range risks {
		if r.NewMeeting || r.NewDues {
			newRisk[r.Member.UserID] = true
		}
	}
	recent := addMonths(today, -talkNewMemberFor)
	rank := func(m Member) int {
		switch {
		case newRisk[m.UserID]:
			return 0
		case !m.Joined.IsZero() && !m.Joined.Before(recent):
			return 1
		}
		return 2
	}
	uncovered := slices.Clone(c.uncovered)
	slices.SortStableFunc(uncovered, func(x, y Member) int { return cmp.Compare(rank(x), rank(y)) })
	var leaders []Member
	for _, m := range c.members {
		if m.Role.Leads() {
			leaders = append(leaders, m)
		}
	}
	var lines []string
	for _, m := range uncovered {
		if len(lines) == talkNudgePairs || len(leaders) == 0 {
			break
		}
		// The 支委 with the fewest talks this year, not the member themself.
		var with Member
		for _, l := range leaders {
			if l.UserID != m.UserID && (with.UserID == "" || c.talksOf[l.UserID] < c.talksOf[with.UserID]) {
				with = l
			}
		}
		if with.UserID == "" {
			continue
		}
		c.talksOf[with.UserID]++
		why := ""
		switch rank(m) {
		case 0:
			why = "（新列入预警）"
		case 1:
			why = "（新入党或新转入）"
		}
		lines = append(lines, fmt.Sprintf("· %s 与 %s%s", with.DisplayName(), m.DisplayName(), why))
	}
	for _, p := range c.leaderGap {
		if len(lines) == talkNudgePairs {
			break
		}
		lines = append(lines, fmt.Sprintf("· %s 与 %s（支委之间）", p[0].DisplayName(), p[1].DisplayName()))
	}
	if len(lines) == 0 {
		return nil, nil
	}
	text := fmt.Sprintf("【谈心谈话】本月建议安排（今年支委已谈 %d/%d 人）：\n%s\n谈后发“谈心 @userid 要点”记录，“谈心 覆盖”看全部。",
		len(c.members)-len(c.uncovered), len(c.members), strings.Join(lines, "\n"))
	return uniform("talk:"+br.ID+":"+step, secretaries, Notice{Text: text}), nil
}

// talksIn are the branch's talks dated within span, for the ledger.
func (b *Bot) talksIn(ctx context.Context, branchID string, span Span) ([]Talk, error) {
	var out []Talk
	for year := span.From.Year; year <= span.To.Year; year++ {
		talks, err := b.Talks.Talks(ctx, branchID, year)
		if err != nil {
			return nil, fmt.Errorf("bot: talks of %s: %w", branchID, err)
		}
		for _, t := range talks {
			if !t.Date.Before(span.From) && !span.To.Before(t.Date) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

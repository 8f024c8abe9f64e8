package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// 成绩单: the 联合党委's view of its companies and branches over 本月, 本季度
// or 本年 — counts only, never a name, never a ranking (the 2024 rules on
// 形式主义 reject rankings; companies that need attention come first).
//
// A company is a corp (Deps.Companies, the home corp first). Measures that
// belong to people are counted by the person's corp, wherever their branch
// is: 党员 and 预备党员, the 发展 pipeline, 学时 pace, 党费 paid and
// announcements acknowledged. Measures that belong to a branch are counted
// by the branch: 三会一课 held against owed and 补学. A single-company
// branch (Branch.Company, or one whose members are all of one corp) counts
// them under its company; a joint branch (members of several corps) under
// 联合支部, never split between companies.

// ScoreCounts are one row of the 成绩单: a company's, a branch's or the
// joint branches'.
type ScoreCounts struct {
	Full, Probationary int              // members in good standing
	Pipeline           map[DevStage]int // people on the 发展 path now, by stage
	// Duties are the 三会一课 periods owed in the span up to now (each
	// obligation's month, quarter or year that overlaps it), DutiesHeld
	// those with a meeting that counts, DutiesOverdue those that ended
	// without one. Meetings counts every meeting closed in the span.
	Duties, DutiesHeld, DutiesOverdue, Meetings int
	// Makeups are the 补学 of the span's meetings; MakeupsDone those made up.
	Makeups, MakeupsDone int
	// Hours counts members whose year's 学时 were tallied, HoursOnPace
	// those at the pace that reaches the year's target.
	Hours, HoursOnPace int
	// DuesOwed and DuesPaid are member-months (a branch that keeps its
	// dues outside the bot owes none here); DuesAmount is what was paid.
	DuesOwed, DuesPaid int
	DuesAmount         Cents
	// Notified counts announcement recipients, Acked their 收到 (or
	// answer, or 已学).
	Notified, Acked int
}

// add adds o's counts to c.
func (c *ScoreCounts) add(o ScoreCounts) {
	c.Full += o.Full
	c.Probationary += o.Probationary
	for st, n := range o.Pipeline {
		if c.Pipeline == nil {
			c.Pipeline = map[DevStage]int{}
		}
		c.Pipeline[st] += n
	}
	c.Duties += o.Duties
	c.DutiesHeld += o.DutiesHeld
	c.DutiesOverdue += o.DutiesOverdue
	c.Meetings += o.Meetings
	c.Makeups += o.Makeups
	c.MakeupsDone += o.MakeupsDone
	c.Hours += o.Hours
	c.HoursOnPace += o.HoursOnPace
	c.DuesOwed += o.DuesOwed
	c.DuesPaid += o.DuesPaid
	c.DuesAmount += o.DuesAmount
	c.Notified += o.Notified
	c.Acked += o.Acked
}

// addPeople adds only the measures that belong to people.
func (c *ScoreCounts) addPeople(o ScoreCounts) {
	o.Duties, o.DutiesHeld, o.DutiesOverdue, o.Meetings, o.Makeups, o.MakeupsDone = 0, 0, 0, 0, 0, 0
	c.add(o)
}

// addBranch adds only the measures that belong to a branch.
func (c *ScoreCounts) addBranch(o ScoreCounts) {
	c.add(ScoreCounts{Duties: o.Duties, DutiesHeld: o.DutiesHeld, DutiesOverdue: o.DutiesOverdue, Meetings: o.Meetings, Makeups: o.Makeups, MakeupsDone: o.MakeupsDone})
}

// Active reports whether anything happened in the span: a meeting held, a
// 补学 made up, dues paid, an announcement acknowledged.
func (c ScoreCounts) Active() bool {
	return c.DutiesHeld+c.Meetings+c.MakeupsDone+c.DuesPaid+c.Acked > 0
}

// PipelineStages are the 发展 stages a 成绩单 counts, in the path's order.
var PipelineStages = []DevStage{StageApplicant, StageActivist, StageCandidate, StageVoted}

// InPipeline is how many people are on the 发展 path.
func (c ScoreCounts) InPipeline() int {
	n := 0
	for _, st := range PipelineStages {
		n += c.Pipeline[st]
	}
	return n
}

// CompanyScore is a company's row: its people wherever their branch is,
// and the branch measures of its own single-company branches.
type CompanyScore struct {
	Company Company
	// Branches are its single-company branches; JointBranches the joint
	// branches some of its people belong to.
	Branches, JointBranches int
	ScoreCounts
}

// NoBranch reports whether the company has no branch and nobody in a
// joint one.
func (c CompanyScore) NoBranch() bool { return c.Branches == 0 && c.JointBranches == 0 }

// BranchScore is a branch's row.
type BranchScore struct {
	Branch Branch
	// Company is the corp a single-company branch belongs to; Joint says
	// its members come from several.
	Company string
	Joint   bool
	ScoreCounts
	// People are the people measures by corp, for the companies' rows.
	People map[string]ScoreCounts
}

// Scorecard is the 成绩单 over a span as of At.
type Scorecard struct {
	Span     Span
	Label    string // 本月, 本季度, 本年
	At       time.Time
	Today    Date // At's day in the org's time zone
	Location *time.Location
	// Companies come in the order the 成绩单 shows them: those without a
	// branch first, then those with nothing in the span, then the rest by
	// name. Never by a score.
	Companies []CompanyScore
	// Joint is the joint branches' branch measures (联合支部).
	Joint         ScoreCounts
	JointBranches int
	// Branches are in the roster's order.
	Branches []BranchScore
	// Org are the 全体 announcements' recipients and acknowledgements.
	Org ScoreCounts
}

// CompanyName names a corp id for the 成绩单.
func (sc Scorecard) CompanyName(corp string) string {
	for _, c := range sc.Companies {
		if c.Company.ID == corp {
			return c.Company.Name
		}
	}
	return corp
}

// JointLabel is what the 成绩单 calls a joint branch's company.
const JointLabel = "联合"

// scorecardUsage is the command's usage line.
const scorecardUsage = "用法：成绩单 [本月|本季度|本年]"

// ScorecardSpan reads the period of 成绩单: 本月 (the default), 本季度 or
// 本年, or their English words; the span runs to the period's last day.
func ScorecardSpan(args []string, today Date) (span Span, label string, ok bool) {
	word := ""
	if len(args) > 1 {
		return Span{}, "", false
	}
	if len(args) == 1 {
		word = Normalize(args[0])
	}
	month := Date{today.Year, today.Month, 1}
	switch word {
	case "", "本月", "月", "month", "this-month":
		return Span{month, lastDay(month)}, "本月", true
	case "本季度", "本季", "季度", "quarter", "this-quarter":
		first := Date{today.Year, today.Month - (today.Month-1)%3, 1}
		return Span{first, lastDay(Date{first.Year, first.Month + 2, 1})}, "本季度", true
	case "本年", "今年", "年", "year", "this-year":
		return Span{Date{today.Year, 1, 1}, Date{today.Year, 12, 31}}, "本年", true
	}
	return Span{}, "", false
}

// spanLabel names a span the 成绩单 was asked for: 本月 for this month's.
func spanLabel(span Span, today Date) string {
	for _, w := range []string{"本月", "本季度", "本年"} {
		if s, label, _ := ScorecardSpan([]string{w}, today); s == span {
			return label
		}
	}
	return span.String()
}

// scorecard handles 成绩单: the text now (two messages at most), the
// workbook later through the outbox, built when it is delivered with the
// asker's rights checked again (an export request, as 导出's).
func (b *Bot) scorecard(ctx context.Context, req Request) (Reply, error) {
	span, label, ok := ScorecardSpan(req.Args, DateOf(req.Now, b.Location))
	if !ok {
		return Reply{Text: scorecardUsage}, nil
	}
	sc, err := b.scorecardAt(ctx, span, req.Now)
	if err != nil {
		return Reply{}, err
	}
	sc.Label = label
	exp := ExportRequest{For: req.Member.UserID, From: span.From, To: span.To, Scorecard: true}
	return Reply{
		Text:    sc.Text(),
		Notices: []Notice{{To: []string{req.Member.UserID}, File: &File{Name: exp.FileName(""), Export: &exp}}},
	}, nil
}

// Scorecard computes the 成绩单 over span as of now (or the span's end,
// if it has ended): the workbook's contents.
func (b *Bot) Scorecard(ctx context.Context, span Span) (Scorecard, error) {
	sc, err := b.scorecardAt(ctx, span, b.Now())
	if err != nil {
		return Scorecard{}, err
	}
	sc.Label = spanLabel(span, DateOf(sc.At, b.Location))
	return sc, nil
}

func (b *Bot) scorecardAt(ctx context.Context, span Span, now time.Time) (Scorecard, error) {
	if end := span.End(b.Location); !now.Before(end) {
		now = end.Add(-time.Second)
	}
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return Scorecard{}, err
	}
	scores := make([]BranchScore, len(branches))
	errs := make([]error, len(branches))
	sem := make(chan struct{}, summaryConcurrency)
	var wg sync.WaitGroup
	for i, br := range branches {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			members, err := b.Roster.BranchMembers(ctx, br.ID)
			if err != nil {
				errs[i] = fmt.Errorf("bot: list branch %s: %w", br.ID, err)
				return
			}
			scores[i], errs[i] = b.scoreBranch(ctx, scoreInput{branch: br, members: members, span: span, now: now, hours: true})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Scorecard{}, err
	}
	return b.assembleScorecard(ctx, span, now, scores)
}

// scoreInput is what a branch's row is counted from.
type scoreInput struct {
	branch  Branch
	members []Member // the branch's members as BranchMembers lists them
	span    Span
	now     time.Time // within the span
	// duties, when the caller has them (the weekly summary: this month's
	// obligations), spare reading the meetings: owed, held.
	duties *[2]int
	hours  bool // tally the year's 学时 (a read per member)
	reads  scoreReads
}

// scoreReads are a branch's records the weekly report has read already:
// its 成绩单 row counts from them rather than read them again.
type scoreReads struct {
	amounts                                  map[string]Cents
	applicants                               []Applicant
	makeups                                  []Makeup
	amountsRead, applicantsRead, makeupsRead bool
	// paid is the dues paid in scoreMonths, recent the branch's
	// announcements since the span's start (the weekly summary reads both
	// for a chunk of branches at once).
	paid                 map[Month]map[string]DuesPayment
	recent               []Announcement
	paidRead, recentRead bool
}

// scoreAnnouncementsLimit bounds the announcements a 成绩单 row counts.
const scoreAnnouncementsLimit = 10000

// scoreMonths are the months of the span a 成绩单 counts dues for: up to
// now's month.
func (b *Bot) scoreMonths(span Span, now time.Time) []Month {
	this := MonthOf(DateOf(now, b.Location))
	return slices.DeleteFunc(span.Months(), func(m Month) bool { return this.Before(m) })
}

// scoreBranch counts one branch's row and its people by corp.
func (b *Bot) scoreBranch(ctx context.Context, in scoreInput) (BranchScore, error) {
	br := in.branch
	members := make([]Member, 0, len(in.members))
	for _, m := range in.members {
		if m.Counts() {
			members = append(members, m)
		}
	}
	s := BranchScore{Branch: br, People: map[string]ScoreCounts{}}
	s.Company, s.Joint = branchCompany(br, members)
	person := func(id string, f func(c *ScoreCounts)) {
		corp := CorpOf(id)
		c := s.People[corp]
		f(&c)
		s.People[corp] = c
	}
	for _, m := range members {
		person(m.UserID, func(c *ScoreCounts) {
			if m.Status.Full() {
				c.Full++
			} else if m.Status == StatusProbationary {
				c.Probationary++
			}
		})
	}
	applicants, err := in.reads.applicants, error(nil)
	if !in.reads.applicantsRead {
		if applicants, err = b.Development.BranchApplicants(ctx, br.ID); err != nil {
			return s, fmt.Errorf("bot: applicants of %s: %w", br.ID, err)
		}
	}
	for _, a := range applicants {
		if st := a.Stage(); a.OnPath() {
			person(a.UserID, func(c *ScoreCounts) {
				if c.Pipeline == nil {
					c.Pipeline = map[DevStage]int{}
				}
				c.Pipeline[st]++
			})
		}
	}
	if in.hours {
		hours, err := b.YearHours(ctx, br.ID, members, in.now)
		if err != nil {
			return s, err
		}
		today := DateOf(in.now, b.Location)
		for _, h := range hours {
			behind, _ := h.BehindPace(today)
			person(h.Member.UserID, func(c *ScoreCounts) {
				c.Hours++
				if !behind {
					c.HoursOnPace++
				}
			})
		}
	}
	if err := b.scoreDues(ctx, br, members, in, person); err != nil {
		return s, err
	}
	if err := b.scoreAnnouncements(ctx, br.ID, in.span, in.now, in.reads, person); err != nil {
		return s, err
	}
	var branch ScoreCounts
	if in.duties != nil {
		branch.Duties, branch.DutiesHeld = in.duties[0], in.duties[1]
	} else if branch, err = b.scoreMeetings(ctx, br, members, in.span, in.now); err != nil {
		return s, err
	}
	makeups := in.reads.makeups
	if !in.reads.makeupsRead {
		if makeups, err = b.Makeups.Makeups(ctx, br.ID); err != nil {
			return s, fmt.Errorf("bot: makeups of %s: %w", br.ID, err)
		}
	}
	start := in.span.Start(b.Location)
	for _, mk := range makeups {
		if at := mk.Meeting.OpenedAt; !at.Before(start) && !at.After(in.now) {
			branch.Makeups++
			if mk.Done != nil {
				branch.MakeupsDone++
			}
		}
	}
	s.addBranch(branch)
	for _, corp := range slices.Sorted(maps.Keys(s.People)) {
		s.addPeople(s.People[corp])
	}
	return s, nil
}

// branchCompany is the corp a branch's meetings count under: the one the
// config names, else its members' one corp; joint when they have several.
func branchCompany(br Branch, members []Member) (corp string, joint bool) {
	if br.Company != "" {
		return br.Company, false
	}
	corps := map[string]bool{}
	for _, m := range members {
		corps[CorpOf(m.UserID)] = true
	}
	if len(corps) > 1 {
		return "", true
	}
	for c := range corps {
		return c, false
	}
	return "", false
}

// scoreMeetings counts a branch's 三会一课 periods in the span up to now:
// every period of each obligation (and 党小组) that overlaps it is owed,
// the current one included, an earlier one only from the day the bot knew
// the branch (as the obligations reminder counts them).
func (b *Bot) scoreMeetings(ctx context.Context, br Branch, members []Member, span Span, now time.Time) (ScoreCounts, error) {
	var out ScoreCounts
	start := span.Start(b.Location)
	var since time.Time
	if !br.Since.IsZero() {
		since = time.Date(br.Since.Year, br.Since.Month, br.Since.Day, 0, 0, 0, 0, b.Location)
	}
	earliest := periodOf(Yearly, start).Start
	meetings, err := b.Meetings.Meetings(ctx, br.ID, earliest, now.Add(time.Second))
	if err != nil {
		return out, fmt.Errorf("bot: list meetings: %w", err)
	}
	counts, err := b.meetingsThatCount(ctx, br.ID, meetings)
	if err != nil {
		return out, err
	}
	for _, m := range meetings {
		if !m.ClosedAt.IsZero() && !m.OpenedAt.Before(start) {
			out.Meetings++
		}
	}
	for _, d := range b.duties(br, members) {
		if d.Exempt != "" {
			continue
		}
		groups := d.Groups
		if groups == nil {
			groups = []string{""}
		}
		for _, group := range groups {
			for p := periodOf(d.Cadence, start); !p.Start.After(now); p = periodOf(d.Cadence, p.End) {
				current := !now.Before(p.Start) && now.Before(p.End)
				if !current && p.Start.Before(since) {
					continue
				}
				out.Duties++
				held := slices.ContainsFunc(meetings, func(m Meeting) bool {
					return m.Type == d.Type && m.Group == group && !m.ClosedAt.IsZero() && counts[m.ID] == "" &&
						!m.OpenedAt.Before(p.Start) && m.OpenedAt.Before(p.End)
				})
				switch {
				case held:
					out.DutiesHeld++
				case !current:
					out.DutiesOverdue++
				}
			}
		}
	}
	return out, nil
}

// scoreDues counts the span's member-months up to now's month: owed by the
// members (not before the branch was known or they joined) and paid, by
// the member's corp. A branch with no amounts set and no payment keeps its
// dues outside the bot and owes nothing here.
func (b *Bot) scoreDues(ctx context.Context, br Branch, members []Member, in scoreInput, person func(string, func(*ScoreCounts))) error {
	amounts := in.reads.amounts
	if !in.reads.amountsRead {
		var err error
		if amounts, err = b.Dues.DuesAmounts(ctx, br.ID); err != nil {
			return fmt.Errorf("bot: dues amounts of %s: %w", br.ID, err)
		}
	}
	months := b.scoreMonths(in.span, in.now)
	paid := in.reads.paid
	if !in.reads.paidRead {
		var err error
		if paid, err = b.Dues.DuesPaid(ctx, br.ID, months); err != nil {
			return fmt.Errorf("bot: dues of %s: %w", br.ID, err)
		}
	}
	tracked := len(amounts) > 0
	for _, byMember := range paid {
		tracked = tracked || len(byMember) > 0
	}
	if !tracked {
		return nil
	}
	for _, m := range members {
		for _, mo := range months {
			p, ok := paid[mo][m.UserID]
			early := (!br.Since.IsZero() && mo.Before(MonthOf(br.Since))) || (!m.Joined.IsZero() && mo.Before(MonthOf(m.Joined)))
			if early && !ok {
				continue
			}
			person(m.UserID, func(c *ScoreCounts) {
				c.DuesOwed++
				if ok {
					c.DuesPaid++
					c.DuesAmount += p.Amount
				}
			})
		}
	}
	return nil
}

// scoreAnnouncements counts the recipients of a scope's announcements sent
// in the span and their acknowledgements, by the recipient's corp.
func (b *Bot) scoreAnnouncements(ctx context.Context, scope string, span Span, now time.Time, reads scoreReads, person func(string, func(*ScoreCounts))) error {
	recent := reads.recent
	if !reads.recentRead {
		var err error
		if recent, err = b.Announcements.RecentAnnouncements(ctx, scope, span.Start(b.Location), scoreAnnouncementsLimit); err != nil {
			return fmt.Errorf("bot: announcements of %s: %w", scope, err)
		}
	}
	for _, a := range recent {
		if a.SentAt.After(now) {
			continue
		}
		r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
		if err != nil {
			return fmt.Errorf("bot: answers: %w", err)
		}
		for _, id := range a.To {
			acked := !r.Acked[id].IsZero()
			person(id, func(c *ScoreCounts) {
				c.Notified++
				if acked {
					c.Acked++
				}
			})
		}
	}
	return nil
}

// assembleScorecard adds up the branches' rows into the companies' and the
// joint branches', with the 全体 announcements by corp.
func (b *Bot) assembleScorecard(ctx context.Context, span Span, now time.Time, branches []BranchScore) (Scorecard, error) {
	sc := Scorecard{Span: span, At: now, Today: DateOf(now, b.Location), Location: b.Location, Branches: branches}
	index := map[string]int{}
	company := func(corp string) *CompanyScore {
		i, ok := index[corp]
		if !ok {
			i = len(sc.Companies)
			index[corp] = i
			sc.Companies = append(sc.Companies, CompanyScore{Company: Company{ID: corp, Name: corp}})
		}
		return &sc.Companies[i]
	}
	for _, c := range b.companies() {
		company(c.ID).Company = c
	}
	for _, s := range branches {
		if s.Joint {
			sc.JointBranches++
			sc.Joint.addBranch(s.ScoreCounts)
		} else {
			c := company(s.Company)
			c.Branches++
			c.addBranch(s.ScoreCounts)
		}
		for corp, p := range s.People {
			c := company(corp)
			c.addPeople(p)
			if s.Joint && p.Full+p.Probationary > 0 {
				c.JointBranches++
			}
		}
	}
	err := b.scoreAnnouncements(ctx, OrgScope, span, now, scoreReads{}, func(id string, f func(*ScoreCounts)) {
		f(&company(CorpOf(id)).ScoreCounts)
		f(&sc.Org)
	})
	if err != nil {
		return Scorecard{}, err
	}
	sortCompanies(sc.Companies)
	return sc, nil
}

// companies are the org's companies, named: the home corp first.
func (b *Bot) companies() []Company {
	out := slices.Clone(b.Companies)
	if !slices.ContainsFunc(out, func(c Company) bool { return c.ID == "" }) {
		out = append([]Company{{}}, out...)
	}
	for i, c := range out {
		switch {
		case c.Name != "":
			out[i].Name = Plain(c.Name)
		case c.ID == "":
			out[i].Name = homeCompanyName
		default:
			out[i].Name = c.ID
		}
	}
	return out
}

// homeCompanyName names the home corp when the config gives no name.
const homeCompanyName = "本企业"

// sortCompanies puts the companies that need attention first — no branch,
// then nothing in the span — and each part by name (pinyin order).
func sortCompanies(cs []CompanyScore) {
	col := collate.New(language.Chinese)
	rank := func(c CompanyScore) int {
		switch {
		case c.NoBranch():
			return 0
		case !c.Active():
			return 1
		}
		return 2
	}
	slices.SortStableFunc(cs, func(x, y CompanyScore) int {
		if d := rank(x) - rank(y); d != 0 {
			return d
		}
		return col.CompareString(x.Company.Name, y.Company.Name)
	})
}

// Attention is what a company's row says first when it needs it.
func (c CompanyScore) Attention() string {
	switch {
	case c.NoBranch():
		return "无支部"
	case !c.Active():
		return "本期无活动"
	}
	return ""
}

// ratio writes done/owed, or — when nothing was owed.
func ratio(done, owed int) string {
	if owed == 0 && done == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", done, owed)
}

// pipelineText is the 发展 pipeline in a few words.
func (c ScoreCounts) pipelineText() string {
	if c.InPipeline() == 0 {
		return "发展 0"
	}
	var parts []string
	for _, st := range PipelineStages {
		if n := c.Pipeline[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	return fmt.Sprintf("发展 %d（%s）", c.InPipeline(), strings.Join(parts, "、"))
}

// peopleText is the people measures in a line.
func (c ScoreCounts) peopleText() string {
	return fmt.Sprintf("党员 %d·预备 %d·%s", c.Full, c.Probationary, c.pipelineText())
}

// meetingsText is the branch measures in a line.
func (c ScoreCounts) meetingsText() string {
	s := "会议 " + ratio(c.DutiesHeld, c.Duties)
	if c.DutiesOverdue > 0 {
		s += fmt.Sprintf("（逾期 %d）", c.DutiesOverdue)
	}
	return s + "·补学 " + ratio(c.MakeupsDone, c.Makeups)
}

// dutiesText is 学时, 党费 and 公告 in a line.
func (c ScoreCounts) dutiesText() string {
	dues := ratio(c.DuesPaid, c.DuesOwed)
	if c.DuesPaid > 0 {
		dues += " " + c.DuesAmount.String() + " 元"
	}
	s := "党费 " + dues + "·公告 " + ratio(c.Acked, c.Notified)
	if c.Hours > 0 {
		s = "学时达进度 " + ratio(c.HoursOnPace, c.Hours) + "·" + s
	}
	return s
}

// Text is the 成绩单 as two messages at most: the companies, the joint
// branches, then one line a branch; what does not fit is left to the
// workbook.
func (sc Scorecard) Text() string {
	head := []string{fmt.Sprintf("成绩单·%s（%s，截至 %s）", sc.Label, fmtSpan(sc.Span.From, sc.Span.To), fmtDay(sc.Today)),
		fmt.Sprintf("%d 家企业、%d 个支部（联合支部 %d 个）", len(sc.Companies), len(sc.Branches), sc.JointBranches)}
	var body []string
	for _, c := range sc.Companies {
		title := "【" + cutRunes(c.Company.Name, 20) + "】"
		if c.NoBranch() { // nothing to count: one line says so
			body = append(body, title+"⚠️无支部：本企业党员尚未编入任何支部")
			continue
		}
		if a := c.Attention(); a != "" {
			title += "⚠️" + a + "；"
		}
		title += fmt.Sprintf("支部 %d", c.Branches)
		if c.JointBranches > 0 {
			title += fmt.Sprintf("，联合 %d", c.JointBranches)
		}
		body = append(body, title, c.peopleText(), c.meetingsText()+"·"+c.dutiesText())
	}
	if sc.JointBranches > 0 {
		body = append(body, fmt.Sprintf("【联合支部 %d 个】%s", sc.JointBranches, sc.Joint.meetingsText()))
	}
	if sc.Org.Notified > 0 {
		body = append(body, "全体公告确认 "+ratio(sc.Org.Acked, sc.Org.Notified))
	}
	if len(sc.Branches) > 0 {
		body = append(body, "各支部：")
	}
	for _, s := range sc.Branches {
		company := JointLabel
		if !s.Joint {
			company = cutRunes(sc.CompanyName(s.Company), 8)
		}
		body = append(body, fmt.Sprintf("· %s〔%s〕党员 %d·预备 %d·%s·党费 %s·公告 %s", cutRunes(Plain(s.Branch.Name), 12), company,
			s.Full, s.Probationary, s.meetingsText(), ratio(s.DuesPaid, s.DuesOwed), ratio(s.Acked, s.Notified)))
	}
	foot := []string{"会议为已开/应开（期），党费为已交/应交（人·月），公告为已确认/应确认（人次）；只计人数，不排名。Excel 随后发给你。"}
	return fitMessages(head, body, foot, 2)
}

// fitMessages joins head, as much of body as fits and foot into text that
// SplitText cuts into at most parts messages; a cut body ends with "…".
func fitMessages(head, body, foot []string, parts int) string {
	join := func(n int) string {
		lines := slices.Concat(head, body[:n])
		if n < len(body) {
			lines = append(lines, fmt.Sprintf("…（另有 %d 行，见 Excel）", len(body)-n))
		}
		return strings.Join(append(lines, foot...), "\n")
	}
	// No text over parts × the limit fits: start below it (a large org
	// has thousands of branch lines), then back off a line at a time.
	n, size := 0, len(strings.Join(slices.Concat(head, foot), "\n"))
	for n < len(body) && size+1+len(body[n]) <= parts*MaxMessageBytes {
		size += 1 + len(body[n])
		n++
	}
	for ; n > 0; n-- {
		if text := join(n); len(SplitText(text, MaxMessageBytes)) <= parts {
			return text
		}
	}
	return join(0)
}

// digestLines is the 成绩单 block of the admins' weekly digest: a line a
// company (those needing attention first), at most max of them, and the
// joint branches.
func (sc Scorecard) digestLines(max int) []string {
	lines := []string{fmt.Sprintf("**成绩单·%s（截至 %s）**", sc.Label, fmtDay(sc.Today))}
	for i, c := range sc.Companies {
		if i == max {
			lines = append(lines, fmt.Sprintf("另有 %d 家企业，发“成绩单”看全部。", len(sc.Companies)-max))
			break
		}
		line := "> " + cutRunes(c.Company.Name, 16) + "："
		if c.NoBranch() {
			lines = append(lines, line+"<font color=\"warning\">无支部</font>")
			continue
		}
		if a := c.Attention(); a != "" {
			line += "<font color=\"warning\">" + a + "</font>；"
		}
		line += fmt.Sprintf("党员 %d·预备 %d·会议 %s·党费 %s·公告 %s", c.Full, c.Probationary, ratio(c.DutiesHeld, c.Duties), ratio(c.DuesPaid, c.DuesOwed), ratio(c.Acked, c.Notified))
		lines = append(lines, line)
	}
	if sc.JointBranches > 0 {
		lines = append(lines, fmt.Sprintf("> 联合支部 %d 个：会议 %s", sc.JointBranches, ratio(sc.Joint.DutiesHeld, sc.Joint.Duties)))
	}
	return lines
}

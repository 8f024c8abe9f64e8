package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Ledger is everything an export holds.
type Ledger struct {
	Span        Span
	SummaryOnly bool // the numbers only: one row per branch
	Made        time.Time
	Location    *time.Location
	Branches    []BranchLedger
}

// BranchLedger is one branch's part of the ledger. Summary holds the same
// numbers 本周 and the weekly summary show for the same span.
type BranchLedger struct {
	Branch        Branch
	Summary       BranchSummary
	Members       []MemberStats // the span's tally in Week
	Checkins      []Checkin
	Studies       []StudyReport
	Meetings      []MeetingLedger
	Announcements []AnnouncementLedger
	Leaves        []Leave
	DuesAmounts   map[string]Cents
	Dues          map[Month]map[string]DuesPayment // the span's months
	// Development is the branch's 发展党员 register up to the span's end:
	// everyone with a step recorded by then, with those steps.
	Development []Applicant
	// Talks are the span's 谈心谈话, notes included: only leaders export.
	Talks []Talk
	// Rectify are the 整改 and 议定 items open during the span.
	Rectify []RectifyItem

	// Review is the 民主评议 of the span's last year (nil: none): tallies,
	// 自评 received and 评定, never a ballot.
	Review *ReviewLedger
	// Life is the 组织生活会 checklist of the span's last year (nil: no 方案).
	Life *LifeLedger
}

// MeetingLedger is a meeting's record with its minutes and photos.
type MeetingLedger struct {
	Record      MeetingRecord
	Corrections []Correction
	Minutes     []Minutes
	Photos      []Photo
	Makeups     []Makeup // its 补学, done or not, oldest userid first
}

// AnnouncementLedger is an announcement with its answers.
type AnnouncementLedger struct {
	Announcement Announcement
	Responses    Responses
	// Studied is a 学习材料's 已学 records by userid (nil for others).
	Studied map[string]MaterialStudy
}

// LedgerHeader is a ledger without its branches: what a writer needs to
// know before the first branch arrives.
func (b *Bot) LedgerHeader(span Span, summaryOnly bool) Ledger {
	return Ledger{Span: span, SummaryOnly: summaryOnly, Made: b.Now(), Location: b.Location}
}

// Ledger gathers the branches' ledgers for the span. summaryOnly leaves
// out everything but the numbers. For many branches prefer EachLedger,
// which holds a few branches at a time rather than all of them.
func (b *Bot) Ledger(ctx context.Context, branches []Branch, span Span, summaryOnly bool) (Ledger, error) {
	l := b.LedgerHeader(span, summaryOnly)
	err := b.EachLedger(ctx, branches, span, summaryOnly, func(bl BranchLedger) error {
		l.Branches = append(l.Branches, bl)
		return nil
	})
	return l, err
}

// EachLedger gathers the branches' ledgers several at a time and hands
// them to fn one by one, in order; at most summaryConcurrency are held at
// once, so a large org's export stays within memory.
func (b *Bot) EachLedger(ctx context.Context, branches []Branch, span Span, summaryOnly bool, fn func(BranchLedger) error) error {
	now := b.Now()
	if end := span.End(b.Location); end.Before(now) {
		now = end.Add(-time.Second) // obligations as they stood when the span ended
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		l   BranchLedger
		err error
	}
	results := make([]chan result, len(branches))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	slots := make(chan struct{}, summaryConcurrency) // taken until fn has the branch
	go func() {
		for i, br := range branches {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i] <- result{err: ctx.Err()}
				continue
			}
			go func() {
				l, err := b.branchLedger(ctx, br, span, now, summaryOnly)
				results[i] <- result{l, err}
			}()
		}
	}()
	for i := range branches {
		r := <-results[i]
		if r.err == nil {
			<-slots
			r.err = fn(r.l)
		}
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

func (b *Bot) branchLedger(ctx context.Context, br Branch, span Span, now time.Time, summaryOnly bool) (BranchLedger, error) {
	members, err := b.ledgerMembers(ctx, br, span)
	if err != nil {
		return BranchLedger{}, err
	}
	// One read of the span serves the numbers and the records alike.
	d, err := b.readSpanOf(ctx, br.ID, members, span, !summaryOnly)
	if err != nil {
		return BranchLedger{}, err
	}
	s, err := b.summarizeData(ctx, br, false, span, now, d.stats)
	if err != nil {
		return BranchLedger{}, err
	}
	if err := b.ledgerHours(ctx, &s, span, now); err != nil {
		return BranchLedger{}, err
	}
	l := BranchLedger{Branch: br, Summary: s, Members: s.Members}
	l.Summary.Members = nil
	if summaryOnly {
		l.Members = nil
		return l, nil
	}
	l.Checkins = d.checkins
	slices.SortFunc(l.Checkins, func(x, y Checkin) int { return x.At.Compare(y.At) })
	for _, m := range l.Members {
		l.Studies = append(l.Studies, d.reports[m.Member.UserID]...)
	}
	slices.SortFunc(l.Studies, func(x, y StudyReport) int { return x.At.Compare(y.At) })
	if l.Meetings, err = b.meetingLedgers(ctx, br.ID, span); err != nil {
		return l, err
	}
	if l.Announcements, err = b.announcementLedgers(ctx, br.ID, span); err != nil {
		return l, err
	}
	if l.Leaves, err = b.Leaves.Leaves(ctx, br.ID, span.From, span.To); err != nil {
		return l, fmt.Errorf("bot: leaves of %s: %w", br.ID, err)
	}
	if l.DuesAmounts, err = b.Dues.DuesAmounts(ctx, br.ID); err != nil {
		return l, fmt.Errorf("bot: dues of %s: %w", br.ID, err)
	}
	if l.Dues, err = b.Dues.DuesPaid(ctx, br.ID, span.Months()); err != nil {
		return l, fmt.Errorf("bot: dues of %s: %w", br.ID, err)
	}
	if l.Development, err = b.developmentRegister(ctx, br.ID, span.To); err != nil {
		return l, err
	}
	if l.Talks, err = b.talksIn(ctx, br.ID, span); err != nil {
		return l, err
	}
	if l.Rectify, err = b.rectifyIn(ctx, br.ID, span); err != nil {
		return l, err
	}
	if l.Review, err = b.reviewLedger(ctx, br.ID, span.To.Year); err != nil {
		return l, err
	}
	if l.Life, err = b.lifeLedger(ctx, br.ID, span.To.Year); err != nil {
		return l, err
	}
	return l, nil
}

// ledgerMembers lists who was on the branch's books during the span,
// ordered by userid: records belong to the branch and the time they were
// made in, so a member who has since left or moved is listed with them.
// Everyone whose tenure overlaps the span is, and so is a member on the
// books now whom the history does not know (written around it: nothing is
// lost).
func (b *Bot) ledgerMembers(ctx context.Context, br Branch, span Span) ([]Member, error) {
	tenures, err := b.Roster.Tenures(ctx, br.ID)
	if err != nil {
		return nil, fmt.Errorf("bot: membership history of %s: %w", br.ID, err)
	}
	current, err := b.Roster.BranchMembers(ctx, br.ID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", br.ID, err)
	}
	others, err := b.Roster.BranchPending(ctx, br.ID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", br.ID, err)
	}
	known, in := map[string]bool{}, map[string]bool{}
	for _, t := range tenures {
		known[t.UserID] = true
		in[t.UserID] = in[t.UserID] || t.Overlaps(span)
	}
	byID := map[string]Member{}
	for _, m := range slices.Concat(current, others) {
		if m.Enrolled() {
			byID[m.UserID] = m
			in[m.UserID] = in[m.UserID] || !known[m.UserID]
		}
	}
	ids := make([]string, 0, len(in))
	for id, ok := range in {
		if ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]Member, 0, len(ids))
	for _, id := range ids {
		m, ok := byID[id]
		if !ok { // left, or moved: their record says where they are now
			var found bool
			if m, found, err = b.Roster.Member(ctx, id); err != nil {
				return nil, fmt.Errorf("bot: look up %s: %w", id, err)
			} else if !found {
				continue
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func (b *Bot) meetingLedgers(ctx context.Context, branchID string, span Span) ([]MeetingLedger, error) {
	meetings, err := b.Meetings.Meetings(ctx, branchID, span.Start(b.Location), span.End(b.Location))
	if err != nil {
		return nil, fmt.Errorf("bot: meetings of %s: %w", branchID, err)
	}
	ids := make([]string, len(meetings))
	for i, m := range meetings {
		ids[i] = m.ID
	}
	outcomes, err := b.Meetings.Outcomes(ctx, branchID, ids)
	if err != nil {
		return nil, fmt.Errorf("bot: meeting records of %s: %w", branchID, err)
	}
	makeups, err := b.Makeups.Makeups(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: makeups of %s: %w", branchID, err)
	}
	sortMakeups(makeups)
	out := make([]MeetingLedger, 0, len(meetings))
	for _, m := range meetings {
		o := outcomes[m.ID]
		if m.ClosedAt.IsZero() { // open: its corrections are not in an outcome yet
			if o.Corrections, err = b.Meetings.Corrections(ctx, branchID, m.ID); err != nil {
				return nil, fmt.Errorf("bot: corrections: %w", err)
			}
		}
		rec, err := b.recordOf(ctx, m, o)
		if err != nil {
			return nil, err
		}
		ml := MeetingLedger{Record: rec, Corrections: o.Corrections}
		for _, mk := range makeups {
			if mk.Meeting.ID == m.ID {
				ml.Makeups = append(ml.Makeups, mk)
			}
		}
		if ml.Minutes, err = b.Minutes.Minutes(ctx, branchID, m.ID); err != nil {
			return nil, fmt.Errorf("bot: minutes: %w", err)
		}
		if ml.Photos, err = b.Minutes.Photos(ctx, branchID, m.ID); err != nil {
			return nil, fmt.Errorf("bot: photos: %w", err)
		}
		out = append(out, ml)
	}
	return out, nil
}

func (b *Bot) announcementLedgers(ctx context.Context, branchID string, span Span) ([]AnnouncementLedger, error) {
	recent, err := b.Announcements.RecentAnnouncements(ctx, branchID, span.Start(b.Location), 10000)
	if err != nil {
		return nil, fmt.Errorf("bot: announcements of %s: %w", branchID, err)
	}
	end := span.End(b.Location)
	var out []AnnouncementLedger
	for i := len(recent) - 1; i >= 0; i-- { // oldest first
		a := recent[i]
		if !a.SentAt.Before(end) {
			continue
		}
		r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
		if err != nil {
			return nil, fmt.Errorf("bot: answers: %w", err)
		}
		al := AnnouncementLedger{Announcement: a, Responses: r}
		if a.Material != nil {
			if al.Studied, err = b.Materials.MaterialStudies(ctx, a.Scope, a.No); err != nil {
				return nil, fmt.Errorf("bot: material studies: %w", err)
			}
		}
		out = append(out, al)
	}
	return out, nil
}

// ExportRequest asks for a ledger as a workbook: one branch, or every
// branch ("" scope), over a span; SummaryOnly keeps just the numbers.
type ExportRequest struct {
	// For is who asked (导出): their rights are checked again when the
	// file is built and sent. "" (the org digest, a job's, or a request
	// queued by an earlier release) is not re-checked.
	For         string `json:"for,omitempty"`
	Branch      string `json:"branch,omitempty"`
	From        Date   `json:"from"`
	To          Date   `json:"to"`
	SummaryOnly bool   `json:"summary_only,omitempty"`
	// Scorecard asks for the 成绩单 over the span instead of a ledger
	// (every branch; For must still be an admin).
	Scorecard bool `json:"scorecard,omitempty"`
}

// FileName is the workbook's name as the member sees it.
func (r ExportRequest) FileName(branchName string) string {
	what := "台账"
	if r.Scorecard {
		return fmt.Sprintf("成绩单-%s-%s.xlsx", r.From, r.To)
	}
	if r.SummaryOnly {
		what = "支部汇总"
	}
	return fmt.Sprintf("%s%s-%s-%s.xlsx", branchName, what, r.From, r.To)
}

// export handles "导出 [span]": the ledger goes to the asker as a file,
// through the outbox (building and uploading takes longer than a reply).
func (b *Bot) export(ctx context.Context, req Request) (Reply, error) {
	args := req.Args
	branch := req.Member.BranchID
	name := ""
	if len(args) > 0 && (Normalize(args[0]) == "全部" || Normalize(args[0]) == "all") {
		if req.Member.Role != RoleAdmin {
			return Reply{Text: "“导出 全部”只有党委管理员可以使用。"}, nil
		}
		branch, name, args = "", "全部支部", args[1:]
	} else if req.Member.Role == RoleAdmin && len(args) > 0 && ValidBranchID(Normalize(args[0])) && !isSpanWord(args[0]) {
		id := Normalize(args[0])
		if _, found, err := b.Roster.Branch(ctx, id); err != nil {
			return Reply{}, fmt.Errorf("bot: read branch: %w", err)
		} else if !found {
			refusal, err := b.unknownBranch(ctx, id)
			return Reply{Text: strings.Replace(refusal, "，或“全体”", "，或“全部”", 1)}, err
		}
		branch, args = id, args[1:]
	} else if len(args) > 0 && ValidBranchID(Normalize(args[0])) && !isSpanWord(args[0]) && !isDateWord(args[0]) {
		return Reply{Text: "你只能导出本支部：" + spanUsage}, nil
	}
	if branch == "" && name == "" {
		return Reply{Text: "请写支部 id 或“全部”，例如“导出 全部 上季度”。"}, nil
	}
	span, ok := ParseSpan(args, DateOf(req.Now, b.Location))
	if !ok {
		return Reply{Text: spanUsage}, nil
	}
	if span.Days() > 366 {
		return Reply{Text: "一次最多导出一年。" + spanUsage}, nil
	}
	if name == "" {
		br, _, err := b.Roster.Branch(ctx, branch)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: read branch: %w", err)
		}
		name = br.Name
	}
	exp := ExportRequest{For: req.Member.UserID, Branch: branch, From: span.From, To: span.To}
	return Reply{
		Text:    fmt.Sprintf("正在生成%s %s 的台账，稍后以 Excel 文件发给你。", name, span),
		Notices: []Notice{{To: []string{req.Member.UserID}, File: &File{Name: exp.FileName(name), Export: &exp}}},
	}, nil
}

// ErrExportRefused means the member who asked for a ledger may no longer
// have it: they left, or no longer lead its branch.
var ErrExportRefused = errors.New("bot: the requester may no longer export this ledger")

// CheckExport tells whether a ledger may still go to whoever asked for it.
// 导出 checks rights on arrival, but the file is built and sent later,
// maybe much later (sending paused by a configuration error, or delayed by
// the rate limit): a secretary removed meanwhile must not receive the
// branch's records. It fails with ErrExportRefused when they may not.
func (b *Bot) CheckExport(ctx context.Context, r ExportRequest) error {
	if r.For == "" {
		return nil
	}
	m, found, err := b.Roster.Member(ctx, r.For)
	if err != nil {
		return fmt.Errorf("bot: look up requester: %w", err)
	}
	allowed := m.Role == RoleAdmin
	if r.Branch != "" && !r.Scorecard {
		allowed = m.Leads(r.Branch)
	}
	if !found || !m.Active || !allowed {
		return ErrExportRefused
	}
	return nil
}

// What the adapter tells whoever asked for a file it cannot send: over
// WeCom's 20 MB upload limit, or not buildable at all.
const (
	FileTooLargeText = "台账文件超过 20MB，请缩短时间范围（如 导出 本月）或让管理员用命令行 partybot export 导出。"
	FileFailedText   = "台账文件没能生成，请稍后再试；如仍不行，请联系管理员查看日志。"
)

// File is a file to build when it is delivered (a ledger workbook), then
// upload and send.
type File struct {
	Name   string         `json:"name"`
	Export *ExportRequest `json:"export,omitempty"`
}

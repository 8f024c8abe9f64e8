package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Study kinds; a report is 自学 unless its text names another.
// StudyKind is how a member studied, read from the report's content.
type StudyKind string

// Study kinds; a report naming none of the others is 自学.
const (
	StudyGroup   StudyKind = "集体学习"
	StudyTopic   StudyKind = "专题学习"
	StudyLecture StudyKind = "党课"
	StudySelf    StudyKind = "自学"
)

var studyKinds = []StudyKind{StudyGroup, StudyTopic, StudyLecture, StudySelf}

// StudyReport is one study session a member reported (学习).
type StudyReport struct {
	ID          string     `json:"id"` // the dedupe key of the message: retries store it once
	BranchID    string     `json:"branch"`
	UserID      string     `json:"userid"`
	Day         Date       `json:"day"` // the day studied
	Minutes     int        `json:"minutes"`
	Content     string     `json:"content"`
	Kind        StudyKind  `json:"kind"`
	Reflection  string     `json:"reflection,omitempty"`
	Late        bool       `json:"late,omitempty"` // reported after the day
	At          time.Time  `json:"at"`             // reported
	Evidence    []Evidence `json:"evidence,omitempty"`
	Withdrawn   bool       `json:"withdrawn,omitempty"`
	WithdrawnAt time.Time  `json:"withdrawn_at,omitzero"`
}

// Evidence is an image sent to back a report.
type Evidence struct {
	MediaID string    `json:"media_id"` // WeCom keeps media 3 days
	PicURL  string    `json:"pic_url,omitempty"`
	At      time.Time `json:"at"`
}

// StudyStore keeps study reports per member.
type StudyStore interface {
	// RecordStudy stores r unless a report with its ID exists, and makes it
	// the member's latest.
	RecordStudy(ctx context.Context, r StudyReport) (created bool, err error)
	// LastStudy returns the member's most recently submitted report.
	LastStudy(ctx context.Context, branchID, userID string) (r StudyReport, found bool, err error)
	// ModifyStudy applies change to a stored report atomically (an image and
	// 撤回 arriving together must not undo each other) and returns the result.
	// A change that returns an error leaves the report as it was.
	ModifyStudy(ctx context.Context, branchID, userID, id string, change func(*StudyReport) error) (StudyReport, error)
	// StudyReports lists the member's reports for days in [from, to],
	// withdrawn ones included.
	StudyReports(ctx context.Context, branchID, userID string, from, to Date) ([]StudyReport, error)
	// StudyReportsMany is StudyReports for many members of a branch at once.
	StudyReportsMany(ctx context.Context, branchID string, userIDs []string, from, to Date) (map[string][]StudyReport, error)
	// StudyReportsBrief is StudyReportsMany with only what tally counts set
	// (Day, Minutes, Withdrawn): summaries read a week for every member.
	StudyReportsBrief(ctx context.Context, branchID string, userIDs []string, from, to Date) (map[string][]StudyReport, error)
	// StudySums adds up, per member, the reports that count (not withdrawn)
	// for days in [from, to], from sums kept as reports are written. ok is
	// false when the sums do not cover the span (they start with the version
	// that keeps them); then the reports are read instead.
	StudySums(ctx context.Context, branchID string, from, to Date) (sums map[string]StudySum, ok bool, err error)
	// StudyDayMinutes is the branch's counted study minutes on each day in
	// [from, to], from the same day sums as StudySums (and ok as there).
	StudyDayMinutes(ctx context.Context, branchID string, from, to Date) (minutes []int, ok bool, err error)
	// StudyDaySums is the day sums themselves, one map (userid → sum) per
	// day in [from, to], and the first day from which they are whole
	// (zero: none kept); earlier days' maps are not to be trusted. The
	// weekly summary reads both weeks' in one round trip.
	StudyDaySums(ctx context.Context, branchID string, from, to Date) (days []map[string]StudySum, first Date, err error)
	// StudyDaySumsMany is StudyDaySums of several branches in one round trip.
	StudyDaySumsMany(ctx context.Context, branchIDs []string, from, to Date) (map[string]StudyDays, error)
}

// StudyDays is StudyDaySums's answer for one branch.
type StudyDays struct {
	Days  []map[string]StudySum
	First Date
}

// AddStudySums adds day sums up per member.
func AddStudySums(days []map[string]StudySum) map[string]StudySum {
	out := map[string]StudySum{}
	for _, day := range days {
		for id, s := range day {
			sum := out[id]
			sum.Reports += s.Reports
			sum.Minutes += s.Minutes
			out[id] = sum
		}
	}
	return out
}

// StudyDayTotals is each day's minutes, all members together.
func StudyDayTotals(days []map[string]StudySum) []int {
	out := make([]int, len(days))
	for i, day := range days {
		for _, s := range day {
			out[i] += s.Minutes
		}
	}
	return out
}

// StudySum is what a member's reports over some days add up to.
type StudySum struct {
	Reports int
	Minutes int
}

// StudyTargets are the weekly goals (rules.weekly_study_*); zero means none.
type StudyTargets struct {
	WeeklyMinutes int
	WeeklyReports int
}

const (
	studyUsage = "用法：学习 <内容> <时长> [心得]\n例如：学习 党章第一章 30分钟 收获很大\n补记本周：学习 昨天 党史 1小时"
	// evidenceWindow is how soon after a report an image counts as its evidence.
	evidenceWindow = 10 * time.Minute
	// withdrawWindow is how long a report may be withdrawn.
	withdrawWindow = 24 * time.Hour
)

// weekStart is the Monday of d's week.
func weekStart(d Date) Date {
	back := (int(d.Weekday()) + 6) % 7
	return d.AddDays(-back)
}

// parseStudyDay reads a leading day word: 昨天, 前天, 周一 … 周日, 11-20.
func parseStudyDay(word string, today Date) (Date, bool) {
	word = Normalize(word)
	weekdays := map[string]int{"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
	for _, prefix := range []string{"周", "星期", "礼拜"} {
		if rest, ok := strings.CutPrefix(word, prefix); ok {
			if off, ok := weekdays[rest]; ok {
				return weekStart(today).AddDays(off), true
			}
		}
	}
	if word == "前天" {
		return today.AddDays(-2), true
	}
	return parseDay(word, today)
}

// parseStudy splits "[day] <content…> <duration> [reflection…]".
func parseStudy(args []string, today Date) (day Date, minutes int, content, reflection string, ok bool) {
	day = today
	if len(args) > 0 {
		if d, isDay := parseStudyDay(args[0], today); isDay {
			day, args = d, args[1:]
		}
	}
	for i := 1; i < len(args); i++ {
		if m, isDuration := ParseStudyDuration(args[i]); isDuration {
			return day, m, strings.Join(args[:i], " "), strings.Join(args[i+1:], " "), true
		}
	}
	return Date{}, 0, "", "", false
}

func studyKind(content string) StudyKind {
	for _, k := range studyKinds {
		if strings.Contains(content, string(k)) {
			return k
		}
	}
	return StudySelf
}

func (b *Bot) study(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "你不属于任何支部，学习记录需挂在支部下。"}, nil
	}
	today := DateOf(req.Now, b.Location)
	day, minutes, content, reflection, ok := parseStudy(req.Args, today)
	if !ok {
		return Reply{Text: studyUsage}, nil
	}
	switch {
	case day.Number() > today.Number():
		return Reply{Text: "不能提前登记学习。"}, nil
	case day.Number() < weekStart(today).Number():
		return Reply{Text: "只能补记本周（周一起）的学习；更早的请联系书记。"}, nil
	}
	r := StudyReport{
		ID: req.Msg.DedupeKey(), BranchID: req.Member.BranchID, UserID: req.Member.UserID,
		Day: day, Minutes: minutes, Content: content, Kind: studyKind(content),
		Reflection: reflection, Late: day != today, At: req.Now,
	}
	if refusal, err := b.overDailyCap(ctx, r); err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	if _, err := b.Studies.RecordStudy(ctx, r); err != nil {
		return Reply{}, fmt.Errorf("bot: record study: %w", err)
	}
	stats, err := b.MemberStats(ctx, req.Member, req.Now)
	if err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("已记录学习 ✅ %s %d分钟（%s）", Plain(content), minutes, r.Kind)
	if r.Late {
		text += "\n补记 " + fmtDay(day)
	}
	text += "\n" + b.weekProgress(stats)
	return Reply{Text: text + "\n10 分钟内发图片可作为学习凭证。"}, nil
}

// Daily caps on study reports: a day has no more than 16 hours of study in
// it, and twenty reports a day is a typo loop, not a study plan.
const (
	maxStudyMinutesPerDay = 16 * 60
	maxStudyReportsPerDay = 20
)

// overDailyCap says why r would take its day over a cap, or "". A retry of
// a stored report is never refused.
func (b *Bot) overDailyCap(ctx context.Context, r StudyReport) (string, error) {
	same, err := b.Studies.StudyReports(ctx, r.BranchID, r.UserID, r.Day, r.Day)
	if err != nil {
		return "", fmt.Errorf("bot: read study: %w", err)
	}
	minutes, reports := 0, 0
	for _, s := range same {
		if s.ID == r.ID {
			return "", nil
		}
		if !s.Withdrawn {
			minutes, reports = minutes+s.Minutes, reports+1
		}
	}
	switch {
	case reports >= maxStudyReportsPerDay:
		return fmt.Sprintf("%s已记录 %d 次学习，达到每日上限，没有再记录。", fmtDay(r.Day), reports), nil
	case minutes+r.Minutes > maxStudyMinutesPerDay:
		return fmt.Sprintf("%s已记录 %s 学习，再加 %s 会超过每日 %d 小时的上限，没有记录。请核对时长；记错了可发“撤回”。",
			fmtDay(r.Day), FormatMinutes(minutes), FormatMinutes(r.Minutes), maxStudyMinutesPerDay/60), nil
	}
	return "", nil
}

// weekProgress is "本周 90/120 分钟、2/2 次" with the targets that are set.
func (b *Bot) weekProgress(s MemberStats) string {
	mins := fmt.Sprintf("%d 分钟", s.Week.StudyMinutes)
	if t := b.Targets.WeeklyMinutes; t > 0 {
		mins = fmt.Sprintf("%d/%d 分钟", s.Week.StudyMinutes, t)
		if s.Week.StudyMinutes >= t {
			mins += " ✅"
		}
	}
	reps := fmt.Sprintf("%d 次", s.Week.StudyReports)
	if t := b.Targets.WeeklyReports; t > 0 {
		reps = fmt.Sprintf("%d/%d 次", s.Week.StudyReports, t)
		if s.Week.StudyReports >= t {
			reps += " ✅"
		}
	}
	return "本周学习 " + mins + "，" + reps
}

// evidence attaches an image to the member's report of the last 10 minutes.
func (b *Bot) evidence(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{}, nil
	}
	r, found, err := b.Studies.LastStudy(ctx, req.Member.BranchID, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: last study: %w", err)
	}
	notSaved := Reply{Text: "图片未保存。如需作为学习凭证，请先发“学习 内容 时长”，10 分钟内再发图片。"}
	if !found || req.Now.Sub(r.At) > evidenceWindow {
		return notSaved, nil
	}
	r, err = b.Studies.ModifyStudy(ctx, r.BranchID, r.UserID, r.ID, func(r *StudyReport) error {
		switch {
		case r.Withdrawn:
			return errWithdrawn
		case slices.ContainsFunc(r.Evidence, func(e Evidence) bool { return e.MediaID == req.Msg.MediaID }):
			return nil // a retried image
		}
		r.Evidence = append(r.Evidence, Evidence{MediaID: req.Msg.MediaID, PicURL: req.Msg.PicURL, At: req.Now})
		return nil
	})
	switch {
	case errors.Is(err, errWithdrawn):
		return notSaved, nil
	case err != nil:
		return Reply{}, fmt.Errorf("bot: attach evidence: %w", err)
	}
	return Reply{Text: fmt.Sprintf("📷 已作为“%s”的学习凭证（共 %d 张）。", Plain(r.Content), len(r.Evidence))}, nil
}

// errWithdrawn stops a change to a report that was withdrawn meanwhile.
var errWithdrawn = errors.New("bot: report withdrawn")

func (b *Bot) withdraw(ctx context.Context, req Request) (Reply, error) {
	r, found, err := b.Studies.LastStudy(ctx, req.Member.BranchID, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: last study: %w", err)
	}
	switch {
	case !found || r.Withdrawn:
		return Reply{Text: "没有可撤回的学习记录。"}, nil
	case req.Now.Sub(r.At) > withdrawWindow:
		return Reply{Text: "只能撤回 24 小时内的学习记录；更早的请联系书记。"}, nil
	}
	r, err = b.Studies.ModifyStudy(ctx, r.BranchID, r.UserID, r.ID, func(r *StudyReport) error {
		if r.Withdrawn {
			return errWithdrawn
		}
		r.Withdrawn, r.WithdrawnAt = true, req.Now
		return nil
	})
	switch {
	case errors.Is(err, errWithdrawn):
		return Reply{Text: "没有可撤回的学习记录。"}, nil
	case err != nil:
		return Reply{}, fmt.Errorf("bot: withdraw study: %w", err)
	}
	return Reply{Text: fmt.Sprintf("已撤回：%s %d分钟。", Plain(r.Content), r.Minutes)}, nil
}

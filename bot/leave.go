package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Leave is a period in which a member is excused (请假): no reminders, and
// not counted as missing.
type Leave struct {
	ID       string    `json:"id"` // the dedupe key of the message that set it
	BranchID string    `json:"branch"`
	UserID   string    `json:"userid"`
	From     Date      `json:"from"` // inclusive
	To       Date      `json:"to"`   // inclusive
	Reason   string    `json:"reason,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Ended    bool      `json:"ended,omitempty"` // cancelled before it began
}

// Covers reports whether the leave excuses day d.
func (l Leave) Covers(d Date) bool {
	return !l.Ended && !d.Before(l.From) && !l.To.Before(d)
}

// LeaveStore keeps leaves, per branch.
type LeaveStore interface {
	// PutLeave creates or replaces a leave (by ID: a retried message writes
	// the same record again).
	PutLeave(ctx context.Context, l Leave) error
	// Leaves lists a branch's leaves that overlap the days [from, to].
	Leaves(ctx context.Context, branchID string, from, to Date) ([]Leave, error)
	// LeavesMany is Leaves of several branches in one round trip.
	LeavesMany(ctx context.Context, branchIDs []string, from, to Date) (map[string][]Leave, error)
}

// maxLeaveDays bounds one leave; longer absences are a matter for the branch.
const maxLeaveDays = 366

// dateWord matches one date: 2026-11-20, 11-20, 11/20, 11.20, 11月20日/号.
var dateWord = regexp.MustCompile(`^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})[日号]?$`)

// parseDay reads one date word relative to today. A month-day more than
// half a year in the past means next year (leave for early January asked
// in December).
func parseDay(word string, today Date) (Date, bool) {
	word = Normalize(word)
	switch word {
	case "今天", "今日", "today":
		return today, true
	case "明天", "明日", "tomorrow":
		return today.AddDays(1), true
	case "后天":
		return today.AddDays(2), true
	case "昨天", "yesterday":
		return today.AddDays(-1), true
	}
	m := dateWord.FindStringSubmatch(word)
	if m == nil {
		return Date{}, false
	}
	month, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	year := today.Year
	explicitYear := m[1] != ""
	if explicitYear {
		year, _ = strconv.Atoi(m[1])
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(month) || t.Day() != day { // 2-30 and the like
		return Date{}, false
	}
	d := Date{t.Year(), t.Month(), t.Day()}
	if !explicitYear && today.Number()-d.Number() > 183 {
		d = Date{d.Year + 1, d.Month, d.Day}
	}
	return d, true
}

// rangeSeparators join two dates: 11-20 到 11-30, 11-20至11-30, 11/20~11/30.
var rangeSeparators = []string{"到", "至", "~", "～", "—"}

// parseLeaveSpan reads "<date> [到 <date>] [reason…]" from args.
func parseLeaveSpan(args []string, today Date) (from, to Date, reason string, ok bool) {
	if len(args) == 0 {
		return Date{}, Date{}, "", false
	}
	words := args
	// Split a glued range like 11-20到11-30 into three words.
	for _, sep := range rangeSeparators {
		if a, b, found := strings.Cut(words[0], sep); found && a != "" {
			words = append([]string{a, sep, b}, words[1:]...)
			break
		}
	}
	from, ok = parseDay(words[0], today)
	if !ok {
		return Date{}, Date{}, "", false
	}
	to, rest := from, words[1:]
	if len(rest) >= 2 && isRangeSeparator(rest[0]) {
		if to, ok = parseDay(rest[1], today); !ok {
			return Date{}, Date{}, "", false
		}
		rest = rest[2:]
	}
	if to.Number() < from.Number() {
		return Date{}, Date{}, "", false
	}
	return from, to, strings.Join(rest, " "), true
}

func isRangeSeparator(w string) bool {
	for _, sep := range rangeSeparators {
		if w == sep {
			return true
		}
	}
	return false
}

const leaveUsage = "用法：请假 11-20 到 11-30 出差（一天可写：请假 明天 体检）\n书记或支委替他人登记：请假 @userid 11-20 到 11-30 原因"

func fmtDay(d Date) string { return fmt.Sprintf("%d月%d日", d.Month, d.Day) }

func fmtSpan(from, to Date) string {
	if from == to {
		return fmtDay(from)
	}
	return fmtDay(from) + "–" + fmtDay(to)
}

func (b *Bot) leave(ctx context.Context, req Request) (Reply, error) {
	target, args, refusal, err := b.resolveTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	if target.BranchID == "" {
		return Reply{Text: target.DisplayName() + " 不属于任何支部，无需请假。"}, nil
	}
	today := DateOf(req.Now, b.Location)
	from, to, reason, ok := parseLeaveSpan(args, today)
	if !ok {
		// Without dates, "请假 原因" during a meeting excuses this meeting.
		m, open, err := b.Meetings.OpenMeetingOf(ctx, target.BranchID)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
		}
		if open {
			return b.excuseFromMeeting(ctx, req, target, m, strings.Join(args, " "))
		}
		return Reply{Text: leaveUsage}, nil
	}
	if from.Number() < today.Number() && target.UserID == req.Member.UserID {
		// Own leave starts today at the earliest: a past day's record (a
		// meeting's, a summary's) must not change after the fact. Leaders
		// may enter an earlier one for a member; that is audited.
		return Reply{Text: "只能从今天起请假；补登以前的请假请联系支部书记。"}, nil
	}
	if days := to.Number() - from.Number() + 1; days > maxLeaveDays {
		return Reply{Text: fmt.Sprintf("一次最多请假 %d 天，请分段登记。", maxLeaveDays)}, nil
	}
	l := Leave{
		ID: req.Msg.DedupeKey(), BranchID: target.BranchID, UserID: target.UserID,
		From: from, To: to, Reason: reason, By: req.Member.UserID, At: req.Now,
	}
	if err := b.Leaves.PutLeave(ctx, l); err != nil {
		return Reply{}, fmt.Errorf("bot: put leave: %w", err)
	}
	if err := b.audit(ctx, req, "leave.set", target, fmt.Sprintf("%s..%s %s", l.From, l.To, reason)); err != nil {
		return Reply{}, err
	}
	who := "你"
	if target.UserID != req.Member.UserID {
		who = target.DisplayName()
	}
	text := fmt.Sprintf("已登记：%s %s 请假", who, fmtSpan(from, to))
	if reason != "" {
		text += "（" + Plain(reason) + "）"
	}
	reply := Reply{Text: text + "。期间不会收到签到提醒，也不计缺勤。提前回来发“销假”。"}
	// A long absence entered by the member themselves reaches the branch's
	// leaders, who would otherwise learn of it only from the records.
	if days := to.Number() - from.Number() + 1; target.UserID == req.Member.UserID && days > selfLeaveNoticeDays {
		leaders, err := b.presentLeaders(ctx, target.BranchID, today)
		if err != nil {
			return Reply{}, err
		}
		leaders = slices.DeleteFunc(leaders, func(id string) bool { return id == target.UserID })
		if len(leaders) > 0 {
			notice := fmt.Sprintf("%s 请假 %s（%d 天）", target.DisplayName(), fmtSpan(from, to), days)
			if reason != "" {
				notice += "，原因：" + Plain(reason)
			}
			reply.Notices = []Notice{{To: leaders, Text: notice + "。期间不提醒、不计缺勤；如有疑问请与本人联系。"}}
		}
	}
	return reply, nil
}

// farFuture ends a window that reaches every leave not yet over.
var farFuture = Date{9999, 12, 31}

// selfLeaveNoticeDays is the longest leave a member may enter without the
// branch's leaders being told.
const selfLeaveNoticeDays = 3

func (b *Bot) endLeave(ctx context.Context, req Request) (Reply, error) {
	target, _, refusal, err := b.resolveTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	today := DateOf(req.Now, b.Location)
	leaves, err := b.Leaves.Leaves(ctx, target.BranchID, today, farFuture)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read leaves: %w", err)
	}
	yesterday := today.AddDays(-1)
	var ended []string
	for _, l := range leaves {
		if l.UserID != target.UserID || l.Ended || l.To.Before(today) {
			continue
		}
		// A leave under way ends yesterday; one not yet begun is cancelled.
		if !yesterday.Before(l.From) {
			l.To = yesterday
		} else {
			l.Ended = true
		}
		if err := b.Leaves.PutLeave(ctx, l); err != nil {
			return Reply{}, fmt.Errorf("bot: end leave: %w", err)
		}
		ended = append(ended, l.ID)
	}
	if len(ended) == 0 {
		return Reply{Text: "没有正在进行或待开始的请假，无需销假。"}, nil
	}
	if err := b.audit(ctx, req, "leave.end", target, strings.Join(ended, ",")); err != nil {
		return Reply{}, err
	}
	if target.UserID != req.Member.UserID {
		return Reply{Text: "已为 " + target.DisplayName() + " 销假。"}, nil
	}
	return Reply{Text: "已销假，欢迎回来！"}, nil
}

// OnLeave reports which of a branch's members are on leave on day d.
func (b *Bot) OnLeave(ctx context.Context, branchID string, d Date) (map[string]bool, error) {
	leaves, err := b.Leaves.Leaves(ctx, branchID, d, d)
	if err != nil {
		return nil, fmt.Errorf("bot: read leaves: %w", err)
	}
	out := map[string]bool{}
	for _, l := range leaves {
		if l.Covers(d) {
			out[l.UserID] = true
		}
	}
	return out, nil
}

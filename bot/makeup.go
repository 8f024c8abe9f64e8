package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// 补学: members who missed a 党课 or 党员大会 make it up (common practice,
// expected by inspectors; see /work/shared/rules.md). At 结束会议 every
// member expected there who was absent or excused gets, privately, what the
// meeting covered and how to confirm; `补学 [心得]` records the make-up as
// study. Every meeting type is made up, not only 党课 and 党员大会: the
// record then shows who caught up on any meeting they were expected at.

// StudyMakeup is the kind of a 补学's study report: 学时 count it as
// 集中学习, not 自学.
const StudyMakeup StudyKind = "补学"

// makeupRemindAfter is how long after closing the still pending are
// reminded, once.
const makeupRemindAfter = 7 * 24 * time.Hour

// Makeup is one member's 补学 of one closed meeting.
type Makeup struct {
	Meeting Meeting          `json:"meeting"`
	UserID  string           `json:"userid"`
	Name    string           `json:"name,omitempty"`
	Status  AttendanceStatus `json:"status"` // absent or excused at closing
	// Deferred: the member was on leave at closing; the makeup job tells
	// them when the leave has ended.
	Deferred bool `json:"deferred,omitempty"`
	// Done is set once the member made it up; the store keeps it apart.
	Done *MakeupDone `json:"-"`
}

// MakeupDone is a completed 补学.
type MakeupDone struct {
	At         time.Time `json:"at"`
	Reflection string    `json:"reflection,omitempty"` // 心得
	StudyID    string    `json:"study_id"`
	Minutes    int       `json:"minutes"`
}

// MakeupStore keeps 补学.
type MakeupStore interface {
	// AddMakeups stores make-ups, keeping any already stored for the same
	// meeting and member (a retried 结束会议 adds nothing).
	AddMakeups(ctx context.Context, branchID string, ms []Makeup) error
	// Makeups lists a branch's make-ups, done or not, in no order.
	Makeups(ctx context.Context, branchID string) ([]Makeup, error)
	// MakeupsMany is Makeups of several branches in one round trip.
	MakeupsMany(ctx context.Context, branchIDs []string) (map[string][]Makeup, error)
	// CompleteMakeup marks a make-up done unless it is already: only the
	// first completion stands (completed=false for the others).
	CompleteMakeup(ctx context.Context, branchID, meetingID, userID string, d MakeupDone) (completed bool, err error)
}

// meetingMinutes is how long a meeting counts as study: from opening to
// closing, or 45 minutes (one 学时) when that span says nothing (under 15
// minutes: opened late or closed at once; over 8 hours: left open).
func meetingMinutes(m Meeting) int {
	d := m.ClosedAt.Sub(m.OpenedAt)
	if d < 15*time.Minute || d > 8*time.Hour {
		return MinutesPerHour
	}
	return int(d / time.Minute)
}

// makeupsAtClose stores the closed meeting's 补学 and returns the private
// messages for those not on leave today.
func (b *Bot) makeupsAtClose(ctx context.Context, r MeetingRecord, now time.Time) ([]Notice, error) {
	m := r.Meeting
	today := DateOf(now, b.Location)
	leaves, err := b.Leaves.Leaves(ctx, m.BranchID, today, today)
	if err != nil {
		return nil, fmt.Errorf("bot: read leaves: %w", err)
	}
	var ms []Makeup
	for _, e := range r.entries {
		if e.Guest || e.Status == Present {
			continue
		}
		away := slices.ContainsFunc(leaves, func(l Leave) bool { return l.UserID == e.UserID && l.Covers(today) })
		ms = append(ms, Makeup{Meeting: m, UserID: e.UserID, Name: e.Name, Status: e.Status, Deferred: away})
	}
	if err := b.Makeups.AddMakeups(ctx, m.BranchID, ms); err != nil {
		return nil, fmt.Errorf("bot: add makeups: %w", err)
	}
	text, err := b.makeupText(ctx, m)
	if err != nil {
		return nil, err
	}
	var out []Notice
	for _, mk := range ms {
		if !mk.Deferred {
			out = append(out, Notice{To: []string{mk.UserID}, Text: text})
		}
	}
	return out, nil
}

// makeupText tells a member what a missed meeting covered and how to 补学.
func (b *Bot) makeupText(ctx context.Context, m Meeting) (string, error) {
	minutes, err := b.Minutes.Minutes(ctx, m.BranchID, m.ID)
	if err != nil {
		return "", fmt.Errorf("bot: read minutes: %w", err)
	}
	photos, err := b.Minutes.Photos(ctx, m.BranchID, m.ID)
	if err != nil {
		return "", fmt.Errorf("bot: read photos: %w", err)
	}
	var gist []string
	for _, mn := range minutes {
		for _, part := range []string{mn.Topics, mn.Content} {
			if p := strings.TrimSpace(Plain(part)); p != "" {
				gist = append(gist, p)
			}
		}
	}
	summary := "纪要待补充"
	if len(gist) > 0 {
		summary = cutRunes(strings.Join(gist, "；"), 300)
	}
	return fmt.Sprintf("📚 补学提醒：你未参加 %s（%s）。\n会议内容：%s\n会议照片 %d 张，可向书记索取。\n学习后请回复“补学 心得”确认，10 分钟内发的图片作为凭证。",
		m.Label(), m.OpenedAt.In(b.Location).Format("1月2日"), summary, len(photos)), nil
}

// pendingMakeups lists a member's make-ups not yet done, oldest first.
func (b *Bot) pendingMakeups(ctx context.Context, branchID, userID string) ([]Makeup, error) {
	all, err := b.Makeups.Makeups(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: read makeups: %w", err)
	}
	all = slices.DeleteFunc(all, func(mk Makeup) bool { return mk.UserID != userID || mk.Done != nil })
	sortMakeups(all)
	return all, nil
}

func sortMakeups(ms []Makeup) {
	slices.SortFunc(ms, func(x, y Makeup) int {
		if c := x.Meeting.ClosedAt.Compare(y.Meeting.ClosedAt); c != 0 {
			return c
		}
		return strings.Compare(x.UserID, y.UserID)
	})
}

// makeup is `补学 [#N] [心得]`.
func (b *Bot) makeup(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "你不属于任何支部，没有补学记录。"}, nil
	}
	pending, err := b.pendingMakeups(ctx, req.Member.BranchID, req.Member.UserID)
	if err != nil {
		return Reply{}, err
	}
	if len(pending) == 0 {
		return Reply{Text: "你没有待补学的会议 👍"}, nil
	}
	args := req.Args
	pick := 0
	if len(args) > 0 {
		if n, err := strconv.Atoi(strings.TrimPrefix(Normalize(args[0]), "#")); err == nil && strings.HasPrefix(Normalize(args[0]), "#") {
			if n < 1 || n > len(pending) {
				return Reply{Text: fmt.Sprintf("没有第 %d 项，你有 %d 项待补学。", n, len(pending))}, nil
			}
			pick, args = n, args[1:]
		}
	}
	if pick == 0 && len(pending) > 1 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "你有 %d 项待补学：", len(pending))
		for i, mk := range pending {
			fmt.Fprintf(&sb, "\n#%d %s（%s）", i+1, mk.Meeting.Label(), mk.Meeting.OpenedAt.In(b.Location).Format("1月2日"))
		}
		sb.WriteString("\n回复“补学 #序号 心得”确认其中一项。")
		return Reply{Text: sb.String()}, nil
	}
	if pick == 0 {
		pick = 1
	}
	mk := pending[pick-1]
	reflection := strings.Join(args, " ")
	minutes := meetingMinutes(mk.Meeting)
	// The report's ID is the make-up's: however often it is confirmed, it
	// is counted once.
	id := "makeup:" + mk.Meeting.ID + ":" + mk.UserID
	if _, err := b.Studies.RecordStudy(ctx, StudyReport{
		ID: id, BranchID: req.Member.BranchID, UserID: req.Member.UserID, Day: DateOf(req.Now, b.Location),
		Minutes: minutes, Content: "补学 " + mk.Meeting.Label(), Kind: StudyMakeup, Reflection: reflection, At: req.Now,
	}); err != nil {
		return Reply{}, fmt.Errorf("bot: record makeup study: %w", err)
	}
	done, err := b.Makeups.CompleteMakeup(ctx, req.Member.BranchID, mk.Meeting.ID, mk.UserID, MakeupDone{At: req.Now, Reflection: reflection, StudyID: id, Minutes: minutes})
	if err != nil {
		return Reply{}, fmt.Errorf("bot: complete makeup: %w", err)
	}
	if !done {
		return Reply{Text: "这次会议你已经补学过了。"}, nil
	}
	if err := b.audit(ctx, req, "makeup.done", req.Member, mk.Meeting.ID+" "+mk.Meeting.Label()); err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("✅ 已记录补学：%s，计 %d 分钟学习。10 分钟内发的图片作为凭证。", mk.Meeting.Label(), minutes)
	if left := len(pending) - 1; left > 0 {
		text += fmt.Sprintf("\n还有 %d 项待补学，发“补学”查看。", left)
	}
	return Reply{Text: text}, nil
}

// makeupLine is a meeting's 补学 progress for its record: "补学 3/5：…".
func makeupLine(ms []Makeup, meetingID string) string {
	var all, done []string
	for _, mk := range ms {
		if mk.Meeting.ID != meetingID {
			continue
		}
		all = append(all, mk.Name)
		if mk.Done != nil {
			done = append(done, mk.Name)
		}
	}
	if len(all) == 0 {
		return ""
	}
	line := fmt.Sprintf("补学 %d/%d", len(done), len(all))
	if len(done) > 0 {
		line += "：" + strings.Join(done, "、")
	}
	return line
}

// makeupJob tells members back from leave about the meetings they missed,
// and reminds, once, those still pending a week after closing.
func (b *Bot) makeupJob(ctx context.Context, run JobRun) ([]Outbound, error) {
	today := DateOf(run.Fire, b.Location)
	token := JobRunToken(run)
	var out []Outbound
	err := b.eachBranch(ctx, func(br Branch) error {
		ms, err := b.Makeups.Makeups(ctx, br.ID)
		if err != nil {
			return fmt.Errorf("bot: read makeups: %w", err)
		}
		sortMakeups(ms)
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		current := map[string]bool{}
		for _, m := range members {
			current[m.UserID] = true
		}
		leaves, err := b.Leaves.Leaves(ctx, br.ID, today, today)
		if err != nil {
			return fmt.Errorf("bot: read leaves: %w", err)
		}
		for _, mk := range ms {
			if mk.Done != nil || !current[mk.UserID] || slices.ContainsFunc(leaves, func(l Leave) bool { return l.UserID == mk.UserID && l.Covers(today) }) {
				continue
			}
			step, text := "", ""
			switch {
			case mk.Deferred:
				step = "makeup:tell:" + mk.Meeting.ID + ":" + mk.UserID
			case run.Fire.Sub(mk.Meeting.ClosedAt) >= makeupRemindAfter:
				step = "makeup:remind:" + mk.Meeting.ID + ":" + mk.UserID
			default:
				continue
			}
			mine, err := b.Steps.Once(ctx, br.ID, step, token)
			if err != nil {
				return fmt.Errorf("bot: makeup step: %w", err)
			}
			if !mine {
				// Told already: a deferred member is reminded a week on.
				if !mk.Deferred || run.Fire.Sub(mk.Meeting.ClosedAt) < makeupRemindAfter {
					continue
				}
				step = "makeup:remind:" + mk.Meeting.ID + ":" + mk.UserID
				if mine, err = b.Steps.Once(ctx, br.ID, step, token); err != nil {
					return fmt.Errorf("bot: makeup step: %w", err)
				} else if !mine {
					continue
				}
			}
			if text, err = b.makeupText(ctx, mk.Meeting); err != nil {
				return err
			}
			if strings.HasPrefix(step, "makeup:remind:") {
				text = "⏰ 还未补学，" + strings.TrimPrefix(text, "📚 补学提醒：")
			}
			out = append(out, Outbound{Key: br.ID + ":" + step, Notice: Notice{To: []string{mk.UserID}, Text: text}})
		}
		return nil
	})
	return out, err
}

// latestMakeupLine is 进度's 补学 line for the latest closed meeting that
// had anyone to make it up: "补学 3/5（党课「…」）".
func (b *Bot) latestMakeupLine(ctx context.Context, branchID string) (string, error) {
	ms, err := b.Makeups.Makeups(ctx, branchID)
	if err != nil {
		return "", fmt.Errorf("bot: read makeups: %w", err)
	}
	if len(ms) == 0 {
		return "", nil
	}
	sortMakeups(ms)
	last := ms[len(ms)-1].Meeting
	line := makeupLine(ms, last.ID)
	head, names, _ := strings.Cut(line, "：")
	line = head + "（" + last.Label() + "）"
	if names != "" {
		line += "：" + names
	}
	return line, nil
}

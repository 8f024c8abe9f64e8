package bot

import (
	"context"
	"fmt"
	"time"
)

func (b *Bot) checkin(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "你是党委管理员，不属于任何支部，无需每日签到。"}, nil
	}
	if len(req.Args) > 0 {
		return b.signInMeeting(ctx, req, Normalize(req.Args[0]))
	}
	today := DateOf(req.Now, b.Location)
	c := Checkin{
		BranchID: req.Member.BranchID,
		UserID:   req.Member.UserID,
		Day:      today,
		At:       req.Now,
		Source:   req.Msg.DedupeKey(),
	}
	stored, created, err := b.Checkins.CheckIn(ctx, c)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: check in %s: %w", c.UserID, err)
	}
	// The same message arriving again (its first answer was lost) must get
	// the same answer, not "already checked in".
	first := created || stored.Source == c.Source

	streak, err := b.streak(ctx, req.Member, today)
	if err != nil {
		return Reply{}, err
	}
	at := stored.At.In(b.Location).Format("15:04")
	var text string
	if first {
		text = fmt.Sprintf("签到成功 ✅ %d月%d日 %s\n已连续签到 %d 天（仅你可见），继续保持！",
			today.Month, today.Day, at, streak)
	} else {
		text = fmt.Sprintf("你今天 %s 已经签到过了，无需重复签到。\n已连续签到 %d 天（仅你可见）。", at, streak)
	}
	if _, open, err := b.Meetings.OpenMeetingOf(ctx, req.Member.BranchID); err != nil {
		return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
	} else if open {
		text += "\n本支部正在开会：会议签到请发“签到 签到码”。"
	}
	return Reply{Text: text}, nil
}

// location keeps a location message or LOCATION event with today's
// check-in. The periodic LOCATION event is filed silently.
func (b *Bot) location(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{}, nil
	}
	today := DateOf(req.Now, b.Location)
	checkedIn, err := b.Checkins.AttachLocation(ctx, req.Member.BranchID, req.Member.UserID, today, *req.Msg.Location)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: attach location: %w", err)
	}
	if checkedIn {
		return Reply{Text: "📍 位置已附在今天的签到上。"}, nil
	}
	return Reply{Text: "📍 位置已记录。今天还没签到，发送“签到”后会一并记入。"}, nil
}

func (b *Bot) streak(ctx context.Context, m Member, today Date) (int, error) {
	days, err := b.Checkins.CheckinDays(ctx, m.BranchID, m.UserID, today.AddDays(-streakLookback), today)
	if err != nil {
		return 0, fmt.Errorf("bot: read check-in days of %s: %w", m.UserID, err)
	}
	set := make(map[Date]bool, len(days))
	for _, d := range days {
		set[d] = true
	}
	return Streak(set, today, b.Calendar, streakLookback), nil
}

// Checkin is one daily check-in (签到).
type Checkin struct {
	BranchID string
	UserID   string
	Day      Date
	At       time.Time
	Source   string // dedupe key of the message that made it
}

// CheckinStore keeps daily check-ins.
type CheckinStore interface {
	// CheckIn stores c unless the member already checked in on c.Day, and
	// returns the record that is stored (c itself, or the earlier one) and
	// whether this call created it.
	CheckIn(ctx context.Context, c Checkin) (stored Checkin, created bool, err error)
	// CheckinDays lists the days in [from, to] on which the member checked in.
	CheckinDays(ctx context.Context, branchID, userID string, from, to Date) ([]Date, error)
	// CheckinDaysMany is CheckinDays for many members of a branch at once.
	CheckinDaysMany(ctx context.Context, branchID string, userIDs []string, from, to Date) (map[string][]Date, error)
	// CheckedIn lists who in a branch checked in on day d.
	CheckedIn(ctx context.Context, branchID string, d Date) (map[string]bool, error)
	// AttachLocation keeps the member's latest location of day d with that
	// day's check-in, and reports whether they have checked in yet.
	AttachLocation(ctx context.Context, branchID, userID string, d Date, loc Location) (checkedIn bool, err error)
}

package bot

import (
	"context"
	"fmt"
	"time"
)

// checkinClaim: a plain 签到 dedupes inside its one store call; 签到 with a
// meeting code is claimed as any command.
func checkinClaim(args []string) Claim {
	if len(args) == 0 {
		return ClaimSelf
	}
	return ClaimMessage
}

// checkin is the hot path: one store call (one Redis round trip) records
// the check-in, keeps the streak, looks for an open meeting and remembers
// the outcome under the message, so a retry is answered the same.
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
	history := func(last Date) (int, error) { return b.streakOn(ctx, req.Member, last) }
	o, err := b.Checkins.CheckInMessage(ctx, c, b.previousWorkday(today), history)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: check in %s: %w", c.UserID, err)
	}
	if o.Repeat && b.Metrics != nil {
		b.Metrics.DedupeHit()
	}
	at := o.Stored.At.In(b.Location).Format("15:04")
	var text string
	if o.Created {
		text = fmt.Sprintf("签到成功 ✅ %d月%d日 %s\n已连续签到 %d 天（仅你可见），继续保持！",
			today.Month, today.Day, at, o.Streak)
	} else {
		text = fmt.Sprintf("你今天 %s 已经签到过了，无需重复签到。\n已连续签到 %d 天（仅你可见）。", at, o.Streak)
	}
	if o.MeetingOpen {
		text += "\n本支部正在开会：会议签到请发“签到 签到码”。"
	}
	return Reply{Text: text}, nil
}

// previousWorkday is the last working day before d (within the streak's
// lookback): a streak survives rest days, not a missed working day.
func (b *Bot) previousWorkday(d Date) Date {
	for i := 1; i < streakLookback; i++ {
		if p := d.AddDays(-i); b.Calendar.IsWorkday(p) {
			return p
		}
	}
	return d.AddDays(-streakLookback)
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

// streakOn counts the streak that ends on day from the member's history
// (400 days of check-ins): once per member, to seed the kept streak state.
func (b *Bot) streakOn(ctx context.Context, m Member, today Date) (int, error) {
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

// CheckinOutcome is what a 签到 message did: the record that stands,
// whether this message made it, the streak after it, and whether the
// branch has a meeting open. Repeat marks an outcome stored by an earlier
// delivery of the same message.
type CheckinOutcome struct {
	Stored      Checkin
	Created     bool
	Streak      int
	MeetingOpen bool
	Repeat      bool
}

// Activity is a member's check-in days in a window and their streak state.
type Activity struct {
	Days        []Date
	StreakLast  Date // the last check-in counted in the streak
	StreakCount int
	StreakKept  bool // false for members whose streak state is not kept yet
}

// CheckinWeek is CheckinDaysAndCounts's answer for one branch.
type CheckinWeek struct {
	Days   map[string][]Date
	Counts []int
}

// CheckinStore keeps daily check-ins.
type CheckinStore interface {
	// CheckInMessage handles a 签到 message atomically: unless the message
	// was handled before (then its stored outcome is returned), it stores c
	// unless the member checked in that day, keeps the streak (continued
	// when the last check-in is on or after prevWorkday), notes an open
	// meeting and stores the outcome under c.Source. history counts the
	// streak ending on a given day from older check-ins, for members whose
	// streak state is not kept yet.
	CheckInMessage(ctx context.Context, c Checkin, prevWorkday Date, history func(last Date) (int, error)) (CheckinOutcome, error)
	// Activity reads, in one round trip, the member's check-in days in
	// [from, to] and their kept streak state.
	Activity(ctx context.Context, branchID, userID string, from, to Date) (Activity, error)
	// CheckIn stores c unless the member already checked in on c.Day, and
	// returns the record that is stored (c itself, or the earlier one) and
	// whether this call created it.
	CheckIn(ctx context.Context, c Checkin) (stored Checkin, created bool, err error)
	// CheckinDays lists the days in [from, to] on which the member checked in.
	CheckinDays(ctx context.Context, branchID, userID string, from, to Date) ([]Date, error)
	// CheckinDaysMany is CheckinDays for many members of a branch at once.
	CheckinDaysMany(ctx context.Context, branchID string, userIDs []string, from, to Date) (map[string][]Date, error)
	// CheckinDaysOfBranch is CheckinDaysMany for every member of a branch,
	// read by day: cheaper when the span has fewer days than the branch members.
	CheckinDaysOfBranch(ctx context.Context, branchID string, from, to Date) (map[string][]Date, error)
	// CheckinCounts counts, for each day in [from, to], how many of the
	// branch checked in that day (the weekly chart's last week).
	CheckinCounts(ctx context.Context, branchID string, from, to Date) ([]int, error)
	// CheckinDaysAndCounts is CheckinDaysOfBranch over days and
	// CheckinCounts over counted in one round trip (the weekly summary's
	// this week and last).
	CheckinDaysAndCounts(ctx context.Context, branchID string, days, counted Span) (map[string][]Date, []int, error)
	// CheckinDaysAndCountsMany is CheckinDaysAndCounts of several branches
	// in one round trip.
	CheckinDaysAndCountsMany(ctx context.Context, branchIDs []string, days, counted Span) (map[string]CheckinWeek, error)
	// CheckinRecords lists a branch's check-ins on the days in [from, to].
	CheckinRecords(ctx context.Context, branchID string, from, to Date) ([]Checkin, error)
	// CheckedIn lists who in a branch checked in on day d.
	CheckedIn(ctx context.Context, branchID string, d Date) (map[string]bool, error)
	// AttachLocation keeps the member's latest location of day d with that
	// day's check-in, and reports whether they have checked in yet.
	AttachLocation(ctx context.Context, branchID, userID string, d Date, loc Location) (checkedIn bool, err error)
}

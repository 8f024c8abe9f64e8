package bot

import (
	"context"
	"fmt"
)

func (b *Bot) checkin(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "你是党委管理员，不属于任何支部，无需每日签到。"}, nil
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
	if first {
		return Reply{Text: fmt.Sprintf("签到成功 ✅ %d月%d日 %s\n已连续签到 %d 天（仅你可见），继续保持！",
			today.Month, today.Day, at, streak)}, nil
	}
	return Reply{Text: fmt.Sprintf("你今天 %s 已经签到过了，无需重复签到。\n已连续签到 %d 天（仅你可见）。", at, streak)}, nil
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

package bot

import (
	"context"
	"fmt"
)

// NotCheckedIn lists a branch's active members who have not checked in on
// day d, leaving out those on leave that day: they get no reminder and are
// not counted as missing. It is the body of the check-in reminder.
func (b *Bot) NotCheckedIn(ctx context.Context, branchID string, d Date) ([]Member, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return nil, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	done, err := b.Checkins.CheckedIn(ctx, branchID, d)
	if err != nil {
		return nil, fmt.Errorf("bot: read check-ins of %s: %w", branchID, err)
	}
	away, err := b.OnLeave(ctx, branchID, d)
	if err != nil {
		return nil, err
	}
	var out []Member
	for _, m := range members {
		if !done[m.UserID] && !away[m.UserID] {
			out = append(out, m)
		}
	}
	return out, nil
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scopesOf are the scopes a member receives announcements from.
func scopesOf(m Member) []string {
	if m.BranchID == "" {
		return []string{OrgScope}
	}
	return []string{m.BranchID, OrgScope}
}

// lookBack is how far back an announcement may have been sent and still be
// answered: an activity may be announced up to half a year ahead.
const lookBack = 190 * 24 * time.Hour

// openFor lists the announcements addressed to m that still take answers
// (or, with cancel, whose activity may still be cancelled), newest first.
func (b *Bot) openFor(ctx context.Context, m Member, now time.Time, activities, cancel bool) ([]Announcement, error) {
	var out []Announcement
	for _, scope := range scopesOf(m) {
		recent, err := b.Announcements.RecentAnnouncements(ctx, scope, now.Add(-lookBack), 50)
		if err != nil {
			return nil, fmt.Errorf("bot: recent announcements: %w", err)
		}
		for _, a := range recent {
			open := a.Open(now, b.Location)
			if cancel {
				open = a.Cancellable(now, b.Location)
			}
			if a.Material == nil && (a.Activity != nil) == activities && open && slices.Contains(a.To, m.UserID) {
				out = append(out, a)
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Announcement) int { return y.SentAt.Compare(x.SentAt) })
	return out, nil
}

// acknowledge handles the text "收到": the newest open announcement the
// sender has not acknowledged yet.
func (b *Bot) acknowledge(ctx context.Context, req Request) (Reply, error) {
	open, err := b.openFor(ctx, req.Member, req.Now, false, false)
	if err != nil {
		return Reply{}, err
	}
	for _, a := range open {
		first, err := b.Announcements.Acknowledge(ctx, a.Scope, a.No, req.Member.UserID, req.Now)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: acknowledge: %w", err)
		}
		if first {
			return Reply{Text: fmt.Sprintf("已确认收到 %s《%s》，谢谢！", a.Label(), a.short())}, nil
		}
	}
	if len(open) > 0 {
		return Reply{Text: "你已确认过全部公告，谢谢！"}, nil
	}
	return Reply{Text: "现在没有需要确认的公告。"}, nil
}

// clickedAnnouncement reads "<scope>:<no>" from a button key.
func (b *Bot) clickedAnnouncement(ctx context.Context, key string) (Announcement, bool, error) {
	scope, no, ok := strings.Cut(key, ":")
	n, err := strconv.Atoi(no)
	if !ok || err != nil || (scope != OrgScope && !ValidBranchID(scope)) {
		return Announcement{}, false, nil
	}
	a, found, err := b.Announcements.Announcement(ctx, scope, n)
	if err != nil {
		return Announcement{}, false, fmt.Errorf("bot: read announcement: %w", err)
	}
	return a, found, nil
}

// errFinished is a click on an announcement that takes no more answers.
var errFinished = errors.New("finished")

// clickable finds a clicked announcement the sender may still answer; the
// label, when set, relabels the button instead.
func (b *Bot) clickable(ctx context.Context, req Request, key string) (a Announcement, label string, err error) {
	a, found, err := b.clickedAnnouncement(ctx, key)
	switch {
	case err != nil:
		return a, "", err
	case !found:
		return a, "公告已失效", nil
	case !slices.Contains(a.To, req.Member.UserID):
		return a, "无需确认", nil
	case !a.Open(req.Now, b.Location):
		return a, "已结束", errFinished
	}
	return a, "", nil
}

// ackByCard records a click on 收到 and relabels the button.
func (b *Bot) ackByCard(ctx context.Context, req Request, key string) (Reply, error) {
	a, label, err := b.clickable(ctx, req, key)
	switch {
	case errors.Is(err, errFinished):
		return Reply{ReplaceButton: label}, nil
	case err != nil:
		return Reply{}, err
	case label != "":
		return Reply{ReplaceButton: label}, nil
	}
	if _, err := b.Announcements.Acknowledge(ctx, a.Scope, a.No, req.Member.UserID, req.Now); err != nil {
		return Reply{}, fmt.Errorf("bot: acknowledge: %w", err)
	}
	return Reply{ReplaceButton: "已收到"}, nil
}

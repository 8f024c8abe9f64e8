package bot

import (
	"context"
	"fmt"
)

// announceReminder is the announce-reminder job: four hours after an
// announcement (or activity) went out, its unanswered members not on leave
// get one nudge and its author the tally; the day before an activity, those
// signed up get one reminder. A manual run nudges every open announcement
// now, whatever its age.
func (b *Bot) announceReminder(ctx context.Context, run JobRun) ([]Outbound, error) {
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return nil, err
	}
	scopes := []string{OrgScope}
	for _, br := range branches {
		scopes = append(scopes, br.ID)
	}
	token := JobRunToken(run)
	today := DateOf(run.Fire, b.Location)
	workday := b.Calendar.IsWorkday(today)
	var out []Outbound
	for _, scope := range scopes {
		recent, err := b.Announcements.RecentAnnouncements(ctx, scope, run.Fire.Add(-lookBack), 200)
		if err != nil {
			return nil, fmt.Errorf("bot: recent announcements: %w", err)
		}
		for _, a := range recent {
			// The eve reminder is owed even when sign-ups have closed.
			if act := a.Activity; act != nil && act.Day == today.AddDays(1) {
				msgs, err := b.activityEve(ctx, a, token)
				if err != nil {
					return nil, err
				}
				out = append(out, msgs...)
			}
			if a.Material != nil { // reminded before its deadline, not nudged
				msgs, err := b.materialReminder(ctx, a, run, token, today)
				if err != nil {
					return nil, err
				}
				out = append(out, msgs...)
				continue
			}
			if !a.Open(run.Fire, b.Location) {
				continue
			}
			due := run.Manual || (workday && !run.Fire.Before(a.SentAt.Add(announceNudgeAfter)))
			if due {
				msgs, err := b.nudge(ctx, a, run, token, today)
				if err != nil {
					return nil, err
				}
				out = append(out, msgs...)
			}
		}
	}
	return out, nil
}

// nudge reminds an announcement's unanswered members once (a manual run
// again), and tells its author the tally.
func (b *Bot) nudge(ctx context.Context, a Announcement, run JobRun, token string, today Date) ([]Outbound, error) {
	waiting, due, err := b.stepWaiting(ctx, a, "nudge", run, token, today)
	if err != nil || !due {
		return nil, err
	}
	key := "ann:" + a.key()
	action := "点卡片上的“收到”，或回复“收到”"
	if a.Activity != nil {
		action = "点卡片上的“报名”或“不参加”，或回复“报名”"
	}
	out := uniform(key+":nudge", waiting, Notice{Text: fmt.Sprintf("提醒：请确认%s %s《%s》——%s。", a.noun(), a.Label(), a.short(), action)})
	// The tally goes to the author only while they are an active member.
	author, found, err := b.Roster.Member(ctx, a.Author)
	if err != nil {
		return nil, fmt.Errorf("bot: look up author: %w", err)
	}
	if !found || !author.Active {
		return out, nil
	}
	tally, err := b.statusText(ctx, a, run.Fire)
	if err != nil {
		return nil, err
	}
	for i, part := range NumberedParts(fmt.Sprintf("已提醒 %d 人。\n%s", len(waiting), tally)) {
		out = append(out, Outbound{Key: fmt.Sprintf("%s:tally:%d", key, i), Notice: Notice{To: []string{a.Author}, Text: part}})
	}
	return out, nil
}

// stepWaiting takes an announcement's one-time step for this run (a manual
// run takes it again) and, when it is this run's, reads who has still not
// answered (those on leave apart).
func (b *Bot) stepWaiting(ctx context.Context, a Announcement, step string, run JobRun, token string, today Date) (waiting []string, due bool, err error) {
	mine, err := b.Steps.Once(ctx, a.Scope, AnnouncementStep(a.No, step), token)
	if err != nil {
		return nil, false, fmt.Errorf("bot: mark %s: %w", step, err)
	}
	if !mine && !run.Manual {
		return nil, false, nil
	}
	r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
	if err != nil {
		return nil, false, fmt.Errorf("bot: read responses: %w", err)
	}
	if waiting, _, _, err = b.pending(ctx, a, r, today); err != nil {
		return nil, false, err
	}
	return waiting, true, nil
}

package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// statusUsage is the usage line of 公告状态 and 活动状态.
const statusUsage = "用法：公告状态 [#编号]；党委管理员：公告状态 <支部id|全体> [#编号]"

// announceStatus handles "公告状态 [#编号]" and "活动状态 [#编号]".
func (b *Bot) announceStatus(ctx context.Context, req Request) (Reply, error) {
	activities := req.Name == "活动状态"
	scope, no, refusal, err := b.statusTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	var a Announcement
	found := false
	if no > 0 {
		a, found, err = b.Announcements.Announcement(ctx, scope, no)
	} else {
		var recent []Announcement
		recent, err = b.Announcements.RecentAnnouncements(ctx, scope, time.Time{}, 50)
		if i := slices.IndexFunc(recent, func(a Announcement) bool { return (a.Activity != nil) == activities }); i >= 0 {
			a, found = recent[i], true
		}
	}
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read announcement: %w", err)
	}
	if !found {
		return Reply{Text: "没有找到这条公告或活动。发“公告列表”查看编号。"}, nil
	}
	text, err := b.statusText(ctx, a, req.Now)
	return Reply{Text: text}, err
}

// statusTarget reads "[支部id|全体] [#编号]".
func (b *Bot) statusTarget(ctx context.Context, req Request) (scope string, no int, refusal string, err error) {
	scope = req.Member.BranchID
	for _, arg := range req.Args {
		word := Normalize(arg)
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(word, "全体"), "#")); err == nil && n > 0 {
			no = n
			if strings.HasPrefix(word, "全体") {
				scope = OrgScope
			}
			continue
		}
		switch {
		case word == "全体" || word == "all":
			scope = OrgScope
		case ValidBranchID(word):
			scope = word
		default:
			return "", 0, statusUsage, nil
		}
	}
	switch {
	case scope == "":
		return "", 0, statusUsage, nil
	case scope == OrgScope && req.Member.Role != RoleAdmin:
		return "", 0, "全体公告的情况由党委管理员查看。", nil
	case scope != OrgScope && !req.Member.Leads(scope):
		return "", 0, "你只能查看本支部。", nil
	}
	return scope, no, "", nil
}

// scopeMembers are the members of an announcement's scope: the org's (all,
// active or not) or a branch's.
func (b *Bot) scopeMembers(ctx context.Context, scope string) ([]Member, error) {
	var members []Member
	var err error
	if scope == OrgScope {
		members, err = b.Roster.AllMembers(ctx)
	} else {
		members, err = b.Roster.BranchMembers(ctx, scope)
	}
	if err != nil {
		return nil, fmt.Errorf("bot: list members: %w", err)
	}
	return members, nil
}

// scopeNames maps userids to display names for the members of the scope.
func (b *Bot) scopeNames(ctx context.Context, scope string) (map[string]string, error) {
	members, err := b.scopeMembers(ctx, scope)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(members))
	for _, m := range members {
		out[m.UserID] = m.DisplayName()
	}
	return out, nil
}

// current lists who of ids is still among the scope's active members: the
// recipients frozen when an announcement went out may since have left (or
// moved branch), and are neither reminded nor counted.
func (b *Bot) current(ctx context.Context, scope string, ids []string) ([]string, error) {
	members, err := b.scopeMembers(ctx, scope)
	if err != nil {
		return nil, err
	}
	active := make(map[string]bool, len(members))
	for _, m := range members {
		if m.Active {
			active[NormalizeUserID(m.UserID)] = true
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if active[NormalizeUserID(id)] {
			out = append(out, id)
		}
	}
	return out, nil
}

// pending lists who of the recipients still active has not answered, and
// apart from them who is on leave; to is every recipient still active.
func (b *Bot) pending(ctx context.Context, a Announcement, r Responses, today Date) (waiting, away, to []string, err error) {
	if to, err = b.current(ctx, a.Scope, a.To); err != nil {
		return nil, nil, nil, err
	}
	leave := map[string]bool{}
	scopes := []string{a.Scope}
	if a.Scope == OrgScope {
		branches, err := b.activeBranches(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		scopes = scopes[:0]
		for _, br := range branches {
			scopes = append(scopes, br.ID)
		}
	}
	for _, s := range scopes {
		on, err := b.OnLeave(ctx, s, today)
		if err != nil {
			return nil, nil, nil, err
		}
		for id := range on {
			leave[id] = true
		}
	}
	for _, id := range to {
		switch {
		case !r.Acked[id].IsZero():
		case leave[id]:
			away = append(away, id)
		default:
			waiting = append(waiting, id)
		}
	}
	return waiting, away, to, nil
}

// statusText is an announcement's answers, names included.
func (b *Bot) statusText(ctx context.Context, a Announcement, now time.Time) (string, error) {
	r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
	if err != nil {
		return "", fmt.Errorf("bot: read responses: %w", err)
	}
	waiting, away, to, err := b.pending(ctx, a, r, DateOf(now, b.Location))
	if err != nil {
		return "", err
	}
	names, err := b.scopeNames(ctx, a.Scope)
	if err != nil {
		return "", err
	}
	list := func(ids []string) string {
		const shown = 30
		out := make([]string, 0, min(len(ids), shown))
		for _, id := range ids[:min(len(ids), shown)] {
			out = append(out, cmp.Or(names[id], id))
		}
		s := strings.Join(out, "、")
		if len(ids) > shown {
			s += fmt.Sprintf(" 等 %d 人", len(ids))
		}
		return s
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s《%s》\n%s 发出", a.noun(), a.Label(), a.short(), a.SentAt.In(b.Location).Format("01-02 15:04"))
	if act := a.Activity; act != nil {
		fmt.Fprintf(&sb, " · %s", act.describe())
		capacity := "不限"
		if act.Capacity > 0 {
			capacity = strconv.Itoa(act.Capacity)
		}
		fmt.Fprintf(&sb, "\n报名 %d/%s：%s", len(r.Joined), capacity, list(r.Joined))
		if len(r.Waiting) > 0 {
			fmt.Fprintf(&sb, "\n候补 %d：%s", len(r.Waiting), list(r.Waiting))
		}
		var declined []string
		for _, id := range to {
			if r.Declined[id] {
				declined = append(declined, id)
			}
		}
		if len(declined) > 0 {
			fmt.Fprintf(&sb, "\n不参加 %d：%s", len(declined), list(declined))
		}
		if len(waiting) > 0 {
			fmt.Fprintf(&sb, "\n未回复 %d：%s", len(waiting), list(waiting))
		}
	} else {
		fmt.Fprintf(&sb, " · 已确认 %d/%d", len(to)-len(waiting)-len(away), len(to))
		if len(waiting) > 0 {
			fmt.Fprintf(&sb, "\n未确认 %d：%s", len(waiting), list(waiting))
		} else {
			sb.WriteString("\n全部已确认 👍")
		}
	}
	if len(away) > 0 {
		fmt.Fprintf(&sb, "\n请假中 %d（不催）：%s", len(away), list(away))
	}
	return sb.String(), nil
}

// announceList handles "公告列表": the scope's recent announcements.
func (b *Bot) announceList(ctx context.Context, req Request) (Reply, error) {
	scope, _, refusal, err := b.statusTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	recent, err := b.Announcements.RecentAnnouncements(ctx, scope, time.Time{}, 10)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: recent announcements: %w", err)
	}
	if len(recent) == 0 {
		return Reply{Text: "还没有发过公告。发“公告 内容”试试。"}, nil
	}
	nos := make([]int, len(recent))
	for i, a := range recent {
		nos[i] = a.No
	}
	counts, err := b.Announcements.AckCounts(ctx, scope, nos)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: count acknowledgements: %w", err)
	}
	var sb strings.Builder
	sb.WriteString("最近的公告和活动：")
	for i, a := range recent {
		fmt.Fprintf(&sb, "\n%s %s %s《%s》%d/%d", a.Label(), a.SentAt.In(b.Location).Format("01-02"), a.noun(), cutRunes(a.Title, 14), counts[i], len(a.To))
	}
	sb.WriteString("\n发“公告状态 #编号”看名单。")
	return Reply{Text: sb.String()}, nil
}

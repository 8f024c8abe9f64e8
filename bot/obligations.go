package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Cadence is how often a meeting type is required.
type Cadence int

// Cadences, shortest first.
const (
	Monthly Cadence = iota + 1
	Quarterly
	Yearly
)

// NotRequired, in a branch's Cadence, says the branch owes no meeting of
// that type (e.g. 支委会 where a secretary and a deputy run a small branch).
const NotRequired Cadence = -1

// String is the cadence as the config spells it.
func (c Cadence) String() string {
	switch c {
	case Monthly:
		return "monthly"
	case Quarterly:
		return "quarterly"
	case Yearly:
		return "yearly"
	case NotRequired:
		return "none"
	}
	return ""
}

// ParseBranchCadence is ParseCadence plus none (不需要, 不召开, 无): what a
// branch's override may say.
func ParseBranchCadence(s string) (Cadence, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "none", "no", "不需要", "不召开", "无", "不要求":
		return NotRequired, true
	}
	return ParseCadence(s)
}

// meetingTypeWords are the English aliases of the meeting types a
// branch's cadence may name.
var meetingTypeWords = map[string]MeetingType{
	"general": MeetingGeneral, "支部党员大会": MeetingGeneral, "支部大会": MeetingGeneral,
	"committee": MeetingCommittee, "支部委员会": MeetingCommittee,
	"group": MeetingGroup, "party_group": MeetingGroup,
	"lecture": MeetingLecture, "party_lecture": MeetingLecture,
	"theme_day": MeetingThemeDay, "themeday": MeetingThemeDay,
	"life_meeting": MeetingLifeMeet, "lifemeeting": MeetingLifeMeet,
}

// ParseMeetingType accepts a meeting type of 三会一课 and 主题党日 by its
// Chinese name or an English alias (general, committee, group, lecture,
// theme_day, life_meeting); 其他 is owed by nobody and not accepted.
func ParseMeetingType(s string) (MeetingType, bool) {
	word := strings.ToLower(strings.TrimSpace(s))
	if t, ok := meetingTypeWords[word]; ok {
		return t, true
	}
	t := MeetingType(word)
	return t, t != MeetingOther && slices.Contains(MeetingTypes, t)
}

// ParseCadence accepts monthly/quarterly/yearly and 每月/每季度/每年.
func ParseCadence(s string) (Cadence, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "monthly", "每月", "月":
		return Monthly, true
	case "quarterly", "每季度", "季度":
		return Quarterly, true
	case "yearly", "每年", "年":
		return Yearly, true
	}
	return 0, false
}

// DefaultCadence is the 三会一课 rule: 支委会, 党小组会 and 主题党日 monthly,
// 党员大会 and 党课 quarterly, 组织生活会 yearly. Each branch owes a 支委会
// and 党小组会 only where it has a committee and groups (see duties).
func DefaultCadence() map[MeetingType]Cadence {
	return map[MeetingType]Cadence{
		MeetingCommittee: Monthly, MeetingGroup: Monthly, MeetingThemeDay: Monthly,
		MeetingGeneral: Quarterly, MeetingLecture: Quarterly,
		MeetingLifeMeet: Yearly,
	}
}

// period is [Start, End) in the org's time zone.
type period struct{ Start, End time.Time }

// periodOf returns the period of cadence c containing t.
func periodOf(c Cadence, t time.Time) period {
	y, m := t.Year(), t.Month()
	var start time.Time
	switch c {
	case Monthly:
		start = time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
		return period{start, start.AddDate(0, 1, 0)}
	case Quarterly:
		start = time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, t.Location())
		return period{start, start.AddDate(0, 3, 0)}
	}
	start = time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
	return period{start, start.AddDate(1, 0, 0)}
}

func (c Cadence) label() (this, last string) {
	switch c {
	case Monthly:
		return "本月", "上月"
	case Quarterly:
		return "本季度", "上季度"
	}
	return "本年", "去年"
}

// Obligation is one meeting type's standing in its current period; a
// 党小组会's is per group.
type Obligation struct {
	Type       MeetingType
	Group      string // the 党小组 a 党小组会 is owed by; "" for the branch
	Cadence    Cadence
	Done       int       // closed meetings in the current period that count
	Due        time.Time // end of the current period
	MissedLast bool      // none held in the previous period
	NotCounted []string  // this period's meetings that do not count, and why
}

// Label names the obligation: its type, and its 党小组 if it has one.
func (o Obligation) Label() string {
	if o.Group == "" {
		return string(o.Type)
	}
	return string(o.Type) + "（" + Plain(o.Group) + "）"
}

// Obligations computes the branch's standing at now: what it owes (see
// duties), each in its current period.
func (b *Bot) Obligations(ctx context.Context, branchID string, now time.Time) ([]Obligation, error) {
	obs, _, err := b.standing(ctx, branchID, now)
	return obs, err
}

// standing is Obligations, and the meeting types the branch does not owe
// with why.
func (b *Bot) standing(ctx context.Context, branchID string, now time.Time) ([]Obligation, []duty, error) {
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	return b.standingOf(ctx, branchID, members, now)
}

// standingOf is standing with the branch's members already read: the
// weekly summary has them, and a second read of a large branch's roster is
// one command per member.
func (b *Bot) standingOf(ctx context.Context, branchID string, members []Member, now time.Time) ([]Obligation, []duty, error) {
	br, found, err := b.Roster.Branch(ctx, branchID)
	if err != nil {
		return nil, nil, fmt.Errorf("bot: read branch: %w", err)
	} else if !found {
		br = Branch{ID: branchID}
	}
	meetings, err := b.Meetings.Meetings(ctx, branchID, standingSince(now.In(b.Location)), now.Add(time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("bot: list meetings: %w", err)
	}
	return b.standingWith(ctx, br, members, now, meetings)
}

// standingSince is where the meetings that obligations look at begin: a
// year before this year's start.
func standingSince(now time.Time) time.Time {
	return periodOf(Yearly, now).Start.AddDate(-1, 0, 0)
}

// standingWith is standingOf with the branch's record (as stored) and its
// meetings since standingSince already read: the weekly summary has both.
func (b *Bot) standingWith(ctx context.Context, br Branch, members []Member, now time.Time, meetings []Meeting) ([]Obligation, []duty, error) {
	now = now.In(b.Location)
	var since time.Time // periods that ended before the bot knew the branch are not overdue
	if !br.Since.IsZero() {
		since = time.Date(br.Since.Year, br.Since.Month, br.Since.Day, 0, 0, 0, 0, b.Location)
	}
	counts, err := b.meetingsThatCount(ctx, br.ID, meetings)
	if err != nil {
		return nil, nil, err
	}
	var out []Obligation
	var exempt []duty
	for _, d := range b.duties(br, members) {
		if d.Exempt != "" {
			exempt = append(exempt, d)
			continue
		}
		groups := d.Groups
		if groups == nil {
			groups = []string{""}
		}
		for _, group := range groups {
			out = append(out, b.obligation(d.Type, group, d.Cadence, now, since, meetings, counts))
		}
	}
	return out, exempt, nil
}

// obligation is one type's (and group's) standing in its period at now.
func (b *Bot) obligation(typ MeetingType, group string, c Cadence, now, since time.Time, meetings []Meeting, counts map[string]string) Obligation {
	cur := periodOf(c, now)
	prev := periodOf(c, cur.Start.Add(-time.Second))
	o := Obligation{Type: typ, Group: group, Cadence: c, Due: cur.End, MissedLast: !prev.Start.Before(since)}
	for _, m := range meetings {
		if m.Type != typ || m.Group != group || m.ClosedAt.IsZero() {
			continue
		}
		why := counts[m.ID]
		counted := why == ""
		at := m.OpenedAt.In(b.Location)
		switch inCur := !at.Before(cur.Start) && at.Before(cur.End); {
		case inCur && counted:
			o.Done++
		case inCur:
			o.NotCounted = append(o.NotCounted, fmt.Sprintf("%d月%d日%s（%s）", at.Month(), at.Day(), o.Label(), why))
		case counted && !at.Before(prev.Start) && at.Before(prev.End):
			o.MissedLast = false
		}
	}
	return o
}

// closedOutcomes reads the stored outcomes of the closed ones of meetings.
func (b *Bot) closedOutcomes(ctx context.Context, branchID string, meetings []Meeting) (map[string]MeetingOutcome, error) {
	var ids []string
	for _, m := range meetings {
		if !m.ClosedAt.IsZero() {
			ids = append(ids, m.ID)
		}
	}
	outcomes, err := b.Meetings.Outcomes(ctx, branchID, ids)
	if err != nil {
		return nil, fmt.Errorf("bot: read records: %w", err)
	}
	return outcomes, nil
}

// meetingsThatCount maps each closed meeting to "" if it fulfils its
// obligation, or to why it does not (无人到会, 未达法定人数).
func (b *Bot) meetingsThatCount(ctx context.Context, branchID string, meetings []Meeting) (map[string]string, error) {
	outcomes, err := b.closedOutcomes(ctx, branchID, meetings)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range meetings {
		if m.ClosedAt.IsZero() {
			continue
		}
		r, err := b.recordOf(ctx, m, outcomes[m.ID])
		if err != nil {
			return nil, err
		}
		_, out[m.ID] = r.Counts()
	}
	return out, nil
}

func (b *Bot) progress(ctx context.Context, req Request) (Reply, error) {
	branch, refusal, err := b.targetBranch(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	obs, exempt, err := b.standing(ctx, branch.ID, req.Now)
	if err != nil {
		return Reply{}, err
	}
	now := req.Now.In(b.Location)
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s 组织生活进度（%d年%d月%d日）", branch.Name, now.Year(), now.Month(), now.Day())
	var missed []string
	for _, c := range []Cadence{Monthly, Quarterly, Yearly} {
		this, last := c.label()
		var parts []string
		for _, o := range obs {
			if o.Cadence != c {
				continue
			}
			due := o.Due.Add(-time.Second)
			switch {
			case o.Done > 0:
				parts = append(parts, fmt.Sprintf("%s ✅%d次", o.Label(), o.Done))
			default:
				parts = append(parts, fmt.Sprintf("%s ⏳待开（%d月%d日前）", o.Label(), due.Month(), due.Day()))
			}
			if o.MissedLast {
				missed = append(missed, last+o.Label())
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(&sb, "\n%s：%s", this, strings.Join(parts, "；"))
		}
	}
	if len(missed) > 0 {
		fmt.Fprintf(&sb, "\n⚠️ 逾期未开：%s", strings.Join(missed, "、"))
	}
	theme, err := b.themeLine(ctx, branch.ID, MonthOf(DateOf(req.Now, b.Location)))
	if err != nil {
		return Reply{}, err
	}
	if theme != "" {
		sb.WriteString("\n" + theme)
	}
	for _, d := range exempt {
		fmt.Fprintf(&sb, "\n%s：%s", d.Type, d.Exempt)
	}
	var notCounted []string
	for _, o := range obs {
		notCounted = append(notCounted, o.NotCounted...)
	}
	if len(notCounted) > 0 {
		fmt.Fprintf(&sb, "\n不计入：%s", strings.Join(notCounted, "、"))
	}
	members, err := b.Roster.BranchMembers(ctx, branch.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", branch.ID, err)
	}
	if due := upcomingProbations(members, DateOf(req.Now, b.Location)); len(due) > 0 {
		fmt.Fprintf(&sb, "\n转正（预备期满）：%s", strings.Join(due, "、"))
	}
	line, err := b.latestMakeupLine(ctx, branch.ID)
	if err != nil {
		return Reply{}, err
	}
	if line != "" {
		sb.WriteString("\n" + line)
	}
	return Reply{Text: sb.String()}, nil
}

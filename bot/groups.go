package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Who a meeting is for, and what a branch owes, follow from the branch's
// structure: its committee (支委) and its 党小组.

// expectedAt is THE rule of who is expected at a meeting, and who counts
// for its quorum (entitled); records, quorum, absence lists and the
// six-month warning all use it (党章 第九条 counts only the meetings a
// member was expected at):
//   - 支委会: the committee, the secretary included; they count for its quorum.
//   - 党小组会: that group's members (one held before the branch had groups,
//     of no group, is everyone's).
//   - 党员大会: everyone; the 正式党员 vote and count for its quorum, the
//     预备党员 attend without a vote (支部工作条例 第11条).
//   - 党课, 主题党日, 组织生活会 and others: everyone, with no quorum.
func expectedAt(m Meeting, mem Member) (expected, entitled bool) {
	switch m.Type {
	case MeetingCommittee:
		return mem.Role.Leads(), mem.Role.Leads()
	case MeetingGroup:
		return m.Group == "" || mem.Group == m.Group, false
	case MeetingGeneral:
		return true, mem.Status != StatusProbationary
	}
	return true, false
}

// quorumApplies: a 党员大会 and a 支委会 are valid only with more than half
// of those entitled present (an election: more than four fifths).
func quorumApplies(t MeetingType) bool { return t == MeetingGeneral || t == MeetingCommittee }

// electionWords in a 党员大会's title make it an election.
var electionWords = []string{"选举", "换届", "补选"}

// IsElection reports whether m is a 党员大会 that elects (选举, 换届, 补选):
// valid only when more than four fifths of those entitled are present
// (基层组织选举工作条例).
func (m Meeting) IsElection() bool {
	return m.Type == MeetingGeneral && slices.ContainsFunc(electionWords, func(w string) bool { return strings.Contains(m.Title, w) })
}

// branchGroups lists a branch's 党小组 that have members: the configured
// ones in the config's order, then any the roster import set up, by name.
func branchGroups(br Branch, members []Member) []string {
	has := map[string]bool{}
	for _, m := range members {
		if m.Group != "" {
			has[m.Group] = true
		}
	}
	var out []string
	for _, g := range br.Groups {
		if has[g] && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	var more []string
	for g := range has {
		if !slices.Contains(out, g) {
			more = append(more, g)
		}
	}
	slices.Sort(more)
	return append(out, more...)
}

// hasCommittee: a branch has a 支部委员会 when the roster names 支委.
func hasCommittee(members []Member) bool {
	return slices.ContainsFunc(members, func(m Member) bool { return m.Role == RoleCommittee })
}

// committeeThreshold: a branch with this many 正式党员 elects a committee
// (支部工作条例 第12条(?)); a smaller one has a secretary, maybe a deputy.
const committeeThreshold = 7

// duty is what a branch owes of one meeting type, or why it owes none.
type duty struct {
	Type    MeetingType
	Cadence Cadence
	Groups  []string // a 党小组会 for each group; nil: one for the branch
	Exempt  string   // why none is owed; "" when owed
}

// duties derives what br owes from its structure (支部工作条例): a 支委会
// only where the branch has a committee, a 党小组会 for each 党小组 set up,
// the rest from the org's table. The branch's Cadence overrides either way.
func (b *Bot) duties(br Branch, members []Member) []duty {
	groups := branchGroups(br, members)
	var out []duty
	for _, typ := range MeetingTypes {
		base, owed := b.Cadence[typ]
		over, overridden := br.Cadence[typ]
		d := duty{Type: typ, Cadence: base}
		switch {
		case overridden && over == NotRequired:
			d.Exempt = "按本支部设置，不需召开"
		case overridden:
			d.Cadence = over
		case !owed:
			continue
		case typ == MeetingCommittee && !hasCommittee(members):
			d.Exempt = "本支部未设支委会，不需召开"
			full := 0
			for _, m := range members {
				if m.Status == StatusFull {
					full++
				}
			}
			if full >= committeeThreshold {
				d.Exempt += "（正式党员 7 人以上应选举支部委员会，请在名册中标注支委）"
			}
		case typ == MeetingGroup && len(groups) == 0:
			d.Exempt = "本支部未设党小组，不需召开"
		}
		if d.Exempt != "" {
			d.Cadence = 0
		} else if typ == MeetingGroup {
			d.Groups = groups
		}
		out = append(out, d)
	}
	return out
}

// meetingGroup picks a 党小组会's group: the one named after the type
// (会议 党小组会 第一党小组 …), else the opener's. A branch with groups
// must say which; one without holds a 党小组会 for the whole branch, as
// before groups were modelled.
func (b *Bot) meetingGroup(ctx context.Context, opener Member, members []Member, args []string) (group string, rest []string, refusal string, err error) {
	br, _, err := b.Roster.Branch(ctx, opener.BranchID)
	if err != nil {
		return "", nil, "", fmt.Errorf("bot: read branch: %w", err)
	}
	groups := branchGroups(br, members)
	if len(args) > 0 {
		if named := strings.TrimSpace(args[0]); slices.Contains(groups, named) || slices.Contains(br.Groups, named) {
			return named, args[1:], "", nil
		}
	}
	switch {
	case opener.Group != "":
		return opener.Group, args, "", nil
	case len(groups) == 0:
		return "", args, "", nil
	}
	return "", nil, fmt.Sprintf("本支部有党小组：%s。请写明是哪个党小组的会：会议 党小组会 %s [标题]", Plain(strings.Join(groups, "、")), Plain(groups[0])), nil
}

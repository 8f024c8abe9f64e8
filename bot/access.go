package bot

import (
	"context"
	"fmt"
	"strings"
)

// Who may do what: command classes, acting for another member, the audit
// trail of such acts, and the branch a leader's command looks at.

// Leads reports whether the role runs a branch: its secretary (书记) and
// committee (支委). Admins act on every branch but do not run one.
func (r Role) Leads() bool { return r == RoleSecretary || r == RoleCommittee }

// leaderOrAdmin reports whether m leads some branch or administers all.
func (m Member) leaderOrAdmin() bool { return m.Role.Leads() || m.Role == RoleAdmin }

// Access is the class of a command: whose records it touches.
type Access int

// Command classes. Member commands act on the sender's own records (a
// handler checks again when a command names someone else).
const (
	AccessMember Access = iota // every registered member
	AccessBranch               // secretaries and committee of a branch, and admins
	AccessAdmin                // party committee admins only
)

// refusal is the one-line reason m may not run the command, or "".
func (a Access) refusal(m Member, name string) string {
	switch {
	case a == AccessBranch && !m.leaderOrAdmin():
		return "“" + name + "”只有支部书记、支委或党委管理员可以使用。"
	case a == AccessAdmin && m.Role != RoleAdmin:
		return "“" + name + "”只有党委管理员可以使用。"
	}
	return ""
}

// resolveTarget reads an optional leading @userid (or @name) from the
// arguments. Without one the target is the sender. Acting for someone else
// needs a role in their branch; refusal says why not.
func (b *Bot) resolveTarget(ctx context.Context, req Request) (target Member, rest []string, refusal string, err error) {
	if len(req.Args) == 0 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return req.Member, req.Args, "", nil
	}
	who := mentionOf(req, req.Args[0])
	if who == "" {
		return Member{}, nil, "请在 @ 后写上对方的 userid，例如 @lisi。", nil
	}
	target, found, namesakes, err := b.findMember(ctx, req.Member, who)
	if err != nil {
		return Member{}, nil, "", err
	}
	if len(namesakes) > 1 {
		ids := make([]string, len(namesakes))
		for i, m := range namesakes {
			ids[i] = "@" + m.UserID
		}
		return Member{}, nil, fmt.Sprintf("本支部有 %d 位“%s”，请改用 userid：%s。", len(namesakes), who, strings.Join(ids, "、")), nil
	}
	if !found {
		return Member{}, nil, "找不到党员“" + who + "”，请用 userid，例如 @lisi。", nil
	}
	if target.UserID != req.Member.UserID && !req.Member.Leads(target.BranchID) {
		return Member{}, nil, "只有对方所在支部的书记、支委或党委管理员可以替他操作。", nil
	}
	return target, req.Args[1:], "", nil
}

// findMember looks a member up by userid, then by name in the sender's
// branch. Two members of one name are never guessed between: namesakes
// lists them, and found is false.
func (b *Bot) findMember(ctx context.Context, sender Member, who string) (m Member, found bool, namesakes []Member, err error) {
	m, found, err = b.Roster.Member(ctx, who)
	if err != nil || (found && m.Active) {
		return m, found, nil, err
	}
	if sender.BranchID == "" {
		return Member{}, false, nil, nil
	}
	members, err := b.Roster.BranchMembers(ctx, sender.BranchID)
	if err != nil {
		return Member{}, false, nil, fmt.Errorf("bot: list branch %s: %w", sender.BranchID, err)
	}
	_, name := SplitMemberID(who) // a name, not a userid: the sender's corp was put before it
	for _, m := range members {
		if m.Name != "" && Normalize(m.Name) == name {
			namesakes = append(namesakes, m)
		}
	}
	if len(namesakes) == 1 {
		return namesakes[0], true, nil, nil
	}
	return Member{}, false, namesakes, nil
}

// audit appends an entry for an action taken on behalf of target, once per
// message: a retried command finds its entry written.
func (b *Bot) audit(ctx context.Context, req Request, action string, target Member, detail string) error {
	msg := ""
	if req.Msg.From != "" { // a message, not a job or a tool
		msg = req.Msg.DedupeKey()
	}
	err := b.Audit.Append(ctx, AuditEntry{
		At: req.Now, Actor: req.Member.UserID, Action: action,
		Branch: target.BranchID, Target: target.UserID, Detail: detail,
		Msg: msg,
	})
	if err != nil {
		return fmt.Errorf("bot: audit %s: %w", action, err)
	}
	return nil
}

// targetBranch is the branch a branch-class command looks at: the
// sender's own, or the one named in the first argument (admins may name
// any). refusal, when set, is the reply instead.
func (b *Bot) targetBranch(ctx context.Context, req Request) (branch Branch, refusal string, err error) {
	branchID := req.Member.BranchID
	if len(req.Args) > 0 {
		branchID = Normalize(req.Args[0])
	}
	switch {
	case branchID == "":
		return Branch{}, "用法：" + req.Name + " <支部id>。发送“支部”查看全部支部。", nil
	case !req.Member.Leads(branchID):
		return Branch{}, "你只能查看本支部。", nil
	}
	branch, found, err := b.Roster.Branch(ctx, branchID)
	if err != nil {
		return Branch{}, "", fmt.Errorf("bot: read branch %s: %w", branchID, err)
	}
	if !found {
		return Branch{}, "没有 id 为“" + branchID + "”的支部。发送“支部”查看全部支部。", nil
	}
	return branch, "", nil
}

// Leads reports whether m may see and act on branchID's records.
func (m Member) Leads(branchID string) bool {
	if m.Role == RoleAdmin {
		return true
	}
	return m.Role.Leads() && m.BranchID == branchID && branchID != ""
}

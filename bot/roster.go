package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// RosterStore is where the roster lives (Redis); Roster reads from it.
type RosterStore interface {
	Roster
	// SaveMembers creates or replaces member records, keeping each branch's
	// member set in step (a move leaves the old branch's set).
	SaveMembers(ctx context.Context, ms []Member) error
	// SaveBranches creates or replaces branch records, keeping the earlier
	// of the stored and the given Since.
	SaveBranches(ctx context.Context, bs []Branch) error
	// BranchPending lists a branch's active members who do not count
	// (待确认, 待转出), ordered by userid. BranchMembers leaves them out.
	BranchPending(ctx context.Context, branchID string) ([]Member, error)
	MembershipHistory
	TransferStore
	// DirectoryListing is who the last sync found in a branch's
	// departments; known is false until a sync has kept one.
	DirectoryListing(ctx context.Context, branchID string) (ids []string, known bool, err error)
	SaveDirectoryListing(ctx context.Context, branchID string, ids []string) error
}

// Tenure is a time a member was on a branch's books, From to To, both
// days included. A zero From means since before the history was kept; a
// zero To means still. Records made in a branch belong to it: the ledger
// of a span lists everyone whose tenure overlaps it.
type Tenure struct {
	UserID   string
	From, To Date
}

// Overlaps reports whether the tenure shares a day with s.
func (t Tenure) Overlaps(s Span) bool {
	return (t.From.IsZero() || !s.To.Before(t.From)) && (t.To.IsZero() || !t.To.Before(s.From))
}

// TenureMove is a member entering (Enter) or leaving a branch's books on Day.
type TenureMove struct {
	BranchID, UserID string
	Day              Date
	Enter            bool
}

// MembershipHistory keeps who was on each branch's books when.
type MembershipHistory interface {
	// RecordTenures opens and closes tenures; entering an open one, or
	// leaving a closed one, changes nothing.
	RecordTenures(ctx context.Context, moves []TenureMove) error
	// Tenures lists a branch's tenures by userid. An install upgraded from
	// a release that kept no history builds it once, before its first
	// roster write, from the members: those on a branch's books are so
	// since always, those who had left until the upgrade (when they left
	// is not known; nothing is lost).
	Tenures(ctx context.Context, branchID string) ([]Tenure, error)
}

// tenureMoves are the history entries of saving writes over before, on
// day. A roster statement (the config, an import) says who the members
// are, not since when: someone it brings in for the first time is
// recorded as a member since always (zero From), so no earlier ledger
// loses their records. A move, a return, 确认 and 转入 are events of day.
func tenureMoves(before map[string]Member, writes []Member, day Date, statement bool) []TenureMove {
	var out []TenureMove
	for _, next := range writes {
		cur, had := before[next.UserID]
		wasIn, isIn := had && cur.Enrolled(), next.Enrolled()
		if wasIn && (!isIn || cur.BranchID != next.BranchID) {
			out = append(out, TenureMove{BranchID: cur.BranchID, UserID: next.UserID, Day: day})
		}
		if isIn && (!wasIn || cur.BranchID != next.BranchID) {
			from := day
			if statement && !had {
				from = Date{}
			}
			out = append(out, TenureMove{BranchID: next.BranchID, UserID: next.UserID, Day: from, Enter: true})
		}
	}
	return out
}

// saveMembers writes members and their branches' history (see tenureMoves
// for statement).
func saveMembers(ctx context.Context, rs RosterStore, before map[string]Member, writes []Member, day Date, statement bool) error {
	if err := rs.SaveMembers(ctx, writes); err != nil {
		return fmt.Errorf("bot: save members: %w", err)
	}
	if moves := tenureMoves(before, writes, day, statement); len(moves) > 0 {
		if err := rs.RecordTenures(ctx, moves); err != nil {
			return fmt.Errorf("bot: record membership history: %w", err)
		}
	}
	return nil
}

// AuditEntry is one line of the append-only audit trail.
type AuditEntry struct {
	At     time.Time
	Actor  string // userid, or "cli:<name>" / "system"
	Action string // e.g. roster.import, leave.set, leave.end
	Branch string
	Target string
	Detail string
	// Msg is the dedupe key of the message that caused the entry: the log
	// keeps one entry per (Action, Target, Msg), so a command retried after
	// a half-done first attempt is not audited twice. "" means always append.
	Msg string
}

// AuditLog appends to the audit trail; entries are never edited.
type AuditLog interface {
	Append(ctx context.Context, e AuditEntry) error
}

// RosterRow is one row of an import file, as written.
type RosterRow struct {
	Line                                       int
	UserID, Name, Branch, Role, Status, Joined string
	Active                                     string // empty or 是/yes: active; 否/no/离开: retired
	Dues                                       string // the monthly 党费 amount, optional (never a salary)
	Group                                      string // the 党小组, optional
	Corp                                       string // the corps entry the userid belongs to; "" the home corp
}

// ParseActive reads an import's active column: empty means active.
func ParseActive(s string) (active, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "是", "yes", "y", "true", "1", "在册", "active":
		return true, true
	case "否", "no", "n", "false", "0", "离开", "退出", "停用", "inactive", "left":
		return false, true
	}
	return false, false
}

// RowError explains why one row was refused.
type RowError struct {
	Line   int
	Reason string
}

// ImportError lists every bad row of a file; nothing is written.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d bad row(s), nothing imported:", len(e.Rows))
	for _, r := range e.Rows {
		fmt.Fprintf(&sb, "\n  line %d: %s", r.Line, r.Reason)
	}
	return sb.String()
}

// userIDPattern is what WeCom allows in a userid, less a leading "@": "@all"
// means everyone to message/send.
// A member of another corp is "corp/userid" (corp.go).
var userIDPattern = regexp.MustCompile(`^([a-z0-9][a-z0-9_-]{0,31}/)?[A-Za-z0-9_.-][A-Za-z0-9_.@-]{0,63}$`)

// ValidUserID reports whether id may name a member.
func ValidUserID(id string) bool {
	return userIDPattern.MatchString(id) && CorpOf(id) != HomeCorp
}

// BuildMembers turns rows into members, checking every row; it returns an
// *ImportError naming each bad line, or the members.
//
// A row's group must be one of its branch's configured groups when the
// branch lists any (a typo would otherwise set up a new 党小组).
func BuildMembers(rows []RosterRow, branches map[string]bool) ([]Member, error) {
	return buildMembers(rows, branches, nil)
}

func buildMembers(rows []RosterRow, branches map[string]bool, groups map[string][]string) ([]Member, error) {
	var bad []RowError
	seen := map[string]int{}
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		var reasons []string
		userID := Qualify(NormalizeUserID(r.Corp), r.UserID)
		if !ValidUserID(userID) {
			reasons = append(reasons, fmt.Sprintf("userid %q is not a WeCom userid", r.UserID))
		} else if first, dup := seen[userID]; dup {
			reasons = append(reasons, fmt.Sprintf("userid %s already on line %d", userID, first))
		}
		seen[userID] = r.Line
		name := strings.TrimSpace(r.Name)
		switch {
		case name == "":
			reasons = append(reasons, "name is empty")
		case HasHiddenRunes(name):
			reasons = append(reasons, fmt.Sprintf("name %q has control or invisible characters", name))
		}
		role, ok := ParseRole(r.Role)
		if !ok {
			reasons = append(reasons, fmt.Sprintf("role %q is not one of member/secretary/committee/admin (党员/书记/支委/管理员)", r.Role))
		}
		branch := strings.TrimSpace(r.Branch)
		active, ok := ParseActive(r.Active)
		if !ok {
			reasons = append(reasons, fmt.Sprintf("active %q is not 是/否 (yes/no, 离开)", r.Active))
		}
		switch {
		case branch == "" && role != RoleAdmin && active:
			reasons = append(reasons, "branch is empty (only admins, or those retired with active 否, may have none)")
		case branch != "" && !branches[branch]:
			reasons = append(reasons, fmt.Sprintf("branch %q does not exist (add it to org.branches in the config)", branch))
		}
		status, ok := ParseStatus(r.Status)
		if !ok {
			reasons = append(reasons, fmt.Sprintf("status %q is not 正式党员 or 预备党员", r.Status))
		}
		if text := strings.TrimSpace(r.Dues); text != "" {
			if _, ok := ParseAmount(text); !ok {
				reasons = append(reasons, fmt.Sprintf("dues %q is not a positive amount with at most two decimals, like 50 or 12.5", r.Dues))
			}
		}
		group := strings.TrimSpace(r.Group)
		switch {
		case group == "":
		case !ValidGroupName(group):
			reasons = append(reasons, fmt.Sprintf("group %q is not a 党小组 name (1-%d visible characters, no spaces)", r.Group, maxGroupName))
		case len(groups[branch]) > 0 && !slices.Contains(groups[branch], group):
			reasons = append(reasons, fmt.Sprintf("group %q is not one of branch %s's groups (%s)", group, branch, strings.Join(groups[branch], ", ")))
		}
		var joined Date
		if text := strings.TrimSpace(r.Joined); text != "" {
			var err error
			if joined, err = ParseDate(text); err != nil {
				reasons = append(reasons, fmt.Sprintf("joined %q is not a date like 2015-07-01", r.Joined))
			}
		}
		if len(reasons) > 0 {
			bad = append(bad, RowError{Line: r.Line, Reason: strings.Join(reasons, "; ")})
			continue
		}
		out = append(out, Member{UserID: userID, Name: name, BranchID: branch, Role: role,
			Status: status, Joined: joined, Group: group, Active: active})
	}
	if len(bad) > 0 {
		return nil, &ImportError{Rows: bad}
	}
	return out, nil
}

// RosterChange is what an import or sync does to the roster. Leaving are
// members a sync no longer finds in the address book: 待转出, not removed.
type RosterChange struct {
	Added, Updated, Moved, Departed, Leaving []Member
	Unchanged                                int
}

// Writes lists the records to save.
func (c RosterChange) Writes() []Member {
	return slices.Concat(c.Added, c.Updated, c.Moved, c.Departed, c.Leaving)
}

// Summary is a one-line report.
func (c RosterChange) Summary() string {
	pending := 0
	for _, m := range c.Added {
		if m.Status == StatusPending {
			pending++
		}
	}
	line := fmt.Sprintf("%d added, %d updated, %d moved, %d departed, %d unchanged",
		len(c.Added), len(c.Updated), len(c.Moved), len(c.Departed), c.Unchanged)
	if pending > 0 {
		line += fmt.Sprintf("; %d to confirm (待确认)", pending)
	}
	if len(c.Leaving) > 0 {
		line += fmt.Sprintf("; %d leaving (待转出)", len(c.Leaving))
	}
	return line
}

// classify compares one incoming record with the current one.
func classify(c *RosterChange, cur Member, exists bool, next Member) {
	switch {
	case !exists:
		c.Added = append(c.Added, next)
	case cur == next:
		c.Unchanged++
	case cur.BranchID != next.BranchID:
		c.Moved = append(c.Moved, next)
	default:
		c.Updated = append(c.Updated, next)
	}
}

func indexMembers(ms []Member) map[string]Member {
	idx := make(map[string]Member, len(ms))
	for _, m := range ms {
		idx[m.UserID] = m
	}
	return idx
}

// ImportRoster validates rows and, only if all are good, upserts them.
// Members absent from the file are left as they are.
func ImportRoster(ctx context.Context, rs RosterStore, audit AuditLog, actor string, now time.Time, rows []RosterRow) (RosterChange, error) {
	branches, err := rs.Branches(ctx)
	if err != nil {
		return RosterChange{}, fmt.Errorf("bot: read branches: %w", err)
	}
	known, groups := map[string]bool{}, map[string][]string{}
	for _, b := range branches {
		known[b.ID], groups[b.ID] = true, b.Groups
	}
	incoming, err := buildMembers(rows, known, groups)
	if err != nil {
		return RosterChange{}, err
	}
	all, err := rs.AllMembers(ctx)
	if err != nil {
		return RosterChange{}, fmt.Errorf("bot: read members: %w", err)
	}
	current := indexMembers(all)
	var change RosterChange
	for _, m := range incoming {
		cur, ok := current[m.UserID]
		classify(&change, cur, ok, m)
	}
	return change, applyChange(ctx, rs, audit, AuditEntry{At: now, Actor: actor, Action: "roster.import"}, change, current)
}

// applyChange saves a change made over before, with its history, and
// audits it.
func applyChange(ctx context.Context, rs RosterStore, audit AuditLog, entry AuditEntry, change RosterChange, before map[string]Member) error {
	writes := change.Writes()
	if len(writes) == 0 {
		return nil
	}
	statement := entry.Action != "roster.sync" // the address book's changes are events
	if err := saveMembers(ctx, rs, before, writes, DateOf(entry.At, entry.At.Location()), statement); err != nil {
		return err
	}
	entry.Detail = change.Summary()
	if err := audit.Append(ctx, entry); err != nil {
		return fmt.Errorf("bot: audit %s: %w", entry.Action, err)
	}
	return nil
}

// SeedOrg writes the config's org on every start. Branch attributes follow
// the config, and a branch no longer in it is retired (no jobs; its records
// stay). org.admins is authoritative: those listed are admins, an admin no
// longer listed is demoted to member of their branch, or retired if they
// have none; both audited. Other members the config names are created only
// if Redis does not know them, so imports and syncs are never undone.
func SeedOrg(ctx context.Context, rs RosterStore, audit AuditLog, now time.Time, org Org) (SeedResult, error) {
	existing, err := rs.Branches(ctx)
	if err != nil {
		return SeedResult{}, fmt.Errorf("bot: read branches: %w", err)
	}
	branches := slices.Clone(org.Branches)
	configured := map[string]bool{}
	for i := range branches {
		branches[i].Since = DateOf(now, now.Location()) // the store keeps an earlier date
		configured[branches[i].ID] = true
	}
	var res SeedResult
	for _, b := range existing {
		if !configured[b.ID] && !b.Retired {
			b.Retired = true
			branches = append(branches, b)
			res.RetiredBranches = append(res.RetiredBranches, b.ID)
		}
	}
	if err := rs.SaveBranches(ctx, branches); err != nil {
		return SeedResult{}, fmt.Errorf("bot: seed branches: %w", err)
	}
	all, err := rs.AllMembers(ctx)
	if err != nil {
		return SeedResult{}, fmt.Errorf("bot: read members: %w", err)
	}
	current := indexMembers(all)
	var change RosterChange
	for _, m := range org.SeedMembers() {
		cur, ok := current[m.UserID]
		switch {
		case !ok:
			m.Name = m.UserID
			change.Added = append(change.Added, m)
		case cur.Active && cur.Status == StatusPending && m.BranchID != "":
			// The config names Party members: one the sync holds as 待确认 is one.
			cur.Status, cur.BranchID = StatusFull, m.BranchID
			if m.Role != RoleMember {
				cur.Role = m.Role
			}
			if m.Group != "" {
				cur.Group = m.Group
			}
			change.Updated = append(change.Updated, cur)
			current[cur.UserID] = cur
		default:
			next := cur
			if m.Role == RoleAdmin && (cur.Role != RoleAdmin || !cur.Active) {
				next.Role, next.Active = RoleAdmin, true
				res.Granted = append(res.Granted, cur.UserID)
			}
			// The config's 党小组 lists are authoritative for those they name
			// (as org.admins is); others keep the group an import gave them.
			if m.Group != "" && cur.BranchID == m.BranchID {
				next.Group = m.Group
			}
			if next != cur {
				change.Updated = append(change.Updated, next)
				current[next.UserID] = next
			}
		}
	}
	isAdmin := map[string]bool{}
	for _, a := range org.Admins {
		isAdmin[NormalizeUserID(a)] = true
	}
	for _, m := range all {
		if m.Role != RoleAdmin || isAdmin[m.UserID] {
			continue
		}
		m = current[m.UserID] // with the config's group, if it changed
		m.Role = RoleMember
		if m.BranchID == "" {
			m.Active = false // an admin outside every branch has no other standing
		}
		change.Updated = slices.DeleteFunc(change.Updated, func(u Member) bool { return u.UserID == m.UserID })
		change.Updated = append(change.Updated, m)
		res.Revoked = append(res.Revoked, m.UserID)
	}
	res.Added = len(change.Added)
	entry := AuditEntry{At: now, Actor: "system", Action: "roster.seed"}
	if len(res.Granted)+len(res.Revoked) > 0 {
		entry.Action = "roster.seed.admins"
	}
	if err := applyChange(ctx, rs, audit, entry, change, current); err != nil {
		return SeedResult{}, err
	}
	for _, id := range res.Revoked {
		if err := audit.Append(ctx, AuditEntry{At: now, Actor: "system", Action: "admin.revoke", Target: id, Detail: "not in org.admins"}); err != nil {
			return SeedResult{}, fmt.Errorf("bot: audit admin.revoke: %w", err)
		}
	}
	return res, nil
}

// SeedResult is what a start's seeding changed.
type SeedResult struct {
	Added           int      // members created from the config
	Granted         []string // made admin by org.admins
	Revoked         []string // admins no longer in org.admins
	RetiredBranches []string // branches no longer in the config
}

// roster lists a branch's members by name.
func (b *Bot) roster(ctx context.Context, req Request) (Reply, error) {
	branch, refusal, err := b.targetBranch(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	members, err := b.Roster.BranchMembers(ctx, branch.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", branch.ID, err)
	}
	label := func(m Member) string {
		name := m.DisplayName()
		if m.Role != RoleMember {
			name += "（" + m.Role.Label() + "）"
		}
		if m.Status == StatusProbationary {
			name += "［预备］"
		}
		return name
	}
	names := func(group string) []string {
		var out []string
		for _, m := range members {
			if m.Group == group {
				out = append(out, label(m))
			}
		}
		return out
	}
	groups := branchGroups(branch, members)
	// By 党小组, in the config's order; those in none last.
	var sb strings.Builder
	if len(groups) == 0 {
		fmt.Fprintf(&sb, "%s 共 %d 人：\n%s", branch.Name, len(members), strings.Join(names(""), "、"))
		groups = nil // no headings
	} else {
		fmt.Fprintf(&sb, "%s 共 %d 人，%d 个党小组：", branch.Name, len(members), len(groups))
		groups = append(groups, "") // those in none last
	}
	for _, g := range groups {
		in := names(g)
		if len(in) == 0 {
			continue
		}
		heading := Plain(g)
		if g == "" {
			heading = "未编入党小组"
		}
		fmt.Fprintf(&sb, "\n%s（%d 人）：%s", heading, len(in), strings.Join(in, "、"))
	}
	apart, err := b.rosterApart(ctx, branch.ID)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Text: sb.String() + apart}, nil
}

// rosterApart is 名单's tail: who is leaving (待转出) and who waits to be
// confirmed (待确认), each with what the leader does next.
func (b *Bot) rosterApart(ctx context.Context, branchID string) (string, error) {
	others, err := b.Roster.BranchPending(ctx, branchID)
	if err != nil {
		return "", fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	transfers, err := b.Roster.Transfers(ctx, branchID)
	if err != nil {
		return "", fmt.Errorf("bot: transfers of %s: %w", branchID, err)
	}
	dest := map[string]Transfer{}
	for _, t := range transfers {
		dest[t.UserID] = t
	}
	var leaving, pending []string
	for _, m := range others {
		switch m.Status {
		case StatusLeaving:
			line := m.DisplayName() + " @" + m.UserID
			if t, ok := dest[m.UserID]; ok {
				line += fmt.Sprintf("（去向：%s，%s起）", Plain(t.To), fmtDay(t.Since))
			}
			leaving = append(leaving, line)
		case StatusPending:
			pending = append(pending, m.DisplayName()+" @"+m.UserID)
		}
	}
	var sb strings.Builder
	if len(leaving) > 0 {
		fmt.Fprintf(&sb, "\n\n待转出 %d 人（不计入人数，对方接收前本支部仍负责）：\n%s\n对方接收后发“转出 完成 @userid”。",
			len(leaving), strings.Join(leaving, "\n"))
	}
	if len(pending) > 0 {
		fmt.Fprintf(&sb, "\n\n待确认 %d 人（通讯录同步而来，确认前不算党员）：\n%s\n确认：发“确认 @userid 正式党员”或“确认 @userid 预备党员”。",
			len(pending), strings.Join(pending, "、"))
	}
	return sb.String(), nil
}

// branches lists every branch with its member count (admins).
func (b *Bot) branches(ctx context.Context, _ Request) (Reply, error) {
	branches, err := b.Roster.Branches(ctx)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read branches: %w", err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "共 %d 个支部：", len(branches))
	for _, br := range branches {
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		fmt.Fprintf(&sb, "\n· %s（%s）%d 人", br.Name, br.ID, len(members))
	}
	return Reply{Text: sb.String()}, nil
}

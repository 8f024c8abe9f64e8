package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
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
}

// AuditEntry is one line of the append-only audit trail.
type AuditEntry struct {
	At     time.Time
	Actor  string // userid, or "cli:<name>" / "system"
	Action string // e.g. roster.import, leave.set, leave.end
	Branch string
	Target string
	Detail string
}

// AuditLog appends to the audit trail; entries are never edited.
type AuditLog interface {
	Append(ctx context.Context, e AuditEntry) error
}

// RosterRow is one row of an import file, as written.
type RosterRow struct {
	Line                                       int
	UserID, Name, Branch, Role, Status, Joined string
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

// userIDPattern is what WeCom allows in a userid.
var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// BuildMembers turns rows into members, checking every row; it returns an
// *ImportError naming each bad line, or the members.
func BuildMembers(rows []RosterRow, branches map[string]bool) ([]Member, error) {
	var bad []RowError
	seen := map[string]int{}
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		var reasons []string
		userID := NormalizeUserID(r.UserID)
		if !userIDPattern.MatchString(userID) {
			reasons = append(reasons, fmt.Sprintf("userid %q is not a WeCom userid", r.UserID))
		} else if first, dup := seen[userID]; dup {
			reasons = append(reasons, fmt.Sprintf("userid %s already on line %d", userID, first))
		}
		seen[userID] = r.Line
		name := strings.TrimSpace(r.Name)
		if name == "" {
			reasons = append(reasons, "name is empty")
		}
		role, ok := ParseRole(r.Role)
		if !ok {
			reasons = append(reasons, fmt.Sprintf("role %q is not one of member/secretary/committee/admin (党员/书记/支委/管理员)", r.Role))
		}
		branch := strings.TrimSpace(r.Branch)
		switch {
		case branch == "" && role != RoleAdmin:
			reasons = append(reasons, "branch is empty (only admins may have none)")
		case branch != "" && !branches[branch]:
			reasons = append(reasons, fmt.Sprintf("branch %q does not exist (add it to org.branches in the config)", branch))
		}
		status, ok := ParseStatus(r.Status)
		if !ok {
			reasons = append(reasons, fmt.Sprintf("status %q is not 正式党员 or 预备党员", r.Status))
		}
		joined := strings.TrimSpace(r.Joined)
		if joined != "" {
			if _, err := time.Parse(time.DateOnly, joined); err != nil {
				reasons = append(reasons, fmt.Sprintf("joined %q is not a date like 2015-07-01", r.Joined))
			}
		}
		if len(reasons) > 0 {
			bad = append(bad, RowError{Line: r.Line, Reason: strings.Join(reasons, "; ")})
			continue
		}
		out = append(out, Member{UserID: userID, Name: name, BranchID: branch, Role: role,
			Status: status, Joined: joined, Active: true})
	}
	if len(bad) > 0 {
		return nil, &ImportError{Rows: bad}
	}
	return out, nil
}

// RosterChange is what an import or sync does to the roster.
type RosterChange struct {
	Added, Updated, Moved, Departed []Member
	Unchanged                       int
}

// Writes lists the records to save.
func (c RosterChange) Writes() []Member {
	return slices.Concat(c.Added, c.Updated, c.Moved, c.Departed)
}

// Summary is a one-line report.
func (c RosterChange) Summary() string {
	return fmt.Sprintf("%d added, %d updated, %d moved, %d departed, %d unchanged",
		len(c.Added), len(c.Updated), len(c.Moved), len(c.Departed), c.Unchanged)
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
	known := map[string]bool{}
	for _, b := range branches {
		known[b.ID] = true
	}
	incoming, err := BuildMembers(rows, known)
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
	return change, applyChange(ctx, rs, audit, AuditEntry{At: now, Actor: actor, Action: "roster.import"}, change)
}

func applyChange(ctx context.Context, rs RosterStore, audit AuditLog, entry AuditEntry, change RosterChange) error {
	writes := change.Writes()
	if len(writes) == 0 {
		return nil
	}
	if err := rs.SaveMembers(ctx, writes); err != nil {
		return fmt.Errorf("bot: save members: %w", err)
	}
	entry.Detail = change.Summary()
	if err := audit.Append(ctx, entry); err != nil {
		return fmt.Errorf("bot: audit %s: %w", entry.Action, err)
	}
	return nil
}

// DirectoryUser is a user as WeCom's address book lists them.
type DirectoryUser struct {
	UserID string
	Name   string
}

// Directory reads WeCom's address book.
type Directory interface {
	// DepartmentUsers lists the users of a department and its sub-departments.
	DepartmentUsers(ctx context.Context, departmentID int) ([]DirectoryUser, error)
}

// SyncRoster pulls the address book for every branch with department_ids:
// new users are added as members, users found under another branch are
// moved, names follow WeCom, and active members of a synced branch that
// WeCom no longer lists are marked departed (their records stay).
func SyncRoster(ctx context.Context, rs RosterStore, dir Directory, audit AuditLog, actor string, now time.Time) (RosterChange, error) {
	branches, err := rs.Branches(ctx)
	if err != nil {
		return RosterChange{}, fmt.Errorf("bot: read branches: %w", err)
	}
	listed := map[string]DirectoryUser{} // userid -> user
	branchOf := map[string]string{}      // userid -> branch id
	synced := map[string]bool{}
	sort.Slice(branches, func(i, j int) bool { return branches[i].ID < branches[j].ID })
	for _, b := range branches {
		for _, dept := range b.DepartmentIDs {
			synced[b.ID] = true
			users, err := dir.DepartmentUsers(ctx, dept)
			if err != nil {
				return RosterChange{}, fmt.Errorf("bot: department %d of branch %s: %w", dept, b.ID, err)
			}
			for _, u := range users {
				u.UserID = NormalizeUserID(u.UserID)
				if _, dup := branchOf[u.UserID]; !dup { // first branch (by id) wins
					branchOf[u.UserID], listed[u.UserID] = b.ID, u
				}
			}
		}
	}
	if len(synced) == 0 {
		return RosterChange{}, errors.New("bot: no branch has department_ids; nothing to sync")
	}
	all, err := rs.AllMembers(ctx)
	if err != nil {
		return RosterChange{}, fmt.Errorf("bot: read members: %w", err)
	}
	current := indexMembers(all)
	var change RosterChange
	ids := make([]string, 0, len(listed))
	for id := range listed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		cur, ok := current[id]
		next := cur
		if !ok {
			next = Member{UserID: id, Role: RoleMember}
		}
		if ok && next.BranchID != branchOf[id] && (next.Role == RoleSecretary || next.Role == RoleCommittee) {
			next.Role = RoleMember // a branch role does not move with the member
		}
		next.BranchID, next.Active = branchOf[id], true
		if name := listed[id].Name; name != "" {
			next.Name = name
		}
		classify(&change, cur, ok, next)
	}
	for _, m := range all {
		if _, still := listed[m.UserID]; !still && m.Active && synced[m.BranchID] {
			m.Active = false
			change.Departed = append(change.Departed, m)
		}
	}
	return change, applyChange(ctx, rs, audit, AuditEntry{At: now, Actor: actor, Action: "roster.sync"}, change)
}

// SeedOrg writes the config's org: branch attributes always follow the
// config; members it names are created only if Redis does not know them,
// so imports and syncs are never undone by a restart.
func SeedOrg(ctx context.Context, rs RosterStore, audit AuditLog, now time.Time, org Org) (added int, err error) {
	branches := slices.Clone(org.Branches)
	for i := range branches {
		branches[i].Since = now.Format(time.DateOnly) // the store keeps an earlier date
	}
	if err := rs.SaveBranches(ctx, branches); err != nil {
		return 0, fmt.Errorf("bot: seed branches: %w", err)
	}
	all, err := rs.AllMembers(ctx)
	if err != nil {
		return 0, fmt.Errorf("bot: read members: %w", err)
	}
	current := indexMembers(all)
	var change RosterChange
	for _, m := range org.SeedMembers() {
		if _, ok := current[m.UserID]; !ok {
			m.Name = m.UserID
			change.Added = append(change.Added, m)
		}
	}
	return len(change.Added), applyChange(ctx, rs, audit, AuditEntry{At: now, Actor: "system", Action: "roster.seed"}, change)
}

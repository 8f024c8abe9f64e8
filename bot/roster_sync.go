package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DirectoryUser is a user as WeCom's address book lists them.
type DirectoryUser struct {
	UserID string
	Name   string
}

// Directory reads one corp's WeCom address book.
type Directory interface {
	// DepartmentUsers lists the users of a department and its sub-departments.
	DepartmentUsers(ctx context.Context, departmentID int) ([]DirectoryUser, error)
}

// Directories are the address books of the corps a sync reads, by corps id
// ("" the home corp). Department ids are per corp: a branch's are its
// Company's.
type Directories map[string]Directory

// SyncError names the corps whose address book could not be read: their
// branches were left as they were, the other corps' were synced.
type SyncError struct {
	Corps map[string]error // corps id ("" the home corp) → why
}

func (e *SyncError) Error() string {
	var sb strings.Builder
	sb.WriteString("bot: the address book of")
	for i, corp := range sortedKeys(e.Corps) {
		if i > 0 {
			sb.WriteString(";")
		}
		fmt.Fprintf(&sb, " %s could not be read (its branches are unchanged): %v", corpLabel(corp), e.Corps[corp])
	}
	return sb.String()
}

func (e *SyncError) Unwrap() []error {
	var out []error
	for _, corp := range sortedKeys(e.Corps) {
		out = append(out, e.Corps[corp])
	}
	return out
}

// corpLabel names a corp in messages: "the home corp" or "corp partner".
func corpLabel(corp string) string {
	if corp == "" {
		return "the home corp"
	}
	return "corp " + corp
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SyncRoster pulls the address book for every branch with department_ids,
// each corp's branches from that corp's directory (a branch's Company, ""
// the home corp); the userids listed are the corp's, so they are qualified
// with it ("partner/m1"). A department holds everyone who works there,
// Party members or not, so the address book decides who is where, never
// who is a member:
//   - someone new, or back after leaving, is added as 待确认 (not counted
//     until a leader sends 确认 or an import gives a status);
//   - a member found under another synced branch moves there;
//   - names follow WeCom;
//   - a member the previous sync listed and this one does not has left:
//     they become 待转出 (the branch stays responsible until the transfer
//     is received, and the secretary hears of it), never removed; someone
//     still 待确认 simply goes. Members the sync never listed (imported by
//     hand into a synced branch, or of another corp in a joint branch) are
//     left alone.
//
// A corp whose address book cannot be read (no directory, a missing
// trusted IP) leaves its branches as they are; the others are synced and a
// *SyncError names it.
func SyncRoster(ctx context.Context, rs RosterStore, dirs Directories, audit AuditLog, actor string, now time.Time) (RosterChange, error) {
	branches, err := rs.Branches(ctx)
	if err != nil {
		return RosterChange{}, fmt.Errorf("bot: read branches: %w", err)
	}
	listed := map[string]DirectoryUser{} // member id -> user
	branchOf := map[string]string{}      // member id -> branch id
	listing := map[string][]string{}     // branch id -> member ids listed there
	failed := map[string]error{}         // corp -> why its address book was not read
	var synced []string
	sort.Slice(branches, func(i, j int) bool { return branches[i].ID < branches[j].ID })
	byCorp := map[string][]Branch{}
	for _, b := range branches {
		if len(b.DepartmentIDs) > 0 {
			byCorp[b.Company] = append(byCorp[b.Company], b)
		}
	}
	for _, corp := range sortedKeys(byCorp) {
		found, err := listCorp(ctx, dirs[corp], corp, byCorp[corp])
		if err != nil {
			failed[corp] = err
			continue
		}
		for _, b := range byCorp[corp] {
			synced = append(synced, b.ID)
			for _, u := range found[b.ID] {
				if _, dup := branchOf[u.UserID]; !dup { // first branch (by id) wins
					branchOf[u.UserID], listed[u.UserID] = b.ID, u
					listing[b.ID] = append(listing[b.ID], u.UserID)
				}
			}
		}
	}
	if len(failed) > 0 && len(synced) == 0 {
		return RosterChange{}, &SyncError{Corps: failed}
	}
	sort.Strings(synced)
	if len(synced) == 0 {
		return RosterChange{}, errors.New("bot: no branch has department_ids; nothing to sync")
	}
	all, err := rs.AllMembers(ctx)
	if err != nil {
		return RosterChange{}, fmt.Errorf("bot: read members: %w", err)
	}
	current := indexMembers(all)
	day := DateOf(now, now.Location())
	branchIDs := make([]string, len(branches))
	for i, b := range branches {
		branchIDs[i] = b.ID
	}
	transfers, err := transfersOf(ctx, rs, branchIDs)
	if err != nil {
		return RosterChange{}, err
	}
	var change RosterChange
	var received []Transfer // transfers that end: the member is listed again
	ids := make([]string, 0, len(listed))
	for id := range listed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		cur, ok := current[id]
		next := cur
		switch {
		case !ok || !cur.Active:
			// Someone in a department is not thereby a Party member.
			next.UserID, next.Role, next.Status = id, RoleMember, StatusPending
		case cur.Status == StatusLeaving:
			// Back in the address book: their own leaving ends (not one a
			// leader started with 转出); a move to another synced branch is
			// the transfer received.
			t, found := transfers[id]
			if found && (t.BySync || cur.BranchID != branchOf[id]) {
				next.Status = t.Prior
				received = append(received, t)
			}
		}
		if ok && cur.Active && next.BranchID != branchOf[id] {
			next.Group = "" // nor does a 党小组
			if next.Role.Leads() {
				next.Role = RoleMember // a branch role does not move with the member
			}
		}
		next.BranchID, next.Active = branchOf[id], true
		// The address book is the authority on names, but not on what
		// bytes they may carry: invisible and control characters are dropped.
		if name := strings.Map(dropHidden, listed[id].Name); strings.TrimSpace(name) != "" {
			next.Name = strings.TrimSpace(name)
		}
		if !ok || !cur.Active {
			change.Added = append(change.Added, next)
			continue
		}
		classify(&change, cur, ok, next)
	}
	var leaving []Transfer
	for _, branchID := range synced {
		before, known, err := rs.DirectoryListing(ctx, branchID)
		if err != nil {
			return RosterChange{}, fmt.Errorf("bot: last listing of %s: %w", branchID, err)
		}
		if !known {
			continue // the first sync that keeps a listing sees no departures
		}
		for _, id := range before {
			m, ok := current[id]
			if _, still := listed[id]; still || !ok || !m.Active || m.BranchID != branchID {
				continue
			}
			switch m.Status {
			case StatusPending: // never a member: nothing to transfer
				m.Active = false
				change.Departed = append(change.Departed, m)
			case StatusLeaving:
			default:
				leaving = append(leaving, Transfer{UserID: m.UserID, BranchID: branchID, To: "已不在企业通讯录中",
					Since: day, Prior: m.Status, By: actor, BySync: true})
				m.Status = StatusLeaving
				change.Leaving = append(change.Leaving, m)
			}
		}
	}
	// The transfer records go first: a run cut short before the members are
	// saved finds the same departures again (the listing is saved last).
	for _, t := range leaving {
		if err := rs.SaveTransfer(ctx, t); err != nil {
			return RosterChange{}, fmt.Errorf("bot: save transfer: %w", err)
		}
	}
	if err := applyChange(ctx, rs, audit, AuditEntry{At: now, Actor: actor, Action: "roster.sync"}, change, current); err != nil {
		return RosterChange{}, err
	}
	for _, t := range received {
		if err := rs.EndTransfer(ctx, t.BranchID, t.UserID); err != nil {
			return RosterChange{}, fmt.Errorf("bot: end transfer: %w", err)
		}
	}
	for _, branchID := range synced {
		if err := rs.SaveDirectoryListing(ctx, branchID, listing[branchID]); err != nil {
			return RosterChange{}, fmt.Errorf("bot: save listing of %s: %w", branchID, err)
		}
	}
	if len(failed) > 0 {
		return change, &SyncError{Corps: failed}
	}
	return change, nil
}

// listCorp reads one corp's departments for its branches: the users of
// each branch, qualified with the corp. Any failure fails the corp: a
// partial listing would look like departures.
func listCorp(ctx context.Context, dir Directory, corp string, branches []Branch) (map[string][]DirectoryUser, error) {
	if dir == nil {
		return nil, errors.New("no app configured for it")
	}
	out := map[string][]DirectoryUser{}
	for _, b := range branches {
		for _, dept := range b.DepartmentIDs {
			users, err := dir.DepartmentUsers(ctx, dept)
			if err != nil {
				return nil, fmt.Errorf("department %d of branch %s: %w", dept, b.ID, err)
			}
			for _, u := range users {
				id := NormalizeUserID(u.UserID)
				// "@all" and the like would address everyone; a "/" would
				// name another corp.
				if strings.Contains(id, corpSep) || !ValidUserID(id) {
					continue
				}
				u.UserID = MemberID(corp, id)
				out[b.ID] = append(out[b.ID], u)
			}
		}
	}
	return out, nil
}

// transfersOf indexes the branches' open transfers by userid.
func transfersOf(ctx context.Context, rs TransferStore, branchIDs []string) (map[string]Transfer, error) {
	out := map[string]Transfer{}
	for _, id := range branchIDs {
		ts, err := rs.Transfers(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("bot: transfers of %s: %w", id, err)
		}
		for _, t := range ts {
			out[t.UserID] = t
		}
	}
	return out, nil
}

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
				if !ValidUserID(u.UserID) {
					continue // never a member: "@all" and the like would address everyone
				}
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
		if ok && next.BranchID != branchOf[id] {
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

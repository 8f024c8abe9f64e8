package bot

import (
	"context"
	"fmt"
	"regexp"
	"slices"
)

// Role is what a member may do beyond their own records.
type Role string

// Roles, from least to most reach.
const (
	RoleMember    Role = "member"
	RoleSecretary Role = "secretary"
	RoleAdmin     Role = "admin"
)

// Org is the organisation: its branches and org-wide admins.
type Org struct {
	Name     string
	Admins   []string
	Branches []Branch
}

// Branch is one Party branch (党支部).
type Branch struct {
	ID          string // short, stable; used inside Redis hash tags
	Name        string
	Secretaries []string
	Members     []string // secretaries are members too
	ChatID      string   // optional app group chat
}

// Member is a registered Party member as the bot sees them.
type Member struct {
	UserID   string
	Name     string
	BranchID string
	Role     Role
}

// Roster finds members. Member returns found=false for a userid that is not
// registered; err is reserved for failures of the backing store.
type Roster interface {
	Member(ctx context.Context, userID string) (m Member, found bool, err error)
}

// branchIDPattern keeps branch ids safe inside Redis keys and hash tags.
var branchIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate checks the org for mistakes an operator can make in a config file.
// Messages name the offending field the way the config file spells it.
func (o Org) Validate() error {
	if len(o.Branches) == 0 {
		return fmt.Errorf("org.branches: at least one branch is required")
	}
	seenBranch := map[string]bool{}
	memberOf := map[string]string{}
	for i, b := range o.Branches {
		field := fmt.Sprintf("org.branches[%d]", i)
		if !branchIDPattern.MatchString(b.ID) {
			return fmt.Errorf("%s.id: %q must be 1-32 of a-z, 0-9, '_' or '-', starting with a letter or digit", field, b.ID)
		}
		if seenBranch[b.ID] {
			return fmt.Errorf("%s.id: %q is used by another branch", field, b.ID)
		}
		seenBranch[b.ID] = true
		if b.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if len(b.Members) == 0 {
			return fmt.Errorf("%s.members: at least one member is required", field)
		}
		for _, u := range b.Members {
			if u == "" {
				return fmt.Errorf("%s.members: empty userid", field)
			}
			if other, dup := memberOf[u]; dup {
				return fmt.Errorf("%s.members: %s is already a member of branch %s", field, u, other)
			}
			memberOf[u] = b.ID
		}
		for _, s := range b.Secretaries {
			if !slices.Contains(b.Members, s) {
				return fmt.Errorf("%s.secretaries: %s is not listed in members", field, s)
			}
		}
	}
	return nil
}

// StaticRoster is a Roster read from the org configuration.
type StaticRoster struct {
	members map[string]Member
}

var _ Roster = (*StaticRoster)(nil)

// NewStaticRoster indexes the org's members. Call Org.Validate first.
func NewStaticRoster(o Org) *StaticRoster {
	r := &StaticRoster{members: map[string]Member{}}
	for _, b := range o.Branches {
		for _, u := range b.Members {
			role := RoleMember
			if slices.Contains(b.Secretaries, u) {
				role = RoleSecretary
			}
			if slices.Contains(o.Admins, u) {
				role = RoleAdmin
			}
			r.members[u] = Member{UserID: u, Name: u, BranchID: b.ID, Role: role}
		}
	}
	// Admins of the party committee need not belong to a branch.
	for _, u := range o.Admins {
		if _, ok := r.members[u]; !ok {
			r.members[u] = Member{UserID: u, Name: u, Role: RoleAdmin}
		}
	}
	return r
}

// Member implements Roster.
func (r *StaticRoster) Member(_ context.Context, userID string) (Member, bool, error) {
	m, ok := r.members[userID]
	return m, ok, nil
}

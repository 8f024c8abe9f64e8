package bot

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Role is what a member may do beyond their own records.
type Role string

// Roles. Secretaries and committee members (支委) act within their branch;
// admins (党委管理员) across the org.
const (
	RoleMember    Role = "member"
	RoleSecretary Role = "secretary"
	RoleCommittee Role = "committee"
	RoleAdmin     Role = "admin"
)

// roleWords maps every accepted spelling to a role.
var roleWords = map[string]Role{
	"member": RoleMember, "党员": RoleMember, "": RoleMember,
	"secretary": RoleSecretary, "书记": RoleSecretary, "支部书记": RoleSecretary,
	"committee": RoleCommittee, "支委": RoleCommittee, "支委委员": RoleCommittee,
	"admin": RoleAdmin, "管理员": RoleAdmin, "党委管理员": RoleAdmin,
}

// ParseRole accepts member/secretary/committee/admin and 党员/书记/支委/管理员.
func ParseRole(s string) (Role, bool) {
	r, ok := roleWords[strings.ToLower(strings.TrimSpace(s))]
	return r, ok
}

// Label is the role's Chinese name.
func (r Role) Label() string {
	switch r {
	case RoleSecretary:
		return "书记"
	case RoleCommittee:
		return "支委"
	case RoleAdmin:
		return "管理员"
	}
	return "党员"
}

// Status is a member's Party standing.
type Status string

// Statuses. A member with none given (listed in the config, imported
// without one, or written by a release before statuses mattered) is a
// 正式党员: StatusUnknown reads as StatusFull everywhere.
//
// Pending and Leaving are on the branch's list but do not count: no
// reminders, no quorum, no summaries or warnings. Pending is someone the
// address book sync found in a department, who may well not be a Party
// member at all (群众), until a leader confirms them. Leaving is a member
// whose 组织关系 is being transferred out: the old branch stays responsible
// until the other side has received it (党员教育管理工作条例).
const (
	StatusFull         Status = "正式党员"
	StatusProbationary Status = "预备党员"
	StatusUnknown      Status = ""
	StatusPending      Status = "待确认"
	StatusLeaving      Status = "待转出"
)

// Full reports whether the status is 正式党员 (none given counts as one).
func (s Status) Full() bool { return s == StatusFull || s == StatusUnknown }

// Label is the status as 名单 shows it.
func (s Status) Label() string {
	if s.Full() {
		return string(StatusFull)
	}
	return string(s)
}

// ParseStatus accepts 正式党员/预备党员 (also 正式/预备, full/probationary) or empty.
func ParseStatus(s string) (Status, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "正式党员", "正式", "full":
		return StatusFull, true
	case "预备党员", "预备", "probationary":
		return StatusProbationary, true
	case "":
		return StatusUnknown, true
	}
	return "", false
}

// Counts reports whether m is a member in good standing: active and
// neither 待确认 nor 待转出. Only they get reminders, are expected at
// meetings and count in quorums, summaries and warnings.
func (m Member) Counts() bool {
	return m.Active && m.Status != StatusPending && m.Status != StatusLeaving
}

// Votes reports whether m may vote at a 党员大会: a 正式党员 in good
// standing; 预备党员 attend but do not vote (党章 第七条, 支部工作条例 第11条).
func (m Member) Votes() bool { return m.Counts() && m.Status.Full() }

// Enrolled reports whether m is on a branch's books: counted, or leaving
// but not yet received elsewhere. Their records belong to the branch, and
// the ledger lists them for the days they were enrolled.
func (m Member) Enrolled() bool {
	return m.Active && m.BranchID != "" && m.Status != StatusPending
}

// Org is the organisation as configured: its branches, their seed members
// and the org-wide admins.
type Org struct {
	Name     string
	Admins   []string
	Branches []Branch
	// Companies are the corps the org spans, the home corp (ID "") first;
	// one entry for a single-corp install. Names are for the 成绩单.
	Companies []Company
}

// Branch is one Party branch (党支部).
type Branch struct {
	ID     string // short, stable; used inside Redis hash tags
	Name   string
	ChatID string // optional app group chat ("corp/chatid" for a chat of another corp's app)
	// Company is the corps entry a single-company branch belongs to ("" the
	// home corp, or a joint branch whose members come from several).
	Company       string
	Robot         bool  // a group robot webhook is configured (the key stays in the config)
	DuesDay       int   // the day of the month 党费 is collected; 0 means DefaultDuesDay
	DepartmentIDs []int // WeCom departments whose users belong here (roster sync)
	Since         Date  // the day the bot first knew the branch; nothing before is "overdue"
	Retired       bool  // removed from the config: no jobs, records kept
	// Groups names the branch's 党小组 in the config's order; members say
	// which one they belong to (Member.Group). Empty: groups, if any, come
	// from the roster import alone.
	Groups []string
	// Cadence overrides, per meeting type, what the branch owes; NotRequired
	// says it owes none of that type. Types it does not name are derived
	// from the branch's structure (see duties).
	Cadence map[MeetingType]Cadence

	// Seed lists, used only from the config: Redis keeps roles on members.
	Secretaries []string
	Committee   []string
	Members     []string
	// GroupMembers maps a 党小组 to the userids the config puts in it.
	GroupMembers map[string][]string
}

// Member is a registered Party member as the bot sees them.
type Member struct {
	UserID   string `json:"userid"`
	Name     string `json:"name"`
	BranchID string `json:"branch"` // empty only for admins outside every branch
	Role     Role   `json:"role"`
	Status   Status `json:"status,omitempty"`
	Joined   Date   `json:"joined,omitzero"` // when known
	Group    string `json:"group,omitempty"` // the 党小组 within the branch; "" for none
	Active   bool   `json:"active"`          // false once they left; history stays
}

// NormalizeUserID is the one spelling of a userid the bot stores and
// compares: WeCom treats userids case-insensitively (its API answers in
// lower case), so "LiSi" and "lisi" are one member.
func NormalizeUserID(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// DisplayName is the name, or the userid when no name is known.
// It is Plain: names come from imports and the address book.
func (m Member) DisplayName() string {
	if name := Plain(m.Name); name != "" {
		return name
	}
	return m.UserID
}

// Roster finds members and branches. Lookups return found=false for what
// does not exist; err is reserved for failures of the backing store.
type Roster interface {
	Member(ctx context.Context, userID string) (m Member, found bool, err error)
	Branch(ctx context.Context, id string) (b Branch, found bool, err error)
	Branches(ctx context.Context) ([]Branch, error)
	// BranchMembers lists a branch's active members, ordered by userid.
	BranchMembers(ctx context.Context, branchID string) ([]Member, error)
	// BranchMembersMany is BranchMembers of several branches, in one
	// round trip once their rosters are built.
	BranchMembersMany(ctx context.Context, branchIDs []string) (map[string][]Member, error)
	// AllMembers lists every member, active or not.
	AllMembers(ctx context.Context) ([]Member, error)
	// Admins lists the active admins.
	Admins(ctx context.Context) ([]Member, error)
}

// branchIDPattern keeps branch ids safe inside Redis keys and hash tags.
var branchIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidBranchID reports whether id may name a branch.
func ValidBranchID(id string) bool { return branchIDPattern.MatchString(id) }

// Validate checks the org for mistakes an operator can make in a config file.
// Messages name the offending field the way the config file spells it.
func (o Org) Validate() error {
	if len(o.Branches) == 0 {
		return fmt.Errorf("org.branches: at least one branch is required")
	}
	for _, u := range o.Admins {
		if !ValidUserID(NormalizeUserID(u)) {
			return fmt.Errorf("org.admins: %q is not a WeCom userid (letters, digits, _ . - @, not starting with @)", u)
		}
	}
	companies := map[string]bool{"": true}
	for _, c := range o.Companies {
		companies[c.ID] = true
	}
	knownCorp := func(id string) bool { return len(o.Companies) == 0 || companies[CorpOf(NormalizeUserID(id))] }
	for _, u := range o.Admins {
		if !knownCorp(u) {
			return fmt.Errorf("org.admins: %q names a corp that is not in corps", u)
		}
	}
	seenBranch := map[string]bool{}
	memberOf := map[string]string{}
	deptOf := map[string]string{} // departments are numbered per corp
	for i, b := range o.Branches {
		field := fmt.Sprintf("org.branches[%d]", i)
		if !ValidBranchID(b.ID) {
			return fmt.Errorf("%s.id: %q must be 1-32 of a-z, 0-9, '_' or '-', starting with a letter or digit", field, b.ID)
		}
		if seenBranch[b.ID] {
			return fmt.Errorf("%s.id: %q is used by another branch", field, b.ID)
		}
		seenBranch[b.ID] = true
		if b.Name == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		for _, u := range b.Members {
			if !ValidUserID(NormalizeUserID(u)) {
				return fmt.Errorf("%s.members: %q is not a WeCom userid (letters, digits, _ . - @, not starting with @)", field, u)
			}
			if !knownCorp(u) {
				return fmt.Errorf("%s.members: %q names a corp that is not in corps", field, u)
			}
			if other, dup := memberOf[NormalizeUserID(u)]; dup {
				return fmt.Errorf("%s.members: %s is already a member of branch %s", field, u, other)
			}
			memberOf[NormalizeUserID(u)] = b.ID
		}
		for _, list := range []struct {
			name  string
			users []string
		}{{"secretaries", b.Secretaries}, {"committee", b.Committee}} {
			for _, u := range list.users {
				if !slices.ContainsFunc(b.Members, func(m string) bool { return NormalizeUserID(m) == NormalizeUserID(u) }) {
					return fmt.Errorf("%s.%s: %s is not listed in members", field, list.name, u)
				}
			}
		}
		if err := b.validateGroups(field); err != nil {
			return err
		}
		if b.Company != "" && !companies[b.Company] {
			return fmt.Errorf("%s.company: %q is not the id of a corps entry", field, b.Company)
		}
		for _, d := range b.DepartmentIDs {
			key := b.Company + corpSep + strconv.Itoa(d)
			if other, dup := deptOf[key]; dup {
				return fmt.Errorf("%s.department_ids: department %d already maps to branch %s", field, d, other)
			}
			deptOf[key] = b.ID
		}
	}
	return nil
}

// maxGroupName bounds a 党小组's name (runes): it is typed in 会议 党小组会.
const maxGroupName = 20

// ValidGroupName reports whether name may name a 党小组: one word (it is
// typed after 会议 党小组会), visible characters, at most 20 of them.
func ValidGroupName(name string) bool {
	n := len([]rune(name))
	return n > 0 && n <= maxGroupName && !strings.ContainsFunc(name, unicode.IsSpace) && !HasHiddenRunes(name)
}

// validateGroups checks a branch's 党小组: named once, each member of the
// branch in at most one.
func (b Branch) validateGroups(field string) error {
	seen := map[string]bool{}
	for _, g := range b.Groups {
		if !ValidGroupName(g) {
			return fmt.Errorf("%s.groups: %q is not a 党小组 name (1-%d visible characters, no spaces)", field, g, maxGroupName)
		}
		if seen[g] {
			return fmt.Errorf("%s.groups: %s is listed twice", field, g)
		}
		seen[g] = true
	}
	groupOf := map[string]string{}
	for _, g := range slices.Sorted(maps.Keys(b.GroupMembers)) {
		if !seen[g] {
			return fmt.Errorf("%s.groups: members given for %s, which is not a group of the branch", field, g)
		}
		for _, u := range b.GroupMembers[g] {
			id := NormalizeUserID(u)
			if !slices.ContainsFunc(b.Members, func(m string) bool { return NormalizeUserID(m) == id }) {
				return fmt.Errorf("%s.groups[%s].members: %s is not listed in members", field, g, u)
			}
			if other, dup := groupOf[id]; dup {
				return fmt.Errorf("%s.groups[%s].members: %s is already in %s", field, g, u, other)
			}
			groupOf[id] = g
		}
	}
	return nil
}

// SeedMembers lists the members the config names, with their roles.
func (o Org) SeedMembers() []Member {
	in := func(list []string, u string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return NormalizeUserID(x) == u })
	}
	var out []Member
	seen := map[string]bool{}
	for _, b := range o.Branches {
		for _, raw := range b.Members {
			u := NormalizeUserID(raw)
			m := Member{UserID: u, BranchID: b.ID, Role: RoleMember, Active: true}
			for g, users := range b.GroupMembers {
				if in(users, u) {
					m.Group = g
				}
			}
			switch {
			case in(o.Admins, u):
				m.Role = RoleAdmin
			case in(b.Secretaries, u):
				m.Role = RoleSecretary
			case in(b.Committee, u):
				m.Role = RoleCommittee
			}
			out = append(out, m)
			seen[u] = true
		}
	}
	// Admins of the party committee need not belong to a branch.
	for _, raw := range o.Admins {
		if u := NormalizeUserID(raw); !seen[u] {
			out = append(out, Member{UserID: u, Role: RoleAdmin, Active: true})
			seen[u] = true
		}
	}
	return out
}

package bot_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// failingDirectory is an address book that cannot be read (60020: the
// corp's app lacks the server's trusted IP).
type failingDirectory struct{}

func (failingDirectory) DepartmentUsers(context.Context, int) ([]bot.DirectoryUser, error) {
	return nil, errors.New("errcode 60020: not allow to access from your ip")
}

// TestSyncRunsPerCorp: each corp's branches are read from that corp's
// address book (department 1 of each corp is a different department), its
// userids qualified with it; one corp's sync, or its failure, changes
// nothing of another corp's members.
func TestSyncRunsPerCorp(t *testing.T) {
	_, s := newDomain(t, time.Date(2026, 11, 20, 9, 0, 0, 0, cst))
	ctx := t.Context()
	err := s.SaveBranches(ctx, []bot.Branch{
		{ID: "joint", Name: "青年创客联合党支部", DepartmentIDs: []int{1}},
		{ID: "pco", Name: "合作公司党支部", Company: "partner", DepartmentIDs: []int{1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A partner member placed in the joint branch by hand: no sync lists them.
	if err := s.SaveMembers(ctx, []bot.Member{{UserID: "partner/x1", Name: "手工", BranchID: "joint", Role: bot.RoleMember, Status: bot.StatusFull, Active: true}}); err != nil {
		t.Fatal(err)
	}
	home := departments{1: {{UserID: "sec1", Name: "书记一"}, {UserID: "u1", Name: "家一"}, {UserID: "partner/b1", Name: "冒名"}}}
	partner := departments{1: {{UserID: "b1", Name: "周波"}, {UserID: "U1", Name: "吴一"}}}
	sync := func(dirs bot.Directories) (bot.RosterChange, error) {
		return bot.SyncRoster(ctx, s, dirs, s, "cli:test", time.Now())
	}
	member := func(id string) bot.Member {
		t.Helper()
		m, found, err := s.Member(ctx, id)
		if err != nil || !found {
			t.Fatalf("member %s: %v %v", id, found, err)
		}
		return m
	}
	expect := func(id, branch string, active bool, name string) {
		t.Helper()
		if m := member(id); m.BranchID != branch || m.Active != active || m.Name != name {
			t.Fatalf("%s: %+v, want branch %s active %v name %s", id, m, branch, active, name)
		}
	}

	change, err := sync(bot.Directories{"": home, "partner": partner})
	if err != nil {
		t.Fatal(err)
	}
	if len(change.Added) != 4 {
		t.Fatalf("added %+v, want sec1, u1, partner/b1, partner/u1", change.Added)
	}
	expect("u1", "joint", true, "家一")
	expect("partner/u1", "pco", true, "吴一")
	expect("partner/b1", "pco", true, "周波") // the home corp's address book cannot name a partner member
	expect("partner/x1", "joint", true, "手工")

	// u1 leaves the home corp: the partner's u1 is another person.
	home[1] = home[1][:1]
	if _, err := sync(bot.Directories{"": home, "partner": partner}); err != nil {
		t.Fatal(err)
	}
	expect("u1", "joint", false, "家一") // still 待确认: simply gone
	expect("partner/u1", "pco", true, "吴一")
	expect("partner/x1", "joint", true, "手工")

	// The partner's address book cannot be read: its branch is left as it
	// is, the home corp's is synced, and the error names the partner.
	home[1] = append(home[1], bot.DirectoryUser{UserID: "u2", Name: "家二"})
	for name, dirs := range map[string]bot.Directories{
		"unreadable": {"": home, "partner": failingDirectory{}},
		"no app":     {"": home},
	} {
		change, err = sync(dirs)
		var se *bot.SyncError
		if !errors.As(err, &se) || len(se.Corps) != 1 || se.Corps["partner"] == nil {
			t.Fatalf("%s: err %v, want a SyncError naming partner", name, err)
		}
		expect("u2", "joint", true, "家二")
		expect("partner/u1", "pco", true, "吴一")
		expect("partner/b1", "pco", true, "周波")
	}
	if len(change.Added) != 0 || len(change.Leaving)+len(change.Departed) != 0 {
		t.Fatalf("second failing sync changed %+v", change)
	}
	// Every corp unreadable: nothing is written.
	if _, err := sync(bot.Directories{"": failingDirectory{}}); err == nil {
		t.Fatal("a sync with no corp readable succeeded")
	}
}

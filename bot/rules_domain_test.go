package bot_test

// Rules that hold (issue #22): what a branch owes follows its structure
// (a 支委会 only with a committee, a 党小组会 per 党小组), a meeting counts
// only for those expected at it, and an election needs four fifths.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// groupsOfTech puts tech's members in two 党小组: the secretary, 甲 and 乙
// in 第一党小组; the 支委 and 丙 in 第二党小组.
var groupsOfTech = map[string]string{"sec": "第一党小组", "m1": "第一党小组", "m2": "第一党小组", "com": "第二党小组", "m3": "第二党小组"}

// setUp changes the world's branches and members before a test.
func (w *world) setUp(branch func(*bot.Branch), member func(*bot.Member)) {
	w.t.Helper()
	ctx := w.t.Context()
	branches := slices.Clone(orgBranches)
	members := slices.Clone(orgMembers)
	for i := range branches {
		if branch != nil {
			branch(&branches[i])
		}
	}
	for i := range members {
		if member != nil {
			member(&members[i])
		}
	}
	if err := w.s.SaveBranches(ctx, branches); err != nil {
		w.t.Fatal(err)
	}
	if err := w.s.SaveMembers(ctx, members); err != nil {
		w.t.Fatal(err)
	}
}

func inTechGroups(m *bot.Member) { m.Group = groupsOfTech[m.UserID] }

func TestDutiesFollowTheBranchStructure(t *testing.T) {
	t.Parallel()
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, beijing)
	sevenFull := func(m *bot.Member) {
		if m.BranchID == "tech" {
			m.BranchID, m.Role = "ops", bot.RoleMember // ops: ops1 + ops2 + these five
			m.Status = bot.StatusFull
		}
	}
	override := func(id string, typ bot.MeetingType, c bot.Cadence) func(*bot.Branch) {
		return func(b *bot.Branch) {
			if b.ID == id {
				b.Cadence = map[bot.MeetingType]bot.Cadence{typ: c}
			}
		}
	}
	tests := []struct {
		name   string
		branch string
		setUp  func(*bot.Branch)
		member func(*bot.Member)
		owed   []string // monthly obligations, in order
		say    []string // in 进度
	}{
		{"a secretary, no committee, no groups", "ops", nil, nil,
			[]string{"主题党日"},
			[]string{"支委会：本支部未设支委会，不需召开", "党小组会：本支部未设党小组，不需召开"}},
		{"seven 正式党员 and no 支委 named: a hint", "ops", nil, sevenFull,
			[]string{"主题党日"},
			[]string{"支委会：本支部未设支委会，不需召开（正式党员 7 人以上应选举支部委员会，请在名册中标注支委）"}},
		{"a committee", "tech", nil, nil,
			[]string{"支委会", "主题党日"},
			[]string{"本月：支委会 ⏳待开（11月30日前）；主题党日 ⏳待开（11月30日前）", "党小组会：本支部未设党小组，不需召开"}},
		{"a committee the branch says does not meet", "tech", override("tech", bot.MeetingCommittee, bot.NotRequired), nil,
			[]string{"主题党日"},
			[]string{"支委会：按本支部设置，不需召开"}},
		{"a small branch that holds a 支委会 anyway", "ops", override("ops", bot.MeetingCommittee, bot.Monthly), nil,
			[]string{"支委会", "主题党日"},
			[]string{"本月：支委会 ⏳待开（11月30日前）"}},
		{"two 党小组, each owes its own", "tech", nil, inTechGroups,
			[]string{"支委会", "党小组会（第一党小组）", "党小组会（第二党小组）", "主题党日"},
			[]string{"党小组会（第一党小组） ⏳待开（11月30日前）；党小组会（第二党小组） ⏳待开（11月30日前）", "逾期未开：上月支委会、上月党小组会（第一党小组）、上月党小组会（第二党小组）"}},
		{"configured order wins over names", "tech", func(b *bot.Branch) { b.Groups = []string{"第二党小组", "第一党小组"} }, inTechGroups,
			[]string{"支委会", "党小组会（第二党小组）", "党小组会（第一党小组）", "主题党日"}, nil},
		{"a branch-wide 党小组会 by override, without groups", "tech", override("tech", bot.MeetingGroup, bot.Monthly), nil,
			[]string{"支委会", "党小组会", "主题党日"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, monday)
			w.setUp(tc.setUp, tc.member)
			obs, err := w.b.Obligations(t.Context(), tc.branch, monday)
			if err != nil {
				t.Fatal(err)
			}
			var owed []string
			for _, o := range obs {
				if o.Cadence == bot.Monthly {
					owed = append(owed, o.Label())
				}
			}
			if !slices.Equal(owed, tc.owed) {
				t.Fatalf("monthly obligations %v, want %v", owed, tc.owed)
			}
			from := map[string]string{"tech": "sec", "ops": "ops1"}[tc.branch]
			wantHas(t, w.say(from, "进度"), tc.say...)
		})
	}
}

// A 党小组会 is its group's: announced to it, its record lists it, 进度
// counts it for that group only; 名单 shows the groups.
func TestGroupMeeting(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.setUp(func(b *bot.Branch) {
		if b.ID == "tech" {
			b.Groups = []string{"第一党小组", "第二党小组"}
		}
	}, inTechGroups)

	wantText(t, w.say("sec", "名单"), "技术党支部 共 5 人，2 个党小组：\n第一党小组（3 人）：甲、乙、书记（书记）\n第二党小组（2 人）：支委（支委）［预备］、丙")

	// The opener's own group, unless another is named.
	r := w.say("sec", "会议 党小组会 学习党章")
	wantText(t, r, "已开启 党小组会（第一党小组）「学习党章」\n签到码：2468（12:00 前有效）\n已通知第一党小组 2 名党员。会后发送“结束会议”查看到会情况。")
	if len(r.Notices) != 2 || !slices.Equal(r.Notices[0].To, []string{"m1", "m2"}) {
		t.Fatalf("notices %+v, want the group only", r.Notices)
	}
	w.say("m1", "签到 2468")
	w.say("m3", "签到 2468") // of the other group: a guest, not counted
	wantText(t, w.say("sec", "结束会议"), "党小组会（第一党小组）「学习党章」 已结束（11月20日 10:00–10:00）\n"+
		"到会 3 人：甲、丙、书记（主持）\n请假 0 人：无\n缺席 1 人：乙\n第一党小组应到 3 人，实到 2 人")

	w.now = friday.Add(3 * time.Hour)
	r = w.say("com", "会议 党小组会 第一党小组 补课")
	wantHas(t, r, "已开启 党小组会（第一党小组）「补课」")
	w.say("com", "结束会议")
	progress := w.say("sec", "进度")
	wantHas(t, progress, "党小组会（第一党小组） ✅2次；党小组会（第二党小组） ⏳待开（11月30日前）")

	// Someone in no group must name one.
	w.setUp(func(b *bot.Branch) {
		if b.ID == "tech" {
			b.Groups = []string{"第一党小组", "第二党小组"}
		}
	}, func(m *bot.Member) {
		if m.UserID != "sec" {
			inTechGroups(m)
		}
	})
	wantText(t, w.say("sec", "会议 党小组会"), "本支部有党小组：第一党小组、第二党小组。请写明是哪个党小组的会：会议 党小组会 第一党小组 [标题]")
	if _, open, _ := w.s.OpenMeetingOf(t.Context(), "tech"); open {
		t.Fatal("a 党小组会 of no group was opened in a branch with groups")
	}
}

// The six-month warning counts a month as missed only when the member was
// expected at a meeting held in it (党章 第九条).
func TestRisksCountOnlyMeetingsExpectedAt(t *testing.T) {
	t.Parallel()
	fire := time.Date(2026, 12, 1, 9, 0, 0, 0, beijing)
	type held struct {
		typ     bot.MeetingType
		group   string
		present []string
	}
	tests := []struct {
		name string
		held []held // each in October and in November
		want map[string]int
	}{
		{"only 支委会: ordinary members missed nothing", []held{{bot.MeetingCommittee, "", []string{"sec"}}},
			map[string]int{"sec": 0, "com": 2, "m1": 0, "m2": 0, "m3": 0}},
		{"one group's 党小组会: the other group missed nothing", []held{{bot.MeetingGroup, "第一党小组", []string{"sec", "m1"}}},
			map[string]int{"sec": 0, "m1": 0, "m2": 2, "com": 0, "m3": 0}},
		{"a 党课: everyone is expected", []held{{bot.MeetingLecture, "", []string{"sec", "m1"}}},
			map[string]int{"sec": 0, "m1": 0, "m2": 2, "com": 2, "m3": 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, fire)
			w.setUp(nil, inTechGroups)
			for _, month := range []time.Month{10, 11} {
				for i, h := range tc.held {
					at := time.Date(2026, month, 10+i, 15, 0, 0, 0, beijing)
					m := bot.Meeting{ID: fmt.Sprintf("%d-%d", month, i), BranchID: "tech", Type: h.typ, Group: h.group, Code: "1", OpenedBy: "sec", OpenedAt: at, ExpiresAt: at.Add(time.Hour)}
					if _, _, err := w.s.OpenMeeting(t.Context(), m); err != nil {
						t.Fatal(err)
					}
					for _, u := range h.present {
						if _, _, err := w.s.RecordAttendance(t.Context(), "tech", m.ID, bot.Attendance{UserID: u, Status: bot.Present, At: at, Via: "code"}); err != nil {
							t.Fatal(err)
						}
					}
					m.ClosedBy, m.ClosedAt = "sec", at.Add(time.Hour)
					if _, err := w.s.CloseMeeting(t.Context(), m); err != nil {
						t.Fatal(err)
					}
				}
			}
			risks, err := w.b.Risks(t.Context(), orgBranches[0], fire)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, r := range risks {
				got[r.Member.UserID] = r.NoMeeting
			}
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s: %d months without organisational life, want %d (all: %v)", id, got[id], want, got)
				}
			}
		})
	}
}

// An election (选举, 换届, 补选) at a 党员大会 is valid only with more than
// four fifths of the voters present; other business needs more than half.
func TestElectionQuorum(t *testing.T) {
	t.Parallel()
	// tech's voters: sec, m1, m2, m3 (the 支委 is probationary).
	tests := []struct {
		title   string
		present []string
		verdict string
		counts  bool
	}{
		{"十一月例会", []string{"m1", "m2"}, "有表决权的党员应到 4 人，实到 3 人：✅ 超过半数，会议有效", true},
		{"支部委员会换届选举", []string{"m1", "m2"}, "有表决权的党员应到 4 人，实到 3 人：⚠️ 未超过五分之四，选举无效（选举须有超过应到人数五分之四的党员到会）", false},
		{"补选支委", []string{"m1", "m2", "m3"}, "有表决权的党员应到 4 人，实到 4 人：✅ 超过五分之四，选举有效", true},
	}
	for _, tc := range tests {
		t.Run(tc.title, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, friday)
			w.say("sec", "会议 党员大会 "+tc.title)
			for _, u := range tc.present {
				w.say(u, "签到 2468")
			}
			r := w.say("sec", "结束会议")
			wantHas(t, r, tc.verdict)
			if tc.counts == strings.Contains(r.Text, "本次不计入三会一课完成情况") {
				t.Fatalf("counts = %v, but the record says:\n%s", tc.counts, r.Text)
			}
			if !tc.counts {
				wantHas(t, r, "⚠️ 选举未达应到人数的五分之四，本次不计入三会一课完成情况。")
			}
		})
	}
}

// The config's 党小组 lists set members' groups on every start; an import
// refuses a group its branch does not list; a sync that moves a member
// drops their group.
func TestGroupsFromConfigAndImport(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	org := bot.Org{Name: "某某党委", Admins: []string{"boss"}, Branches: []bot.Branch{
		{ID: "tech", Name: "技术党支部", Members: []string{"sec", "m1", "m2"}, Secretaries: []string{"sec"},
			Groups: []string{"第一党小组", "第二党小组"}, GroupMembers: map[string][]string{"第一党小组": {"sec", "M1"}}},
		{ID: "ops", Name: "运维党支部"}, {ID: "solo", Name: "空支部"},
	}}
	if err := org.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.SeedOrg(ctx, w.s, w.s, friday, org); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"sec": "第一党小组", "m1": "第一党小组", "m2": "", "m3": ""} {
		if m, _, _ := w.s.Member(ctx, id); m.Group != want {
			t.Errorf("%s in %q, want %q", id, m.Group, want)
		}
	}
	if br, _, _ := w.s.Branch(ctx, "tech"); !slices.Equal(br.Groups, []string{"第一党小组", "第二党小组"}) {
		t.Fatalf("stored groups %v", br.Groups)
	}

	rows := []bot.RosterRow{
		{Line: 2, UserID: "m2", Name: "乙", Branch: "tech", Role: "党员", Group: "第二党小组"},
		{Line: 3, UserID: "m3", Name: "丙", Branch: "tech", Role: "党员", Group: "第三党小组"},
	}
	_, err := bot.ImportRoster(ctx, w.s, w.s, "cli:test", friday, rows)
	if err == nil || !strings.Contains(err.Error(), `line 3: group "第三党小组" is not one of branch tech's groups (第一党小组, 第二党小组)`) {
		t.Fatalf("import of an unknown group: %v", err)
	}
	if _, err := bot.ImportRoster(ctx, w.s, w.s, "cli:test", friday, rows[:1]); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := w.s.Member(ctx, "m2"); m.Group != "第二党小组" {
		t.Fatalf("m2 after import %+v", m)
	}

	bad := []struct {
		name string
		br   bot.Branch
		want string
	}{
		{"a space in a name", bot.Branch{Groups: []string{"第一 党小组"}}, `groups: "第一 党小组" is not a 党小组 name`},
		{"twice", bot.Branch{Groups: []string{"一组", "一组"}}, "groups: 一组 is listed twice"},
		{"not a member", bot.Branch{Groups: []string{"一组"}, GroupMembers: map[string][]string{"一组": {"x"}}}, "groups[一组].members: x is not listed in members"},
		{"in two groups", bot.Branch{Members: []string{"x"}, Groups: []string{"一组", "二组"}, GroupMembers: map[string][]string{"一组": {"x"}, "二组": {"X"}}}, "groups[二组].members: X is already in 一组"},
	}
	for _, tc := range bad {
		tc.br.ID, tc.br.Name = "tech", "技术党支部"
		if err := (bot.Org{Branches: []bot.Branch{tc.br}}).Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestParseMeetingTypeAndBranchCadence(t *testing.T) {
	t.Parallel()
	types := map[string]bot.MeetingType{"支委会": bot.MeetingCommittee, "committee": bot.MeetingCommittee, "Group": bot.MeetingGroup,
		"党小组会": bot.MeetingGroup, "theme_day": bot.MeetingThemeDay, "支部大会": bot.MeetingGeneral, "其他": "", "会餐": ""}
	for in, want := range types {
		if got, ok := bot.ParseMeetingType(in); ok != (want != "") || (ok && got != want) {
			t.Errorf("ParseMeetingType(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	cadences := map[string]bot.Cadence{"none": bot.NotRequired, "不召开": bot.NotRequired, "monthly": bot.Monthly, "每季度": bot.Quarterly, "weekly": 0}
	for in, want := range cadences {
		if got, ok := bot.ParseBranchCadence(in); ok != (want != 0) || got != want {
			t.Errorf("ParseBranchCadence(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	if _, ok := bot.ParseCadence("none"); ok {
		t.Error("the org-wide 党课 cadence accepts none")
	}
}

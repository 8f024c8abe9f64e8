package bot_test

// Who counts (issue #22, items 6, 8 and 9): the address book sync holds
// new people as 待确认 until a leader confirms them, and those who leave
// become 待转出 rather than vanish; 转出, 转出 完成, 转入 and 确认; the
// ledger of a past period lists everyone who was a member then; and data
// of the previous release reads as before.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// departments is an address book by department.
type departments map[int][]bot.DirectoryUser

func (d departments) DepartmentUsers(_ context.Context, id int) ([]bot.DirectoryUser, error) {
	return d[id], nil
}

func people(ids ...string) []bot.DirectoryUser {
	out := make([]bot.DirectoryUser, len(ids))
	for i, id := range ids {
		out[i] = bot.DirectoryUser{UserID: id, Name: "名" + id}
		if j := slices.IndexFunc(orgMembers, func(m bot.Member) bool { return m.UserID == id }); j >= 0 {
			out[i].Name = orgMembers[j].Name // as the fixtures have it
		}
	}
	return out
}

// syncTech makes tech a synced branch (department 1).
func syncTech(t *testing.T, w *world) {
	t.Helper()
	tech := orgBranches[0]
	tech.DepartmentIDs = []int{1}
	if err := w.s.SaveBranches(t.Context(), []bot.Branch{tech}); err != nil {
		t.Fatal(err)
	}
}

func (w *world) sync(dir departments) bot.RosterChange {
	w.t.Helper()
	change, err := bot.SyncRoster(w.t.Context(), w.s, bot.Directories{"": dir}, w.s, "cli:test", w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	return change
}

func (w *world) member(id string) bot.Member {
	w.t.Helper()
	m, found, err := w.s.Member(w.t.Context(), id)
	if err != nil || !found {
		w.t.Fatalf("member %s: found=%v err=%v", id, found, err)
	}
	return m
}

func (w *world) counted(branch string) []string {
	w.t.Helper()
	ms, err := w.s.BranchMembers(w.t.Context(), branch)
	if err != nil {
		w.t.Fatal(err)
	}
	return userIDs(ms)
}

func TestMemberStanding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status                  bot.Status
		active                  bool
		counts, votes, enrolled bool
	}{
		{bot.StatusFull, true, true, true, true},
		{bot.StatusUnknown, true, true, true, true}, // none given: 正式党员
		{bot.StatusProbationary, true, true, false, true},
		{bot.StatusPending, true, false, false, false},
		{bot.StatusLeaving, true, false, false, true},
		{bot.StatusFull, false, false, false, false},
	}
	for _, tc := range tests {
		m := bot.Member{UserID: "x", BranchID: "tech", Status: tc.status, Active: tc.active}
		if m.Counts() != tc.counts || m.Votes() != tc.votes || m.Enrolled() != tc.enrolled {
			t.Errorf("%q active=%v: counts %v votes %v enrolled %v, want %v %v %v", tc.status, tc.active,
				m.Counts(), m.Votes(), m.Enrolled(), tc.counts, tc.votes, tc.enrolled)
		}
	}
	if bot.StatusUnknown.Label() != "正式党员" || bot.StatusLeaving.Label() != "待转出" {
		t.Fatal("labels")
	}
}

func TestSyncHoldsNewPeopleForConfirmation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	syncTech(t, w)
	// m3 was imported by hand: the department does not list them.
	dept := departments{1: people("sec", "com", "m1", "m2", "qz1", "qz2", "qz3")}
	change := w.sync(dept)
	if len(change.Added) != 3 || !strings.Contains(change.Summary(), "3 to confirm (待确认)") {
		t.Fatalf("first sync: %s", change.Summary())
	}
	if got := w.counted("tech"); !slices.Equal(got, []string{"com", "m1", "m2", "m3", "sec"}) {
		t.Fatalf("tech counts %v: employees of the department are not members", got)
	}
	// Ordinary employees make no 党员大会 quorum: 4 voters (com is 预备).
	wantHas(t, w.say("sec", "会议 党员大会"), "已通知本支部 4 名党员")
	w.say("m1", "签到 2468")
	w.say("m2", "签到 2468")
	wantHas(t, w.say("sec", "结束会议"), "应到 4 人，实到 3 人")
	wantHas(t, w.say("qz1", "签到"), "不在党建助手的党员名册中")

	roster := w.say("sec", "名单")
	wantHas(t, roster, "技术党支部 共 5 人", "待确认 3 人", "名qz1 @qz1", "确认 @userid 正式党员")
	wantHas(t, w.say("m1", "确认 @qz1 正式党员"), "只有支部书记、支委或党委管理员可以使用")
	wantHas(t, w.say("ops1", "确认 @qz1 正式党员"), "只有对方所在支部的书记")
	wantHas(t, w.say("sec", "确认 @qz1 党员"), "用法：确认 @userid 正式党员")
	wantText(t, w.say("sec", "确认 @qz1 预备党员"), "已确认 名qz1 为预备党员，此后计入提醒、会议和统计。")
	if m := w.member("qz1"); m.Status != bot.StatusProbationary || !slices.Contains(w.counted("tech"), "qz1") {
		t.Fatalf("qz1 after 确认: %+v", m)
	}
	if !w.audited("member.confirm", "qz1", "待确认 → 预备党员") {
		t.Fatal("确认 is not audited")
	}
	wantHas(t, w.say("sec", "确认 @m1 正式党员"), "甲 已是正式党员，无需确认")

	// m2 and qz2 leave the company; m3, never listed, is left alone.
	change = w.sync(departments{1: people("sec", "com", "m1", "qz1", "qz3")})
	if len(change.Leaving) != 1 || change.Leaving[0].UserID != "m2" || len(change.Departed) != 1 || change.Departed[0].UserID != "qz2" {
		t.Fatalf("second sync: %s", change.Summary())
	}
	if m := w.member("m2"); !m.Active || m.Status != bot.StatusLeaving {
		t.Fatalf("m2 after leaving the address book: %+v", m)
	}
	if m := w.member("m3"); !m.Active || m.Status != bot.StatusFull {
		t.Fatalf("m3, imported by hand, after two syncs: %+v", m)
	}
	if got := w.counted("tech"); !slices.Equal(got, []string{"com", "m1", "m3", "qz1", "sec"}) {
		t.Fatalf("tech counts %v", got)
	}
	wantHas(t, w.say("sec", "名单"), "待转出 1 人", "乙 @m2（去向：已不在企业通讯录中，11月20日起）", "待确认 1 人")

	// Back in the address book: their own leaving ends.
	w.sync(departments{1: people("sec", "com", "m1", "m2", "qz1", "qz3")})
	if m := w.member("m2"); m.Status != bot.StatusFull || !slices.Contains(w.counted("tech"), "m2") {
		t.Fatalf("m2 back in the address book: %+v", m)
	}
}

func TestTransferReminders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	syncTech(t, w)
	w.sync(departments{1: people("sec", "com", "m1", "m2")})
	w.sync(departments{1: people("sec", "com", "m1")}) // m2 leaves
	wantHas(t, w.say("sec", "转出 @m1 上海市某区某街道党工委"), "已将 甲 标为待转出（去向：上海市某区某街道党工委）")

	steps := []struct {
		at   time.Time
		want []string // keys of the run
	}{
		{friday, []string{"transfer:tech:m2:left:0"}},
		{friday.Add(time.Hour), nil}, // once
		{time.Date(2026, 12, 19, 9, 20, 0, 0, beijing), nil},
		{time.Date(2026, 12, 20, 9, 20, 0, 0, beijing), []string{"transfer:tech:m1:m1:0", "transfer:tech:m2:m1:0"}},
		{time.Date(2026, 12, 21, 9, 20, 0, 0, beijing), nil},
		{time.Date(2027, 2, 22, 9, 20, 0, 0, beijing), []string{"transfer:tech:m1:m3:0", "transfer:tech:m2:m3:0"}}, // a missed day catches up
		{time.Date(2027, 5, 20, 9, 20, 0, 0, beijing), []string{"transfer:tech:m1:m6:0", "transfer:tech:m2:m6:0"}},
		{time.Date(2027, 8, 20, 9, 20, 0, 0, beijing), nil},
	}
	for _, st := range steps {
		w.now = st.at
		outs := w.job(bot.JobTransfers)
		if !slices.Equal(keysOf(outs), st.want) {
			t.Fatalf("%s: %v, want %v", st.at, keysOf(outs), st.want)
		}
		for _, o := range outs {
			if !slices.Equal(o.Notice.To, []string{"sec"}) {
				t.Fatalf("%s went to %v, want the secretary", o.Key, o.Notice.To)
			}
		}
		if st.at.Month() == time.May {
			n := keyed(t, outs, "transfer:tech:m2:m6:0")
			if !strings.Contains(n.Text, "乙 已待转出 6 个月") || !strings.Contains(n.Text, "流动党员") {
				t.Fatalf("six months: %q", n.Text)
			}
		}
	}
	// Received: no more reminders for m1.
	w.now = time.Date(2027, 8, 21, 10, 0, 0, 0, beijing)
	wantHas(t, w.say("sec", "转出 完成 @m1"), "已转出完成")
	if transfers, _ := w.s.Transfers(t.Context(), "tech"); len(transfers) != 1 || transfers[0].UserID != "m2" {
		t.Fatalf("open transfers %+v", transfers)
	}
}

func TestTransferCommands(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	wantHas(t, w.say("sec", "转出 @m1"), "用法：转出 @userid 去向")
	wantHas(t, w.say("m2", "转出 @m1 别处"), "只有支部书记、支委或党委管理员可以使用")
	wantHas(t, w.say("ops1", "转出 @m1 别处"), "只有对方所在支部的书记")
	wantText(t, w.say("sec", "转出 @m1 北京市某街道党工委"),
		"已将 甲 标为待转出（去向：北京市某街道党工委），不再计入提醒、会议和统计。对方接收前本支部仍负责其管理；接收后发“转出 完成 @m1”。1、3、6 个月时我会提醒你。")
	if !w.audited("transfer.out", "m1", "去向 北京市某街道党工委") {
		t.Fatal("转出 is not audited")
	}
	wantHas(t, w.say("sec", "转出 @m1 别处"), "甲 已在转出中")
	wantHas(t, w.say("sec", "名单"), "技术党支部 共 4 人", "待转出 1 人", "甲 @m1（去向：北京市某街道党工委，11月20日起）")
	wantHas(t, w.say("sec", "会议 党课"), "已通知本支部 3 名党员") // com, m2, m3: not m1
	w.say("sec", "结束会议")
	wantHas(t, w.say("m1", "签到"), "签到成功") // still the branch's: may use the bot

	wantHas(t, w.say("sec", "转出 完成 @m2"), "乙 不在转出中")
	wantHas(t, w.say("m2", "转出 完成 @m1"), "只有支部书记、支委或党委管理员可以使用")
	wantHas(t, w.say("sec", "转出 完成 @m1"), "甲 的组织关系已转出完成")
	if m := w.member("m1"); m.Active || m.Status != bot.StatusFull {
		t.Fatalf("m1 after 转出 完成: %+v", m)
	}
	if !w.audited("transfer.done", "m1", "北京市某街道党工委") {
		t.Fatal("转出 完成 is not audited")
	}
	wantHas(t, w.say("m1", "签到"), "不在党建助手的党员名册中")

	// 转入 from outside the org.
	wantHas(t, w.say("ops1", "转入 @newguy"), "用法：转入 @userid 姓名")
	wantText(t, w.say("ops1", "转入 @newguy 新同志 预备党员 来自上海某公司党支部"), "已将 新同志 转入本支部（预备党员，来自 上海某公司党支部）。")
	if m := w.member("newguy"); m.BranchID != "ops" || m.Status != bot.StatusProbationary || !m.Active {
		t.Fatalf("newguy after 转入: %+v", m)
	}
	if !w.audited("transfer.in", "newguy", "预备党员 来自 上海某公司党支部") {
		t.Fatal("转入 is not audited")
	}
	wantText(t, w.say("ops1", "转入 @other 某人"), "已将 某人 转入本支部（正式党员）。")
	wantHas(t, w.say("ops1", "转入 @ops2 丁"), "丁 已是本支部党员")
	wantHas(t, w.say("ops1", "转入 @m2 乙 来自技术党支部"), "目前是另一个支部（tech）的党员")

	// Between two branches of the org: tech sends, ops receives.
	w.say("sec", "转出 @com 运维党支部")
	wantText(t, w.say("ops1", "转入 @com 支委"), "已将 支委 转入本支部（预备党员，来自 tech）。")
	com := w.member("com")
	if com.BranchID != "ops" || com.Status != bot.StatusProbationary || com.Role != bot.RoleMember {
		t.Fatalf("com after the move: %+v (a branch role does not move)", com)
	}
	if transfers, _ := w.s.Transfers(ctx, "tech"); len(transfers) != 0 {
		t.Fatalf("tech still has open transfers %+v", transfers)
	}

	// A mistaken 转出 is taken back with 确认.
	w.say("sec", "转出 @m3 某地")
	wantHas(t, w.say("sec", "确认 @m3 正式党员"), "已确认 丙 为正式党员")
	if m := w.member("m3"); m.Status != bot.StatusFull || !w.audited("member.confirm", "m3", "撤销转出") {
		t.Fatalf("m3 after 确认: %+v", m)
	}
}

func TestLedgerKeepsMembersWhoLeftOrMoved(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	w.say("m1", "签到")
	w.say("m2", "学习 党章第一章 30分钟")

	// December: m1's transfer is received elsewhere, m2 moves to ops.
	w.now = time.Date(2026, 12, 3, 10, 0, 0, 0, beijing)
	w.say("sec", "转出 @m1 某地")
	w.say("sec", "转出 完成 @m1")
	if _, err := bot.ImportRoster(ctx, w.s, w.s, "cli:test", w.now, []bot.RosterRow{{Line: 2, UserID: "m2", Name: "乙", Branch: "ops"}}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		branch, span string
		from, to     bot.Date
		want         []string
	}{
		{"tech", "November", bot.Date{Year: 2026, Month: 11, Day: 1}, bot.Date{Year: 2026, Month: 11, Day: 30}, []string{"com", "m1", "m2", "m3", "sec"}},
		{"tech", "after they left", bot.Date{Year: 2026, Month: 12, Day: 4}, bot.Date{Year: 2026, Month: 12, Day: 10}, []string{"com", "m3", "sec"}},
		{"ops", "November", bot.Date{Year: 2026, Month: 11, Day: 1}, bot.Date{Year: 2026, Month: 11, Day: 30}, []string{"ops1", "ops2"}},
		{"ops", "December", bot.Date{Year: 2026, Month: 12, Day: 1}, bot.Date{Year: 2026, Month: 12, Day: 31}, []string{"m2", "ops1", "ops2"}},
	}
	for _, tc := range tests {
		br, _, err := w.s.Branch(ctx, tc.branch)
		if err != nil {
			t.Fatal(err)
		}
		l, err := w.b.Ledger(ctx, []bot.Branch{br}, bot.Span{From: tc.from, To: tc.to}, false)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		tally := map[string]bot.Tally{}
		for _, m := range l.Branches[0].Members {
			got = append(got, m.Member.UserID)
			tally[m.Member.UserID] = m.Week
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: members %v, want %v", tc.branch, tc.span, got, tc.want)
		}
		if tc.branch == "tech" && tc.span == "November" {
			if tally["m1"].Checkins != 1 || tally["m2"].StudyMinutes != 30 || len(l.Branches[0].Studies) != 1 {
				t.Errorf("November's records of those who left: m1 %+v, m2 %+v, studies %d", tally["m1"], tally["m2"], len(l.Branches[0].Studies))
			}
		}
	}
}

// TestUpgradeFromAReleaseWithoutStatusesOrHistory writes members as the
// previous release stored them (no status, no membership history) and
// checks they count as 正式党员 and that no ledger loses anyone.
func TestUpgradeFromAReleaseWithoutStatusesOrHistory(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	rdb, prefix := w.s.Client(), w.s.Prefix()
	// Forget the history this release kept for the fixtures.
	keys, err := rdb.Keys(ctx, prefix+"*tenures*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := rdb.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	legacy := map[string]string{
		"old1": `{"userid":"old1","name":"老党员","branch":"tech","role":"member","active":true}`,
		"old2": `{"userid":"old2","name":"老离开","branch":"tech","role":"member","active":false}`,
	}
	for id, raw := range legacy {
		if err := rdb.Set(ctx, prefix+"member:"+id, raw, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.SAdd(ctx, prefix+"members", id).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.SAdd(ctx, prefix+"{tech}:members", "old1").Err(); err != nil {
		t.Fatal(err)
	}

	old1 := w.member("old1")
	if !old1.Votes() || old1.Status.Label() != "正式党员" || !slices.Contains(w.counted("tech"), "old1") {
		t.Fatalf("a member without a status: %+v", old1)
	}
	wantHas(t, w.say("sec", "会议 党员大会"), "已通知本支部 5 名党员")
	wantHas(t, w.say("sec", "结束会议"), "应到 5 人，实到 1 人") // sec, m1, m2, m3, old1

	// A roster write after the upgrade builds the history from the roster
	// as it was, then records the write.
	w.now = time.Date(2026, 12, 3, 10, 0, 0, 0, beijing)
	w.say("sec", "转出 @old1 某地")
	w.say("sec", "转出 完成 @old1")
	tenures, err := w.s.Tenures(ctx, "tech")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]bot.Tenure{}
	for _, tn := range tenures {
		byID[tn.UserID] = tn
	}
	if tn := byID["old1"]; !tn.From.IsZero() || tn.To != (bot.Date{Year: 2026, Month: 12, Day: 3}) {
		t.Fatalf("old1's tenure %+v: since always, until 转出 完成", tn)
	}
	if tn := byID["old2"]; !tn.From.IsZero() || tn.To.IsZero() {
		t.Fatalf("old2 (left before the upgrade) %+v: since always, until the upgrade", tn)
	}
	br, _, _ := w.s.Branch(ctx, "tech")
	l, err := w.b.Ledger(ctx, []bot.Branch{br}, bot.Span{From: bot.Date{Year: 2026, Month: 10, Day: 1}, To: bot.Date{Year: 2026, Month: 10, Day: 31}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Branches[0].Summary.Headcount; got != 8 { // sec com m1 m2 m3, gone, old1, old2
		t.Fatalf("October's headcount %d, want 8: nobody lost by the upgrade", got)
	}
}

// The config names Party members: someone the sync holds as 待确认 whom the
// config lists is a 正式党员 at the next start.
func TestSeedConfirmsWhomTheConfigLists(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	syncTech(t, w)
	w.sync(departments{1: people("sec", "com", "m1", "m2", "qz", "other")})
	tech := orgBranches[0]
	tech.DepartmentIDs, tech.Members, tech.Secretaries = []int{1}, []string{"sec", "qz"}, []string{"sec"}
	org := bot.Org{Name: "某某党委", Admins: []string{"boss"}, Branches: []bot.Branch{tech, orgBranches[1], orgBranches[2]}}
	if _, err := bot.SeedOrg(t.Context(), w.s, w.s, friday, org); err != nil {
		t.Fatal(err)
	}
	if m := w.member("qz"); m.Status != bot.StatusFull || !m.Counts() {
		t.Fatalf("qz, listed in the config: %+v", m)
	}
	if m := w.member("other"); m.Status != bot.StatusPending {
		t.Fatalf("other, not in the config: %+v", m)
	}
}

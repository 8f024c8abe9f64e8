package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store/redistest"
)

const goodRoster = "\ufeffuserid,name,branch,role,status,joined\n" +
	"zhangsan,张三,tech,书记,正式党员,2010-07-01\n" +
	"lisi,李四,tech,党员,正式党员,2015-07-01\n" +
	"wangwu,王五,tech,支委,预备党员,\n" +
	"zhaoliu,赵六,tech,member,,\n"

func TestRosterImportAndList(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t))
	cfgPath := writeConfig(t, e.app.Config)

	code, out := cli(t, "roster", "import", "-config", cfgPath, "-actor", "cli:test", writeFile(t, "r.csv", goodRoster))
	if code != 0 || !strings.Contains(out, "1 added, 3 updated") {
		t.Fatalf("import: %d %q", code, out)
	}
	code, out = cli(t, "roster", "list", "-config", cfgPath, "-branch", "tech")
	if code != 0 || !strings.Contains(out, "李四") || !strings.Contains(out, "预备党员") || !strings.Contains(out, "4 members") {
		t.Fatalf("list: %d\n%s", code, out)
	}

	// Replies now show names.
	resp := e.send(t, "zhangsan", "名单", "600")
	if !strings.Contains(resp.ReplyText, "技术党支部 共 4 人") || !strings.Contains(resp.ReplyText, "王五（支委）［预备］") {
		t.Fatalf("名单 reply %q", resp.ReplyText)
	}

	// Importing the same file again changes nothing and audits nothing more.
	before := len(mustAudit(t, e))
	if code, out = cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "r.csv", goodRoster)); code != 0 || !strings.Contains(out, "4 unchanged") {
		t.Fatalf("re-import: %d %q", code, out)
	}
	entries := mustAudit(t, e)
	if len(entries) != before {
		t.Fatalf("re-import added audit entries: %d → %d", before, len(entries))
	}
	last := entries[len(entries)-1]
	if last.Action != "roster.import" || last.Actor != "cli:test" || !strings.Contains(last.Detail, "1 added") {
		t.Fatalf("audit entry %+v", last)
	}
}

func TestRosterImportYAML(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t))
	cfgPath := writeConfig(t, e.app.Config)
	file := writeFile(t, "r.yaml", "- userid: lisi\n  name: 李四\n  branch: tech\n  role: member\n- userid: qianqi\n  name: 钱七\n  branch: tech\n  role: 支委\n")
	if code, out := cli(t, "roster", "import", "-config", cfgPath, file); code != 0 || !strings.Contains(out, "1 added, 1 updated") {
		t.Fatalf("import: %d %q", code, out)
	}
	m, found, err := e.app.Store.Member(t.Context(), "qianqi")
	if err != nil || !found || m.Role != bot.RoleCommittee || m.Name != "钱七" {
		t.Fatalf("qianqi = %+v %v %v", m, found, err)
	}
}

func TestRosterBadFileWritesNothing(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t))
	cfgPath := writeConfig(t, e.app.Config)
	before := e.snapshot(t)
	bad := "userid,name,branch,role\n" +
		"lisi,李四,tech,党员\n" +
		"newbie,新人,nowhere,党员\n" +
		"lisi,李四,tech,党员\n" +
		"ok1,好人,tech,队长\n"
	code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "bad.csv", bad))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"3 bad row(s), nothing imported", "line 3: branch \"nowhere\"", "line 4: userid lisi already on line 2", "line 5: role \"队长\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	e.assertUnchanged(t, before)

	yamlBad := writeFile(t, "bad.yaml", "- userid: x\n  name: 某人\n  branch: tech\n  role: chief\n")
	if code, out := cli(t, "roster", "import", "-config", cfgPath, yamlBad); code != 1 || !strings.Contains(out, "line 1: role \"chief\"") {
		t.Fatalf("yaml: %d %q", code, out)
	}
	e.assertUnchanged(t, before)
}

func TestRosterSync(t *testing.T) {
	t.Parallel()
	rc := redistest.Config(t)
	e := startApp(t, rc)
	cfg := e.app.Config
	cfg.Org.Branches[0].DepartmentIDs = []int{10}
	cfg.Org.Branches = append(cfg.Org.Branches, BranchConfig{ID: "ops", Name: "运维党支部", DepartmentIDs: []int{20}})
	cfgPath := writeConfig(t, cfg)

	e.fake.SetDepartment(10, []wecomtest.DirectoryUser{{UserID: "zhangsan", Name: "张三"}, {UserID: "lisi", Name: "李四"}}, 11)
	e.fake.SetDepartment(11, []wecomtest.DirectoryUser{{UserID: "newbie", Name: "新同志"}})
	e.fake.SetDepartment(20, []wecomtest.DirectoryUser{{UserID: "wangwu", Name: "王五"}})
	code, out := cli(t, "roster", "sync", "-config", cfgPath)
	if code != 0 || !strings.Contains(out, "1 added, 2 updated, 1 moved, 0 departed") {
		t.Fatalf("sync: %d\n%s", code, out)
	}

	// Someone new in the department is not thereby a Party member: 待确认,
	// and the bot does not treat them as one.
	if !strings.Contains(out, "1 to confirm (待确认)") {
		t.Fatalf("first sync did not hold newbie for confirmation:\n%s", out)
	}
	if resp := e.send(t, "newbie", "签到", "699"); !strings.Contains(resp.ReplyText, "不在党建助手的党员名册中") {
		t.Fatalf("unconfirmed newbie's check-in reply %q", resp.ReplyText)
	}

	// lisi leaves the company: 待转出, not removed (the branch stays
	// responsible until the transfer is received), and out of the counts.
	e.fake.SetDepartment(10, []wecomtest.DirectoryUser{{UserID: "zhangsan", Name: "张三"}}, 11)
	code, out = cli(t, "roster", "sync", "-config", cfgPath)
	if code != 0 || !strings.Contains(out, "0 added, 0 updated, 0 moved, 0 departed") || !strings.Contains(out, "1 leaving (待转出)") {
		t.Fatalf("second sync: %d\n%s", code, out)
	}
	lisi, found, err := e.app.Store.Member(t.Context(), "lisi")
	if err != nil || !found || !lisi.Active || lisi.Status != bot.StatusLeaving || lisi.Name != "李四" {
		t.Fatalf("lisi after leaving: %+v found=%v err=%v", lisi, found, err)
	}
	tech, err := e.app.Store.BranchMembers(t.Context(), "tech")
	if err != nil || len(tech) != 1 || tech[0].UserID != "zhangsan" {
		t.Fatalf("tech members %+v %v", tech, err)
	}
	apart, err := e.app.Store.BranchPending(t.Context(), "tech")
	if err != nil || len(apart) != 2 || apart[0].UserID != "lisi" || apart[1].UserID != "newbie" {
		t.Fatalf("tech's 待转出 and 待确认 %+v %v", apart, err)
	}
	if got := len(e.fake.Calls("user/simplelist")); got != 6 {
		t.Fatalf("%d user/simplelist calls, want 6 (3 departments × 2 syncs)", got)
	}
}

func TestRoleChecks(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t))
	ctx := t.Context()
	// A second branch with its own secretary, and a committee member in tech.
	if err := e.app.Store.SaveBranches(ctx, []bot.Branch{{ID: "ops", Name: "运维党支部"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.SaveMembers(ctx, []bot.Member{
		{UserID: "opsec", Name: "运维书记", BranchID: "ops", Role: bot.RoleSecretary, Active: true},
		{UserID: "zhouba", Name: "周八", BranchID: "tech", Role: bot.RoleCommittee, Active: true},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		class, from, text, want string
	}{
		{"member", "lisi", "签到", "签到成功"},
		{"member", "zhangsan", "签到", "签到成功"},
		{"branch", "lisi", "名单", "只有支部书记、支委或党委管理员可以使用"},
		{"branch", "zhangsan", "名单", "技术党支部 共 4 人"},
		{"branch", "zhouba", "roster", "技术党支部 共 4 人"},
		{"branch", "opsec", "名单 tech", "你只能查看本支部"},
		{"branch", "admin1", "名单 tech", "技术党支部 共 4 人"},
		{"admin", "zhangsan", "支部", "只有党委管理员可以使用"},
		{"admin", "admin1", "支部", "共 2 个支部"},
		{"for others", "wangwu", "请假 @lisi 明天 事假", "只有对方所在支部的书记、支委或党委管理员可以替他操作"},
		{"for others", "opsec", "请假 @lisi 明天 事假", "只有对方所在支部的书记、支委或党委管理员可以替他操作"},
		{"for others", "zhouba", "请假 @lisi 明天 事假", "已登记：lisi"},
		{"for others", "admin1", "销假 @lisi", "已为 lisi 销假"},
		{"for others", "zhangsan", "请假 @nobody 明天", "找不到党员“nobody”"},
	}
	for i, tc := range tests {
		t.Run(tc.class+"/"+tc.from+"/"+tc.text, func(t *testing.T) {
			resp := e.send(t, tc.from, tc.text, fmt.Sprint(8000+i))
			if !strings.Contains(resp.ReplyText, tc.want) {
				t.Fatalf("reply %q, want %q", resp.ReplyText, tc.want)
			}
		})
	}
}

func TestLeaveSkipsReminders(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t))
	ctx := t.Context()
	cst := time.FixedZone("CST", 8*3600)
	e.clock.Set(time.Date(2026, 11, 23, 8, 0, 0, 0, cst)) // Monday
	mon := bot.Date{Year: 2026, Month: time.November, Day: 23}
	targets := func(d bot.Date) []string {
		t.Helper()
		ms, err := e.app.Bot.NotCheckedIn(ctx, "tech", d)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.UserID)
		}
		return ids
	}
	if got := strings.Join(targets(mon), ","); got != "lisi,wangwu,zhangsan" {
		t.Fatalf("before: %s", got)
	}
	steps := []struct{ from, text, want string }{
		{"lisi", "请假 11-23 到 11-25 出差", "已登记：你 11月23日–11月25日 请假（出差）"},
		{"zhangsan", "请假 @wangwu 今天 病假", "已登记：wangwu 11月23日 请假（病假）"},
		{"zhangsan", "签到", "签到成功"},
	}
	for i, st := range steps {
		if resp := e.send(t, st.from, st.text, fmt.Sprint(900+i)); !strings.Contains(resp.ReplyText, st.want) {
			t.Fatalf("%s: %q, want %q", st.text, resp.ReplyText, st.want)
		}
	}
	if got := targets(mon); len(got) != 0 {
		t.Fatalf("reminder targets on Monday: %v, want none (two on leave, one checked in)", got)
	}
	if got := strings.Join(targets(mon.AddDays(1)), ","); got != "wangwu,zhangsan" {
		t.Fatalf("Tuesday targets %s, want wangwu,zhangsan (lisi still away)", got)
	}

	// lisi comes back on Tuesday: the leave now ends Monday.
	e.clock.Set(time.Date(2026, 11, 24, 8, 0, 0, 0, cst))
	if resp := e.send(t, "lisi", "销假", "910"); !strings.Contains(resp.ReplyText, "已销假") {
		t.Fatalf("销假: %q", resp.ReplyText)
	}
	if got := strings.Join(targets(mon.AddDays(1)), ","); got != "lisi,wangwu,zhangsan" {
		t.Fatalf("after 销假: %s", got)
	}
	if got := targets(mon); len(got) != 0 {
		t.Fatalf("Monday stays excused after 销假: %v", got)
	}
	actions := map[string]int{}
	for _, a := range mustAudit(t, e) {
		actions[a.Action]++
	}
	if actions["leave.set"] != 2 || actions["leave.end"] != 1 {
		t.Fatalf("audit actions %v, want 2 leave.set and 1 leave.end", actions)
	}
}

// WeCom userids are case-insensitive: "LiSi" from a callback or a file is lisi.
func TestUserIDsAreCaseInsensitive(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t))
	e.run(t, []step{{"LiSi", "签到", "签到成功"}, {"lisi", "签到", "已经签到过了"}})
	cfgPath := writeConfig(t, e.app.Config)
	file := writeFile(t, "r.csv", "userid,name,branch,role\nLiSi,李四,tech,党员\nlisi,李四,tech,党员\n")
	if code, out := cli(t, "roster", "import", "-config", cfgPath, file); code != 1 || !strings.Contains(out, "line 3: userid lisi already on line 2") {
		t.Fatalf("import: %d %q", code, out)
	}
	if code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "ok.csv", "userid,name,branch,role\nLiSi,李四,tech,党员\n")); code != 0 || !strings.Contains(out, "0 added, 1 updated") {
		t.Fatalf("import: %d %q", code, out)
	}
	m, _, err := e.app.Store.Member(t.Context(), "LISI")
	if err != nil || m.UserID != "lisi" || m.Name != "李四" {
		t.Fatalf("member %+v %v", m, err)
	}
}

// The import's dues column sets monthly amounts (never salaries); a bad
// amount refuses the file, naming the line.
func TestRosterImportDuesColumn(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	cfgPath := writeConfig(t, e.app.Config)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(good, []byte("userid,name,branch,role,dues\nlisi,李四,tech,党员,50\nwangwu,王五,tech,支委,12.5\nzhaoliu,赵六,tech,党员,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("userid,name,branch,role,dues\nlisi,李四,tech,党员,-3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := cli(t, "roster", "import", "-config", cfgPath, bad); code == 0 || !strings.Contains(out, "line 2") || !strings.Contains(out, "dues") {
		t.Fatalf("bad dues: %d %s", code, out)
	}
	if code, out := cli(t, "roster", "import", "-config", cfgPath, good); code != 0 {
		t.Fatalf("import: %d %s", code, out)
	}
	amounts, err := e.app.Store.DuesAmounts(t.Context(), "tech")
	if err != nil || amounts["lisi"] != 5000 || amounts["wangwu"] != 1250 || len(amounts) != 2 {
		t.Fatalf("amounts %v %v", amounts, err)
	}
}

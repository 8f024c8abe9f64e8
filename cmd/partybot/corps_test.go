package main

// 联合党委 (issue 27), inbound: each corp's members reach the bot through
// their own app's callback path, signed with that app's credentials.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store/redistest"
)

// The partner corp's app, distinct in every credential from the home corp's.
const (
	partnerCorpID  = "wwpartner0002"
	partnerAgentID = 1000003
	partnerSecret  = "partner-secret"
	partnerToken   = "partnerToken2"
	partnerAESKey  = "Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk7Lm8No9Pq0R"
	partnerName    = "合作网络公司"
	partnerPath    = "/wecom/callback/partner"
)

// withPartner adds the partner corp (its qyapi at apiBase) and makes tech
// a joint branch: the home corp's m1 and the partner's b1 and m1 join it.
func withPartner(apiBase string) func(*Config) {
	return func(c *Config) {
		c.Corps = append(c.Corps, CorpConfig{ID: "partner", Name: partnerName, CorpID: partnerCorpID, AgentID: partnerAgentID,
			Secret: partnerSecret, Token: partnerToken, EncodingAESKey: partnerAESKey, APIBase: apiBase})
		c.Org.Branches[0].Members = append(c.Org.Branches[0].Members, "m1", "partner/b1", "partner/m1")
	}
}

// corpsE2E is the five-member branch made joint, with the partner's WeCom.
type corpsE2E struct {
	*e2e
	pfake *wecomtest.FakeAPI // the partner's qyapi: it knows only the partner's credentials
	pwc   *wecomtest.WeCom   // posts the partner's callbacks to its path
}

func startCorps(t *testing.T, adjust ...func(*Config)) *corpsE2E {
	t.Helper()
	pfake := wecomtest.NewFakeAPI(partnerCorpID, partnerSecret)
	t.Cleanup(pfake.Close)
	e := startBranch(t, append([]func(*Config){withPartner(pfake.URL())}, adjust...)...)
	err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "m1", Name: "孙一", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
		{UserID: "partner/b1", Name: "周波", BranchID: "tech", Role: bot.RoleCommittee, Status: bot.StatusFull, Active: true},
		{UserID: "partner/m1", Name: "吴一", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	pwc, err := wecomtest.NewWeCom(e.base+partnerPath, partnerToken, partnerAESKey, partnerCorpID, partnerAgentID)
	if err != nil {
		t.Fatal(err)
	}
	pwc.Now = e.clock.Now
	return &corpsE2E{e2e: e, pfake: pfake, pwc: pwc}
}

// psend posts a partner member's text through the partner's path.
func (c *corpsE2E) psend(t *testing.T, from, text, msgID string) wecomtest.Response {
	t.Helper()
	resp, err := c.pwc.SendText(from, text, msgID)
	if err != nil {
		t.Fatalf("partner send %q: %v", text, err)
	}
	return resp
}

// checkedIn lists who checked in today in tech.
func (c *corpsE2E) checkedIn(t *testing.T) []string {
	t.Helper()
	key := c.app.Store.Prefix() + "{tech}:checkin:day:" + bot.DateOf(c.clock.Now(), cst).String()
	ids, err := c.app.Store.Client().HKeys(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func TestPartnerMemberChecksInThroughTheirPath(t *testing.T) {
	t.Parallel()
	c := startCorps(t)
	// The partner's admin saves the URL in their console: it answers the
	// check with the partner's credentials only.
	if status, body, err := c.pwc.VerifyURL("1616140317555161061"); err != nil || status != http.StatusOK || body != "1616140317555161061" {
		t.Fatalf("partner URL check: %v %d %q", err, status, body)
	}
	resp := c.psend(t, "m1", "签到", "7")
	if resp.Status != http.StatusOK || !strings.Contains(resp.ReplyText, "签到成功") {
		t.Fatalf("partner m1 签到: %d %q", resp.Status, resp.ReplyText)
	}
	if resp.ReplyTo != "m1" || resp.ReplyFrom != partnerCorpID {
		t.Fatalf("passive reply to %q from %q, want m1 from %s (the partner knows its member as m1)", resp.ReplyTo, resp.ReplyFrom, partnerCorpID)
	}
	if got := c.checkedIn(t); !slices.Equal(got, []string{"partner/m1"}) {
		t.Fatalf("checked in %v, want partner/m1 only", got)
	}
	// WeCom retries the same message: the first answer, no second effect.
	if again := c.psend(t, "m1", "签到", "7"); again.ReplyText != resp.ReplyText {
		t.Fatalf("retry answered %q, want the first answer %q", again.ReplyText, resp.ReplyText)
	}
	// MsgId 7 of the home corp is another message, from another person.
	if home := c.send(t, "m1", "签到", "7"); !strings.Contains(home.ReplyText, "签到成功") || home.ReplyFrom != wecomtest.CorpID {
		t.Fatalf("home m1 签到 with the partner's MsgId: %q from %q, want their own 签到成功", home.ReplyText, home.ReplyFrom)
	}
	if got := c.checkedIn(t); !slices.Equal(got, []string{"m1", "partner/m1"}) {
		t.Fatalf("checked in %v, want m1 and partner/m1", got)
	}
	// A command that claims its message (学习) the same way: a retry has no
	// second effect, and the home corp's MsgId 9 is another message.
	first := c.psend(t, "m1", "学习 党章第一章 30分钟", "9")
	if again := c.psend(t, "m1", "学习 党章第一章 30分钟", "9"); !strings.Contains(first.ReplyText, "已记录") || again.ReplyText != first.ReplyText {
		t.Fatalf("partner 学习 and its retry: %q, %q", first.ReplyText, again.ReplyText)
	}
	if home := c.send(t, "m1", "学习 党章第二章 20分钟", "9"); !strings.Contains(home.ReplyText, "已记录") {
		t.Fatalf("home 学习 with the partner's MsgId: %q", home.ReplyText)
	}
	for id, want := range map[string]int64{"partner/m1": 1, "m1": 1} {
		if n := c.app.Store.Client().HLen(t.Context(), c.app.Store.Prefix()+"{tech}:study:"+id).Val(); n != want {
			t.Fatalf("%s has %d study reports, want %d", id, n, want)
		}
	}
	// 我的 of each is their own: one check-in each.
	for _, r := range []wecomtest.Response{c.psend(t, "m1", "我的", "8"), c.send(t, "m1", "我的", "8")} {
		if !strings.Contains(r.ReplyText, "已连续签到 1 天") {
			t.Fatalf("我的: %q, want a streak of one day", r.ReplyText)
		}
	}
}

func TestCrossSignedCallbacksAreRefusedAndStoreNothing(t *testing.T) {
	t.Parallel()
	c := startCorps(t)
	homeAsPartner, err := wecomtest.NewWeCom(c.base+partnerPath, wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID, wecomtest.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	partnerAsHome, err := wecomtest.NewWeCom(c.base+c.app.Config.WeCom.CallbackPath, partnerToken, partnerAESKey, partnerCorpID, partnerAgentID)
	if err != nil {
		t.Fatal(err)
	}
	homeAsPartner.Now, partnerAsHome.Now = c.clock.Now, c.clock.Now
	before := c.snapshot(t)
	for _, tc := range []struct {
		name string
		wc   *wecomtest.WeCom
	}{
		{"signed for the home corp, posted to the partner's path", homeAsPartner},
		{"signed for the partner, posted to the home corp's path", partnerAsHome},
	} {
		for i, from := range []string{"m1", "zhangsan", "b1"} {
			resp, err := tc.wc.SendText(from, "签到", fmt.Sprint(900+i))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status < 400 || resp.Status >= 500 {
				t.Errorf("%s: %s got %d, want 4xx", tc.name, from, resp.Status)
			}
		}
		if status, _, err := tc.wc.VerifyURL("123"); err != nil || status < 400 || status >= 500 {
			t.Errorf("%s: URL check %d %v, want 4xx", tc.name, status, err)
		}
	}
	c.assertUnchanged(t, before)
	if got := c.checkedIn(t); len(got) != 0 {
		t.Fatalf("checked in %v, want nobody", got)
	}
}

func TestSameUserIDInTwoCorpsIsTwoAttendees(t *testing.T) {
	t.Parallel()
	c := startCorps(t)
	code, _ := c.open(t, "党员大会", "联合支部党员大会")
	if r := c.send(t, "m1", "签到 "+code, "31"); !strings.Contains(r.ReplyText, "会议签到成功") {
		t.Fatalf("home m1: %q", r.ReplyText)
	}
	if r := c.psend(t, "m1", "签到 "+code, "31"); !strings.Contains(r.ReplyText, "会议签到成功") {
		t.Fatalf("partner m1 (same userid, same MsgId): %q", r.ReplyText)
	}
	if r := c.psend(t, "b1", "签到 "+code, "32"); !strings.Contains(r.ReplyText, "会议签到成功") {
		t.Fatalf("partner b1: %q", r.ReplyText)
	}
	c.run(t, []step{{"zhangsan", "结束会议", "到会 4 人"}})
	for _, name := range []string{"孙一", "吴一", "周波", "张三"} {
		if !strings.Contains(c.lastReply(t), name) {
			t.Errorf("meeting record lacks %s:\n%s", name, c.lastReply(t))
		}
	}
	m, _, err := c.app.Store.LatestMeeting(t.Context(), "tech")
	if err != nil {
		t.Fatal(err)
	}
	att, err := c.app.Store.Attendance(t.Context(), "tech", m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var present []string
	for _, a := range att {
		if a.Status == bot.Present {
			present = append(present, a.UserID)
		}
	}
	slices.Sort(present)
	if want := []string{"m1", "partner/b1", "partner/m1", "zhangsan"}; !slices.Equal(present, want) {
		t.Fatalf("present %v, want %v", present, want)
	}
}

// TestRosterSyncPerCorp: each corp's branches are read through that corp's
// app from its own address book; a partner whose app lacks the server's
// trusted IP fails alone.
func TestRosterSyncPerCorp(t *testing.T) {
	t.Parallel()
	c := startCorps(t)
	cfg := c.app.Config
	cfg.Org.Branches[0].DepartmentIDs = []int{10} // the joint branch: the home corp's department 10
	cfg.Org.Branches = append(cfg.Org.Branches, BranchConfig{ID: "pco", Name: "合作公司党支部", Company: "partner", DepartmentIDs: []int{10}})
	cfgPath := writeConfig(t, cfg)
	c.fake.SetDepartment(10, []wecomtest.DirectoryUser{{UserID: "zhangsan", Name: "张三"}, {UserID: "lisi", Name: "李四"}, {UserID: "m1", Name: "孙一"}})
	c.pfake.SetDepartment(10, []wecomtest.DirectoryUser{{UserID: "m2", Name: "郑二"}, {UserID: "m1", Name: "吴一"}})

	code, out := cli(t, "roster", "sync", "-config", cfgPath)
	if code != 0 {
		t.Fatalf("sync: %d\n%s", code, out)
	}
	member := func(id string) bot.Member {
		t.Helper()
		m, found, err := c.app.Store.Member(t.Context(), id)
		if err != nil || !found {
			t.Fatalf("member %s: %v %v", id, found, err)
		}
		return m
	}
	if m := member("partner/m2"); m.BranchID != "pco" || m.Status != bot.StatusPending || m.Name != "郑二" {
		t.Fatalf("partner/m2 %+v, want 待确认 in pco", m)
	}
	if m := member("partner/m1"); m.BranchID != "pco" || !m.Active || m.Status != bot.StatusFull {
		t.Fatalf("partner/m1 %+v, want moved to pco, still 正式党员", m)
	}
	if m := member("m1"); m.BranchID != "tech" || m.Name != "孙一" {
		t.Fatalf("home m1 %+v, want unchanged in tech", m)
	}
	// The joint branch's partner member was placed by hand: the home
	// corp's address book does not list them and does not remove them.
	if m := member("partner/b1"); m.BranchID != "tech" || !m.Active || m.Status != bot.StatusFull {
		t.Fatalf("partner/b1 %+v, want untouched", m)
	}
	if h, p := len(c.fake.Calls("user/simplelist")), len(c.pfake.Calls("user/simplelist")); h != 1 || p != 1 {
		t.Fatalf("user/simplelist calls: home %d, partner %d; want one each, each through its own corp", h, p)
	}

	// The partner's app has no trusted IP for this server: its branch is
	// left alone, the home corp's is synced, and the command says so.
	c.pfake.SetUntrustedIP(true)
	c.fake.SetDepartment(10, []wecomtest.DirectoryUser{{UserID: "zhangsan", Name: "张三"}, {UserID: "lisi", Name: "李四"}, {UserID: "m1", Name: "孙一"}, {UserID: "newbie", Name: "新同志"}})
	code, out = cli(t, "roster", "sync", "-config", cfgPath)
	if code != 1 || !strings.Contains(out, "1 added") || !strings.Contains(out, "corp partner could not be read") {
		t.Fatalf("sync with the partner unreachable: %d\n%s", code, out)
	}
	if m := member("partner/m2"); !m.Active || m.Status != bot.StatusPending {
		t.Fatalf("partner/m2 %+v after a failed partner sync, want unchanged", m)
	}
}

// TestRosterImportCorpColumn: the corp column names the member's corp; an
// unknown corp refuses the file, naming the line.
func TestRosterImportCorpColumn(t *testing.T) {
	t.Parallel()
	c := startCorps(t)
	cfgPath := writeConfig(t, c.app.Config)
	before := c.snapshot(t)
	bad := "userid,name,branch,role,corp\n" +
		"m5,吴五,tech,member,partner\n" +
		"zz,某人,tech,member,nowhere\n" +
		"other/zz,某人,tech,member,\n"
	code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "bad.csv", bad))
	if code != 1 || !strings.Contains(out, `line 3: corp "nowhere" is not`) || !strings.Contains(out, `line 4: corp "other"`) {
		t.Fatalf("import with unknown corps: %d\n%s", code, out)
	}
	c.assertUnchanged(t, before)

	good := "userid,name,branch,role,dues,corp\n" +
		"m5,吴五,tech,member,20,partner\n" +
		"m5,孙五,tech,member,30,\n" +
		"m6,冯六,tech,member,,HOME\n"
	if code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "good.csv", good)); code != 0 || !strings.Contains(out, "3 added") {
		t.Fatalf("import: %d\n%s", code, out)
	}
	yml := "- userid: m7\n  name: 陈七\n  branch: tech\n  role: member\n  corp: partner\n"
	if code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "more.yaml", yml)); code != 0 || !strings.Contains(out, "1 added") {
		t.Fatalf("yaml import: %d\n%s", code, out)
	}
	for id, name := range map[string]string{"partner/m5": "吴五", "m5": "孙五", "m6": "冯六", "partner/m7": "陈七"} {
		m, found, err := c.app.Store.Member(t.Context(), id)
		if err != nil || !found || m.Name != name {
			t.Errorf("%s: %+v %v %v, want %s", id, m, found, err, name)
		}
	}
	// Each m5 has their own 党费 amount.
	for _, r := range []struct {
		resp wecomtest.Response
		want string
	}{{c.psend(t, "m5", "党费", "50"), "20"}, {c.send(t, "m5", "党费", "50"), "30"}} {
		if !strings.Contains(r.resp.ReplyText, "你的月党费："+r.want+" 元") {
			t.Errorf("党费: %q, want %s 元", r.resp.ReplyText, r.want)
		}
	}
}

// TestMemberExportOfAPartnerMember: -user partner/m1 is the partner's m1,
// not the home corp's.
func TestMemberExportOfAPartnerMember(t *testing.T) {
	t.Parallel()
	c := startCorps(t)
	if r := c.psend(t, "m1", "学习 党章第一章 30分钟 伙伴的心得", "60"); !strings.Contains(r.ReplyText, "已记录") {
		t.Fatalf("partner 学习: %q", r.ReplyText)
	}
	if r := c.send(t, "m1", "学习 党章第二章 20分钟 家里的心得", "60"); !strings.Contains(r.ReplyText, "已记录") {
		t.Fatalf("home 学习: %q", r.ReplyText)
	}
	cfgPath := writeConfig(t, c.app.Config)
	out := t.TempDir() + "/partner-m1.json"
	if code, msg := cli(t, "member", "export", "-config", cfgPath, "-user", "Partner/M1", "-o", out); code != 0 {
		t.Fatalf("member export: %d %s", code, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "伙伴的心得") || strings.Contains(string(raw), "家里的心得") || !strings.Contains(string(raw), "吴一") {
		t.Fatalf("export of partner/m1:\n%s", raw)
	}
}

// TestBenchCorpsDrivesBothPaths: make load's two-corp run reaches the
// bench bot through both corps' paths, every callback answered 200 (a
// non-200 fails the run).
func TestBenchCorpsDrivesBothPaths(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t) // bench serve flushes its Redis
	botAddr, minAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- benchServe(ctx, srv.Addr(), botAddr, minAddr, 50, io.Discard) }()
	t.Cleanup(func() { cancel(); <-served })
	waitFor(t, "the bench bot", func() bool {
		resp, err := http.Get("http://" + botAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	var out bytes.Buffer
	// The server runs in this process: its CPU time is this process's.
	if err := benchCorps(t.Context(), botAddr, 50, 4, 150*time.Millisecond, 2, os.Getpid(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "median: two corps (half the callbacks to each path) / one corp throughput") ||
		!strings.Contains(out.String(), "median: server CPU per callback, two corps / one corp") {
		t.Fatalf("output:\n%s", out.String())
	}
}

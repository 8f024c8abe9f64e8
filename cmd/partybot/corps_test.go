package main

// 联合党委 (issue 27), inbound: each corp's members reach the bot through
// their own app's callback path, signed with that app's credentials.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
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

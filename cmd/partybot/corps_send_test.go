package main

// Sends of a 联合党委 across corps: every member is reached through their
// own corp's app (two fake qyapis, each taking only its own credentials),
// and one corp's configuration error stops only that corp.

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store/redistest"
)

// partnerCorpID and partnerSecret are corps_test.go's.

// withCorp adds a corps entry whose app is served by fake.
func withCorp(id, name string, fake *wecomtest.FakeAPI) func(*Config) {
	return func(c *Config) {
		c.Corps = append(c.Corps, CorpConfig{
			ID: id, Name: name, CorpID: fake.CorpID, AgentID: wecomtest.AgentID, Secret: fake.Secret,
			Token: wecomtest.Token, EncodingAESKey: wecomtest.AESKey, APIBase: fake.URL(),
		})
	}
}

// startJoint starts a joint branch "tech": the home corp's secretary
// zhangsan and member m1, partner's m1 and b1 (the same userid m1 in two
// corps: two people). It returns the app (its fake is the home corp's)
// and partner's fake.
func startJoint(t *testing.T) (*e2e, *wecomtest.FakeAPI) {
	t.Helper()
	partner := wecomtest.NewFakeAPI(partnerCorpID, partnerSecret)
	t.Cleanup(partner.Close)
	e := startAppWith(t, newFake(t), redistest.Config(t), withCorp("partner", "合作网络公司", partner), func(c *Config) {
		c.WeCom.Name = "某某科技公司"
		c.Org.Branches[0].Members = []string{"zhangsan", "m1", "partner/m1", "partner/b1"}
	})
	err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "zhangsan", Name: "张三", BranchID: "tech", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
		{UserID: "m1", Name: "马一", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
		{UserID: "partner/m1", Name: "孟一", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
		{UserID: "partner/b1", Name: "白一", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(time.Date(2026, 11, 20, 14, 0, 0, 0, cst)) // a Friday
	return e, partner
}

// recipients lists every userid a fake was sent a message/send for, with
// how often.
func recipients(f *wecomtest.FakeAPI, msgType string) map[string]int {
	out := map[string]int{}
	for _, c := range f.Calls("message/send") {
		if c.Body["msgtype"] != msgType {
			continue
		}
		to, _ := c.Body["touser"].(string)
		for _, u := range strings.Split(to, "|") {
			out[u]++
		}
	}
	return out
}

// assertOnlyHomeUsers fails if the home corp's API was ever asked to reach
// anyone but the home corp's own users.
func assertOnlyHomeUsers(t *testing.T, home *wecomtest.FakeAPI) {
	t.Helper()
	for _, c := range home.Calls("") {
		to, _ := c.Body["touser"].(string)
		for _, u := range strings.Split(to, "|") {
			if u != "" && u != "m1" && u != "zhangsan" {
				t.Fatalf("the home corp's %s addressed %q: %v", c.API, u, c.Body)
			}
		}
	}
}

// A meeting of a joint branch notifies each member through their own
// corp's app: one message/send through the home corp's API to m1, one
// through partner's to m1|b1; never a partner userid through the home API.
func TestJointMeetingNotifiesEachMemberThroughTheirCorp(t *testing.T) {
	t.Parallel()
	e, partner := startJoint(t)
	code, _ := e.open(t, "党员大会", "")
	waitFor(t, "the meeting texts in both corps", func() bool {
		return len(recipients(e.fake, "text")) > 0 && len(recipients(partner, "text")) > 0
	})
	waitFor(t, "the meeting cards in both corps", func() bool {
		return len(recipients(e.fake, "template_card")) > 0 && len(recipients(partner, "template_card")) > 0
	})
	e.drain(t)
	for _, kind := range []string{"text", "template_card"} {
		home, part := recipients(e.fake, kind), recipients(partner, kind)
		if len(home) != 1 || home["m1"] != 1 {
			t.Fatalf("%s through the home corp's API: %v, want m1 once", kind, home)
		}
		if len(part) != 2 || part["m1"] != 1 || part["b1"] != 1 {
			t.Fatalf("%s through partner's API: %v, want m1 and b1 once each", kind, part)
		}
	}
	for _, c := range partner.Calls("message/send") {
		if c.Body["msgtype"] == "text" && !strings.Contains(c.Body["text"].(map[string]any)["content"].(string), "签到码："+code) {
			t.Fatalf("partner's text %v lacks the code %s", c.Body, code)
		}
	}
	assertOnlyHomeUsers(t, e.fake)
}

// The same userid in two corps is two people: a job's reminder reaches the
// home corp's m1 and partner's m1 once each, each through their own corp.
func TestSameUserIDInTwoCorpsGetsTwoDeliveries(t *testing.T) {
	t.Parallel()
	e, partner := startJoint(t)
	e.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
	home, part := recipients(e.fake, "text"), recipients(partner, "text")
	if home["m1"] != 1 || part["m1"] != 1 {
		t.Fatalf("reminders: home %v, partner %v; want m1 once in each corp", home, part)
	}
	if part["b1"] != 1 || home["zhangsan"] != 1 || len(home)+len(part) != 4 {
		t.Fatalf("reminders: home %v, partner %v; want the four members once each", home, part)
	}
	assertOnlyHomeUsers(t, e.fake)
}

// partner's server IP missing from partner's 企业可信IP (60020) pauses
// partner alone: the home corp's members get their messages meanwhile,
// /readyz says degraded and names partner, and once partner's IP is added
// its held messages go out.
func TestUntrustedIPInOneCorpPausesOnlyThatCorp(t *testing.T) {
	t.Parallel()
	e, partner := startJoint(t)
	partner.SetUntrustedIP(true)
	e.open(t, "党员大会", "")
	waitFor(t, "/readyz to name partner", func() bool {
		status, body := e.getBody(t, "/readyz")
		return status == http.StatusOK && strings.Contains(body, "degraded") && strings.Contains(body, "partner")
	})
	waitFor(t, "the home corp's card and text", func() bool {
		return recipients(e.fake, "text")["m1"] == 1 && recipients(e.fake, "template_card")["m1"] == 1
	})
	resp, err := http.Get(e.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Partybot-Degraded") == "" || resp.Header.Get("X-Partybot-Paused-Corps") != "partner" {
		t.Fatalf("/readyz headers %v, want degraded with partner alone paused", resp.Header)
	}
	_, body := e.getBody(t, "/readyz")
	if !strings.Contains(body, "合作网络公司") || !strings.Contains(body, "企业可信IP") || strings.Contains(body, "corp home") {
		t.Fatalf("/readyz body %q: want partner's name and the fix, and the home corp not paused", body)
	}
	if p, err := e.app.Outbox.Paused(t.Context()); err != nil || p.Reason != "" {
		t.Fatalf("the home corp paused by partner's 60020: %q (%v)", p.Reason, err)
	}
	sample := `partybot_send_pauses_total{channel="all",result="errcode_60020",target="partner"}`
	if n := metric(t, e, sample); n < 1 {
		t.Fatalf("/metrics: %s = %d, want ≥ 1", sample, n)
	}
	if got := recipients(partner, "text"); len(got) != 0 {
		t.Fatalf("partner's API took %v through an untrusted IP", got)
	}

	partner.SetUntrustedIP(false) // partner's admin adds the IP
	waitFor(t, "partner's held card and text", func() bool {
		text, card := recipients(partner, "text"), recipients(partner, "template_card")
		return text["m1"] == 1 && text["b1"] == 1 && card["m1"] == 1 && card["b1"] == 1
	})
	e.drain(t)
	if dead, err := e.app.Outbox.DeadLetters(t.Context()); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v)", dead, err)
	}
	if home := recipients(e.fake, "text"); home["m1"] != 1 {
		t.Fatalf("home texts %v after partner's recovery, want m1 once", home)
	}
	waitFor(t, "/readyz ready again", func() bool {
		status, body := e.getBody(t, "/readyz")
		return status == http.StatusOK && strings.HasPrefix(body, "ready")
	})
}

// A partner member's picture ("partner/MEDIAID", as the callback names
// it) is fetched from partner's server, never the home corp's.
func TestPartnerMembersPhotoIsFetchedFromPartner(t *testing.T) {
	t.Parallel()
	e, partner := startJoint(t)
	photo := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("jpeg"), 200)...)
	partner.PutMedia("MEDIA1", photo)
	e.fake.PutMedia("MEDIA1", []byte("the home corp's file of the same id"))
	if err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "partner/b1", Name: "白一", BranchID: "tech", Role: bot.RoleCommittee, Status: bot.StatusFull, Active: true},
	}); err != nil {
		t.Fatal(err)
	}
	e.open(t, "党员大会", "")
	reply, err := e.app.Bot.Handle(t.Context(), bot.Message{
		MsgID: "7001", From: "partner/b1", Kind: bot.KindImage, MediaID: "partner/MEDIA1", Time: e.clock.Now(),
	})
	if err != nil || !strings.Contains(reply.Text, "会议照片") {
		t.Fatalf("photo: %q (%v)", reply.Text, err)
	}
	if gets := partner.MediaGets(); len(gets) != 1 {
		t.Fatalf("partner's media/get served %d times, want 1", len(gets))
	}
	if gets := e.fake.MediaGets(); len(gets) != 0 {
		t.Fatalf("the home corp's media/get served %v for partner's picture", gets)
	}
	open, found, err := e.app.Store.OpenMeetingOf(t.Context(), "tech")
	if err != nil || !found {
		t.Fatalf("no open meeting: %v", err)
	}
	photos, err := e.app.Store.Photos(t.Context(), "tech", open.ID)
	if err != nil || len(photos) != 1 || photos[0].Bytes != len(photo) {
		t.Fatalf("photos %+v (%v), want partner's %d bytes", photos, err, len(photo))
	}
}

// Startup with 50 corps fetches no token: each corp's is fetched when it
// first sends, and then only that corp's.
func TestFiftyCorpsStartWithoutATokenFetch(t *testing.T) {
	t.Parallel()
	fakes := make([]*wecomtest.FakeAPI, 49)
	var adjust []func(*Config)
	for i := range fakes {
		fakes[i] = wecomtest.NewFakeAPI(fmt.Sprintf("wwcorp%04d", i), fmt.Sprintf("secret-%d", i))
		t.Cleanup(fakes[i].Close)
		adjust = append(adjust, withCorp(fmt.Sprintf("c%02d", i), fmt.Sprintf("公司%d", i), fakes[i]))
	}
	e := startAppWith(t, newFake(t), redistest.Config(t), adjust...)
	if n := len(e.app.Corps.IDs()); n != 50 {
		t.Fatalf("%d corps, want 50", n)
	}
	time.Sleep(300 * time.Millisecond) // anything started in the background has had its chance
	tokens := func() (n int) {
		n = e.fake.TokenRequests()
		for _, f := range fakes {
			n += f.TokenRequests()
		}
		return n
	}
	if n := tokens(); n != 0 {
		t.Fatalf("%d gettoken calls at startup, want none", n)
	}
	if err := e.app.Outbox.Enqueue(t.Context(), "one", bot.Notice{To: []string{"c07/u1"}, Text: "你好"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "c07's message", func() bool { return len(fakes[7].Calls("message/send")) == 1 })
	if n, own := tokens(), fakes[7].TokenRequests(); n != 1 || own != 1 {
		t.Fatalf("%d gettoken calls (c07: %d), want c07's one", n, own)
	}
	if to := fakes[7].Calls("message/send")[0].Body["touser"]; to != "u1" {
		t.Fatalf("c07's message/send to %v, want u1", to)
	}
	if slices.ContainsFunc(fakes, func(f *wecomtest.FakeAPI) bool { return f != fakes[7] && len(f.Calls("")) > 0 }) {
		t.Fatal("another corp's API was called")
	}
}

// A single-company branch's app chat is created in its company's corp,
// with that corp's members; the printed chat_id goes in the config, which
// names the company, and checks out against partner's app.
func TestChatCreateInTheBranchsCompany(t *testing.T) {
	t.Parallel()
	partner := wecomtest.NewFakeAPI(partnerCorpID, partnerSecret)
	t.Cleanup(partner.Close)
	e := startAppWith(t, newFake(t), redistest.Config(t), withCorp("partner", "合作网络公司", partner), func(c *Config) {
		c.Org.Branches[0].Company = "partner"
		c.Org.Branches[0].Secretaries = []string{"partner/m1"}
		c.Org.Branches[0].Members = []string{"partner/m1", "partner/b1", "partner/c1"}
	})
	cfgPath := writeConfig(t, e.app.Config)
	code, out := cli(t, "chat", "create", "-config", cfgPath, "-branch", "tech", "-owner", "m1")
	if code != 0 || !strings.Contains(out, "chat_id: wrchat") {
		t.Fatalf("chat create: %d\n%s", code, out)
	}
	created := partner.Calls("appchat/create")
	if len(created) != 1 || created[0].Body["owner"] != "m1" || len(created[0].Body["userlist"].([]any)) != 3 {
		t.Fatalf("partner's appchat/create %v, want one of partner's three members, owned by m1", created)
	}
	if n := len(e.fake.Calls("")); n != 0 {
		t.Fatalf("the home corp's API got %d calls for partner's chat", n)
	}
	chatID := strings.TrimSpace(out[strings.Index(out, "chat_id: ")+len("chat_id: "):])
	cfg := e.app.Config
	cfg.Org.Branches[0].ChatID = chatID
	if code, out := cli(t, "chat", "check", "-config", writeConfig(t, cfg)); code != 0 {
		t.Fatalf("chat check of partner's chat: %d\n%s", code, out)
	}
	if sends := partner.Calls("appchat/send"); len(sends) != 1 || sends[0].Body["chatid"] != chatID {
		t.Fatalf("partner's appchat/send %v, want the first message in %s", sends, chatID)
	}
}

package wecom_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
)

// The partner corp of the two-corp tests: its own corp id, secret and
// qyapi, which refuses the home corp's credentials and tokens.
// (partnerCorpID is callback_corps_test.go's.)
const partnerSecret = "partner-secret"

type twoCorps struct {
	home, partner *wecomtest.FakeAPI
	corps         *wecom.Corps
}

func newTwoCorps(t *testing.T) twoCorps {
	t.Helper()
	home := wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret)
	partner := wecomtest.NewFakeAPI(partnerCorpID, partnerSecret)
	t.Cleanup(home.Close)
	t.Cleanup(partner.Close)
	cache := &mapCache{m: map[string]any{}} // one cache, as in production: keys per corp
	corps, err := wecom.NewCorps(map[string]wecom.ClientConfig{
		"":        {BaseURL: home.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID, Secret: wecomtest.Secret, Cache: cache},
		"partner": {BaseURL: partner.URL(), CorpID: partnerCorpID, AgentID: wecomtest.AgentID, Secret: partnerSecret, Cache: cache},
	})
	if err != nil {
		t.Fatal(err)
	}
	return twoCorps{home: home, partner: partner, corps: corps}
}

// touser lists the touser of every message/send a fake received.
func touser(f *wecomtest.FakeAPI) []string {
	var out []string
	for _, c := range f.Calls("message/send") {
		to, _ := c.Body["touser"].(string)
		out = append(out, to)
	}
	return out
}

// Each member is addressed through their own corp's app, by their WeCom
// userid there: the home corp's m1 and partner's m1 are two people, two
// deliveries; no partner userid ever reaches the home corp's API. Who
// WeCom did not reach comes back as member ids.
func TestCorpsSendEachMemberThroughTheirCorp(t *testing.T) {
	tc := newTwoCorps(t)
	if tc.home.TokenRequests()+tc.partner.TokenRequests() != 0 {
		t.Fatal("NewCorps asked for a token")
	}
	tc.partner.SetUnreachable("b1")
	d, err := tc.corps.Notify(t.Context(), bot.Notice{To: []string{"m1", "partner/m1", "partner/b1"}, Text: "支部大会"})
	if err != nil {
		t.Fatal(err)
	}
	if got := touser(tc.home); len(got) != 1 || got[0] != "m1" {
		t.Fatalf("home corp's message/send %v, want one to m1", got)
	}
	if got := touser(tc.partner); len(got) != 1 || got[0] != "m1|b1" {
		t.Fatalf("partner's message/send %v, want one to m1|b1", got)
	}
	if len(d.Undelivered) != 1 || d.Undelivered[0] != "partner/b1" {
		t.Fatalf("undelivered %v, want partner/b1", d.Undelivered)
	}
	if tc.home.TokenRequests() != 1 || tc.partner.TokenRequests() != 1 {
		t.Fatalf("gettoken: home %d, partner %d, want one each", tc.home.TokenRequests(), tc.partner.TokenRequests())
	}
	home, _ := tc.corps.Client("")
	partner, _ := tc.corps.Client("partner")
	if home.TokenCacheKey() == partner.TokenCacheKey() {
		t.Fatalf("both corps cache their token under %s", home.TokenCacheKey())
	}
}

// Each fake accepts only its own corp's credentials, as WeCom does: an app
// pointed at the wrong corp's host gets no token.
func TestFakeRefusesAnotherCorpsCredentials(t *testing.T) {
	tc := newTwoCorps(t)
	wrong := wecom.NewClient(wecom.ClientConfig{BaseURL: tc.home.URL(), CorpID: partnerCorpID, AgentID: wecomtest.AgentID, Secret: partnerSecret, Cache: &mapCache{m: map[string]any{}}})
	err := wrong.SendText(t.Context(), "m1", "x")
	var apiErr *wecom.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 40001 {
		t.Fatalf("partner's secret at the home corp's host: %v, want 40001", err)
	}
	if len(tc.home.Calls("message/send")) != 0 {
		t.Fatal("the home corp's host took a message for partner's credentials")
	}
}

// An app chat is one corp's: "partner/wrX" is posted through partner's app
// as wrX; a button is relabelled through the clicker's corp.
func TestCorpsChatAndButtonGoThroughTheirCorp(t *testing.T) {
	tc := newTwoCorps(t)
	tc.partner.AddAppChat("wrX", "m1", "b1")
	if _, err := tc.corps.Notify(t.Context(), bot.Notice{ChatID: "partner/wrX", Text: "群消息"}); err != nil {
		t.Fatal(err)
	}
	if sends := tc.partner.Calls("appchat/send"); len(sends) != 1 || sends[0].Body["chatid"] != "wrX" {
		t.Fatalf("partner's appchat/send %v, want one to wrX", sends)
	}
	info, err := tc.corps.AppChat(t.Context(), "partner/wrX")
	if err != nil || info.ChatID != "partner/wrX" || strings.Join(info.UserList, ",") != "partner/m1,partner/b1" {
		t.Fatalf("AppChat = %+v (%v), want partner's chat with partner's members", info, err)
	}
	code := tc.partner.IssueResponseCode("m1")
	n := bot.Notice{To: []string{"partner/m1"}, ButtonUpdate: &bot.ButtonUpdate{ResponseCode: code, ReplaceName: "已收到"}}
	if _, err := tc.corps.Notify(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if ups := tc.partner.Calls("message/update_template_card"); len(ups) != 1 {
		t.Fatalf("partner's update_template_card %v, want one", ups)
	}
	if n := len(tc.home.Calls("")); n != 0 {
		t.Fatalf("the home corp's API got %d calls for partner's chat and card", n)
	}
}

// An app chat takes only its corp's members; the id comes back qualified.
func TestCorpsCreateAppChatInTheOwnersCorp(t *testing.T) {
	tc := newTwoCorps(t)
	if _, err := tc.corps.CreateAppChat(t.Context(), "联合支部", "partner/m1", []string{"partner/m1", "m2"}); err == nil {
		t.Fatal("an app chat of partner's took a home member")
	}
	chat, err := tc.corps.CreateAppChat(t.Context(), "联合支部", "partner/m1", []string{"partner/m1", "partner/b1"})
	if err != nil || !strings.HasPrefix(chat, "partner/wrchat") {
		t.Fatalf("CreateAppChat = %q (%v), want partner/wrchat…", chat, err)
	}
	created := tc.partner.Calls("appchat/create")
	if len(created) != 1 || created[0].Body["owner"] != "m1" {
		t.Fatalf("partner's appchat/create %v, want one owned by m1", created)
	}
}

// A picture a partner member sent ("partner/MEDIA") is fetched from
// partner's app, also when it is forwarded to home members (uploaded to
// the home corp's app, which sends it).
func TestCorpsFetchMediaFromItsCorp(t *testing.T) {
	tc := newTwoCorps(t)
	photo := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte("jpeg"), 100)...)
	tc.partner.PutMedia("MEDIA1", photo)
	data, err := tc.corps.FetchMedia(t.Context(), "partner/MEDIA1", 1<<20)
	if err != nil || !bytes.Equal(data, photo) {
		t.Fatalf("FetchMedia(partner/MEDIA1) = %d bytes (%v)", len(data), err)
	}
	if _, err := tc.corps.FetchMedia(t.Context(), "MEDIA1", 1<<20); err == nil {
		t.Fatal("the home corp's app served partner's media id")
	}
	n := bot.Notice{To: []string{"m1", "partner/b1"}, Media: &bot.Media{Type: "image", ID: "partner/MEDIA1"}}
	if _, err := tc.corps.Notify(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if gets := tc.partner.MediaGets(); len(gets) != 3 { // FetchMedia, then forwarding to each corp
		t.Fatalf("partner's media/get served %d times, want 3", len(gets))
	}
	if len(tc.home.Calls("media/upload")) != 1 || len(tc.partner.Calls("media/upload")) != 1 {
		t.Fatal("each corp's app must upload the picture it sends")
	}
	if touser(tc.home)[0] != "m1" || touser(tc.partner)[0] != "b1" {
		t.Fatalf("image sends: home %v, partner %v", touser(tc.home), touser(tc.partner))
	}
}

// A configuration error of partner's app names partner (the outbox pauses
// it alone) and the fix names its corps entry; the home corp's errors read
// as before.
func TestCorpsErrorsNameTheirCorp(t *testing.T) {
	tc := newTwoCorps(t)
	tc.partner.SetUntrustedIP(true)
	_, err := tc.corps.Notify(t.Context(), bot.Notice{To: []string{"partner/m1"}, Text: "x"})
	corp, ok := wecom.ErrorCorp(err)
	fix, isConfig := wecom.ConfigFix(err)
	if !ok || corp != "partner" || !isConfig || !strings.Contains(err.Error(), "corp partner") {
		t.Fatalf("error %v: corp %q %v, config %v", err, corp, ok, isConfig)
	}
	if !strings.Contains(fix, "企业可信IP") {
		t.Fatalf("fix %q", fix)
	}
	tc.home.FailNext("message/send", 40056)
	_, err = tc.corps.Notify(t.Context(), bot.Notice{To: []string{"m1"}, Text: "x"})
	fix, _ = wecom.ConfigFix(err)
	if corp, ok := wecom.ErrorCorp(err); !ok || corp != "" || strings.Contains(err.Error(), "corp") || !strings.Contains(fix, "wecom.agent_id") {
		t.Fatalf("home error %v (corp %q %v), fix %q", err, corp, ok, fix)
	}
	tc.partner.SetUntrustedIP(false)
	tc.partner.FailNext("message/send", 40056)
	_, err = tc.corps.Notify(t.Context(), bot.Notice{To: []string{"partner/m1"}, Text: "x"})
	if fix, _ := wecom.ConfigFix(err); !strings.Contains(fix, "corps[partner].agent_id") {
		t.Fatalf("partner's fix %q, want it to name corps[partner]", fix)
	}
	_, err = tc.corps.Notify(t.Context(), bot.Notice{To: []string{"gone/m1"}, Text: "x"})
	if !bot.IsPermanent(err) {
		t.Fatalf("a member of an unconfigured corp: %v, want a permanent error", err)
	}
}

package wecom_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
)

// A second corp's app: its own corp id, token and key.
const (
	partnerCorpID = "wwpartner0002"
	partnerToken  = "partnerToken2"
	partnerAESKey = "Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk7Lm8No9Pq0R"
)

// recordingOutbox keeps what is enqueued.
type recordingOutbox struct {
	mu      sync.Mutex
	notices map[string]bot.Notice
}

func (o *recordingOutbox) Enqueue(_ context.Context, id string, n bot.Notice) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notices[id] = n
	return nil
}

// corpEndpoint is one corp's callback on its own server, and WeCom
// clients signed with each corp's credentials, aimed at it.
type corpEndpoint struct {
	cb             *wecom.Callback
	home, partner  *wecomtest.WeCom
	tokenKeyAsHome *wecomtest.WeCom // partner's corp id, home's token and key
	seen           chan bot.Message
	outbox         *recordingOutbox
}

func newCorpEndpoint(t *testing.T, corp, corpID, token, key string, h wecom.MessageHandler, deadline time.Duration) *corpEndpoint {
	t.Helper()
	crypto, err := wecom.NewCrypto(token, key, corpID)
	if err != nil {
		t.Fatal(err)
	}
	ep := &corpEndpoint{seen: make(chan bot.Message, 4), outbox: &recordingOutbox{notices: map[string]bot.Notice{}}}
	if h == nil {
		h = echoHandler(ep.seen)
	}
	ep.cb, err = wecom.NewCallback(wecom.CallbackConfig{
		Crypto: crypto, CorpID: corpID, Corp: corp, Handler: h, Outbox: ep.outbox,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ReplyDeadline: deadline,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ep.cb)
	t.Cleanup(srv.Close)
	mk := func(token, key, corpID string) *wecomtest.WeCom {
		wc, err := wecomtest.NewWeCom(srv.URL, token, key, corpID, wecomtest.AgentID)
		if err != nil {
			t.Fatal(err)
		}
		return wc
	}
	ep.home = mk(wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID)
	ep.partner = mk(partnerToken, partnerAESKey, partnerCorpID)
	ep.tokenKeyAsHome = mk(wecomtest.Token, wecomtest.AESKey, partnerCorpID)
	return ep
}

// TestPartnerCallbackQualifiesTheSender: a message to the partner corp's
// endpoint reaches the bot from "partner/m1" (its media "partner/…"), and
// the passive reply addresses m1 from the partner's corp id.
func TestPartnerCallbackQualifiesTheSender(t *testing.T) {
	ep := newCorpEndpoint(t, "partner", partnerCorpID, partnerToken, partnerAESKey, nil, 0)
	resp, err := ep.partner.SendText("m1", "签到", "42")
	if err != nil {
		t.Fatal(err)
	}
	msg := <-ep.seen
	if msg.From != "partner/m1" || msg.DedupeKey() != "msg:partner/42" {
		t.Fatalf("bot saw From %q key %q, want partner/m1 and msg:partner/42", msg.From, msg.DedupeKey())
	}
	if resp.Status != http.StatusOK || resp.ReplyTo != "m1" || resp.ReplyFrom != partnerCorpID || resp.ReplyText != "收到：签到" {
		t.Fatalf("passive reply %d to %q from %q: %q; want to m1 from %s", resp.Status, resp.ReplyTo, resp.ReplyFrom, resp.ReplyText, partnerCorpID)
	}
	if _, err := ep.partner.Post(ep.partner.ImageXML("m1", "MEDIA1", "43", time.Now())); err != nil {
		t.Fatal(err)
	}
	if msg := <-ep.seen; msg.From != "partner/m1" || msg.MediaID != "partner/MEDIA1" {
		t.Fatalf("image from %q media %q, want partner/m1 and partner/MEDIA1", msg.From, msg.MediaID)
	}
}

// TestHomeCallbackKeepsBareIDs: the home corp's ids are what they always were.
func TestHomeCallbackKeepsBareIDs(t *testing.T) {
	ep := newCorpEndpoint(t, "", wecomtest.CorpID, wecomtest.Token, wecomtest.AESKey, nil, 0)
	if _, err := ep.home.Post(ep.home.ImageXML("m1", "MEDIA1", "43", time.Now())); err != nil {
		t.Fatal(err)
	}
	if msg := <-ep.seen; msg.From != "m1" || msg.MediaID != "MEDIA1" || msg.DedupeKey() != "msg:43" {
		t.Fatalf("home image from %q media %q key %q", msg.From, msg.MediaID, msg.DedupeKey())
	}
}

// TestCrossCorpCallbacksAreRefused: whatever does not carry this corp's
// signature, receive id and ToUserName never reaches the bot.
func TestCrossCorpCallbacksAreRefused(t *testing.T) {
	home := newCorpEndpoint(t, "", wecomtest.CorpID, wecomtest.Token, wecomtest.AESKey, nil, 0)
	partner := newCorpEndpoint(t, "partner", partnerCorpID, partnerToken, partnerAESKey, nil, 0)
	// A message whose envelope is this corp's but whose ToUserName names another.
	otherTo := func(wc *wecomtest.WeCom, to string) string {
		return strings.Replace(wc.TextXML("m1", "签到", "7", time.Now()), "<![CDATA["+wc.CorpID+"]]></ToUserName>", "<![CDATA["+to+"]]></ToUserName>", 1)
	}
	for _, tc := range []struct {
		name string
		ep   *corpEndpoint
		post func(ep *corpEndpoint) (wecomtest.Response, error)
		want int
	}{
		{"partner-signed to home's path", home, func(ep *corpEndpoint) (wecomtest.Response, error) {
			return ep.partner.SendText("m1", "签到", "7")
		}, http.StatusForbidden},
		{"home-signed to partner's path", partner, func(ep *corpEndpoint) (wecomtest.Response, error) {
			return ep.home.SendText("m1", "签到", "7")
		}, http.StatusForbidden},
		{"right token and key, another receive id", home, func(ep *corpEndpoint) (wecomtest.Response, error) {
			return ep.tokenKeyAsHome.SendText("m1", "签到", "7")
		}, http.StatusBadRequest},
		{"ToUserName of another corp", home, func(ep *corpEndpoint) (wecomtest.Response, error) {
			return ep.home.Post(otherTo(ep.home, partnerCorpID))
		}, http.StatusForbidden},
		{"ToUserName missing", partner, func(ep *corpEndpoint) (wecomtest.Response, error) {
			return ep.partner.Post(otherTo(ep.partner, ""))
		}, http.StatusForbidden},
		{"a sender naming a corp", partner, func(ep *corpEndpoint) (wecomtest.Response, error) {
			return ep.partner.SendText("home/admin1", "签到", "7")
		}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.post(tc.ep)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.want {
				t.Fatalf("status %d (%q), want %d", resp.Status, resp.Body, tc.want)
			}
			select {
			case m := <-tc.ep.seen:
				t.Fatalf("the bot saw %+v", m)
			default:
			}
		})
	}
}

// TestPartnerLateReplyGoesToTheQualifiedMember: a reply that misses the
// deadline is a Notice to "partner/m1", which outbound routes to the
// partner's API.
func TestPartnerLateReplyGoesToTheQualifiedMember(t *testing.T) {
	release := make(chan struct{})
	ep := newCorpEndpoint(t, "partner", partnerCorpID, partnerToken, partnerAESKey, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
		<-release
		return bot.Reply{Text: "慢慢来的回复"}, nil
	}), 50*time.Millisecond)
	resp, err := ep.partner.SendText("m1", "签到", "9")
	close(release)
	if err != nil || resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("%v %d %q, want an empty 200", err, resp.Status, resp.Body)
	}
	ep.cb.Wait()
	n, ok := ep.outbox.notices["reply:msg:partner/9"]
	if !ok || len(n.To) != 1 || n.To[0] != "partner/m1" || n.Text != "慢慢来的回复" {
		t.Fatalf("late reply %v %+v, want one to partner/m1 under reply:msg:partner/9", ok, ep.outbox.notices)
	}
}

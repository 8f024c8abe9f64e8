package wecom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
)

// fake is the package's fake qyapi.
var fake = wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret)

func TestMain(m *testing.M) {
	code := m.Run()
	fake.Close()
	os.Exit(code)
}

// handlerFunc adapts a function to wecom.MessageHandler.
type handlerFunc func(ctx context.Context, msg bot.Message) (bot.Reply, error)

func (f handlerFunc) Handle(ctx context.Context, msg bot.Message) (bot.Reply, error) {
	return f(ctx, msg)
}

// mapCache is a minimal silenceper cache for client tests (Redis-backed
// caching is tested in store and end to end).
type mapCache struct {
	mu sync.Mutex
	m  map[string]any
}

func (c *mapCache) Get(k string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}
func (c *mapCache) Set(k string, v any, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
	return nil
}
func (c *mapCache) IsExist(k string) bool { return c.Get(k) != nil }
func (c *mapCache) Delete(k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
	return nil
}

// directOutbox sends at once: the queue itself is tested end to end.
type directOutbox struct{ c *wecom.Client }

func (d directOutbox) Enqueue(ctx context.Context, _ string, n bot.Notice) error {
	_, err := d.c.Notify(ctx, n)
	return err
}

func newClient() *wecom.Client {
	return wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID, Secret: wecomtest.Secret, Cache: &mapCache{m: map[string]any{}}})
}

type harness struct {
	wc   *wecomtest.WeCom
	seen chan bot.Message
	cb   *wecom.Callback
}

func newHarness(t *testing.T, h wecom.MessageHandler, tweak func(*wecom.CallbackConfig)) *harness {
	t.Helper()
	fake.Reset()
	crypto, err := wecom.NewCrypto(wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	cfg := wecom.CallbackConfig{
		Crypto: crypto, CorpID: wecomtest.CorpID, Handler: h, Outbox: directOutbox{newClient()},
		Log: slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	cb, err := wecom.NewCallback(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cb)
	t.Cleanup(srv.Close)
	wc, err := wecomtest.NewWeCom(srv.URL, wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID, wecomtest.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{wc: wc, cb: cb}
}

func echoHandler(seen chan<- bot.Message) wecom.MessageHandler {
	return handlerFunc(func(_ context.Context, msg bot.Message) (bot.Reply, error) {
		if seen != nil {
			seen <- msg
		}
		if msg.Kind != bot.KindText {
			return bot.Reply{}, nil
		}
		return bot.Reply{Text: "收到：" + msg.Text}, nil
	})
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t, echoHandler(nil), nil)
	status, body, err := h.wc.VerifyURL("1616140317555161061")
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK || body != "1616140317555161061" {
		t.Fatalf("GET = %d %q, want 200 and the bare echostr", status, body)
	}
}

func TestPassiveReply(t *testing.T) {
	seen := make(chan bot.Message, 1)
	h := newHarness(t, echoHandler(seen), nil)
	resp, err := h.wc.SendText("lisi", "你好 <b>&", "4561255354251345929")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || resp.ReplyTo != "lisi" || resp.ReplyText != "收到：你好 <b>&" {
		t.Fatalf("got %d to=%q text=%q, want a passive reply to lisi", resp.Status, resp.ReplyTo, resp.ReplyText)
	}
	msg := <-seen
	if msg.MsgID != "4561255354251345929" || msg.From != "lisi" || msg.Kind != bot.KindText {
		t.Fatalf("handler saw %+v", msg)
	}
	if n := len(fake.Calls("")); n != 0 {
		t.Fatalf("passive reply made %d API calls, want 0", n)
	}
}

func TestEventsAndLocationParse(t *testing.T) {
	seen := make(chan bot.Message, 1)
	h := newHarness(t, echoHandler(seen), nil)
	now := time.Now()
	loc := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>39.9</Location_X>`+
		`<Location_Y>116.3</Location_Y><Scale>15</Scale><Label><![CDATA[北京]]></Label><MsgId>77</MsgId>`+
		`<AgentID>%d</AgentID></xml>`, wecomtest.CorpID, now.Unix(), wecomtest.AgentID)
	tests := []struct {
		name  string
		xml   string
		check func(bot.Message) bool
	}{
		{"click", h.wc.EventXML("lisi", "click", "checkin", now), func(m bot.Message) bool {
			return m.Kind == bot.KindEvent && m.Event == "click" && m.EventKey == "checkin"
		}},
		{"location", loc, func(m bot.Message) bool {
			return m.Location != nil && m.Location.Latitude == 39.9 && m.Location.Label == "北京"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.wc.Post(tc.xml)
			if err != nil || resp.Status != http.StatusOK || len(resp.Body) != 0 {
				t.Fatalf("post: %v %d %q, want an empty 200", err, resp.Status, resp.Body)
			}
			if m := <-seen; !tc.check(m) {
				t.Fatalf("parsed %+v", m)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	called := false
	h := newHarness(t, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
		called = true
		return bot.Reply{Text: "x"}, nil
	}), nil)
	good, _ := h.wc.Crypto.Encrypt([]byte(h.wc.TextXML("lisi", "签到", "1", time.Now())))
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-11*time.Minute).Unix(), 10)
	future := strconv.FormatInt(time.Now().Add(11*time.Minute).Unix(), 10)
	sign := func(ts, enc string) string { return h.wc.Crypto.Sign(ts, "42", enc) }
	otherCorp, _ := wecom.NewCrypto(wecomtest.Token, wecomtest.AESKey, "ww_someone_else")
	foreign, _ := otherCorp.Encrypt([]byte(h.wc.TextXML("lisi", "签到", "2", time.Now())))
	notXML, _ := h.wc.Crypto.Encrypt([]byte("not xml at all"))

	tests := []struct {
		name       string
		sig, ts    string
		body       []byte
		wantStatus int
	}{
		{"bad signature", strings.Repeat("0", 40), now, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, good), http.StatusForbidden},
		{"stale timestamp", sign(stale, good), stale, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, good), http.StatusForbidden},
		{"future timestamp", sign(future, good), future, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, good), http.StatusForbidden},
		{"missing signature", "", now, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, good), http.StatusBadRequest},
		{"garbage body", sign(now, good), now, []byte("\x00\x01garbage"), http.StatusBadRequest},
		{"empty Encrypt", sign(now, ""), now, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, ""), http.StatusBadRequest},
		{"not base64", sign(now, "!!!"), now, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, "!!!"), http.StatusBadRequest},
		{"other corp", sign(now, foreign), now, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, foreign), http.StatusBadRequest},
		{"plaintext not a message", sign(now, notXML), now, wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, notXML), http.StatusBadRequest},
		{"1 MiB body", sign(now, good), now, append(wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, good), make([]byte, 1<<20)...), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.wc.PostRaw(tc.sig, tc.ts, "42", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.Status, resp.Body, tc.wantStatus)
			}
		})
	}
	if called {
		t.Fatal("a rejected request reached the handler")
	}
}

func TestHandlerErrorIs503(t *testing.T) {
	h := newHarness(t, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
		return bot.Reply{}, errors.New("redis: connection refused")
	}), nil)
	resp, err := h.wc.SendText("lisi", "签到", "9")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 so that WeCom retries", resp.Status)
	}
}

func TestLateReplyGoesThroughMessageAPI(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
		<-release
		return bot.Reply{Text: "慢慢来的回复"}, nil
	}), func(c *wecom.CallbackConfig) { c.ReplyDeadline = 50 * time.Millisecond })
	resp, err := h.wc.SendText("lisi", "签到", "10")
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("got %d %q, want an empty 200 once the deadline passed", resp.Status, resp.Body)
	}
	// The connection is not kept: WeCom's next callback must not wait
	// behind the bot still working on this one.
	if !resp.Close {
		t.Fatal("the late answer keeps the connection alive")
	}
	h.cb.Wait()
	texts := fake.Texts()
	if len(texts) != 1 || texts[0] != [2]string{"lisi", "慢慢来的回复"} {
		t.Fatalf("API texts %v, want the late reply to lisi", texts)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHarness(t, echoHandler(nil), nil)
	req, _ := http.NewRequest(http.MethodPut, h.wc.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("PUT status %d, want 405", resp.StatusCode)
	}
}

func TestClientRefreshesExpiredToken(t *testing.T) {
	fake.Reset()
	cache := &mapCache{m: map[string]any{}}
	c := wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID, Secret: wecomtest.Secret, Cache: cache})
	ctx := t.Context()
	if err := c.SendText(ctx, "lisi", "one"); err != nil {
		t.Fatal(err)
	}
	if cache.Get(c.TokenCacheKey()) == nil {
		t.Fatalf("token not cached under %q", c.TokenCacheKey())
	}
	if err := c.SendText(ctx, "lisi", "two"); err != nil {
		t.Fatal(err)
	}
	if got := fake.TokenRequests(); got != 1 {
		t.Fatalf("gettoken called %d times for two sends, want 1 (cached)", got)
	}
	fake.ExpireTokens()
	if err := c.SendText(ctx, "lisi", "three"); err != nil {
		t.Fatalf("send after expiry: %v", err)
	}
	if got := fake.TokenRequests(); got != 2 {
		t.Fatalf("gettoken called %d times, want 2 (one refresh)", got)
	}
	if got := len(fake.Texts()); got != 3 {
		t.Fatalf("%d texts delivered, want 3", got)
	}
}

func TestClientErrors(t *testing.T) {
	fake.Reset()
	ctx := t.Context()
	c := newClient()
	fake.FailNext("message/send", 40003)
	err := c.SendText(ctx, "ghost", "hi")
	var apiErr *wecom.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 40003 || wecom.Transient(err) {
		t.Fatalf("err=%v, want a permanent APIError 40003", err)
	}

	wrong := wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID, Secret: "wrong-secret", Cache: &mapCache{m: map[string]any{}}})
	err = wrong.SendText(ctx, "lisi", "hi")
	if err == nil || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("err=%v, want an error that does not quote the secret", err)
	}
	if fix, ok := wecom.ConfigFix(err); !ok || !strings.Contains(fix, "wecom.secret") {
		t.Fatalf("ConfigFix(%v) = %q %v, want a configuration error naming wecom.secret", err, fix, ok)
	}

	off := wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID, Cache: &mapCache{m: map[string]any{}}})
	if err := off.SendText(ctx, "lisi", "hi"); err == nil || !strings.Contains(err.Error(), "wecom.secret") {
		t.Fatalf("err=%v, want it to name wecom.secret", err)
	}
}

func TestClientTruncatesLongText(t *testing.T) {
	fake.Reset()
	if err := newClient().SendText(t.Context(), "lisi", strings.Repeat("党", 1000)); err != nil {
		t.Fatal(err)
	}
	texts := fake.Texts()
	if len(texts) != 1 || len(texts[0][1]) > 2048 || !strings.HasSuffix(texts[0][1], "…") {
		t.Fatalf("sent %d bytes, want at most 2048 ending in …", len(texts[0][1]))
	}
}

func TestCardClickGetsUpdateButton(t *testing.T) {
	seen := make(chan bot.Message, 1)
	h := newHarness(t, handlerFunc(func(_ context.Context, m bot.Message) (bot.Reply, error) {
		seen <- m
		return bot.Reply{ReplaceButton: "已签到"}, nil
	}), nil)
	resp, err := h.wc.Post(h.wc.CardEventXML("lisi", "meeting_signin", "mtg_tech_1", fake.IssueResponseCode("lisi"), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ReplyType != "update_button" || resp.ReplyButton != "已签到" || resp.ReplyTo != "lisi" {
		t.Fatalf("reply %+v, want update_button 已签到 to lisi", resp)
	}
	if m := <-seen; m.Event != "template_card_event" || m.TaskID != "mtg_tech_1" || m.EventKey != "meeting_signin" || m.ResponseCode == "" {
		t.Fatalf("parsed %+v", m)
	}
}

func TestNotifyBatchesByThousand(t *testing.T) {
	fake.Reset()
	to := make([]string, 2500)
	for i := range to {
		to[i] = fmt.Sprintf("u%04d", i)
	}
	card := &bot.Card{Title: "会议", Description: "请签到", Buttons: []bot.Button{{Text: "签到", Key: "k"}}}
	if _, err := newClient().Notify(t.Context(), bot.Notice{To: to, Card: card}); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls("message/send")
	if len(calls) != 3 {
		t.Fatalf("%d calls for 2500 recipients, want ceil(2500/1000) = 3", len(calls))
	}
	total := 0
	for _, c := range calls {
		total += len(strings.Split(c.Body["touser"].(string), "|"))
		if c.Body["msgtype"] != "template_card" {
			t.Fatalf("msgtype %v", c.Body["msgtype"])
		}
	}
	if total != 2500 {
		t.Fatalf("%d recipients in all, want 2500", total)
	}
}

// A wrong secret fetched again and again gets the server's IP banned for
// an hour: after one refusal the client stops asking for a while.
func TestWrongSecretDoesNotHammerGettoken(t *testing.T) {
	fake.Reset()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c := wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID,
		Secret: "wrong-secret", Cache: &mapCache{m: map[string]any{}}, Now: func() time.Time { return now }, TokenPause: 10 * time.Minute})
	for range 5 {
		if err := c.SendText(t.Context(), "lisi", "hi"); err == nil {
			t.Fatal("send with a wrong secret succeeded")
		}
	}
	if got := fake.TokenRequests(); got != 1 {
		t.Fatalf("gettoken called %d times for five sends, want 1", got)
	}
	now = now.Add(11 * time.Minute)
	_ = c.SendText(t.Context(), "lisi", "hi")
	if got := fake.TokenRequests(); got != 2 {
		t.Fatalf("gettoken called %d times after the pause, want 2", got)
	}
}

func TestUntrustedIPIsAConfigurationError(t *testing.T) {
	fake.Reset()
	fake.SetUntrustedIP(true)
	err := newClient().SendText(t.Context(), "lisi", "hi")
	fix, ok := wecom.ConfigFix(err)
	if !ok || !strings.Contains(fix, "企业可信IP") {
		t.Fatalf("err=%v fix=%q: want a configuration error naming 企业可信IP", err, fix)
	}
}

// WeCom refuses a task_id it has seen: each batch and each send of a card
// carries its own, and clicks are matched by the button key instead.
func TestEveryCardSendHasItsOwnTaskID(t *testing.T) {
	fake.Reset()
	to := make([]string, 2500)
	for i := range to {
		to[i] = fmt.Sprintf("u%04d", i)
	}
	c := newClient()
	card := &bot.Card{Title: "党员大会", Description: "签到码 1234", Buttons: []bot.Button{{Text: "签到", Key: "meeting_signin:m1"}}}
	for range 2 { // e.g. a retry after WeCom accepted the first attempt
		if _, err := c.Notify(t.Context(), bot.Notice{To: to, Card: card}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, call := range fake.Calls("message/send") {
		id := call.Body["template_card"].(map[string]any)["task_id"].(string)
		if seen[id] {
			t.Fatalf("task_id %s sent twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 6 {
		t.Fatalf("%d distinct task_ids, want 6 (3 batches × 2 sends)", len(seen))
	}
}

func TestCardFieldsAreCutToWeComLimits(t *testing.T) {
	fake.Reset()
	card := &bot.Card{Title: strings.Repeat("长", 50), Description: strings.Repeat("述", 60), Buttons: []bot.Button{{Text: "签到并确认已经阅读全部内容", Key: "k"}}}
	if _, err := newClient().Notify(t.Context(), bot.Notice{To: []string{"lisi"}, Card: card}); err != nil {
		t.Fatalf("a long card was refused: %v", err)
	}
	body := fake.Calls("message/send")[0].Body["template_card"].(map[string]any)
	title := body["main_title"].(map[string]any)
	for field, limit := range map[string]int{"title": 36, "desc": 44} {
		v := title[field].(string)
		if n := len([]rune(v)); n != limit || !strings.HasSuffix(v, "…") {
			t.Fatalf("main_title.%s has %d characters (%q), want %d ending in …", field, n, v, limit)
		}
	}
}

// invaliduser and unlicenseduser come with errcode 0; a batch of nobody
// reachable comes as 81013. Either way the recipients are reported.
func TestUndeliveredRecipientsAreReported(t *testing.T) {
	fake.Reset()
	fake.SetUnreachable("gone1", "gone2")
	c := newClient()
	d, err := c.Notify(t.Context(), bot.Notice{To: []string{"lisi", "gone1"}, Text: "周五开会"})
	if err != nil || !slices.Equal(d.Undelivered, []string{"gone1"}) {
		t.Fatalf("Notify = %+v, %v; want gone1 undelivered", d, err)
	}
	d, err = c.Notify(t.Context(), bot.Notice{To: []string{"gone1", "gone2"}, Text: "周五开会"})
	if err != nil || !slices.Equal(d.Undelivered, []string{"gone1", "gone2"}) {
		t.Fatalf("Notify to nobody reachable = %+v, %v; want both undelivered and no retry", d, err)
	}
}

// A click whose reply misses the passive deadline still relabels the
// button: through update_template_card with the click's response code,
// which WeCom accepts once.
func TestLateCardClickRelabelsTheButton(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
		<-release
		return bot.Reply{ReplaceButton: "已签到"}, nil
	}), func(c *wecom.CallbackConfig) { c.ReplyDeadline = 50 * time.Millisecond })
	code := fake.IssueResponseCode("lisi")
	resp, err := h.wc.Post(h.wc.CardEventXML("lisi", "meeting_signin:m1", "pb_1", code, time.Now()))
	if err != nil || resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("late click answered %v %d %q, want an empty 200", err, resp.Status, resp.Body)
	}
	close(release)
	h.cb.Wait()
	calls := fake.Calls("message/update_template_card")
	if len(calls) != 1 || calls[0].Body["response_code"] != code ||
		calls[0].Body["button"].(map[string]any)["replace_name"] != "已签到" {
		t.Fatalf("update_template_card calls %v, want one relabelling to 已签到 with %s", calls, code)
	}
	// The fake holds WeCom's rule: a response code is spent.
	err = directOutbox{newClient()}.Enqueue(t.Context(), "again", bot.Notice{To: []string{"lisi"},
		ButtonUpdate: &bot.ButtonUpdate{ResponseCode: code, ReplaceName: "已签到"}})
	if err == nil {
		t.Fatal("a response code was accepted twice")
	}
}

func TestAppChatMustBeCreatedByTheApp(t *testing.T) {
	fake.Reset()
	c := newClient()
	if _, err := c.AppChat(t.Context(), "pasted-from-a-group"); err == nil {
		t.Fatal("appchat/get accepted a chat this app did not create")
	}
	if _, err := c.Notify(t.Context(), bot.Notice{ChatID: "pasted-from-a-group", Text: "hi"}); err == nil {
		t.Fatal("appchat/send accepted a chat this app did not create")
	}
	id, err := c.CreateAppChat(t.Context(), "技术党支部", "zhangsan", []string{"zhangsan", "lisi"})
	if err != nil {
		t.Fatal(err)
	}
	if chat, err := c.AppChat(t.Context(), id); err != nil || len(chat.UserList) != 2 {
		t.Fatalf("appchat/get %s = %+v, %v", id, chat, err)
	}
	if _, err := c.Notify(t.Context(), bot.Notice{ChatID: id, Text: "hi"}); err != nil {
		t.Fatalf("appchat/send to the created chat: %v", err)
	}
}

// A panicking handler costs that message a 503 (WeCom retries), not the process.
func TestHandlerPanicIsAnErrorForThatMessage(t *testing.T) {
	h := newHarness(t, handlerFunc(func(_ context.Context, m bot.Message) (bot.Reply, error) {
		if m.Text == "boom" {
			panic("nil map write")
		}
		return bot.Reply{Text: "ok"}, nil
	}), nil)
	resp, err := h.wc.SendText("lisi", "boom", "p1")
	if err != nil || resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("panic answered %v %d, want 503", err, resp.Status)
	}
	resp, err = h.wc.SendText("lisi", "fine", "p2")
	if err != nil || resp.ReplyText != "ok" {
		t.Fatalf("after a panic: %v %q", err, resp.ReplyText)
	}
}

// A reply over WeCom's 2048 bytes is not cut: the first part is the passive
// reply, the rest goes out through the message API.
func TestLongReplyIsSentWhole(t *testing.T) {
	var lines []string
	for i := range 150 {
		lines = append(lines, fmt.Sprintf("第%03d行：党员名单中的一位同志", i))
	}
	long := strings.Join(lines, "\n")
	h := newHarness(t, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
		return bot.Reply{Text: long}, nil
	}), nil)
	resp, err := h.wc.SendText("lisi", "名单", "long-1")
	if err != nil || len(resp.ReplyText) > 2048 || !strings.HasPrefix(long, resp.ReplyText) {
		t.Fatalf("passive reply of %d bytes (%v), want the first ≤2048 bytes", len(resp.ReplyText), err)
	}
	got := resp.ReplyText
	for _, text := range fake.Texts() {
		if text[0] != "lisi" || len(text[1]) > 2048 {
			t.Fatalf("rest sent as %q (%d bytes)", text[0], len(text[1]))
		}
		got += "\n" + text[1]
	}
	if got != long {
		t.Fatalf("the parts do not make the reply: %d of %d bytes", len(got), len(long))
	}
}

// The passive reply is built by hand for speed: it must stay the XML WeCom
// reads, whatever the text holds.
func TestPassiveReplyXMLRoundTrips(t *testing.T) {
	for i, text := range []string{"签到成功 ✅", "a]]>b", "<a href=\"x\">", "tab\there\nnew line", "bad\vchar"} {
		h := newHarness(t, handlerFunc(func(context.Context, bot.Message) (bot.Reply, error) {
			return bot.Reply{Text: text}, nil
		}), nil)
		resp, err := h.wc.SendText("lisi", "x", fmt.Sprint(7000+i))
		want := strings.ReplaceAll(text, "\v", "")
		if err != nil || resp.ReplyText != want || resp.ReplyTo != "lisi" {
			t.Fatalf("reply to %q came back as %q (%v)", text, resp.ReplyText, err)
		}
	}
}

// A card's subtitle is cut to 112 characters, it carries up to six buttons
// (the secondary ones grey), and a member's picture goes on by media_id.
func TestCardSubtitleButtonsAndMedia(t *testing.T) {
	fake.Reset()
	c := newClient()
	card := &bot.Card{Title: "活动：志愿服务", Description: "11月28日", Subtitle: strings.Repeat("文", 200),
		Buttons: []bot.Button{{Text: "报名", Key: "act_join:tech:1"}, {Text: "不参加", Key: "act_no:tech:1", Secondary: true}}}
	if _, err := c.Notify(t.Context(), bot.Notice{To: []string{"lisi"}, Card: card}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Notify(t.Context(), bot.Notice{To: []string{"lisi"}, Media: &bot.Media{Type: "image", ID: "m-1"}}); err == nil || wecom.Transient(err) {
		t.Fatalf("a media_id WeCom does not hold: %v, want a permanent error", err)
	}
	fake.PutMedia("m-1", []byte("\xff\xd8\xff\xe0 a member's picture"))
	if _, err := c.Notify(t.Context(), bot.Notice{To: []string{"lisi"}, Media: &bot.Media{Type: "image", ID: "m-1"}}); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls("message/send")
	body := calls[0].Body["template_card"].(map[string]any)
	if n := len([]rune(body["sub_title_text"].(string))); n != 112 {
		t.Fatalf("sub_title_text of %d characters, want 112", n)
	}
	buttons := body["button_list"].([]any)
	if len(buttons) != 2 || buttons[1].(map[string]any)["style"].(float64) != 2 {
		t.Fatalf("buttons %v", buttons)
	}
	sentID, _ := calls[1].Body["image"].(map[string]any)["media_id"].(string)
	if data, ok := fake.Media(sentID); calls[1].Body["msgtype"] != "image" || !ok || !bytes.Contains(data, []byte("a member's picture")) {
		t.Fatalf("media sent as %v, want the picture re-uploaded", calls[1].Body)
	}
}

// The group robot: the branch's key goes in the URL, never in an error;
// an unknown key is 93000, which no retry fixes.
func TestRobotPostsAndKeepsItsKeySecret(t *testing.T) {
	fake.Reset()
	const key = "0a1b2c3d-robot-key-secret"
	fake.AddRobot(key)
	c := wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID,
		Secret: wecomtest.Secret, Cache: &mapCache{m: map[string]any{}}, RobotKeys: map[string]string{"tech": key, "ops": "removed-robot-key"}})
	long := strings.Repeat("长", 1000) // 3,000 bytes: cut to the robot's 2,048
	if _, err := c.Notify(t.Context(), bot.Notice{Robot: "tech", Text: long}); err != nil {
		t.Fatal(err)
	}
	posts := fake.RobotTexts(key)
	if len(posts) != 1 || len(posts[0]) > 2048 {
		t.Fatalf("posts %d, first of %d bytes", len(posts), len(posts[0]))
	}
	_, err := c.Notify(t.Context(), bot.Notice{Robot: "ops", Text: "hi"})
	var apiErr *wecom.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 93000 || wecom.Transient(err) {
		t.Fatalf("removed robot: %v, want a permanent 93000", err)
	}
	if _, err := c.Notify(t.Context(), bot.Notice{Robot: "none", Text: "hi"}); err == nil || strings.Contains(err.Error(), key) {
		t.Fatalf("no robot for the branch: %v", err)
	}
	// 20 posts a minute, then 45009: the outbox waits rather than drops.
	for range 19 {
		if _, err := c.Notify(t.Context(), bot.Notice{Robot: "tech", Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Notify(t.Context(), bot.Notice{Robot: "tech", Text: "x"}); !wecom.RateLimited(err) {
		t.Fatalf("21st post in a minute: %v, want 45009", err)
	}
}

// A response code is good once, within 72 hours: a second use or a late
// one is refused, and the refusal is permanent (the outbox archives it
// with a log line instead of retrying it forever).
func TestResponseCodeOnceWithin72Hours(t *testing.T) {
	fake.Reset()
	c := newClient()
	update := func(code string) error {
		_, err := c.Notify(t.Context(), bot.Notice{To: []string{"lisi"}, ButtonUpdate: &bot.ButtonUpdate{ResponseCode: code, ReplaceName: "已收到"}})
		return err
	}
	code := fake.IssueResponseCode("lisi")
	if err := update(code); err != nil {
		t.Fatal(err)
	}
	if err := update(code); err == nil || wecom.Transient(err) {
		t.Fatalf("second use: %v, want a permanent error", err)
	}
	issued := time.Now()
	fake.Now = func() time.Time { return issued.Add(-73 * time.Hour) }
	old := fake.IssueResponseCode("lisi")
	fake.Now = nil
	if err := update(old); err == nil || wecom.Transient(err) {
		t.Fatalf("a code of 73 hours ago: %v, want a permanent error", err)
	}
}

// media/get answers like every other call: the file, 40007 for an id WeCom
// does not hold (permanent), 60020 from an untrusted IP (a configuration
// error).
func TestFetchMedia(t *testing.T) {
	fake.Reset()
	c := newClient()
	fake.PutMedia("pic-1", []byte("\xff\xd8\xff a picture"))
	if data, err := c.FetchMedia(t.Context(), "pic-1", 1<<20); err != nil || !bytes.Contains(data, []byte("a picture")) {
		t.Fatalf("fetch: %q %v", data, err)
	}
	var apiErr *wecom.APIError
	if _, err := c.FetchMedia(t.Context(), "nope", 1<<20); !errors.As(err, &apiErr) || apiErr.Code != 40007 || !errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("unknown media: %v, want a permanent 40007", err)
	}
	fake.SetUntrustedIP(true)
	defer fake.SetUntrustedIP(false)
	if _, err := c.FetchMedia(t.Context(), "pic-1", 1<<20); err == nil {
		t.Fatal("fetched from an untrusted IP")
	} else if _, ok := wecom.ConfigFix(err); !ok || errors.Is(err, bot.ErrPermanent) {
		t.Fatalf("untrusted IP: %v, want a configuration error", err)
	}
}

// A file is read whole or refused, never cut: one over 8 MB but within the
// limit comes whole, one over the limit is ErrTooLarge, and one over
// media/get's 20 MB (830002 when asked whole) comes in Range requests,
// refused after the first when the size it reports is over the limit.
func TestFetchMediaWholeOrTooLarge(t *testing.T) {
	fake.Reset()
	c := newClient()
	pattern := func(n int) []byte {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		return data
	}
	files := map[string][]byte{"9MiB": pattern(9 << 20), "10MiB+1": pattern(10<<20 + 1), "21MB": pattern(21 << 20)}
	for id, data := range files {
		fake.PutMedia(id, data)
	}
	cases := []struct {
		id       string
		limit    int64
		tooLarge bool
		ranged   bool
	}{
		{"9MiB", 10 << 20, false, false},
		{"10MiB+1", 10 << 20, true, false},
		{"21MB", 10 << 20, true, true},
		{"21MB", 30 << 20, false, true},
	}
	for _, tc := range cases {
		before := len(fake.MediaGets())
		data, err := c.FetchMedia(t.Context(), tc.id, tc.limit)
		gets := fake.MediaGets()[before:]
		switch {
		case tc.tooLarge && (!errors.Is(err, bot.ErrTooLarge) || wecom.Transient(err) || data != nil):
			t.Errorf("%s within %d: %d bytes, %v; want a permanent ErrTooLarge", tc.id, tc.limit, len(data), err)
		case !tc.tooLarge && (err != nil || !bytes.Equal(data, files[tc.id])):
			t.Errorf("%s within %d: %d of %d bytes, %v; want the whole file", tc.id, tc.limit, len(data), len(files[tc.id]), err)
		case tc.ranged && (len(gets) == 0 || !strings.HasPrefix(gets[0], "bytes=0-")):
			t.Errorf("%s: media/get requests %q, want Range requests", tc.id, gets)
		case tc.ranged && tc.tooLarge && len(gets) != 1:
			t.Errorf("%s over the limit: %d Range requests, want one (the size is known after it)", tc.id, len(gets))
		}
	}
}

// WeCom's upload limits hold in the fake as in WeCom (a file over 20 MB is
// 40006, an image over 10 MB 40009), and the client refuses them before
// uploading, permanently: the outbox does not retry them for hours.
func TestUploadLimits(t *testing.T) {
	fake.Reset()
	cases := []struct {
		kind string
		size int
		code int64
	}{
		{"file", 20<<20 + 1, 40006},
		{"image", 10<<20 + 1, 40009},
		{"video", 10<<20 + 1, 40011},
		{"file", 20 << 20, 0},
		{"image", 10 << 20, 0},
	}
	token := fakeToken(t)
	for _, tc := range cases {
		if got := rawUpload(t, token, tc.kind, tc.size); got != tc.code {
			t.Errorf("the fake: %s of %d bytes answered %d, want %d", tc.kind, tc.size, got, tc.code)
		}
	}
	c := newClient()
	uploads := len(fake.Calls("media/upload"))
	_, err := c.Notify(t.Context(), bot.Notice{To: []string{"lisi"}, Image: &bot.Image{Name: "big.png", PNG: make([]byte, 10<<20+1)}})
	if !errors.Is(err, bot.ErrTooLarge) || wecom.Transient(err) || len(fake.Calls("media/upload")) != uploads {
		t.Fatalf("an image over 10 MB: %v, want a permanent ErrTooLarge before any upload", err)
	}
}

// fakeToken asks the fake for an access token.
func fakeToken(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(fake.URL() + "/cgi-bin/gettoken?corpid=" + wecomtest.CorpID + "&corpsecret=" + wecomtest.Secret)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.AccessToken
}

// rawUpload posts size bytes to the fake's media/upload and returns its errcode.
func rawUpload(t *testing.T, token, kind string, size int) int64 {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("media", "x."+kind)
	if err == nil {
		_, err = part.Write(make([]byte, size))
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(fake.URL()+"/cgi-bin/media/upload?type="+kind+"&access_token="+token, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		ErrCode int64 `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	return answer.ErrCode
}

// fileBuilder builds files of a size, or fails.
type fileBuilder struct {
	size int
	err  error
}

func (b fileBuilder) BuildFile(context.Context, bot.File) ([]byte, error) {
	return make([]byte, b.size), b.err
}

// A ledger that cannot be sent is told to its requester at once: over 20
// MB, with how to get it anyway; unbuildable for good, that it failed. The
// error is permanent, so the outbox does not rebuild it for hours. A
// passing build failure is retried, and nobody is told yet.
func TestFileThatCannotBeSentIsTold(t *testing.T) {
	cases := []struct {
		name      string
		builder   fileBuilder
		told      string
		transient bool
	}{
		{"over 20 MB", fileBuilder{size: 20<<20 + 1}, bot.FileTooLargeText, false},
		{"branch gone", fileBuilder{err: bot.Permanent(errors.New("no branch ops"))}, bot.FileFailedText, false},
		{"redis down", fileBuilder{err: errors.New("dial tcp: connection refused")}, "", true},
	}
	for _, tc := range cases {
		fake.Reset()
		c := wecom.NewClient(wecom.ClientConfig{BaseURL: fake.URL(), CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID,
			Secret: wecomtest.Secret, Cache: &mapCache{m: map[string]any{}}, Files: tc.builder})
		_, err := c.Notify(t.Context(), bot.Notice{To: []string{"zhangsan"}, File: &bot.File{Name: "台账.xlsx", Export: &bot.ExportRequest{Branch: "tech"}}})
		var told []string
		for _, text := range fake.Texts() {
			if text[0] == "zhangsan" {
				told = append(told, text[1])
			}
		}
		switch {
		case err == nil || wecom.Transient(err) != tc.transient:
			t.Errorf("%s: %v, want an error transient=%v", tc.name, err, tc.transient)
		case tc.told == "" && len(told) != 0, tc.told != "" && !slices.Equal(told, []string{tc.told}):
			t.Errorf("%s: told %q, want %q", tc.name, told, tc.told)
		case len(fake.Calls("media/upload")) != 0:
			t.Errorf("%s: uploaded anyway", tc.name)
		}
	}
}

// An announcement's picture goes out under a media_id this app uploaded
// (the fake, like WeCom, need not accept a member's MediaId in a message),
// uploaded once however many messages carry it.
func TestForwardedPictureIsReuploadedOnce(t *testing.T) {
	fake.Reset()
	c := newClient()
	picture := []byte("\x89PNG\r\n\x1a\n a member's picture")
	fake.PutMedia("inbound-1", picture)
	for _, n := range []bot.Notice{
		{To: []string{"lisi"}, Media: &bot.Media{Type: "image", ID: "inbound-1"}},
		{To: []string{"wangwu"}, Media: &bot.Media{Type: "image", ID: "inbound-1"}},
	} {
		if _, err := c.Notify(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	sends, uploads := fake.Calls("message/send"), fake.Calls("media/upload")
	if len(sends) != 2 || len(uploads) != 1 {
		t.Fatalf("%d sends, %d uploads; want 2 and 1", len(sends), len(uploads))
	}
	for _, send := range sends {
		id, _ := send.Body["image"].(map[string]any)["media_id"].(string)
		if data, ok := fake.Media(id); id == "inbound-1" || !ok || !bytes.Equal(data, picture) {
			t.Fatalf("sent media_id %q, want the uploaded copy of the picture", id)
		}
	}
	if name := uploads[0].Body["filename"]; name != "image.png" {
		t.Fatalf("uploaded as %v", name)
	}
}

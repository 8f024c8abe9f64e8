package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

// fake is the package's qyapi; the demo tests start their own.
var fake = wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret)

func TestMain(m *testing.M) {
	switch os.Getenv("PARTYBOT_HELPER") {
	case "enqueue-and-hang":
		helperEnqueueAndHang()
	case "serve":
		helperServe()
	case "job-and-hang":
		helperJobAndHang()
	}
	code := m.Run()
	fake.Close()
	os.Exit(code)
}

// clock is a settable time shared by the app and the fake WeCom.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func testConfig(rc store.Config) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Redis = RedisConfig{Addr: rc.Addr, Addrs: rc.Addrs, MasterName: rc.MasterName, Password: rc.Password, DB: rc.DB, KeyPrefix: rc.KeyPrefix}
	cfg.WeCom.CorpID, cfg.WeCom.AgentID = wecomtest.CorpID, wecomtest.AgentID
	cfg.WeCom.Secret, cfg.WeCom.Token, cfg.WeCom.EncodingAESKey = wecomtest.Secret, wecomtest.Token, wecomtest.AESKey
	cfg.WeCom.APIBase = fake.URL()
	// Jobs fire only when a test says so.
	for name := range cfg.Schedule {
		cfg.Schedule[name] = ""
	}
	// The check-in reminder (off by default) is the job tests' vehicle for
	// the scheduler and the outbox; TestCheckinReminderIsOffUnlessTurnedOn
	// covers the default.
	cfg.Rules.CheckinReminder = true
	// Deliver and retry quickly: tests wait for the outbox.
	cfg.Outbox.PollInterval, cfg.Outbox.RetryBase, cfg.Outbox.RateLimitWait = 20*time.Millisecond, 20*time.Millisecond, 50*time.Millisecond
	cfg.Outbox.ConfigPause = 300 * time.Millisecond
	cfg.Org = OrgConfig{Name: "测试党委", Admins: []string{"admin1"}, Branches: []BranchConfig{{
		ID: "tech", Name: "技术党支部", Secretaries: []string{"zhangsan"}, Members: []string{"zhangsan", "lisi", "wangwu"},
	}}}
	return cfg
}

type e2e struct {
	app    *App
	wc     *wecomtest.WeCom
	clock  *clock
	base   string
	msgSeq int    // MsgIds for e.run and friends
	last   string // the last reply e.send saw
}

// lastReply is the text of the last passive reply.
func (e *e2e) lastReply(t *testing.T) string {
	t.Helper()
	return e.last
}

// startApp starts the app on the test config, changed by each of adjust.
func startApp(t testing.TB, rc store.Config, adjust ...func(*Config)) *e2e {
	t.Helper()
	fake.Reset()
	cfg := testConfig(rc)
	for _, fn := range adjust {
		fn(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if tt, ok := t.(*testing.T); ok {
		log = slog.New(slog.NewTextHandler(tt.Output(), nil))
	}
	app, err := NewApp(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	app.Now = clk.Now
	if err := app.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	base := "http://" + app.Addr()
	wc, err := wecomtest.NewWeCom(base+cfg.WeCom.CallbackPath, wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID, wecomtest.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	wc.Now = clk.Now
	return &e2e{app: app, wc: wc, clock: clk, base: base}
}

func (e *e2e) send(t *testing.T, from, text, msgID string) wecomtest.Response {
	t.Helper()
	resp, err := e.wc.SendText(from, text, msgID)
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	e.last = resp.ReplyText
	return resp
}

func (e *e2e) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get(e.base + path)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond (the outbox delivers asynchronously) for up to 30 s:
// under -race on two busy cores a few hops through the queue can be slow.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sent lists the recorded message/send and appchat/send bodies of a msgtype.
func sent(msgType string) []map[string]any {
	var out []map[string]any
	for _, c := range fake.Calls("") {
		if (c.API == "message/send" || c.API == "appchat/send") && c.Body["msgtype"] == msgType {
			out = append(out, c.Body)
		}
	}
	return out
}

// snapshot is every key under the prefix with its serialised value, to
// show that a request changed nothing.
func (e *e2e) snapshot(t *testing.T) map[string]string {
	t.Helper()
	rdb := e.app.Store.Client()
	ks, err := rdb.Keys(t.Context(), e.app.Store.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range ks {
		out[k] = rdb.Dump(t.Context(), k).Val()
	}
	return out
}

func (e *e2e) assertUnchanged(t *testing.T, before map[string]string) {
	t.Helper()
	after := e.snapshot(t)
	for k, v := range after {
		if before[k] != v {
			t.Errorf("key %s was written", k)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d keys before, %d after", len(before), len(after))
	}
}

func TestE2EConversation(t *testing.T) {
	e := startApp(t, redistest.Config(t))
	// Wednesday 2026-11-18, 09:31 in Beijing.
	wed := time.Date(2026, 11, 18, 9, 31, 0, 0, time.FixedZone("CST", 8*3600))
	e.clock.Set(wed)

	t.Run("URL verification", func(t *testing.T) {
		status, body, err := e.wc.VerifyURL("5927782489442352469")
		if err != nil || status != http.StatusOK || body != "5927782489442352469" {
			t.Fatalf("GET = %d %q %v, want 200 and the echostr", status, body, err)
		}
	})

	t.Run("health", func(t *testing.T) {
		if got := e.get(t, "/healthz"); got != http.StatusOK {
			t.Fatalf("/healthz %d", got)
		}
		if got := e.get(t, "/readyz"); got != http.StatusOK {
			t.Fatalf("/readyz %d", got)
		}
	})

	steps := []struct {
		name, from, text, msgID string
		wantStatus              int
		wantReply               string // substring; "" means an empty body
	}{
		{"help", "lisi", "帮助", "100", 200, "签到"},
		{"help alias", "lisi", "HELP", "101", 200, "党建助手可以帮你"},
		{"unknown command", "lisi", "吃了吗", "102", 200, "发送“帮助”"},
		{"check in", "lisi", "签到", "103", 200, "签到成功"},
		{"retried MsgId gets the same answer", "lisi", "签到", "103", 200, "签到成功"},
		{"second check-in the same day", "lisi", "打卡", "104", 200, "已经签到过了"},
		{"full-width alias", "wangwu", "ｃｈｅｃｋｉｎ", "105", 200, "已连续签到 1 天"},
		{"admin outside branches", "admin1", "签到", "106", 200, "不属于任何支部"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resp := e.send(t, st.from, st.text, st.msgID)
			if resp.Status != st.wantStatus {
				t.Fatalf("status %d (%s), want %d", resp.Status, resp.Body, st.wantStatus)
			}
			if !strings.Contains(resp.ReplyText, st.wantReply) || resp.ReplyTo != st.from {
				t.Fatalf("reply to %q: %q, want it to contain %q", resp.ReplyTo, resp.ReplyText, st.wantReply)
			}
		})
	}

	t.Run("one check-in stored for lisi", func(t *testing.T) {
		n, err := e.app.Store.Client().HLen(t.Context(), e.app.Store.Prefix()+"{tech}:checkin:day:2026-11-18").Result()
		if err != nil || n != 2 {
			t.Fatalf("day hash has %d members (%v), want 2 (lisi, wangwu)", n, err)
		}
	})

	t.Run("menu click checks in", func(t *testing.T) {
		resp, err := e.wc.Post(e.wc.EventXML("zhangsan", "click", "checkin", e.clock.Now()))
		if err != nil || !strings.Contains(resp.ReplyText, "签到成功") {
			t.Fatalf("click: %v %q", err, resp.ReplyText)
		}
	})

	t.Run("streak over a weekend", func(t *testing.T) {
		for i, day := range []int{19, 20, 23} { // Thu, Fri, Mon
			e.clock.Set(wed.AddDate(0, 0, day-18))
			resp := e.send(t, "lisi", "签到", fmt.Sprint(200+i))
			want := fmt.Sprintf("已连续签到 %d 天", i+2)
			if !strings.Contains(resp.ReplyText, want) {
				t.Fatalf("day %d: %q, want %q", day, resp.ReplyText, want)
			}
		}
	})

	t.Run("passive replies used no API quota", func(t *testing.T) {
		if n := len(fake.Calls("")); n != 0 {
			t.Fatalf("%d API calls, want 0", n)
		}
	})
}

func TestE2EDeliveryInFlightIsRetried(t *testing.T) {
	e := startApp(t, redistest.Config(t))
	// Another delivery of message 900 holds the claim (or died holding it).
	if _, _, err := e.app.Store.Claim(t.Context(), "msg:900"); err != nil {
		t.Fatal(err)
	}
	if resp := e.send(t, "lisi", "学习 党章 30分钟", "900"); resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d while another delivery is in flight, want 503 so WeCom retries", resp.Status)
	}
	if err := e.app.Store.Release(t.Context(), "msg:900"); err != nil { // the claim expires
		t.Fatal(err)
	}
	if resp := e.send(t, "lisi", "学习 党章 30分钟", "900"); resp.Status != http.StatusOK || !strings.Contains(resp.ReplyText, "已记录学习") {
		t.Fatalf("after the claim expired: %d %q", resp.Status, resp.ReplyText)
	}
}

func TestE2EUnknownUserStoresNothing(t *testing.T) {
	e := startApp(t, redistest.Config(t))
	before := e.snapshot(t)
	resp := e.send(t, "stranger", "签到", "300")
	if resp.Status != http.StatusOK || !strings.Contains(resp.ReplyText, "联系所在党支部书记") {
		t.Fatalf("got %d %q, want the not-registered reply", resp.Status, resp.ReplyText)
	}
	e.assertUnchanged(t, before)
}

func TestE2EBadRequestsChangeNothing(t *testing.T) {
	e := startApp(t, redistest.Config(t))
	before := e.snapshot(t)
	now := e.clock.Now()
	enc, err := e.wc.Crypto.Encrypt([]byte(e.wc.TextXML("lisi", "签到", "400", now)))
	if err != nil {
		t.Fatal(err)
	}
	ts := fmt.Sprint(now.Unix())
	stale := fmt.Sprint(now.Add(-15 * time.Minute).Unix())
	body := wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, enc)
	tests := []struct {
		name       string
		sig, ts    string
		body       []byte
		wantStatus int
	}{
		{"bad signature", strings.Repeat("a", 40), ts, body, http.StatusForbidden},
		{"stale timestamp", e.wc.Crypto.Sign(stale, "1", enc), stale, body, http.StatusForbidden},
		{"1 MiB body", e.wc.Crypto.Sign(ts, "1", enc), ts, append(body, strings.Repeat(" ", 1<<20)...), http.StatusRequestEntityTooLarge},
		{"garbage", "x", ts, []byte("<<<"), http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.wc.PostRaw(tc.sig, tc.ts, "1", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.Status, tc.wantStatus)
			}
		})
	}
	e.assertUnchanged(t, before)
}

func TestE2ERedisDownThenBack(t *testing.T) {
	srv := redistest.Start(t)
	e := startApp(t, srv.Config(t))
	if resp := e.send(t, "lisi", "帮助", "500"); resp.Status != http.StatusOK {
		t.Fatalf("before the outage: %d", resp.Status)
	}

	srv.Stop()
	resp := e.send(t, "lisi", "签到", "501")
	if resp.Status != http.StatusServiceUnavailable {
		t.Fatalf("with Redis down: %d %q, want 503 so WeCom retries", resp.Status, resp.Body)
	}
	if got := e.get(t, "/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down: %d, want 503", got)
	}
	if got := e.get(t, "/healthz"); got != http.StatusOK {
		t.Fatalf("/healthz with Redis down: %d, want 200 (the process is alive)", got)
	}

	srv.Restart()
	// WeCom's retry of the same message now goes through, without restarting partybot.
	resp = e.send(t, "lisi", "签到", "501")
	if resp.Status != http.StatusOK || !strings.Contains(resp.ReplyText, "签到成功") {
		t.Fatalf("after recovery: %d %q", resp.Status, resp.ReplyText)
	}
	if got := e.get(t, "/readyz"); got != http.StatusOK {
		t.Fatalf("/readyz after recovery: %d", got)
	}
}

func TestE2ETokenLivesInRedis(t *testing.T) {
	e := startApp(t, redistest.Config(t))
	if err := e.app.WeCom.SendText(t.Context(), "lisi", "测试"); err != nil {
		t.Fatal(err)
	}
	key := e.app.Store.TokenCache().Key(e.app.WeCom.TokenCacheKey())
	if !strings.HasPrefix(key, e.app.Store.Prefix()) {
		t.Fatalf("token key %q is outside the key prefix", key)
	}
	ttl, err := e.app.Store.Client().TTL(t.Context(), key).Result()
	if err != nil || ttl <= 0 {
		t.Fatalf("token key %q TTL %v (%v), want a positive TTL", key, ttl, err)
	}
}

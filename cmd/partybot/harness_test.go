package main

// The end-to-end harness: every test gets its own fake qyapi, its own Redis
// key prefix (or server) and its own app, so tests can run in parallel.

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

func TestMain(m *testing.M) {
	switch os.Getenv("PARTYBOT_HELPER") {
	case "enqueue-and-hang":
		helperEnqueueAndHang()
	case "serve":
		helperServe()
	case "job-and-hang":
		helperJobAndHang()
	}
	os.Exit(m.Run())
}

var cst = time.FixedZone("CST", 8*3600)

// clock is a settable time shared by the app and the fake WeCom.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// newFake starts a qyapi fake for one test; it stops at cleanup.
func newFake(t testing.TB) *wecomtest.FakeAPI {
	f := wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret)
	t.Cleanup(f.Close)
	return f
}

// testConfig is the app's config for a test on Redis rc and the qyapi at apiBase.
func testConfig(rc store.Config, apiBase string) Config {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Redis = RedisConfig{Addr: rc.Addr, Addrs: rc.Addrs, MasterName: rc.MasterName, Password: rc.Password, DB: rc.DB, KeyPrefix: rc.KeyPrefix}
	cfg.WeCom.CorpID, cfg.WeCom.AgentID = wecomtest.CorpID, wecomtest.AgentID
	cfg.WeCom.Secret, cfg.WeCom.Token, cfg.WeCom.EncodingAESKey = wecomtest.Secret, wecomtest.Token, wecomtest.AESKey
	cfg.WeCom.APIBase = apiBase
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

// e2e is one running app with the WeCom that talks to it.
type e2e struct {
	app    *App
	fake   *wecomtest.FakeAPI // the qyapi the app sends to
	wc     *wecomtest.WeCom   // posts callbacks to the app
	clock  *clock
	base   string
	msgSeq int    // MsgIds for e.run and friends
	last   string // the last reply e.send saw
}

// startApp starts the app on the test config with a qyapi fake of its own,
// changed by each of adjust.
func startApp(t testing.TB, rc store.Config, adjust ...func(*Config)) *e2e {
	t.Helper()
	return startAppWith(t, newFake(t), rc, adjust...)
}

// startAppWith starts the app against the given fake: to prepare it before
// the start, or to run two replicas against one WeCom.
func startAppWith(t testing.TB, fake *wecomtest.FakeAPI, rc store.Config, adjust ...func(*Config)) *e2e {
	t.Helper()
	return startAppLogged(t, fake, rc, nil, adjust...)
}

// startAppLogged is startAppWith with the app's whole log, at debug level
// as JSON, written to logTo (nil: the test's output).
func startAppLogged(t testing.TB, fake *wecomtest.FakeAPI, rc store.Config, logTo io.Writer, adjust ...func(*Config)) *e2e {
	t.Helper()
	cfg := testConfig(rc, fake.URL())
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
	if logTo != nil { // a test that reads the log (privacy)
		log = slog.New(slog.NewJSONHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
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
	return &e2e{app: app, fake: fake, wc: wc, clock: clk, base: base}
}

// startBranch starts the app with a five-member branch: a secretary, a
// committee member who is a probationary member, and three members.
func startBranch(t *testing.T, adjust ...func(*Config)) *e2e {
	t.Helper()
	return startBranchWith(t, newFake(t), adjust...)
}

func startBranchWith(t *testing.T, fake *wecomtest.FakeAPI, adjust ...func(*Config)) *e2e {
	t.Helper()
	return seedBranch(t, startAppWith(t, fake, redistest.Config(t), adjust...))
}

// seedBranch writes startBranch's five members and dates the branch back.
func seedBranch(t *testing.T, e *e2e) *e2e {
	t.Helper()
	err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "zhangsan", Name: "张三", BranchID: "tech", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
		{UserID: "lisi", Name: "李四", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
		{UserID: "wangwu", Name: "王五", BranchID: "tech", Role: bot.RoleCommittee, Status: bot.StatusProbationary, Active: true},
		{UserID: "zhaoliu", Name: "赵六", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
		{UserID: "qianqi", Name: "钱七", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A branch the bot has known for years: past periods can be overdue.
	tech := e.app.Config.org().Branches[0]
	tech.Since = bot.Date{Year: 2024, Month: 1, Day: 1}
	if err := e.app.Store.SaveBranches(t.Context(), []bot.Branch{tech}); err != nil {
		t.Fatal(err)
	}
	// Friday 2026-11-20, 14:00 Beijing time.
	e.clock.Set(time.Date(2026, 11, 20, 14, 0, 0, 0, cst))
	return e
}

const testRobotKey = "6a1b2c3d-0000-4e5f-8a9b-robot0tech01"

// startAnnounce is the five-member branch with an app chat and a group robot.
func startAnnounce(t *testing.T) *e2e {
	t.Helper()
	fake := newFake(t) // the chat and the robot exist before the start
	fake.AddAppChat("techchat", "zhangsan", "lisi", "wangwu", "zhaoliu", "qianqi")
	fake.AddRobot(testRobotKey)
	return startBranchWith(t, fake, func(c *Config) {
		c.Org.Branches[0].ChatID = "techchat"
		c.Org.Branches[0].RobotKey = testRobotKey
	})
}

// seedMembers adds n members to branch.
func seedMembers(t testing.TB, s *store.Store, branch string, n int) {
	t.Helper()
	ms := make([]bot.Member, n)
	for i := range ms {
		ms[i] = bot.Member{UserID: fmt.Sprintf("%s%06d", branch, i), Name: fmt.Sprintf("党员%d", i), BranchID: branch, Role: bot.RoleMember, Active: true}
	}
	if err := s.SaveMembers(t.Context(), ms); err != nil {
		t.Fatal(err)
	}
}

// Processes.

// killHelperWhenReady runs this test binary as a helper process in mode
// (see TestMain) against rc, waits until it says it is ready, and kills it
// with SIGKILL: no cleanup of its runs.
func killHelperWhenReady(t *testing.T, mode string, rc store.Config, what string) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PARTYBOT_HELPER="+mode, "HELPER_REDIS="+rc.Addr,
		"HELPER_PREFIX="+rc.KeyPrefix, "HELPER_READY="+ready)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, what, func() bool { _, err := os.Stat(ready); return err == nil })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// Talking to the app.

func (e *e2e) send(t *testing.T, from, text, msgID string) wecomtest.Response {
	t.Helper()
	resp, err := e.wc.SendText(from, text, msgID)
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	e.last = resp.ReplyText
	return resp
}

// lastReply is the text of the last passive reply.
func (e *e2e) lastReply(t *testing.T) string {
	t.Helper()
	return e.last
}

// step is one message and a fragment its reply must contain.
type step struct {
	from, text, want string
}

func (e *e2e) run(t *testing.T, steps []step) {
	t.Helper()
	for _, st := range steps {
		e.msgSeq++
		resp := e.send(t, st.from, st.text, fmt.Sprint(e.msgSeq))
		if !strings.Contains(resp.ReplyText, st.want) {
			t.Fatalf("%s: %q\n got %q\nwant %q", st.from, st.text, resp.ReplyText, st.want)
		}
	}
}

var codePattern = regexp.MustCompile(`签到码：(\d{4})`)

// open starts a meeting and returns its code and its card's button key.
func (e *e2e) open(t *testing.T, typ, title string) (code, key string) {
	t.Helper()
	e.msgSeq++
	resp := e.send(t, "zhangsan", "会议 "+typ+" "+title, fmt.Sprint(e.msgSeq))
	m := codePattern.FindStringSubmatch(resp.ReplyText)
	if m == nil {
		t.Fatalf("open %s: no code in %q", typ, resp.ReplyText)
	}
	open, found, err := e.app.Store.OpenMeetingOf(t.Context(), "tech")
	if err != nil || !found {
		t.Fatalf("no open meeting after 会议: %v", err)
	}
	return m[1], open.SignInKey()
}

// clickCard clicks the button with key on a card sent to from, with the
// task_id of the card the member got (if it has arrived) and a fresh
// response code, as WeCom's event would carry them; it returns the passive
// reply's new button label.
func (e *e2e) clickCard(t *testing.T, from, key string) string {
	t.Helper()
	taskID, _, _ := e.fake.CardSentTo(from)
	resp, err := e.wc.Post(e.wc.CardEventXML(from, key, taskID, e.fake.IssueResponseCode(from), e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if resp.ReplyType != "update_button" {
		t.Fatalf("card click answered %q %q, want update_button", resp.ReplyType, resp.Body)
	}
	return resp.ReplyButton
}

// click is clickCard, for the announcement tests' cards.
func (e *e2e) click(t *testing.T, from, key string) string {
	t.Helper()
	return e.clickCard(t, from, key)
}

// forget drops a message's dedupe mark, as if its first delivery had stored
// its effect and then died before completing.
func (e *e2e) forget(t *testing.T, msgID string) {
	t.Helper()
	if err := e.app.Store.Client().Del(t.Context(), e.app.Store.Prefix()+"dedupe:msg:"+msgID).Err(); err != nil {
		t.Fatal(err)
	}
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

// getBody fetches path and returns the status and body.
func (e *e2e) getBody(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Waiting for the outbox.

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

// fire runs one job fire through the scheduler and the outbox and waits
// until the queue is empty.
func (e *e2e) fire(t *testing.T, job string, at time.Time) {
	t.Helper()
	enqueued, err := e.app.Scheduler.Fire(t.Context(), job, at)
	if err != nil || !enqueued {
		t.Fatalf("fire %s: enqueued=%v err=%v", job, enqueued, err)
	}
	e.drain(t)
}

func (e *e2e) drain(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // -race on two busy cores is slow
	for {
		n, err := e.app.Outbox.Backlog(t.Context())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			waiting, werr := e.app.Outbox.Waiting(t.Context())
			t.Fatalf("the outbox did not drain: %d left (%v): %s %v", n, err, waiting, werr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// What the fake WeCom received.

// sent lists the recorded message/send and appchat/send bodies of a msgtype.
func (e *e2e) sent(msgType string) []map[string]any {
	var out []map[string]any
	for _, c := range e.fake.Calls("") {
		if (c.API == "message/send" || c.API == "appchat/send") && c.Body["msgtype"] == msgType {
			out = append(out, c.Body)
		}
	}
	return out
}

// textsTo counts the messages of msgType each user was sent.
func (e *e2e) textsTo(msgType string) map[string]int {
	out := map[string]int{}
	for _, b := range e.sent(msgType) {
		to, _ := b["touser"].(string)
		for _, u := range strings.Split(to, "|") {
			if u != "" {
				out[u]++
			}
		}
	}
	return out
}

// textsOf lists the text messages sent to userID.
func (e *e2e) textsOf(userID string) []string {
	var out []string
	for _, tx := range e.fake.Texts() {
		if slices.Contains(strings.Split(tx[0], "|"), userID) {
			out = append(out, tx[1])
		}
	}
	return out
}

// cardKeys waits for the latest card to userID whose first key has prefix.
func (e *e2e) cardKeys(t *testing.T, userID, prefix string) []string {
	t.Helper()
	var keys []string
	waitFor(t, "a "+prefix+" card to "+userID, func() bool {
		_, k, ok := e.fake.CardButtons(userID, prefix)
		keys = k
		return ok
	})
	return keys
}

// What Redis holds.

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

// assertUnchangedExceptDedupe is assertUnchanged for a message that was
// answered: only its dedupe record was written.
func (e *e2e) assertUnchangedExceptDedupe(t *testing.T, before map[string]string) {
	t.Helper()
	for k, v := range e.snapshot(t) {
		if before[k] != v && !strings.Contains(k, ":dedupe:") && !strings.Contains(k, "outbox") && !strings.Contains(k, "asynq") {
			t.Errorf("key %s was written", k)
		}
	}
}

func mustAudit(t *testing.T, e *e2e) []bot.AuditEntry {
	t.Helper()
	entries, err := e.app.Store.AuditEntries(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// The command line.

func noEnv(string) string { return "" }

// cli runs the partybot command line and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(t.Context(), args, &out, &out, noEnv)
	return code, out.String()
}

// writeConfig saves the running app's config for CLI commands.
func writeConfig(t *testing.T, cfg Config) string {
	t.Helper()
	raw, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

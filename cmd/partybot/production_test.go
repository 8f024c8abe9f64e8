package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

// scrape reads a /metrics page.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.run(t, []step{{"lisi", "签到", "签到成功"}, {"wangwu", "帮助", "党建助手"}})
	e.send(t, "lisi", "签到", "1") // WeCom's retry of the first message
	if _, err := e.wc.PostRaw("bad-signature", "1", "2", []byte("<xml/>")); err != nil {
		t.Fatal(err)
	}
	e.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
	body := scrape(t, e.base+"/metrics")
	for _, want := range []string{
		`partybot_callbacks_total{kind="text",result="ok"} 3`,
		`partybot_callbacks_total{kind="unknown",result="rejected"} 1`,
		`partybot_callback_seconds_count{kind="text"} 3`,
		`partybot_dedupe_hits_total 1`,
		`partybot_sends_total{result="ok"}`,
		`partybot_job_runs_total{job="checkin-reminder",result="ok"} 1`,
		`partybot_job_last_success_timestamp_seconds{job="checkin-reminder"}`,
		`partybot_outbox_tasks{state="archived"} 0`,
		`partybot_redis_errors_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
			for _, line := range strings.Split(body, "\n") {
				if strings.HasPrefix(line, strings.SplitN(want, "{", 2)[0]) {
					t.Log(line)
				}
			}
		}
	}

	// metrics_listen: /metrics moves off the callback's address.
	e2 := startApp(t, redistest.Config(t), func(c *Config) { c.MetricsListen = "127.0.0.1:0" })
	if code := e2.get(t, "/metrics"); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Fatalf("/metrics on the callback address: %d", code)
	}
	if !strings.Contains(scrape(t, "http://"+e2.app.MetricsAddr()+"/metrics"), "partybot_redis_errors_total") {
		t.Fatal("no metrics on metrics_listen")
	}
}

// A job's last success is read from Redis: a replica that has just started
// (or never worked that job's run) exports it from its first scrape, so the
// "job stopped running" alert fires after a restart and sees every
// replica's runs.
func TestJobLastSuccessOnEveryReplica(t *testing.T) {
	rc := redistest.Config(t)
	before := time.Now()
	worked := startApp(t, rc)
	worked.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
	if err := worked.app.Close(); err != nil { // the replica goes away, as in a restart
		t.Fatal(err)
	}

	fresh := startApp(t, rc)
	const series = `partybot_job_last_success_timestamp_seconds{job="checkin-reminder"} `
	body := scrape(t, fresh.base+"/metrics")
	i := strings.Index(body, series)
	if i < 0 {
		t.Fatalf("a fresh replica does not export the run another one did:\n%s", body)
	}
	value := strings.Fields(body[i+len(series):])[0]
	at, err := strconv.ParseFloat(value, 64)
	if err != nil || at < float64(before.Unix()) || at > float64(time.Now().Unix()+1) {
		t.Fatalf("last success %q, want the run's time (after %d)", value, before.Unix())
	}
	if strings.Contains(body, `partybot_job_last_success_timestamp_seconds{job="weekly-summary"}`) {
		t.Fatal("a job that never ran has a last success")
	}
}

// The whole log of a run at debug level, as JSON, holds no secret: not the
// app secret, the callback token, the AES key, a robot key or an access token.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	rc := redistest.Config(t)
	fake := newFake(t)
	cfg := testConfig(rc, fake.URL())
	cfg.LogLevel, cfg.LogFormat = "debug", "json"
	cfg.Org.Branches[0].RobotKey = "0f1e2d3c-robot-secret-key"
	fake.AddRobot(cfg.Org.Branches[0].RobotKey)
	app, err := NewApp(cfg, newLogger(cfg, &buf))
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := &e2e{app: app, fake: fake, clock: &clock{t: time.Now()}, base: "http://" + app.Addr()}
	app.Now = e.clock.Now
	if e.wc, err = wecomtest.NewWeCom(e.base+cfg.WeCom.CallbackPath, wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID, wecomtest.AgentID); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"lisi", "签到", "签到成功"},
		{"zhangsan", "公告 周五开会", "公告预览"},
		{"zhangsan", "发送", "已发送"},
	})
	e.fake.FailNext("message/send", 40014) // a token refused: fetched again
	e.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
	if _, err := e.wc.PostRaw("bad", "1", "2", []byte("<xml/>")); err != nil {
		t.Fatal(err)
	}
	token, err := app.Store.Client().Get(t.Context(), app.Store.Prefix()+"wecom:"+app.WeCom.TokenCacheKey()).Result()
	if err != nil || token == "" {
		t.Fatalf("no access token cached: %v", err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if !strings.Contains(log, `"msg":"callback"`) || !strings.Contains(log, `"level":"DEBUG"`) {
		t.Fatalf("the debug log has no callback lines:\n%.2000s", log)
	}
	for name, secret := range map[string]string{
		"app secret": cfg.WeCom.Secret, "callback token": cfg.WeCom.Token, "AES key": cfg.WeCom.EncodingAESKey,
		"robot key": cfg.Org.Branches[0].RobotKey, "access token": token,
	} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the log's concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// helperServe runs `partybot serve` in a child process, as main does.
func helperServe() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, []string{"serve", "-config", os.Getenv("HELPER_CONFIG")}, os.Stdout, os.Stderr, os.Getenv))
}

// serveProcess starts `partybot serve` as a child on a free port.
func serveProcess(t *testing.T, drain, timeout time.Duration) (cmd *exec.Cmd, base string, done chan error) {
	t.Helper()
	rc := redistest.Config(t)
	cfg := testConfig(store.Config{Addr: rc.Addr, KeyPrefix: rc.KeyPrefix}, newFake(t).URL())
	cfg.WeCom.Secret = "" // no API: nothing to send
	cfg.ShutdownDrain, cfg.ShutdownTimeout = drain, timeout
	ln := freeAddr(t)
	cfg.Listen = ln
	cfgPath := writeConfig(t, cfg)
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PARTYBOT_HELPER=serve", "HELPER_CONFIG="+cfgPath)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(stderr))
		done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	base = "http://" + ln
	waitFor(t, "the child to serve", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return cmd, base, done
}

// freeAddr picks a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// SIGTERM: /readyz is 503 at once while callbacks are still answered, and
// the process exits cleanly within shutdown_timeout.
func TestGracefulStop(t *testing.T) {
	t.Parallel() // its bounds (≥ the drain, ≤ the timeout) are wide; the second-signal test's 2 s is not
	cmd, base, done := serveProcess(t, 1500*time.Millisecond, 10*time.Second)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "/readyz to turn 503", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("still serving while draining: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop within shutdown_timeout")
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Fatalf("stopped after %s, before the drain ended", took)
	}
}

// A second signal does not wait for the drain: the process exits at once.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	cmd, _, done := serveProcess(t, 8*time.Second, 15*time.Second)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a forced stop exited 0")
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("took %s after the second signal", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after the second signal")
	}
}

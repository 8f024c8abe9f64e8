package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/outbox"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

// Redis is killed and restarted while members check in: no callback is
// answered 200 without its check-in stored, WeCom's retries of the refused
// ones succeed once Redis is back, and the bot is not restarted.
func TestFaultRedisKilledMidLoad(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	e := startApp(t, srv.Config(t))
	var members []bot.Member
	for i := range 40 {
		members = append(members, bot.Member{UserID: fmt.Sprintf("m%02d", i), BranchID: "tech", Role: bot.RoleMember, Active: true})
	}
	if err := e.app.Store.SaveMembers(t.Context(), members); err != nil {
		t.Fatal(err)
	}
	type result struct {
		user, msgID string
		status      int
	}
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for i, m := range members {
		wg.Go(func() {
			if i == 20 {
				srv.Stop() // mid-load
				close(killed)
			}
			if i > 20 {
				<-killed
			}
			msgID := fmt.Sprintf("load-%d", i)
			resp, err := e.wc.SendText(m.UserID, "签到", msgID)
			status := 0
			if err == nil {
				status = resp.Status
			}
			mu.Lock()
			results = append(results, result{m.UserID, msgID, status})
			mu.Unlock()
		})
	}
	wg.Wait()
	day := bot.DateOf(e.clock.Now(), cst)
	stored := func() map[string]bool {
		t.Helper()
		got, err := e.app.Store.CheckedIn(t.Context(), "tech", day)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	srv.Restart() // with its append-only file: what it acknowledged is there
	// go-redis waits a moment before dialling again after failed dials.
	waitFor(t, "the bot to see Redis again", func() bool { return e.get(t, "/readyz") == http.StatusOK })
	after := stored()
	refused := 0
	for _, r := range results {
		switch {
		case r.status == http.StatusOK && !after[r.user]:
			t.Errorf("%s was answered 200 but nothing is stored", r.user)
		case r.status != http.StatusOK:
			refused++
			if r.status != http.StatusServiceUnavailable && r.status != 0 {
				t.Errorf("%s: status %d during the outage, want 503", r.user, r.status)
			}
		}
	}
	if refused == 0 {
		t.Fatal("no callback met the outage: the test did not test it")
	}
	// WeCom retries the refused ones; the same bot answers them now.
	for _, r := range results {
		if r.status == http.StatusOK {
			continue
		}
		resp, err := e.wc.SendText(r.user, "签到", r.msgID)
		if err != nil || resp.Status != http.StatusOK || !strings.Contains(resp.ReplyText, "签到") {
			t.Fatalf("retry of %s: %v %+v", r.user, err, resp)
		}
	}
	if got := stored(); len(got) != len(members) {
		t.Fatalf("%d check-ins stored, want %d", len(got), len(members))
	}
}

// WeCom (or a proxy before it) answers 5xx, then 45009, for a while: the
// outbox keeps every message, and once WeCom answers again every member
// gets the reminder exactly once.
func TestFaultQyapiFailsThenRecovers(t *testing.T) {
	t.Parallel()
	// WeCom's frequency blocks, scaled down: the outbox waits 1, 10 and 60
	// times this (60 s in production) after the first, second and later ones.
	e := startBranch(t, func(c *Config) { c.Outbox.RateLimitWait = 5 * time.Millisecond })
	e.fake.Fail5xx("message/send", 2)
	e.fake.FailNext("message/send", 45009, 45009, -1)
	e.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
	got := e.textsTo("text")
	for _, u := range []string{"lisi", "wangwu", "zhaoliu", "qianqi", "zhangsan"} {
		if got[u] != 1 {
			t.Errorf("%s got the reminder %d times, want once", u, got[u])
		}
	}
	dead, err := e.app.Outbox.DeadLetters(t.Context())
	if err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v %v", dead, err)
	}
}

// A replica is killed with SIGKILL while it runs a job: once its lease on
// the run has expired (asynq: 30 s, and 30 s of allowed clock skew; moved
// into the past here rather than waited for), the other replica runs the
// job, and every member gets its message once.
func TestFaultReplicaKilledDuringJob(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rc := srv.Config(t)
	seed := store.New(rc)
	cfg := testConfig(rc, "")
	if _, err := bot.SeedOrg(t.Context(), seed, seed, time.Now(), cfg.org()); err != nil {
		t.Fatal(err)
	}
	killHelperWhenReady(t, "job-and-hang", rc, "the replica to be running the job")
	// The dead replica's lease, as it stands a minute later.
	lease := "asynq:{" + rc.KeyPrefix + "outbox}:lease"
	ids, err := seed.Client().ZRange(t.Context(), lease, 0, -1).Result()
	if err != nil || len(ids) != 1 {
		t.Fatalf("leases %v %v: want the job run's", ids, err)
	}
	if err := seed.Client().ZAdd(t.Context(), lease, redis.Z{Score: float64(time.Now().Add(-2 * time.Minute).Unix()), Member: ids[0]}).Err(); err != nil {
		t.Fatal(err)
	}
	_ = seed.Close()

	e := startApp(t, rc) // the other replica; its recoverer looks at start
	waitFor(t, "the job's reminders", func() bool { return len(e.textsTo("text")) == 3 })
	e.drain(t)
	if got := e.textsTo("text"); got["zhangsan"] != 1 || got["lisi"] != 1 || got["wangwu"] != 1 {
		t.Fatalf("reminders %v, want each member once", got)
	}
}

// hangingJobs computes a run, says so, and never returns: a replica
// killed in the middle of a job.
type hangingJobs struct {
	bot   *bot.Bot
	ready string
}

func (h hangingJobs) RunJob(ctx context.Context, run bot.JobRun) ([]bot.Outbound, error) {
	if _, err := h.bot.RunJob(ctx, run); err != nil {
		panic(err)
	}
	if err := os.WriteFile(h.ready, nil, 0o600); err != nil {
		panic(err)
	}
	select {}
}

// helperJobAndHang is the killed replica of TestFaultReplicaKilledDuringJob.
func helperJobAndHang() {
	fake := wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret) // the killed process's own WeCom
	cfg := testConfig(store.Config{Addr: os.Getenv("HELPER_REDIS"), KeyPrefix: os.Getenv("HELPER_PREFIX")}, fake.URL())
	app, err := NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	app.Now = func() time.Time { return time.Date(2026, 11, 20, 9, 30, 0, 0, cst) }
	app.Worker = app.Outbox.Worker(outbox.WorkerConfig{Deliver: app.WeCom, Jobs: hangingJobs{app.Bot, os.Getenv("HELPER_READY")},
		Transient: wecom.Transient, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := app.Worker.Start(); err != nil {
		panic(err)
	}
	if _, err := app.Scheduler.Fire(context.Background(), bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst)); err != nil {
		panic(err)
	}
	select {}
}

// Sentinel: the master dies; while the Sentinel promotes the replica the
// callbacks are answered 503 (WeCom retries them), then 200 again, from the
// same process, and every acknowledged check-in is there.
//
// Not in parallel: on a starved machine one slow callback can span the
// whole failover, and the test would see no outage to test.
func TestFaultSentinelFailover(t *testing.T) {
	s := redistest.StartSentinel(t)
	rc := store.Config{Addrs: []string{s.Addr}, MasterName: s.MasterName, KeyPrefix: redistest.UniquePrefix(t)}
	e := startApp(t, rc)
	var members []bot.Member
	for i := range 20 {
		members = append(members, bot.Member{UserID: fmt.Sprintf("s%02d", i), BranchID: "tech", Role: bot.RoleMember, Active: true})
	}
	if err := e.app.Store.SaveMembers(t.Context(), members); err != nil {
		t.Fatal(err)
	}
	for _, m := range members[:10] {
		if resp := e.send(t, m.UserID, "签到", "before-"+m.UserID); resp.Status != http.StatusOK {
			t.Fatalf("before the failover: %d", resp.Status)
		}
	}
	s.KillMaster(t)
	refused := 0
	deadline := time.Now().Add(45 * time.Second)
	for _, m := range members[10:] {
		for { // WeCom retries a refused message with the same MsgId
			resp, err := e.wc.SendText(m.UserID, "签到", "after-"+m.UserID)
			if err == nil && resp.Status == http.StatusOK {
				break
			}
			if err == nil && resp.Status != http.StatusServiceUnavailable {
				t.Fatalf("during the failover: %d %q, want 503", resp.Status, resp.Body)
			}
			refused++
			if time.Now().After(deadline) {
				t.Fatal("no new master within 45 s")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if refused == 0 {
		t.Fatal("no callback met the failover")
	}
	got, err := e.app.Store.CheckedIn(t.Context(), "tech", bot.DateOf(e.clock.Now(), cst))
	if err != nil || len(got) != len(members) {
		t.Fatalf("%d check-ins after the failover (%v), want %d", len(got), err, len(members))
	}
	t.Logf("%d callbacks answered 503 during the switch", refused)
}

package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store/redistest"
)

// recorder is a Deliverer that remembers every recipient it was asked to reach.
type recorder struct {
	mu  sync.Mutex
	got map[string]int
}

func (r *recorder) Notify(_ context.Context, n bot.Notice) (bot.Delivery, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range n.To {
		r.got[u]++
	}
	return bot.Delivery{}, nil
}

func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.got)
}

// jobs returns a different answer each time it is run.
type jobs struct{ runs [][]bot.Outbound }

func (j *jobs) RunJob(context.Context, bot.JobRun) ([]bot.Outbound, error) {
	out := j.runs[0]
	if len(j.runs) > 1 {
		j.runs = j.runs[1:]
	}
	return out, nil
}

// limiter admits what its script says, one answer per call, then everyone.
type limiter struct{ answers [][2][]string }

func (l *limiter) AllowRecipients(_ context.Context, to []string, _ time.Time) ([]string, []string, time.Duration, error) {
	if len(l.answers) == 0 {
		return to, nil, 0, nil
	}
	a := l.answers[0]
	l.answers = l.answers[1:]
	return a[0], a[1], 50 * time.Millisecond, nil
}

func (l *limiter) AllowChat(context.Context, string, time.Time) (bool, time.Duration, error) {
	return true, 0, nil
}

func setup(t *testing.T, lim Limiter, j JobRunner) (*Outbox, *Worker, *recorder) {
	t.Helper()
	cfg := redistest.Config(t)
	rdb := redis.NewClient(cfg.Options())
	t.Cleanup(func() { _ = rdb.Close() })
	o := New(rdb, Config{Queue: cfg.KeyPrefix + "outbox", PollInterval: 20 * time.Millisecond, RetryBase: 20 * time.Millisecond})
	rec := &recorder{got: map[string]int{}}
	w := o.Worker(WorkerConfig{Deliver: rec, Jobs: j, Limiter: lim, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return o, w, rec
}

func drain(t *testing.T, o *Outbox) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := o.Backlog(t.Context())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %d left (%v)", n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A run that crashed halfway is run again by the queue; by then the roster
// changed. The frozen first answer is used, so nobody hears twice or is missed.
func TestRetriedRunUsesItsFirstAnswer(t *testing.T) {
	first := []bot.Outbound{{Key: "remind:0", Notice: bot.Notice{To: []string{"b", "c"}, Text: "x"}}}
	// Meanwhile "a" joined: sorted first, it shifts b and c into a new batch.
	second := []bot.Outbound{
		{Key: "remind:0", Notice: bot.Notice{To: []string{"a"}, Text: "x"}},
		{Key: "remind:1", Notice: bot.Notice{To: []string{"b", "c"}, Text: "x"}},
	}
	o, w, rec := setup(t, nil, &jobs{runs: [][]bot.Outbound{first, second}})
	payload, _ := json.Marshal(jobPayload{Name: "checkin-reminder", Fire: 1763602200})
	for range 2 { // the first attempt and its retry
		if err := w.handleJob(t.Context(), payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	drain(t, o)
	if got := rec.counts(); len(got) != 2 || got["b"] != 1 || got["c"] != 1 {
		t.Fatalf("deliveries %v, want b and c once each (the first answer)", got)
	}
}

// A notice whose first attempt split it by the rate limit and then failed
// is retried: the stored split is reused, so the children are the same.
func TestRetriedSplitMakesTheSameChildren(t *testing.T) {
	lim := &limiter{answers: [][2][]string{
		{{"a", "b"}, {"c"}}, // first attempt: c over the limit
		{{"a"}, {"b", "c"}}, // the retry would see b over it too
	}}
	o, w, rec := setup(t, lim, nil)
	payload, _ := json.Marshal(noticeTask{Notice: bot.Notice{To: []string{"a", "b", "c"}, Text: "x"}})
	handleTwiceAndDrain(t, o, w, payload)
	got := rec.counts()
	keys := make([]string, 0, len(got))
	for k, v := range got {
		if v != 1 {
			t.Fatalf("%s got %d, want 1 (all: %v)", k, v, got)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"a", "b", "c"}) {
		t.Fatalf("delivered to %v, want a, b and c once each", keys)
	}
}

// misconfigured fails every send with a configuration error until fixed.
type misconfigured struct {
	recorder
	mu    sync.Mutex
	fixed bool
	tries int
}

var errUntrustedIP = errors.New("errcode 60020: not allow to access from your ip")

func (m *misconfigured) Notify(ctx context.Context, n bot.Notice) (bot.Delivery, error) {
	m.mu.Lock()
	m.tries++
	fixed := m.fixed
	m.mu.Unlock()
	if !fixed {
		return bot.Delivery{}, errUntrustedIP
	}
	return m.recorder.Notify(ctx, n)
}

// A configuration error (WeCom 60020: this server's IP is not trusted) is
// no reason to drop messages: sending pauses for every task, nothing is
// archived, and once the operator fixes it everything goes out once.
func TestConfigErrorPausesInsteadOfArchiving(t *testing.T) {
	cfg := redistest.Config(t)
	rdb := redis.NewClient(cfg.Options())
	t.Cleanup(func() { _ = rdb.Close() })
	o := New(rdb, Config{Queue: cfg.KeyPrefix + "outbox", PollInterval: 20 * time.Millisecond,
		RetryBase: 20 * time.Millisecond, MaxRetry: 1, ConfigPause: 300 * time.Millisecond})
	dl := &misconfigured{recorder: recorder{got: map[string]int{}}}
	w := o.Worker(WorkerConfig{Deliver: dl, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ConfigFix: func(err error) (string, bool) { return "add the IP to 企业可信IP", errors.Is(err, errUntrustedIP) }})
	for _, id := range []string{"n1", "n2", "n3"} {
		if err := o.Enqueue(t.Context(), id, bot.Notice{To: []string{id}, Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := o.Paused(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if p.Reason != "" {
			if !strings.Contains(p.Reason, "企业可信IP") {
				t.Fatalf("pause reason %q does not name the fix", p.Reason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sending never paused after a configuration error")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second) // three pauses' worth: MaxRetry 1 would have archived by now
	dl.mu.Lock()
	tries := dl.tries
	dl.fixed = true
	dl.mu.Unlock()
	if tries > 6 {
		t.Errorf("%d send attempts in a second while paused, want a few (one per pause)", tries)
	}
	drain(t, o)
	dead, err := o.DeadLetters(t.Context())
	if err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v), want none", dead, err)
	}
	if got := dl.counts(); len(got) != 3 || got["n1"] != 1 || got["n2"] != 1 || got["n3"] != 1 {
		t.Fatalf("deliveries %v, want n1, n2 and n3 once each", got)
	}
}

// The shared record of job successes keeps each job's latest run: a slow
// run that finishes after a later one does not move it back.
func TestJobSuccessesKeepTheLatest(t *testing.T) {
	o, _, _ := setup(t, nil, &jobs{})
	ctx := t.Context()
	t1, t2 := time.Unix(1_800_000_000, 0), time.Unix(1_800_000_600, 0)
	for _, rec := range []struct {
		job string
		at  time.Time
	}{{"weekly-summary", t2}, {"weekly-summary", t1}, {"checkin-reminder", t1}} {
		if err := o.recordJobSuccess(ctx, rec.job, rec.at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := o.JobSuccesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"weekly-summary": t2, "checkin-reminder": t1}
	if len(got) != len(want) || !got["weekly-summary"].Equal(t2) || !got["checkin-reminder"].Equal(t1) {
		t.Fatalf("job successes %v, want %v", got, want)
	}
}

// failing fails every send with its error.
type failing struct{ err error }

func (f failing) Notify(context.Context, bot.Notice) (bot.Delivery, error) {
	return bot.Delivery{}, f.err
}

// A failure marked permanent (a ledger over WeCom's 20 MB, its requester
// already told) is archived at once, even where Transient would say retry:
// no rebuilding the file for hours before dropping it.
func TestPermanentFailureIsNotRetried(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		skipRetry bool
	}{
		{"network", errors.New("connection reset"), false},
		{"marked permanent", bot.Permanent(errors.New("no branch ops")), true},
		{"too large", fmt.Errorf("ledger of 21 MB: %w", bot.ErrTooLarge), true},
	}
	cfg := redistest.Config(t)
	rdb := redis.NewClient(cfg.Options())
	t.Cleanup(func() { _ = rdb.Close() })
	o := New(rdb, Config{Queue: cfg.KeyPrefix + "outbox"})
	payload, _ := json.Marshal(noticeTask{Notice: bot.Notice{To: []string{"a"}, Text: "x"}, Checked: true})
	for _, tc := range cases {
		w := o.Worker(WorkerConfig{Deliver: failing{tc.err}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		err := w.handleNotice(t.Context(), "n-"+tc.name, payload)
		if err == nil || errors.Is(err, asynq.SkipRetry) != tc.skipRetry {
			t.Errorf("%s: %v, want skip retry %v", tc.name, err, tc.skipRetry)
		}
	}
}

// handleTwiceAndDrain handles notice n1 as its first attempt and a retry
// would, then runs the worker until the queue is empty.
func handleTwiceAndDrain(t *testing.T, o *Outbox, w *Worker, payload []byte) {
	t.Helper()
	for range 2 {
		if err := w.handleNotice(t.Context(), "n1", payload); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Shutdown)
	drain(t, o)
}

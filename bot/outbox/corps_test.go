package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store/redistest"
)

// calls is a Deliverer that keeps each notice's recipients as one call,
// and fails the corps in broken (by recipient or chat) with a
// configuration error naming that corp until they are fixed.
type calls struct {
	mu     sync.Mutex
	got    [][]string
	chats  []string
	broken map[string]bool
}

// corpErr is a configuration error of one corp's app.
type corpErr struct{ corp string }

func (e corpErr) Error() string {
	return "corp " + e.corp + ": errcode 60020: not allow to access from your ip"
}

func (c *calls) Notify(_ context.Context, n bot.Notice) (bot.Delivery, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	corp := corpOf(n)
	if c.broken[corp] {
		return bot.Delivery{}, corpErr{corp}
	}
	if n.ChatID != "" {
		c.chats = append(c.chats, n.ChatID)
	} else {
		c.got = append(c.got, slices.Clone(n.To))
	}
	return bot.Delivery{}, nil
}

func (c *calls) fix(corp string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.broken, corp)
}

func (c *calls) sent() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func corpSetup(t *testing.T, d Deliverer, pause time.Duration) (*Outbox, *Worker, redis.UniversalClient) {
	t.Helper()
	cfg := redistest.Config(t)
	rdb := redis.NewClient(cfg.Options())
	t.Cleanup(func() { _ = rdb.Close() })
	o := New(rdb, Config{Queue: cfg.KeyPrefix + "outbox", PollInterval: 20 * time.Millisecond,
		RetryBase: 20 * time.Millisecond, MaxRetry: 1, ConfigPause: pause})
	w := o.Worker(WorkerConfig{Deliver: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ConfigFix: func(err error) (string, bool) {
			var ce corpErr
			return "add the IP to that corp's 企业可信IP", errors.As(err, &ce)
		},
		ErrorCorp: func(err error) (string, bool) {
			var ce corpErr
			if errors.As(err, &ce) {
				return ce.corp, true
			}
			return "", false
		},
	})
	return o, w, rdb
}

// A notice to a joint branch goes out as one send per corp, each with only
// that corp's members; a retried split makes the same children, so nobody
// hears twice.
func TestNoticeIsSplitByCorp(t *testing.T) {
	d := &calls{}
	o, w, _ := corpSetup(t, d, time.Second)
	payload, _ := json.Marshal(noticeTask{Notice: bot.Notice{To: []string{"m1", "partner/m1", "partner/b1", "b2", "third/m1"}, Text: "x"}})
	handleTwiceAndDrain(t, o, w, payload)
	got := d.sent()
	slices.SortFunc(got, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
	want := [][]string{{"m1", "b2"}, {"partner/m1", "partner/b1"}, {"third/m1"}}
	if len(got) != len(want) {
		t.Fatalf("sends %v, want %v", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("sends %v, want %v", got, want)
		}
	}
}

// One corp's configuration error (its app's trusted IPs) pauses that corp
// alone: the home corp's and a third corp's sends keep going, /readyz's
// view (PausedCorps) names only the broken corp, and once it is fixed its
// held messages go out once.
func TestConfigErrorPausesOnlyThatCorp(t *testing.T) {
	d := &calls{broken: map[string]bool{"partner": true}}
	o, w, _ := corpSetup(t, d, 300*time.Millisecond)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Shutdown()
	ctx := t.Context()
	if err := o.Enqueue(ctx, "joint", bot.Notice{To: []string{"m1", "partner/m1"}, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "partner's pause", func() bool { p, err := o.PausedCorp(ctx, "partner"); return err == nil && p.Reason != "" })
	for i, to := range []string{"m2", "third/m3", "partner/m4"} { // while partner is paused
		if err := o.Enqueue(ctx, "later"+string(rune('0'+i)), bot.Notice{To: []string{to}, Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "home and third's sends", func() bool { return len(d.sent()) == 3 })
	paused, err := o.PausedCorps(ctx, []string{"", "partner", "third"})
	if err != nil || len(paused) != 1 || !strings.Contains(paused["partner"].Reason, "企业可信IP") {
		t.Fatalf("paused corps %v (%v), want partner alone, with the fix", paused, err)
	}
	if p, err := o.Paused(ctx); err != nil || p.Reason != "" {
		t.Fatalf("the home corp paused (%q, %v) by partner's error", p.Reason, err)
	}
	for _, to := range d.sent() {
		if slices.ContainsFunc(to, func(id string) bool { return bot.CorpOf(id) == "partner" }) {
			t.Fatalf("a partner member was sent %v while partner is broken", to)
		}
	}

	d.fix("partner")
	drain(t, o)
	var partner []string
	for _, to := range d.sent() {
		if bot.CorpOf(to[0]) == "partner" {
			partner = append(partner, to...)
		}
	}
	slices.Sort(partner)
	if !slices.Equal(partner, []string{"partner/m1", "partner/m4"}) {
		t.Fatalf("partner's held sends %v, want m1 and m4 once each", partner)
	}
	if dead, err := o.DeadLetters(ctx); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v)", dead, err)
	}
}

// A home corp's notice that fails through another corp's app (a picture a
// partner member sent, fetched from partner's app) pauses partner, not the
// home corp.
func TestErrorOfAnotherCorpPausesThatCorp(t *testing.T) {
	o, w, _ := corpSetup(t, failing{corpErr{"partner"}}, time.Minute)
	payload, _ := json.Marshal(noticeTask{Notice: bot.Notice{To: []string{"m1"}, Media: &bot.Media{Type: "image", ID: "partner/MEDIA"}}})
	if err := w.handleNotice(t.Context(), "n1", payload); err != nil {
		t.Fatal(err)
	}
	if p, err := o.PausedCorp(t.Context(), "partner"); err != nil || p.Reason == "" {
		t.Fatalf("partner not paused (%v)", err)
	}
	if p, err := o.Paused(t.Context()); err != nil || p.Reason != "" {
		t.Fatalf("home paused: %q (%v)", p.Reason, err)
	}
}

// A pause written by the release before corps (key "paused") still holds
// the home corp's sends after the upgrade, and only them.
func TestPauseOfThePreviousReleaseHoldsTheHomeCorp(t *testing.T) {
	d := &calls{}
	o, w, rdb := corpSetup(t, d, time.Minute)
	ctx := t.Context()
	if err := rdb.Set(ctx, o.cfg.KeyPrefix+"paused", "wecom: message/send: errcode 60020 — add the IP", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if p, err := o.Paused(ctx); err != nil || !strings.Contains(p.Reason, "60020") {
		t.Fatalf("Paused = %q (%v), want the old pause", p.Reason, err)
	}
	for _, id := range []string{"m1", "partner/m1"} {
		payload, _ := json.Marshal(noticeTask{Notice: bot.Notice{To: []string{id}, Text: "x"}, Checked: true})
		if err := w.handleNotice(ctx, "n-"+id, payload); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.sent(); len(got) != 1 || got[0][0] != "partner/m1" {
		t.Fatalf("sent %v while the home corp is paused, want partner/m1 alone", got)
	}
}

// 48002 (an app that may not use app chats) from partner's app pauses
// partner's chats alone: the home corp's chat still gets its message.
func TestChatRefusalPausesThatCorpsChats(t *testing.T) {
	errChats := errors.New("appchat/send: errcode 48002")
	d := delivererFunc(func(_ context.Context, n bot.Notice) (bot.Delivery, error) {
		if bot.CorpOf(n.ChatID) == "partner" {
			return bot.Delivery{}, errChats
		}
		return bot.Delivery{}, nil
	})
	cfg := redistest.Config(t)
	rdb := redis.NewClient(cfg.Options())
	t.Cleanup(func() { _ = rdb.Close() })
	o := New(rdb, Config{Queue: cfg.KeyPrefix + "outbox", ConfigPause: time.Minute})
	w := o.Worker(WorkerConfig{Deliver: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		GroupConfigFix: func(err error) (string, bool) { return "set the visible range", errors.Is(err, errChats) }})
	ctx := t.Context()
	for _, chat := range []string{"partner/wrP", "wrH"} {
		payload, _ := json.Marshal(noticeTask{Notice: bot.Notice{ChatID: chat, Text: "x"}, Checked: true})
		if err := w.handleNotice(ctx, "n-"+chat, payload); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := o.pausedChannel(ctx, "corp:partner:chats"); err != nil || p.Reason == "" {
		t.Fatalf("partner's chats not paused (%v)", err)
	}
	if p, err := o.pausedChannel(ctx, "chats"); err != nil || p.Reason != "" {
		t.Fatalf("the home corp's chats paused: %q (%v)", p.Reason, err)
	}
	if p, err := o.PausedCorp(ctx, "partner"); err != nil || p.Reason != "" {
		t.Fatalf("all of partner paused for its chats: %q (%v)", p.Reason, err)
	}
}

// delivererFunc adapts a function to Deliverer.
type delivererFunc func(ctx context.Context, n bot.Notice) (bot.Delivery, error)

func (f delivererFunc) Notify(ctx context.Context, n bot.Notice) (bot.Delivery, error) {
	return f(ctx, n)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

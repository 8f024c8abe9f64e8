package store_test

import (
	"testing"
	"time"

	"github.com/partybot/partybot/store"
)

func TestLimiter(t *testing.T) {
	s, _ := open(t)
	l := s.Limiter(store.Limits{Member: store.RateLimit{PerMinute: 3, PerHour: 5}, Chat: store.RateLimit{PerMinute: 2}})
	ctx := t.Context()
	now := time.Date(2026, 11, 20, 9, 30, 10, 0, time.UTC)
	for i := range 3 {
		allowed, deferred, _, err := l.AllowRecipients(ctx, []string{"lisi", "wangwu"}, now)
		if err != nil || len(allowed) != 2 || len(deferred) != 0 {
			t.Fatalf("send %d: allowed %v deferred %v err %v", i+1, allowed, deferred, err)
		}
	}
	allowed, deferred, wait, err := l.AllowRecipients(ctx, []string{"lisi", "zhaoliu"}, now)
	if err != nil || len(allowed) != 1 || allowed[0] != "zhaoliu" || len(deferred) != 1 || deferred[0] != "lisi" {
		t.Fatalf("4th to lisi: allowed %v deferred %v err %v", allowed, deferred, err)
	}
	if wait != 50*time.Second {
		t.Fatalf("retry after %v, want 50s (to the next minute)", wait)
	}
	// A new minute allows more, until the hour's 5 are used.
	next := now.Add(time.Minute)
	if allowed, _, _, _ := l.AllowRecipients(ctx, []string{"lisi"}, next); len(allowed) != 1 {
		t.Fatal("a new minute did not allow lisi again")
	}
	if _, deferred, wait, _ := l.AllowRecipients(ctx, []string{"wangwu", "wangwu", "wangwu"}, next); len(deferred) != 1 || wait < 28*time.Minute {
		t.Fatalf("hour limit: deferred %v wait %v, want one deferred to the next hour", deferred, wait)
	}
	for i, want := range []bool{true, true, false} {
		ok, _, err := l.AllowChat(ctx, "chat1", now)
		if err != nil || ok != want {
			t.Fatalf("chat send %d: ok=%v err=%v, want %v", i+1, ok, err, want)
		}
	}
}

// WeCom counts an app's messages to a member per corp: the home corp's m1
// and partner's m1 are two people with two budgets, and a chat of partner's
// app is not the home corp's chat of the same id.
func TestLimiterCountsEachCorpsMembersApart(t *testing.T) {
	s, _ := open(t)
	l := s.Limiter(store.Limits{Member: store.RateLimit{PerMinute: 1}, Chat: store.RateLimit{PerMinute: 1}})
	ctx := t.Context()
	now := time.Date(2026, 11, 20, 9, 30, 10, 0, time.UTC)
	allowed, deferred, _, err := l.AllowRecipients(ctx, []string{"m1", "partner/m1"}, now)
	if err != nil || len(allowed) != 2 || len(deferred) != 0 {
		t.Fatalf("m1 and partner/m1: allowed %v deferred %v (%v), want both", allowed, deferred, err)
	}
	allowed, deferred, _, err = l.AllowRecipients(ctx, []string{"partner/m1", "third/m1"}, now)
	if err != nil || len(allowed) != 1 || allowed[0] != "third/m1" || len(deferred) != 1 {
		t.Fatalf("second to partner/m1: allowed %v deferred %v (%v), want partner/m1 deferred alone", allowed, deferred, err)
	}
	for _, chat := range []string{"wrX", "partner/wrX"} {
		if ok, _, err := l.AllowChat(ctx, chat, now); err != nil || !ok {
			t.Fatalf("chat %s: %v (%v), want its own budget", chat, ok, err)
		}
	}
}

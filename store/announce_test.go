package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// Thirty members press 报名 at once for ten places: ten get them, twenty
// wait in order, and every cancellation moves the first waiting up.
func TestSignUpsRaceForPlaces(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	at := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	outcomes := make([]bot.SignUpOutcome, 30)
	for i := range outcomes {
		wg.Go(func() {
			o, err := s.Respond(ctx, "tech", 1, bot.SignUp{Action: bot.SignUpJoin, UserID: fmt.Sprintf("u%02d", i), At: at, Capacity: 10})
			if err != nil {
				t.Error(err)
			}
			outcomes[i] = o
		})
	}
	wg.Wait()
	joined, waiting := 0, map[int]bool{}
	for _, o := range outcomes {
		switch o.Now {
		case "joined":
			joined++
		case "waiting":
			waiting[o.Position] = true
		}
	}
	if joined != 10 || len(waiting) != 20 {
		t.Fatalf("%d joined, %d distinct waiting positions; want 10 and 20", joined, len(waiting))
	}
	r, err := s.Responses(ctx, "tech", 1)
	if err != nil || len(r.Joined) != 10 || len(r.Waiting) != 20 || len(r.Acked) != 30 {
		t.Fatalf("responses %d joined %d waiting %d acked, %v", len(r.Joined), len(r.Waiting), len(r.Acked), err)
	}
	first := r.Waiting[0]
	o, err := s.Respond(ctx, "tech", 1, bot.SignUp{Action: bot.SignUpDecline, UserID: r.Joined[0], At: at, Capacity: 10})
	if err != nil || o.Was != "joined" || o.Now != "declined" || o.Promoted != first {
		t.Fatalf("decline: %+v %v, want %s promoted", o, err, first)
	}
	// Cancelling twice, or a place one never had, changes nothing.
	if o, err := s.Respond(ctx, "tech", 1, bot.SignUp{Action: bot.SignUpCancel, UserID: "nobody", At: at, Capacity: 10}); err != nil || o.Was != "" || o.Promoted != "" {
		t.Fatalf("cancel without a place: %+v %v", o, err)
	}
	after, _ := s.Responses(ctx, "tech", 1)
	if len(after.Joined) != 10 || len(after.Waiting) != 19 || !after.Declined[r.Joined[0]] {
		t.Fatalf("after: %d joined, %d waiting", len(after.Joined), len(after.Waiting))
	}
}

// 发送 retried after a failure publishes one announcement with one number;
// drafts expire and take pictures only while they exist.
func TestPublishOnceAndDrafts(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	a := bot.Announcement{ID: "d1", Scope: "tech", Title: "通知", Author: "zhangsan", SentAt: time.Now(), To: []string{"lisi"}}
	first, err := s.Publish(ctx, a)
	if err != nil || first.No != 1 {
		t.Fatalf("publish: %+v %v", first, err)
	}
	again, err := s.Publish(ctx, a)
	if err != nil || again.No != 1 {
		t.Fatalf("retried publish: %+v %v", again, err)
	}
	a.ID = "d2"
	if next, _ := s.Publish(ctx, a); next.No != 2 {
		t.Fatalf("second announcement numbered %d", next.No)
	}
	if _, found, _ := s.AttachToDraft(ctx, "zhangsan", bot.Media{Type: "image", ID: "m1"}); found {
		t.Fatal("a picture attached to no draft")
	}
	if err := s.SaveDraft(ctx, a, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a retried picture counts once
		if n, found, err := s.AttachToDraft(ctx, "zhangsan", bot.Media{Type: "image", ID: "m1"}); err != nil || !found || n != 1 {
			t.Fatalf("attach: %d %v %v", n, found, err)
		}
	}
	d, found, err := s.Draft(ctx, "zhangsan")
	if err != nil || !found || len(d.Media) != 1 || d.Media[0].ID != "m1" {
		t.Fatalf("draft %+v %v %v", d, found, err)
	}
	key := prefix + "draft:zhangsan"
	if ttl := s.Client().PTTL(ctx, key).Val(); ttl <= 0 || ttl > 10*time.Second {
		t.Fatalf("draft key TTL %s: want the draft's, kept by the pictures", ttl)
	}
	if err := s.Client().PExpire(ctx, key, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, found, _ := s.Draft(ctx, "zhangsan"); found {
		t.Fatal("the draft outlived its TTL")
	}
	if _, found, _ := s.AttachToDraft(ctx, "zhangsan", bot.Media{Type: "image", ID: "m2"}); found {
		t.Fatal("a picture attached to an expired draft")
	}
}

// Releases before the one-route-table release kept an announcement's
// one-time steps in {scope}:ann:<no>:steps (field nudge|eve). Once still
// honours them, so an upgrade nudges nobody twice, and takes new steps in
// the scope's steps hash.
func TestOnceHonoursStepsTakenByTheOldRelease(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	// What the previous release's MarkStep wrote for #1's nudge.
	if err := s.Client().HSet(ctx, prefix+"{tech}:ann:1:steps", "nudge", "announce-reminder@100").Err(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, step, run string
		mine            bool
	}{
		{"old step, another run", bot.AnnouncementStep(1, "nudge"), "announce-reminder@200", false},
		{"old step, its own run's retry", bot.AnnouncementStep(1, "nudge"), "announce-reminder@100", true},
		{"a step the old release never took", bot.AnnouncementStep(1, "eve"), "announce-reminder@200", true},
		{"that step again, another run", bot.AnnouncementStep(1, "eve"), "announce-reminder@300", false},
		{"another announcement", bot.AnnouncementStep(2, "nudge"), "announce-reminder@200", true},
		{"a job step", "dues-reminder:2026-11", "dues-reminder@200", true},
		{"the job step again, another run", "dues-reminder:2026-11", "dues-reminder@300", false},
	}
	for _, tc := range tests {
		mine, err := s.Once(ctx, "tech", tc.step, tc.run)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if mine != tc.mine {
			t.Errorf("%s: mine=%v, want %v", tc.name, mine, tc.mine)
		}
	}
	if n, err := s.Client().HLen(ctx, prefix+"{tech}:ann:1:steps").Result(); err != nil || n != 1 {
		t.Errorf("the old steps key has %d fields (%v); nothing new is written there", n, err)
	}
}

func TestParseAnnouncementStep(t *testing.T) {
	tests := []struct {
		step string
		no   int
		name string
		ok   bool
	}{
		{bot.AnnouncementStep(12, "nudge"), 12, "nudge", true},
		{"ann:3:eve", 3, "eve", true},
		{"ann:0:eve", 0, "", false},
		{"ann:x:eve", 0, "", false},
		{"ann:3:", 0, "", false},
		{"dues-reminder:2026-11", 0, "", false},
	}
	for _, tc := range tests {
		no, name, ok := bot.ParseAnnouncementStep(tc.step)
		if no != tc.no || name != tc.name || ok != tc.ok {
			t.Errorf("%q: %d %q %v, want %d %q %v", tc.step, no, name, ok, tc.no, tc.name, tc.ok)
		}
	}
}

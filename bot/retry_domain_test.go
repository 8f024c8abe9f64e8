package bot_test

// A command whose first delivery half-completed (something after its first
// write failed, the claim was released, WeCom retried) has one effect: one
// correction, one audit entry.

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partybot/partybot/bot"
)

// errFlaky is the one failure a flaky dependency injects.
var errFlaky = errors.New("injected failure")

// failOnce fails its first armed call, then passes every call through.
type failOnce struct{ armed atomic.Bool }

func (f *failOnce) fail() bool { return f.armed.CompareAndSwap(true, false) }

type flakyDedupe struct {
	bot.Deduper
	f *failOnce
}

func (d flakyDedupe) Complete(ctx context.Context, key string, r bot.Reply) error {
	if d.f.fail() {
		return errFlaky
	}
	return d.Deduper.Complete(ctx, key, r)
}

type flakyAudit struct {
	bot.AuditLog
	f *failOnce
}

func (a flakyAudit) Append(ctx context.Context, e bot.AuditEntry) error {
	if a.f.fail() {
		return errFlaky
	}
	return a.AuditLog.Append(ctx, e)
}

type flakyOutbox struct {
	bot.Outbox
	f *failOnce
}

func (o flakyOutbox) Enqueue(ctx context.Context, id string, n bot.Notice) error {
	if strings.HasPrefix(id, "ann:") && o.f.fail() {
		return errFlaky
	}
	return o.Outbox.Enqueue(ctx, id, n)
}

func TestRetryAfterHalfDoneFirstAttemptHasOneEffect(t *testing.T) {
	cases := []struct {
		name     string
		fail     string // which dependency fails once: complete, audit, outbox
		setup    [][2]string
		from     string
		text     string
		action   string
		target   string
		corrects bool // a meeting correction is stored too
	}{
		{name: "更正, the audit fails after the correction", fail: "audit",
			setup: [][2]string{{"sec", "会议 支委会"}, {"sec", "结束会议"}},
			from:  "sec", text: "更正 @m1 到会 迟到补签", action: "meeting.correct", target: "m1", corrects: true},
		{name: "更正, done but not marked done", fail: "complete",
			setup: [][2]string{{"sec", "会议 支委会"}, {"sec", "结束会议"}},
			from:  "sec", text: "更正 @m2 请假 出差", action: "meeting.correct", target: "m2", corrects: true},
		{name: "党费 设置", fail: "complete", from: "sec", text: "党费 设置 @m1 50", action: "dues.set", target: "m1"},
		{name: "替他人请假", fail: "complete", from: "sec", text: "请假 @m2 11-23 到 11-25 出差", action: "leave.set", target: "m2"},
		{name: "公告 发送, the cards fail to queue", fail: "outbox",
			setup: [][2]string{{"sec", "公告 周五交心得"}}, from: "sec", text: "发送", action: "announce.send", target: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &failOnce{}
			w := newWorld(t, friday, func(d *bot.Deps) {
				switch tc.fail {
				case "complete":
					d.Dedupe = flakyDedupe{d.Dedupe, f}
				case "audit":
					d.Audit = flakyAudit{d.Audit, f}
				case "outbox":
					d.Outbox = flakyOutbox{d.Outbox, f}
				}
			})
			for _, s := range tc.setup {
				w.say(s[0], s[1])
			}
			f.armed.Store(true)
			msg := bot.Message{MsgID: "retried-1", From: tc.from, Kind: bot.KindText, Text: tc.text}
			if _, err := w.handle(msg); !errors.Is(err, errFlaky) {
				t.Fatalf("first attempt: %v, want the injected failure", err)
			}
			first := w.must(msg) // WeCom's retry
			if first.Text == "" {
				t.Fatal("the retry got no reply")
			}
			w.must(msg) // and a third delivery is answered from memory
			entries, err := w.s.AuditEntries(t.Context(), 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range entries {
				if e.Action == tc.action && e.Target == tc.target {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d %s entries for %q, want 1", n, tc.action, tc.target)
			}
			if !tc.corrects {
				return
			}
			m, _, err := w.s.LatestMeeting(t.Context(), "tech")
			if err != nil {
				t.Fatal(err)
			}
			cs, err := w.s.Corrections(t.Context(), "tech", m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || cs[0].UserID != tc.target || cs[0].ID != "msg:retried-1" {
				t.Fatalf("corrections %+v, want one of %s keyed by its message", cs, tc.target)
			}
		})
	}
}

// An entry without a message (a tool's, a job's) is appended every time.
func TestAuditWithoutMessageAlwaysAppends(t *testing.T) {
	w := newWorld(t, friday)
	e := bot.AuditEntry{At: friday, Actor: "cli:roster", Action: "roster.import", Detail: "3 members"}
	for range 2 {
		if err := w.s.Append(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := w.s.AuditEntries(t.Context(), 10)
	if err != nil || len(entries) != 2 {
		t.Fatalf("entries %v (%v), want both", entries, err)
	}
}

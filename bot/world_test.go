package bot_test

// world drives the domain as members do: text commands, menu and card
// clicks, pictures and job runs, handled by a bot.Bot over its own
// disposable Redis (store/redistest), with a clock the test moves and an
// outbox that keeps what was queued. The feature tests (announce, activity,
// meeting, minutes, dues, leave, study, lifecycle) are written against it.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

// beijing is the org's time zone.
var beijing = time.FixedZone("CST", 8*3600)

// friday is 2026-11-20, a working Friday, at 10:00.
var friday = time.Date(2026, 11, 20, 10, 0, 0, 0, beijing)

// orgBranches: 技术党支部 has an app group chat and a robot; 运维党支部
// collects dues on the 31st (the month's last day when shorter); 空支部 has
// nobody in it.
var orgBranches = []bot.Branch{
	{ID: "tech", Name: "技术党支部", ChatID: "wr-tech", Robot: true, Since: bot.Date{Year: 2024, Month: 1, Day: 1}},
	{ID: "ops", Name: "运维党支部", DuesDay: 31, Since: bot.Date{Year: 2026, Month: 10, Day: 1}},
	{ID: "solo", Name: "空支部", Since: bot.Date{Year: 2024, Month: 1, Day: 1}},
}

// orgMembers: tech as in domain_test.go (a secretary, a probationary
// committee member, three members), two in ops, an admin outside every
// branch and one who left.
var orgMembers = []bot.Member{
	{UserID: "sec", Name: "书记", BranchID: "tech", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
	{UserID: "com", Name: "支委", BranchID: "tech", Role: bot.RoleCommittee, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 12, Day: 1}, Active: true},
	{UserID: "m1", Name: "甲", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Joined: bot.Date{Year: 2016, Month: 11, Day: 20}, Active: true},
	{UserID: "m2", Name: "乙", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	{UserID: "m3", Name: "丙", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	{UserID: "ops1", Name: "运维书记", BranchID: "ops", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
	{UserID: "ops2", Name: "丁", BranchID: "ops", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	{UserID: "boss", Name: "党委", Role: bot.RoleAdmin, Active: true},
	{UserID: "gone", Name: "离开的人", BranchID: "tech", Role: bot.RoleMember, Active: false},
}

// techTo are tech's members but its secretary, sorted: whom sec's
// announcements reach.
var techTo = []string{"com", "m1", "m2", "m3"}

// queued keeps what the bot put in the outbox, in order; an id is taken
// once, as the real outbox does.
type queued struct {
	mu  sync.Mutex
	ids []string
	by  map[string]bot.Notice
}

func (q *queued) Enqueue(_ context.Context, id string, n bot.Notice) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.by[id]; dup {
		return nil
	}
	q.ids = append(q.ids, id)
	q.by[id] = n
	return nil
}

// withPrefix lists the notices whose id starts with prefix, in queue order.
func (q *queued) withPrefix(prefix string) []bot.Notice {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []bot.Notice
	for _, id := range q.ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, q.by[id])
		}
	}
	return out
}

// photoLab is a MediaFetcher of pictures known by media id, as strict as
// the adapter: a picture over the limit is ErrTooLarge, an unknown id is
// permanent (WeCom's 40007), and ids starting "down" fail for a while.
type photoLab map[string][]byte

func (p photoLab) FetchMedia(_ context.Context, mediaID string, maxBytes int64) ([]byte, error) {
	data, ok := p[mediaID]
	switch {
	case strings.HasPrefix(mediaID, "down"):
		return nil, errors.New("connection reset")
	case !ok:
		return nil, bot.Permanent(errors.New("errcode 40007: invalid media_id"))
	case int64(len(data)) > maxBytes:
		return nil, fmt.Errorf("media of %d bytes: %w", len(data), bot.ErrTooLarge)
	}
	return data, nil
}

type world struct {
	t   *testing.T
	b   *bot.Bot
	s   *store.Store
	box *queued
	now time.Time
	seq int
}

// newWorld seeds the org on a fresh Redis; options adjust the Deps.
func newWorld(t *testing.T, now time.Time, options ...func(*bot.Deps)) *world {
	t.Helper()
	s := store.New(redistest.Config(t))
	t.Cleanup(func() { _ = s.Close() })
	if err := s.SaveBranches(t.Context(), orgBranches); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMembers(t.Context(), orgMembers); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, s: s, box: &queued{by: map[string]bot.Notice{}}, now: now}
	d := bot.Deps{
		Roster: s, Dedupe: s, Checkins: s, Leaves: s, Audit: s, Meetings: s, Studies: s, Announcements: s, Minutes: s, Dues: s, Steps: s, Development: s, Talks: s, Rectify: s, Reviews: s, LifeMeetings: s, Makeups: s, Materials: s, ThemeDays: s,
		Outbox: w.box, Location: beijing, Now: func() time.Time { return w.now },
		NewCode: func() string { return "2468" },
	}
	for _, o := range options {
		o(&d)
	}
	b, err := bot.New(d)
	if err != nil {
		t.Fatal(err)
	}
	w.b = b
	return w
}

// handle delivers one message; msg.Time defaults to the clock.
func (w *world) handle(msg bot.Message) (bot.Reply, error) {
	if msg.Time.IsZero() {
		msg.Time = w.now
	}
	return w.b.Handle(w.t.Context(), msg)
}

func (w *world) must(msg bot.Message) bot.Reply {
	w.t.Helper()
	r, err := w.handle(msg)
	if err != nil {
		w.t.Fatalf("%s sends %q %q: %v", msg.From, msg.Text, msg.EventKey, err)
	}
	return r
}

// say sends a text message with a new MsgId.
func (w *world) say(from, text string) bot.Reply {
	w.t.Helper()
	w.seq++
	return w.must(bot.Message{MsgID: fmt.Sprint(w.seq), From: from, Kind: bot.KindText, Text: text})
}

// click presses a template card's button.
func (w *world) click(from, key string) bot.Reply {
	w.t.Helper()
	w.seq++
	return w.must(bot.Message{From: from, Kind: bot.KindEvent, Event: "template_card_event", EventKey: key, TaskID: fmt.Sprint("task", w.seq)})
}

// picture sends an image.
func (w *world) picture(from, mediaID string) bot.Reply {
	w.t.Helper()
	w.seq++
	return w.must(bot.Message{MsgID: fmt.Sprint(w.seq), From: from, Kind: bot.KindImage, MediaID: mediaID, PicURL: "https://wework.example/" + mediaID})
}

// job runs a scheduled job at the clock.
func (w *world) job(name string) []bot.Outbound {
	w.t.Helper()
	outs, err := w.b.Job(w.t.Context(), name, w.now)
	if err != nil {
		w.t.Fatalf("job %s at %s: %v", name, w.now, err)
	}
	return outs
}

// manual runs a job as `partybot jobs run` does.
func (w *world) manual(name string) []bot.Outbound {
	w.t.Helper()
	outs, err := w.b.RunJob(w.t.Context(), bot.JobRun{Name: name, Fire: w.now, Manual: true})
	if err != nil {
		w.t.Fatalf("manual job %s at %s: %v", name, w.now, err)
	}
	return outs
}

// audited reports whether the audit trail has action with detail in it.
func (w *world) audited(action, target, detail string) bool {
	w.t.Helper()
	entries, err := w.s.AuditEntries(w.t.Context(), 200)
	if err != nil {
		w.t.Fatal(err)
	}
	return slices.ContainsFunc(entries, func(e bot.AuditEntry) bool {
		return e.Action == action && e.Target == target && strings.Contains(e.Detail, detail)
	})
}

// wantText fails unless the reply's text is exactly want.
func wantText(t *testing.T, r bot.Reply, want string) {
	t.Helper()
	if r.Text != want {
		t.Fatalf("reply\n%q\nwant\n%q", r.Text, want)
	}
}

// wantHas fails unless the reply's text has every part.
func wantHas(t *testing.T, r bot.Reply, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Text, p) {
			t.Fatalf("reply\n%s\nlacks %q", r.Text, p)
		}
	}
}

// wantButton fails unless a card click relabelled its button to label.
func wantButton(t *testing.T, r bot.Reply, label string) {
	t.Helper()
	if r.ReplaceButton != label || r.Text != "" {
		t.Fatalf("click answered button %q text %q, want button %q", r.ReplaceButton, r.Text, label)
	}
}

// keyed finds the outbound with key, failing if there is none.
func keyed(t *testing.T, outs []bot.Outbound, key string) bot.Notice {
	t.Helper()
	for _, o := range outs {
		if o.Key == key {
			return o.Notice
		}
	}
	keys := make([]string, len(outs))
	for i, o := range outs {
		keys[i] = o.Key
	}
	t.Fatalf("no outbound %q among %v", key, keys)
	return bot.Notice{}
}

// keysOf lists the outbounds' keys.
func keysOf(outs []bot.Outbound) []string {
	keys := make([]string, len(outs))
	for i, o := range outs {
		keys[i] = o.Key
	}
	return keys
}

// ledgerCSV exports branches' ledger over span as CSV and returns one
// sheet's text.
func (w *world) ledgerCSV(branches []bot.Branch, span bot.Span, sheet string) string {
	w.t.Helper()
	l, err := w.b.Ledger(w.t.Context(), branches, span, false)
	if err != nil {
		w.t.Fatal(err)
	}
	dir := w.t.TempDir()
	c, err := workbook.NewCSV(dir, w.b.LedgerHeader(span, false))
	if err != nil {
		w.t.Fatal(err)
	}
	for _, b := range l.Branches {
		if err := c.Add(b); err != nil {
			w.t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		w.t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, sheet+".csv"))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(raw)
}

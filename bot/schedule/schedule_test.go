package schedule

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

type recorder struct {
	mu    sync.Mutex
	fires map[string][]time.Time
}

func (r *recorder) EnqueueJob(_ context.Context, run bot.JobRun) (bool, error) {
	name, fire := run.Name, run.Fire
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.fires[name] {
		if f.Equal(fire) {
			return false, nil
		}
	}
	r.fires[name] = append(r.fires[name], fire)
	return true, nil
}

func (r *recorder) count(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.fires[name])
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestNewRejectsBadSpecs(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	tests := []struct {
		specs map[string]string
		want  string
	}{
		{map[string]string{"checkin-reminder": "30 9 * * *"}, "schedule.checkin-reminder"}, // five fields
		{map[string]string{"tea-break": "0 0 15 * * *"}, "unknown job"},
		{map[string]string{"monthly": "0 0 9 32 * *"}, "schedule.monthly"},
	}
	for _, tc := range tests {
		_, err := New(tc.specs, loc, &recorder{fires: map[string][]time.Time{}}, quiet)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("New(%v) err=%v, want %q", tc.specs, err, tc.want)
		}
	}
}

func TestEntries(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	s, err := New(map[string]string{"checkin-reminder": "0 30 9 * * *", "weekly-summary": "0 0 20 * * SUN", "monthly": ""}, loc, &recorder{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, loc) // Friday 10:00 in Beijing
	want := map[string]string{
		"checkin-reminder": "2026-11-21T09:30:00+08:00",
		"weekly-summary":   "2026-11-22T20:00:00+08:00",
	}
	for _, e := range s.Entries(now) {
		if w, ok := want[e.Name]; ok {
			if got := e.Next.Format(time.RFC3339); got != w {
				t.Errorf("%s next %s, want %s", e.Name, got, w)
			}
		} else if !e.Next.IsZero() {
			t.Errorf("%s is disabled but has a next fire %s", e.Name, e.Next)
		}
	}
}

// TestCronFiresOnTheSecond runs the real cron with an every-second spec:
// each tick enqueues the run for its scheduled second.
func TestCronFiresOnTheSecond(t *testing.T) {
	rec := &recorder{fires: map[string][]time.Time{}}
	s, err := New(map[string]string{"obligations": "* * * * * *"}, time.UTC, rec, quiet)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop(t.Context())
	deadline := time.Now().Add(5 * time.Second)
	for rec.count("obligations") < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the cron did not fire twice in 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, f := range rec.fires["obligations"] {
		if f.Nanosecond() != 0 {
			t.Fatalf("fire time %v is not the scheduled second", f)
		}
	}
	if _, err := s.Fire(t.Context(), "nope", time.Now()); err == nil {
		t.Fatal("Fire accepted an unknown job")
	}
}

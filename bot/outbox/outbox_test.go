package outbox

import (
	"errors"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	o := &Outbox{cfg: Config{RetryBase: 2 * time.Second, RateLimitWait: time.Minute}.withDefaults()}
	limited := errors.New("45009")
	isLimited := func(err error) bool { return errors.Is(err, limited) }
	tests := []struct {
		n        int
		err      error
		min, max time.Duration
	}{
		{1, errors.New("busy"), 1800 * time.Millisecond, 2200 * time.Millisecond},
		{2, errors.New("busy"), 3600 * time.Millisecond, 4400 * time.Millisecond},
		{5, errors.New("busy"), 28800 * time.Millisecond, 35200 * time.Millisecond},
		{30, errors.New("busy"), 9 * time.Minute, 11 * time.Minute},
		// WeCom's hour-level blocks last an hour: the wait grows 1 → 10 → 60 min.
		{0, limited, time.Minute, time.Minute},
		{1, limited, 10 * time.Minute, 10 * time.Minute},
		{2, limited, time.Hour, time.Hour},
		{7, limited, time.Hour, time.Hour},
	}
	for _, tc := range tests {
		for range 20 { // jitter
			if d := o.backoff(tc.n, tc.err, isLimited); d < tc.min || d > tc.max {
				t.Fatalf("backoff(%d, %v)=%v, want within [%v, %v]", tc.n, tc.err, d, tc.min, tc.max)
			}
		}
	}
}

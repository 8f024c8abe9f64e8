package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

func open(t *testing.T) (*store.Store, string) {
	t.Helper()
	cfg := redistest.Config(t)
	s := store.New(cfg)
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, cfg.KeyPrefix
}

// keys lists every key under prefix (on every master of a Cluster).
func keys(t *testing.T, s *store.Store, prefix string) []string {
	t.Helper()
	var mu sync.Mutex
	var out []string
	scan := func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, prefix+"*").Result()
		mu.Lock()
		defer mu.Unlock()
		out = append(out, ks...)
		return err
	}
	var err error
	switch c := s.Client().(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(t.Context(), scan)
	case *redis.Client:
		err = scan(t.Context(), c)
	default:
		t.Fatalf("client %T", c)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDedupe(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	steps := []struct {
		name   string
		do     func() (bot.DedupeStatus, bot.Reply, error)
		status bot.DedupeStatus
		reply  string
	}{
		{"first claim", func() (bot.DedupeStatus, bot.Reply, error) { return s.Claim(ctx, "msg:1") }, bot.DedupeNew, ""},
		{"concurrent retry", func() (bot.DedupeStatus, bot.Reply, error) { return s.Claim(ctx, "msg:1") }, bot.DedupeInFlight, ""},
		{"after complete", func() (bot.DedupeStatus, bot.Reply, error) {
			if err := s.Complete(ctx, "msg:1", bot.Reply{Text: "签到成功"}); err != nil {
				return 0, bot.Reply{}, err
			}
			return s.Claim(ctx, "msg:1")
		}, bot.DedupeDone, "签到成功"},
		{"release keeps a done mark", func() (bot.DedupeStatus, bot.Reply, error) {
			if err := s.Release(ctx, "msg:1"); err != nil {
				return 0, bot.Reply{}, err
			}
			return s.Claim(ctx, "msg:1")
		}, bot.DedupeDone, "签到成功"},
		{"release frees a claim", func() (bot.DedupeStatus, bot.Reply, error) {
			if _, _, err := s.Claim(ctx, "msg:2"); err != nil {
				return 0, bot.Reply{}, err
			}
			if err := s.Release(ctx, "msg:2"); err != nil {
				return 0, bot.Reply{}, err
			}
			return s.Claim(ctx, "msg:2")
		}, bot.DedupeNew, ""},
	}
	for _, st := range steps {
		status, reply, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if status != st.status || reply.Text != st.reply {
			t.Fatalf("%s: got %v %q, want %v %q", st.name, status, reply.Text, st.status, st.reply)
		}
	}
}

func TestDedupeMarksExpire(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	if _, _, err := s.Claim(ctx, "msg:ttl"); err != nil {
		t.Fatal(err)
	}
	key := prefix + "dedupe:msg:ttl"
	if ttl := s.Client().TTL(ctx, key).Val(); ttl <= 0 || ttl > s.ClaimTTL {
		t.Fatalf("claim TTL %v, want (0, %v]", ttl, s.ClaimTTL)
	}
	if err := s.Complete(ctx, "msg:ttl", bot.Reply{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if ttl := s.Client().TTL(ctx, key).Val(); ttl <= s.ClaimTTL || ttl > s.DoneTTL {
		t.Fatalf("done TTL %v, want (%v, %v]", ttl, s.ClaimTTL, s.DoneTTL)
	}
}

func TestCheckIn(t *testing.T) {
	s, prefix := open(t)
	ctx := t.Context()
	day := bot.Date{Year: 2026, Month: time.November, Day: 20}
	at := time.Date(2026, 11, 20, 9, 31, 0, 0, time.UTC)
	first := bot.Checkin{BranchID: "tech", UserID: "lisi", Day: day, At: at, Source: "msg:1"}

	stored, created, err := s.CheckIn(ctx, first)
	if err != nil || !created || stored.Source != "msg:1" || !stored.At.Equal(at) {
		t.Fatalf("first check-in: %+v created=%v err=%v", stored, created, err)
	}
	again := first
	again.At, again.Source = at.Add(time.Hour), "msg:2"
	stored, created, err = s.CheckIn(ctx, again)
	if err != nil || created || stored.Source != "msg:1" || !stored.At.Equal(at) {
		t.Fatalf("second check-in: %+v created=%v err=%v, want the first record back", stored, created, err)
	}
	for i := 1; i <= 3; i++ {
		c := first
		c.Day, c.Source = day.AddDays(-i), "older"
		if _, _, err := s.CheckIn(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	days, err := s.CheckinDays(ctx, "tech", "lisi", day.AddDays(-2), day)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(days); got != 3 || days[2] != day || days[0] != day.AddDays(-2) {
		t.Fatalf("CheckinDays=%v, want the 3 days ending %v in order", days, day)
	}
	for _, k := range keys(t, s, prefix) {
		if !strings.HasPrefix(k, prefix+"{tech}:checkin:") {
			t.Fatalf("key %q is not under %s{tech}:checkin:", k, prefix)
		}
	}
}

func TestTokenCache(t *testing.T) {
	s, prefix := open(t)
	c := s.TokenCache()
	if v := c.Get("tok"); v != nil {
		t.Fatalf("Get on a miss = %#v, want nil", v)
	}
	if err := c.Set("tok", "abc", time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get("tok").(string); !ok || v != "abc" {
		t.Fatalf("Get = %#v, want the string abc", c.Get("tok"))
	}
	if !c.IsExist("tok") {
		t.Fatal("IsExist = false after Set")
	}
	if ttl := s.Client().TTL(context.Background(), prefix+"wecom:tok").Val(); ttl <= 0 {
		t.Fatalf("token stored without TTL under %swecom:tok (ttl %v)", prefix, ttl)
	}
	if err := c.Set("forever", "x", 0); err == nil {
		t.Fatal("Set without TTL accepted")
	}
	if err := c.Delete("tok"); err != nil || c.IsExist("tok") {
		t.Fatalf("Delete: err=%v, exists=%v", err, c.IsExist("tok"))
	}
}

func TestStoreDown(t *testing.T) {
	srv := redistest.Start(t)
	s := store.New(srv.Config(t))
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	srv.Stop()
	if _, _, err := s.Claim(ctx, "msg:down"); err == nil {
		t.Fatal("Claim succeeded with Redis stopped")
	}
	srv.Restart()
	if status, _, err := s.Claim(ctx, "msg:down"); err != nil || status != bot.DedupeNew {
		t.Fatalf("after restart: %v %v, want a fresh claim on the same client", status, err)
	}
}

// BenchmarkRecordStudy measures the store's part of a study report: the
// record script alone (reports/s).
func BenchmarkRecordStudy(b *testing.B) {
	s := store.New(redistest.Config(b))
	defer s.Close()
	day := bot.Date{Year: 2026, Month: time.November, Day: 20}
	var seq atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			r := bot.StudyReport{ID: fmt.Sprint("msg:", i), BranchID: "tech", UserID: fmt.Sprint("u", i%100),
				Day: day, Minutes: 30, Content: "党章", Kind: "自学", At: time.Now()}
			if _, err := s.RecordStudy(b.Context(), r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// The fast check-in record reader agrees with encoding/json, escapes included.
func TestDecodeCheckinRecordAgreesWithJSON(t *testing.T) {
	s, _ := open(t)
	ctx := t.Context()
	d := bot.Date{Year: 2026, Month: 11, Day: 20}
	at := time.Date(2026, 11, 20, 9, 1, 2, 345, time.FixedZone("CST", 8*3600))
	want := map[string]string{}
	for _, src := range []string{"msg:1", `evt:li"si|1|click|签到|`, `a\b`} {
		user := fmt.Sprintf("u%d", len(src))
		want[user] = src
		if _, _, err := s.CheckIn(ctx, bot.Checkin{BranchID: "tech", UserID: user, Day: d, At: at, Source: src}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.CheckinRecords(ctx, "tech", d, d)
	if err != nil || len(recs) != 3 {
		t.Fatalf("%v %v", recs, err)
	}
	for _, r := range recs {
		if !r.At.Equal(at) || r.Source != want[r.UserID] {
			t.Fatalf("record %+v", r)
		}
	}
}

// The suite runs on one server, and (make test) again on a three-master
// Cluster: this says which, so a run can never claim the Cluster silently.
func TestTopologyIsTheOneAskedFor(t *testing.T) {
	s, _ := open(t)
	switch c := s.Client().(type) {
	case *redis.ClusterClient:
		if os.Getenv(redistest.ClusterEnv) != "cluster" {
			t.Fatal("a Cluster client without the Cluster asked for")
		}
		slots, err := c.ClusterSlots(t.Context()).Result()
		if err != nil || len(slots) != 3 {
			t.Fatalf("cluster slots %v %v: want three masters", slots, err)
		}
	case *redis.Client:
		if os.Getenv(redistest.ClusterEnv) == "cluster" {
			t.Fatal("a single-server client with the Cluster asked for")
		}
	default:
		t.Fatalf("client %T", c)
	}
}

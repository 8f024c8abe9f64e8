package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/bot/workbook"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

// BenchmarkCallback measures the whole callback path against a real Redis:
// HTTP, signature, decrypt, dedupe claim, the check-in script, the streak
// read, dedupe completion, and the encrypted passive reply. Request bodies
// are signed and encrypted before the timer starts, as WeCom would.
func BenchmarkCallback(b *testing.B) {
	e := startApp(b, redistest.Config(b))
	users := []string{"zhangsan", "lisi", "wangwu"}
	texts := []string{"签到", "帮助"}
	type request struct {
		query string
		body  []byte
	}
	reqs := make([]request, b.N)
	now := e.clock.Now()
	ts := fmt.Sprint(now.Unix())
	for i := range reqs {
		plain := e.wc.TextXML(users[i%len(users)], texts[i%len(texts)], fmt.Sprint(10_000_000+i), now)
		enc, err := e.wc.Crypto.Encrypt([]byte(plain))
		if err != nil {
			b.Fatal(err)
		}
		nonce := fmt.Sprint(i)
		q := url.Values{"msg_signature": {e.wc.Crypto.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
		reqs[i] = request{q.Encode(), wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, enc)}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	target := e.wc.URL + "?"
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[next.Add(1)-1]
			resp, err := client.Post(target+r.query, "application/xml", bytes.NewReader(r.body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "callbacks/s")
}

// BenchmarkRosterImport10k imports 10,000 members spread over 100 branches
// into an empty Redis: validation, the read of current records, and the
// pipelined writes, as `partybot roster import` does.
func BenchmarkRosterImport10k(b *testing.B) {
	const members, branches = 10_000, 100
	var csv strings.Builder
	csv.WriteString("userid,name,branch,role,status,joined\n")
	for i := range members {
		role := "党员"
		if i%100 == 0 {
			role = "书记"
		}
		fmt.Fprintf(&csv, "u%05d,党员%05d,b%02d,%s,正式党员,2015-07-01\n", i, i, i%branches, role)
	}
	rows, err := parseRosterCSV(strings.NewReader(csv.String()))
	if err != nil {
		b.Fatal(err)
	}
	bs := make([]bot.Branch, branches)
	for i := range bs {
		bs[i] = bot.Branch{ID: fmt.Sprintf("b%02d", i), Name: fmt.Sprintf("第%d党支部", i)}
	}
	for b.Loop() {
		b.StopTimer()
		s := store.New(redistest.Config(b)) // a fresh prefix: every run imports into an empty roster
		if err := s.SaveBranches(b.Context(), bs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		change, err := bot.ImportRoster(b.Context(), s, s, "bench", time.Now(), rows)
		if err != nil || len(change.Added) != members {
			b.Fatalf("import: %v, %s", err, change.Summary())
		}
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(members)*float64(b.N)/b.Elapsed().Seconds(), "members/s")
}

// BenchmarkStudyReport measures the report path without HTTP: Bot.Handle
// on a 学习 message — parse, dedupe claim, the record script, the week and
// month statistics for the reply, dedupe completion — against real Redis.
// Reports are spread over a 1,000-member branch, so each member's history
// stays the size of a real month's.
func BenchmarkStudyReport(b *testing.B) {
	e := startApp(b, redistest.Config(b))
	users := make([]string, 1000)
	members := make([]bot.Member, len(users))
	for i := range users {
		users[i] = fmt.Sprintf("m%04d", i)
		members[i] = bot.Member{UserID: users[i], Name: users[i], BranchID: "tech", Role: bot.RoleMember, Active: true}
	}
	if err := e.app.Store.SaveMembers(b.Context(), members); err != nil {
		b.Fatal(err)
	}
	now := e.clock.Now()
	var seq atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			msg := bot.Message{MsgID: fmt.Sprint(20_000_000 + i), From: users[i%int64(len(users))], Kind: bot.KindText,
				Text: "学习 党章 30分钟 心得", Time: now}
			reply, err := e.app.Bot.Handle(b.Context(), msg)
			if err != nil || !strings.Contains(reply.Text, "已记录学习") {
				b.Errorf("handle: %v %q", err, reply.Text)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkWeeklySummary100k computes the weekly summary of 100,000
// members in 1,000 branches (100 each, one secretary and one committee
// member per branch) against real Redis: every member's week of check-ins
// and study, leaves, meetings and obligations per branch, a PNG chart per
// branch, and the org report. Seeding is not timed. Run it alone:
//
//	go test -run '^$' -bench WeeklySummary100k -benchtime 1x ./cmd/partybot/
func BenchmarkWeeklySummary100k(b *testing.B) { benchWeeklySummary(b, 1000, 100) }

// BenchmarkWeeklySummary1M is the same for 1,000,000 members in 10,000
// branches (seeding takes minutes): run it by name.
func BenchmarkWeeklySummary1M(b *testing.B) {
	if os.Getenv("PARTYBOT_BENCH_1M") == "" {
		b.Skip("set PARTYBOT_BENCH_1M=1: seeding a million members takes minutes")
	}
	benchWeeklySummary(b, 10_000, 100)
}

func benchWeeklySummary(b *testing.B, branches, perBranch int) {
	e := startApp(b, redistest.Config(b))
	ctx := b.Context()
	var bs []bot.Branch
	for i := range branches {
		bs = append(bs, bot.Branch{ID: fmt.Sprintf("b%04d", i), Name: fmt.Sprintf("第%d党支部", i), ChatID: fmt.Sprintf("chat%04d", i)})
	}
	if err := e.app.Store.SaveBranches(ctx, bs); err != nil {
		b.Fatal(err)
	}
	mon := time.Date(2026, 11, 16, 9, 0, 0, 0, cst)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, br := range bs {
		ms := make([]bot.Member, perBranch)
		for j := range ms {
			role := bot.RoleMember
			switch j {
			case 0:
				role = bot.RoleSecretary
			case 1:
				role = bot.RoleCommittee
			}
			ms[j] = bot.Member{UserID: fmt.Sprintf("%s-%03d", br.ID, j), Name: fmt.Sprintf("党员%d", j), BranchID: br.ID, Role: role, Active: true}
		}
		if err := e.app.Store.SaveMembers(ctx, ms); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			// A report from last week: the bot has run this version before
			// this week, so its study day sums cover the week (steady state).
			last := bot.StudyReport{ID: "last-" + br.ID, BranchID: br.ID, UserID: ms[0].UserID, Day: bot.DateOf(mon.AddDate(0, 0, -3), cst),
				Minutes: 30, Content: "党史", Kind: "自学", At: mon.AddDate(0, 0, -3)}
			if _, err := e.app.Store.RecordStudy(ctx, last); err != nil {
				b.Error(err)
				return
			}
			for j, m := range ms {
				for d := range 2 + j%3 { // two to four check-ins this week
					day := bot.DateOf(mon.AddDate(0, 0, d), cst)
					if _, _, err := e.app.Store.CheckIn(ctx, bot.Checkin{BranchID: br.ID, UserID: m.UserID, Day: day, At: mon.AddDate(0, 0, d), Source: fmt.Sprint(d)}); err != nil {
						b.Error(err)
						return
					}
				}
				if j%2 == 0 {
					r := bot.StudyReport{ID: "s" + m.UserID, BranchID: br.ID, UserID: m.UserID, Day: bot.Date{Year: 2026, Month: 11, Day: 17}, Minutes: 30 + j, Content: "党章", Kind: "自学", At: mon}
					if _, err := e.app.Store.RecordStudy(ctx, r); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	e.app.Bot.Targets = bot.StudyTargets{WeeklyMinutes: 60, WeeklyReports: 1}
	fire := time.Date(2026, 11, 22, 20, 0, 0, 0, cst)
	// The admins set is built once per deployment, by the first report.
	if _, err := e.app.Store.Admins(ctx); err != nil {
		b.Fatal(err)
	}
	// So is each branch's roster hash, by its first read.
	for _, br := range bs {
		if _, err := e.app.Store.BranchMembers(ctx, br.ID); err != nil {
			b.Fatal(err)
		}
	}

	rdb := e.app.Store.Client()
	work := startRedisWork(b, rdb)
	peak := sampleHeap()
	// PARTYBOT_BENCH_CPUPROFILE=file profiles the timed runs only
	// (-cpuprofile would include the seeding).
	if path := os.Getenv("PARTYBOT_BENCH_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			b.Fatal(err)
		}
		defer stop()
	}
	b.ResetTimer()
	var outs []bot.Outbound
	for b.Loop() {
		var err error
		if outs, err = e.app.Bot.Job(ctx, bot.JobWeeklySummary, fire); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	peak.report(b)
	b.ReportMetric(float64(len(outs)), "messages")
	work.report(b)
}

// redisWork measures what Redis did while the timer ran: the commands it
// ran (a script's commands included) and its own CPU time (INFO cpu), since
// Redis shares the host's cores with the bot.
type redisWork struct {
	rdb redis.UniversalClient
	cpu float64
	// own is this process's CPU time at the start: on a shared host the
	// two CPU times are steadier than the wall time.
	own time.Duration
}

// selfCPU is the CPU time this process has used (user and system), to
// the microsecond (processCPU reads another process's, in ticks).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startRedisWork(b *testing.B, rdb redis.UniversalClient) *redisWork {
	if err := rdb.ConfigResetStat(b.Context()).Err(); err != nil {
		b.Fatal(err)
	}
	w := &redisWork{rdb: rdb}
	w.cpu, _, _ = w.read(b)
	w.own = selfCPU()
	return w
}

// read returns Redis's CPU seconds so far and the commands since the reset,
// in all and by name.
func (w *redisWork) read(b *testing.B) (cpu float64, calls int64, byName map[string]int64) {
	info, err := w.rdb.Info(b.Context(), "cpu", "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	byName = map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		switch {
		case !ok:
		case name == "used_cpu_user" || name == "used_cpu_sys":
			f, _ := strconv.ParseFloat(value, 64)
			cpu += f
		case strings.HasPrefix(name, "cmdstat_") && name != "cmdstat_evalsha" && name != "cmdstat_eval":
			n, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(value, ",")[0], "calls="), 10, 64)
			calls += n
			byName[strings.TrimPrefix(name, "cmdstat_")] += n
		}
	}
	return cpu, calls, byName
}

func (w *redisWork) report(b *testing.B) {
	own := selfCPU() - w.own
	cpu, calls, byName := w.read(b)
	b.ReportMetric(float64(own.Milliseconds())/float64(b.N), "bot-cpu-ms")
	names := slices.SortedFunc(maps.Keys(byName), func(x, y string) int { return cmp.Compare(byName[y], byName[x]) })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, byName[n]/int64(b.N)))
	}
	b.Logf("redis commands per run: %s", strings.Join(parts, ", "))
	b.ReportMetric(float64(calls)/float64(b.N), "redis-cmds")
	b.ReportMetric((cpu-w.cpu)*1000/float64(b.N), "redis-cpu-ms")
}

// BenchmarkCheckinReminder10k runs the check-in reminder for 10,000 members
// end to end: the job, the outbox, the per-member rate limiter and delivery
// to the fake qyapi. It reports the message/send calls made, which must be
// ceil(N/1000).
func BenchmarkCheckinReminder10k(b *testing.B) {
	const n = 10_000
	e := startApp(b, redistest.Config(b))
	seedMembers(b, e.app.Store, "tech", n-3) // plus the three config members
	fire := time.Date(2026, 11, 20, 9, 30, 0, 0, cst)
	for b.Loop() {
		e.fake.Reset()
		fire = fire.AddDate(0, 0, 7) // a new run each time, always a Friday
		if _, err := e.app.Scheduler.Fire(b.Context(), bot.JobCheckinReminder, fire); err != nil {
			b.Fatal(err)
		}
		e.drain(b)
	}
	calls := len(e.fake.Calls("message/send"))
	if calls != (n+999)/1000 {
		b.Fatalf("%d calls, want %d", calls, (n+999)/1000)
	}
	b.ReportMetric(float64(calls), "api-calls")
}

// heapSampler watches the heap while a benchmark runs.
type heapSampler struct {
	base    uint64
	peak    atomic.Uint64
	stop    chan struct{}
	stopped chan struct{}
}

// sampleHeap starts sampling HeapInuse every 20 ms.
func sampleHeap() *heapSampler {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h := &heapSampler{base: m.HeapInuse, stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(h.stopped)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > h.peak.Load() {
				h.peak.Store(m.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return h
}

// report stops sampling and reports the peak heap and its growth.
func (h *heapSampler) report(b *testing.B) {
	close(h.stop)
	<-h.stopped
	peak := h.peak.Load()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(peak, h.base))/(1<<20), "heap-growth-MB")
}

// BenchmarkExportQuarter10k exports a quarter's ledger for 10,000 members in
// 100 branches (check-ins on about three days in four, a study report a
// week each, two meetings a month per branch) as a workbook. Seeding is not
// timed. Run it alone:
//
//	go test -run '^$' -bench ExportQuarter10k -benchtime 1x ./cmd/partybot/
func BenchmarkExportQuarter10k(b *testing.B) {
	const branches, perBranch = 100, 100
	e := startApp(b, redistest.Config(b))
	ctx := b.Context()
	quarter := bot.Span{From: bot.Date{Year: 2026, Month: 7, Day: 1}, To: bot.Date{Year: 2026, Month: 9, Day: 30}}
	var bs []bot.Branch
	for i := range branches {
		bs = append(bs, bot.Branch{ID: fmt.Sprintf("b%03d", i), Name: fmt.Sprintf("第%d党支部", i)})
	}
	if err := e.app.Store.SaveBranches(ctx, bs); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, br := range bs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := seedQuarter(ctx, e.app, br, perBranch, quarter); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	peak := sampleHeap()
	b.ResetTimer()
	var size int
	for b.Loop() {
		// As 导出 and partybot export do: a few branches held at a time.
		var out countingWriter
		x, err := workbook.NewXLSX(&out, e.app.Bot.LedgerHeader(quarter, false))
		if err != nil {
			b.Fatal(err)
		}
		if err := e.app.Bot.EachLedger(ctx, bs, quarter, false, x.Add); err != nil {
			b.Fatal(err)
		}
		if err := x.Close(); err != nil {
			b.Fatal(err)
		}
		size = int(out)
	}
	b.StopTimer()
	peak.report(b)
	b.ReportMetric(float64(size)/(1<<20), "xlsx-MB")
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// seedQuarter writes a branch's quarter: members, check-ins, study and meetings.
func seedQuarter(ctx context.Context, app *App, br bot.Branch, n int, q bot.Span) error {
	ms := make([]bot.Member, n)
	for j := range ms {
		ms[j] = bot.Member{UserID: fmt.Sprintf("%s-%03d", br.ID, j), Name: fmt.Sprintf("党员%d", j), BranchID: br.ID, Role: bot.RoleMember, Active: true}
	}
	ms[0].Role = bot.RoleSecretary
	if err := app.Store.SaveMembers(ctx, ms); err != nil {
		return err
	}
	for d := q.From; !q.To.Before(d); d = d.AddDays(1) {
		at := time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, cst)
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for j, m := range ms {
			if (j+d.Day)%4 == 0 {
				continue // about three days in four
			}
			if _, _, err := app.Store.CheckIn(ctx, bot.Checkin{BranchID: br.ID, UserID: m.UserID, Day: d, At: at, Source: d.String()}); err != nil {
				return err
			}
			if d.Weekday() == time.Wednesday {
				r := bot.StudyReport{ID: d.String() + m.UserID, BranchID: br.ID, UserID: m.UserID, Day: d, Minutes: 30, Content: "党章学习", Kind: "自学", At: at}
				if _, err := app.Store.RecordStudy(ctx, r); err != nil {
					return err
				}
			}
		}
		if d.Day == 10 || d.Day == 25 {
			m := bot.Meeting{ID: d.String() + "-" + br.ID, BranchID: br.ID, Type: bot.MeetingGroup, Code: "1234", OpenedBy: ms[0].UserID, OpenedAt: at, ExpiresAt: at.Add(2 * time.Hour)}
			if _, _, err := app.Store.OpenMeeting(ctx, m); err != nil {
				return err
			}
			for _, mem := range ms[:n*3/4] {
				if _, _, err := app.Store.RecordAttendance(ctx, br.ID, m.ID, bot.Attendance{UserID: mem.UserID, Status: bot.Present, At: at}); err != nil {
					return err
				}
			}
			m.ClosedAt, m.ClosedBy = at.Add(time.Hour), ms[0].UserID
			if _, err := app.Store.CloseMeeting(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

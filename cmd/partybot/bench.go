package main

// partybot bench — the measurement behind docs/BENCHMARKS.md, not in the
// default help. `bench serve` runs the real bot and a minimal reference
// handler side by side on one Redis; `bench drive` posts distinct signed,
// encrypted 签到 callbacks at both in alternating rounds and prints the
// paired throughput ratios and latencies. `make load` pins the servers to
// one core and the driver and Redis to the other.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
)

const benchUsage = `Usage:
  partybot bench serve -redis ADDR [-bot ADDR] [-min ADDR] [-members N] [-cpuprofile FILE] [-memprofile FILE]
  partybot bench drive [-bot URL] [-min URL] [-conns 32] [-round 2s] [-rounds 6] [-members N]
  partybot bench corps [-bot URL] [-conns 32] [-round 2s] [-rounds 6] [-members N] [-pid PID]
`

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, fs, err := subcommand("bench", args, benchUsage, stderr)
	if err != nil {
		return err
	}
	fs.SetOutput(stderr)
	redisAddr := fs.String("redis", "127.0.0.1:6379", "serve: Redis address or unix socket")
	botAddr := fs.String("bot", "127.0.0.1:18080", "serve: the bot's listen address; drive: its URL host:port")
	minAddr := fs.String("min", "127.0.0.1:18081", "serve: the minimal handler's address; drive: its host:port")
	refAddr := fs.String("ref", "", "drive: host:port of a second reference (make load's go-workwx handler); empty: none")
	members := fs.Int("members", 1000, "members seeded (serve) and sending (drive)")
	conns := fs.Int("conns", 32, "drive: concurrent connections")
	round := fs.Duration("round", 2*time.Second, "drive: length of one round")
	rounds := fs.Int("rounds", 6, "drive: rounds per handler (paired)")
	cpuProfile := fs.String("cpuprofile", "", "serve: write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "serve: write an allocation profile of the whole run to this file")
	pid := fs.Int("pid", 0, "corps: the bench serve process, whose CPU time per callback is reported too (Linux /proc)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch sub {
	case "serve":
		if *cpuProfile != "" {
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				return err
			}
			defer stop()
		}
		if *memProfile != "" {
			defer writeAllocProfile(*memProfile, stderr)
		}
		return benchServe(ctx, *redisAddr, *botAddr, *minAddr, *members, stderr)
	case "drive":
		return benchDrive(ctx, *botAddr, *minAddr, *refAddr, *members, *conns, *round, *rounds, stdout)
	case "corps":
		return benchCorps(ctx, *botAddr, *members, *conns, *round, *rounds, *pid, stdout)
	}
	fmt.Fprint(stderr, benchUsage)
	return flag.ErrHelp
}

// startCPUProfile profiles the process until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// writeAllocProfile writes the allocations made since the start.
func writeAllocProfile(path string, stderr io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		err = errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: alloc profile: %v\n", err)
	}
}

// benchMember is the i-th seeded member: 100 to a branch. Each branch is
// joint: the partner corp's member of the same userid is in it too.
func benchMember(i int) (userID, branch string) {
	return fmt.Sprintf("m%05d", i), fmt.Sprintf("b%03d", i/100)
}

// The bench's second corp (the two-corp run): its own app credentials.
const (
	benchPartner        = "partner"
	benchPartnerCorpID  = "wwbenchpartner02"
	benchPartnerAgentID = 1000003
	benchPartnerToken   = "benchPartnerToken"
	benchPartnerAESKey  = "Pq7Rs8Tu9Vw0Xy1Za2Bc3De4Fg5Hi6Jk7Lm8No9Pq0R"
)

// benchServe runs the bot (fake qyapi, seeded roster) and the minimal
// handler until ctx ends.
func benchServe(ctx context.Context, redisAddr, botAddr, minAddr string, members int, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fake := wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret)
	defer fake.Close()
	cfg := DefaultConfig()
	cfg.Listen = botAddr
	cfg.Redis = RedisConfig{Addr: redisAddr, KeyPrefix: "bench:"}
	cfg.WeCom.CorpID, cfg.WeCom.AgentID = wecomtest.CorpID, wecomtest.AgentID
	cfg.WeCom.Secret, cfg.WeCom.Token, cfg.WeCom.EncodingAESKey = wecomtest.Secret, wecomtest.Token, wecomtest.AESKey
	cfg.WeCom.APIBase = fake.URL()
	pfake := wecomtest.NewFakeAPI(benchPartnerCorpID, "bench-partner-secret")
	defer pfake.Close()
	cfg.Corps = []CorpConfig{{ID: benchPartner, Name: "合作网络公司", CorpID: benchPartnerCorpID, AgentID: benchPartnerAgentID,
		Secret: "bench-partner-secret", Token: benchPartnerToken, EncodingAESKey: benchPartnerAESKey, APIBase: pfake.URL()}}
	cfg.Org = OrgConfig{Name: "bench"}
	var ms []bot.Member
	seen := map[string]bool{}
	for i := range members {
		u, b := benchMember(i)
		if !seen[b] {
			seen[b] = true
			cfg.Org.Branches = append(cfg.Org.Branches, BranchConfig{ID: b, Name: b})
		}
		ms = append(ms, bot.Member{UserID: u, Name: u, BranchID: b, Role: bot.RoleMember, Active: true},
			bot.Member{UserID: bot.MemberID(benchPartner, u), Name: u, BranchID: b, Role: bot.RoleMember, Active: true})
	}
	for name := range cfg.Schedule {
		cfg.Schedule[name] = ""
	}
	app, err := NewApp(cfg, log)
	if err != nil {
		return err
	}
	if err := app.Store.Client().FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("bench: flush the bench Redis: %w", err)
	}
	if err := app.Seed(ctx); err != nil {
		return err
	}
	if err := app.Store.SaveMembers(ctx, ms); err != nil {
		return err
	}
	if err := app.Start(ctx); err != nil {
		return err
	}
	defer app.Close()
	crypto, err := wecom.NewCrypto(wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID)
	if err != nil {
		return err
	}
	minimal := &minimalHandler{crypto: crypto, rdb: app.Store.Client()}
	ln, err := net.Listen("tcp", minAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: minimal, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(stderr, "bench: bot on %s, minimal handler on %s, %d members\n", app.Addr(), ln.Addr(), members)
	<-ctx.Done()
	return nil
}

// minimalHandler is the floor a WeCom callback cannot go below: verify,
// decrypt, parse, one pipelined Redis write, an encrypted passive reply.
type minimalHandler struct {
	crypto *wecom.Crypto
	rdb    redis.UniversalClient
}

func (h *minimalHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var env struct {
		Encrypt string `xml:"Encrypt"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || xml.Unmarshal(body, &env) != nil ||
		!h.crypto.Verify(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	plain, err := h.crypto.Decrypt(env.Encrypt)
	var msg struct {
		From  string `xml:"FromUserName"`
		MsgID string `xml:"MsgId"`
	}
	if err != nil || xml.Unmarshal(plain, &msg) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	pipe := h.rdb.Pipeline()
	pipe.SetNX(r.Context(), "bench:min:"+msg.MsgID, msg.From, time.Hour)
	pipe.HSet(r.Context(), "bench:min:checkins", msg.From, time.Now().Unix())
	if _, err := pipe.Exec(r.Context()); err != nil {
		http.Error(w, "redis", http.StatusServiceUnavailable)
		return
	}
	reply := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[签到成功]]></Content></xml>`,
		msg.From, wecomtest.CorpID, time.Now().Unix())
	enc, err := h.crypto.Encrypt([]byte(reply))
	if err != nil {
		http.Error(w, "encrypt", http.StatusInternalServerError)
		return
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "1"
	fmt.Fprintf(w, `<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature><TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>`,
		enc, h.crypto.Sign(ts, nonce, enc), ts, nonce)
}

// roundResult is one round against one handler.
type roundResult struct {
	rate     float64 // callbacks/s
	p50, p99 time.Duration
	errors   int
	cpu      time.Duration // server CPU time per callback, when measured
}

// processCPU is a process's user + system CPU time so far, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func processCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces: count from its ")".
	rest := raw[bytes.LastIndexByte(raw, ')')+1:]
	fields := strings.Fields(string(rest))
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// benchDrive runs paired rounds — bot, minimal (and the reference), the
// order turning each round — each with fresh MsgIds, and prints the median
// ratio and latencies.
func benchDrive(ctx context.Context, botAddr, minAddr, refAddr string, members, conns int, round time.Duration, rounds int, stdout io.Writer) error {
	crypto, err := wecom.NewCrypto(wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID)
	if err != nil {
		return err
	}
	client := benchClient(conns)
	var seq atomic.Int64
	seq.Store(time.Now().UnixNano() / 1000)
	run := func(target string) roundResult {
		return driveRound(ctx, client, conns, round, &seq, func(n int64) (string, []byte) {
			user, _ := benchMember(int(n % int64(members)))
			query, body := benchRequest(crypto, wecomtest.CorpID, wecomtest.AgentID, user, strconv.FormatInt(n, 10))
			return "http://" + target + "/wecom/callback?" + query, body
		})
	}
	run(botAddr) // warm all: connections, scripts, caches
	run(minAddr)
	if refAddr != "" {
		run(refAddr)
	}
	var ratios, refRatios, floorRatios []float64
	var bots, mins, refs []roundResult
	fmt.Fprintf(stdout, "round  bot/s    min/s    ratio  bot p50  bot p99  min p50  min p99  non-200\n")
	targets := []string{botAddr, minAddr}
	if refAddr != "" {
		targets = append(targets, refAddr)
	}
	for i := range rounds {
		// The order turns each round, so that no handler always runs
		// first (after the other process's idle time) or last.
		got := map[string]roundResult{}
		for j := range targets {
			t := targets[(i+j)%len(targets)]
			got[t] = run(t)
		}
		b, m := got[botAddr], got[minAddr]
		bots, mins = append(bots, b), append(mins, m)
		ratio := b.rate / m.rate
		ratios = append(ratios, ratio)
		fmt.Fprintf(stdout, "%5d  %7.0f  %7.0f  %5.2f  %7s  %7s  %7s  %7s  %d/%d", i+1, b.rate, m.rate, ratio,
			b.p50.Round(10*time.Microsecond), b.p99.Round(10*time.Microsecond),
			m.p50.Round(10*time.Microsecond), m.p99.Round(10*time.Microsecond), b.errors, m.errors)
		if refAddr != "" {
			r := got[refAddr]
			refs, refRatios = append(refs, r), append(refRatios, b.rate/r.rate)
			floorRatios = append(floorRatios, m.rate/r.rate)
			fmt.Fprintf(stdout, "   go-workwx %7.0f/s p99 %7s ratio %.2f", r.rate, r.p99.Round(10*time.Microsecond), b.rate/r.rate)
		}
		fmt.Fprintln(stdout)
	}
	med := func(f func(roundResult) float64, rs []roundResult) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	slices.Sort(ratios)
	p99 := func(r roundResult) float64 { return float64(r.p99) }
	p50 := func(r roundResult) float64 { return float64(r.p50) }
	fmt.Fprintf(stdout, "median: throughput ratio bot/minimal %.2f; p99 bot %s vs minimal %s (ratio %.2f); p50 bot %s vs minimal %s\n",
		ratios[len(ratios)/2], time.Duration(med(p99, bots)).Round(10*time.Microsecond), time.Duration(med(p99, mins)).Round(10*time.Microsecond),
		med(p99, bots)/med(p99, mins), time.Duration(med(p50, bots)).Round(10*time.Microsecond), time.Duration(med(p50, mins)).Round(10*time.Microsecond))
	if refAddr != "" {
		slices.Sort(refRatios)
		slices.Sort(floorRatios)
		// minimal/go-workwx is what the passive reply costs: the minimal
		// handler does go-workwx's work and encrypts and sends a reply.
		fmt.Fprintf(stdout, "median: throughput ratio bot/go-workwx %.2f (minimal/go-workwx %.2f); p99 go-workwx %s\n",
			refRatios[len(refRatios)/2], floorRatios[len(floorRatios)/2], time.Duration(med(p99, refs)).Round(10*time.Microsecond))
	}
	for _, b := range bots {
		if b.errors > 0 {
			return errors.New("bench: the bot answered non-200 under load")
		}
	}
	return nil
}

// benchRequest is one signed, encrypted 签到 callback of a corp's app.
func benchRequest(c *wecom.Crypto, corpID string, agentID int, user, msgID string) (query string, body []byte) {
	now := time.Now()
	plain := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[签到]]></Content>`+
		`<MsgId>%s</MsgId><AgentID>%d</AgentID></xml>`, corpID, user, now.Unix(), msgID, agentID)
	enc, _ := c.Encrypt([]byte(plain)) // AES with a valid key does not fail
	ts, nonce := strconv.FormatInt(now.Unix(), 10), msgID
	q := url.Values{"msg_signature": {c.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}}
	return q.Encode(), wecomtest.EnvelopeXML(corpID, agentID, enc)
}

func benchClient(conns int) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

// driveRound posts callbacks on conns connections for one round: next
// builds the n-th (its URL and body), n unique across rounds.
func driveRound(ctx context.Context, client *http.Client, conns int, round time.Duration, seq *atomic.Int64, next func(n int64) (string, []byte)) roundResult {
	ctx, cancel := context.WithTimeout(ctx, round)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				target, body := next(seq.Add(1))
				t0 := time.Now()
				resp, err := client.Post(target, "application/xml", bytes.NewReader(body))
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r := roundResult{rate: float64(len(lat)) / elapsed.Seconds(), errors: errs}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// benchCorps compares, on the same bot, rounds where every callback comes
// from the home corp with rounds where every other one comes from the
// partner corp through its own path, signed with its own credentials (the
// same members' userids, so the same branches and Redis slots): N corps
// should cost what one costs. Paired rounds, the order turning.
//
// On a shared host the throughput of a round swings with whatever else
// runs; with -pid the server's CPU time per callback (user + system, from
// /proc) is reported as well: the cost itself, much less disturbed.
func benchCorps(ctx context.Context, botAddr string, members, conns int, round time.Duration, rounds, pid int, stdout io.Writer) error {
	home, err := wecom.NewCrypto(wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID)
	if err != nil {
		return err
	}
	partner, err := wecom.NewCrypto(benchPartnerToken, benchPartnerAESKey, benchPartnerCorpID)
	if err != nil {
		return err
	}
	client := benchClient(conns)
	var seq atomic.Int64
	seq.Store(time.Now().UnixNano() / 1000)
	request := func(n int64, toPartner bool) (string, []byte) {
		user, _ := benchMember(int(n % int64(members)))
		if toPartner {
			q, body := benchRequest(partner, benchPartnerCorpID, benchPartnerAgentID, user, strconv.FormatInt(n, 10))
			return "http://" + botAddr + wecom.DefaultCallbackPath + "/" + benchPartner + "?" + q, body
		}
		q, body := benchRequest(home, wecomtest.CorpID, wecomtest.AgentID, user, strconv.FormatInt(n, 10))
		return "http://" + botAddr + wecom.DefaultCallbackPath + "?" + q, body
	}
	// cpu measures a round's server CPU time per answered callback.
	cpu := func(r func() roundResult) roundResult {
		before, okBefore := processCPU(pid)
		res := r()
		if after, ok := processCPU(pid); ok && okBefore && res.rate > 0 {
			res.cpu = (after - before) / time.Duration(res.rate*round.Seconds())
		}
		return res
	}
	one := func() roundResult {
		return cpu(func() roundResult {
			return driveRound(ctx, client, conns, round, &seq, func(n int64) (string, []byte) { return request(n, false) })
		})
	}
	two := func() roundResult {
		// Every other callback is the partner's: half the traffic to each path.
		return cpu(func() roundResult {
			return driveRound(ctx, client, conns, round, &seq, func(n int64) (string, []byte) { return request(n, n%2 == 1) })
		})
	}
	one() // warm both paths
	two()
	var ratios, cpuRatios []float64
	var ones, twos []roundResult
	fmt.Fprintf(stdout, "round  1 corp/s  2 corps/s  ratio  1 corp p99  2 corps p99  non-200  CPU/callback 1 corp  2 corps\n")
	for i := range rounds {
		var a, b roundResult
		if i%2 == 0 {
			a = one()
			b = two()
		} else {
			b = two()
			a = one()
		}
		ones, twos, ratios = append(ones, a), append(twos, b), append(ratios, b.rate/a.rate)
		fmt.Fprintf(stdout, "%5d  %8.0f  %9.0f  %5.2f  %10s  %11s  %d/%d", i+1, a.rate, b.rate, b.rate/a.rate,
			a.p99.Round(10*time.Microsecond), b.p99.Round(10*time.Microsecond), a.errors, b.errors)
		if a.cpu > 0 && b.cpu > 0 {
			cpuRatios = append(cpuRatios, float64(b.cpu)/float64(a.cpu))
			fmt.Fprintf(stdout, "      %8s  %8s", a.cpu.Round(100*time.Nanosecond), b.cpu.Round(100*time.Nanosecond))
		}
		fmt.Fprintln(stdout)
	}
	slices.Sort(ratios)
	median := func(rs []roundResult, f func(roundResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rate := func(r roundResult) float64 { return r.rate }
	p99 := func(r roundResult) float64 { return float64(r.p99) }
	fmt.Fprintf(stdout, "median: two corps (half the callbacks to each path) / one corp throughput %.2f (%.0f vs %.0f/s); p99 %s vs %s\n",
		ratios[len(ratios)/2], median(twos, rate), median(ones, rate),
		time.Duration(median(twos, p99)).Round(10*time.Microsecond), time.Duration(median(ones, p99)).Round(10*time.Microsecond))
	if len(cpuRatios) > 0 {
		slices.Sort(cpuRatios)
		cpuOf := func(r roundResult) float64 { return float64(r.cpu) }
		fmt.Fprintf(stdout, "median: server CPU per callback, two corps / one corp %.2f (%s vs %s)\n", cpuRatios[len(cpuRatios)/2],
			time.Duration(median(twos, cpuOf)).Round(100*time.Nanosecond), time.Duration(median(ones, cpuOf)).Round(100*time.Nanosecond))
	}
	for i := range ones {
		if ones[i].errors+twos[i].errors > 0 {
			return errors.New("bench: the bot answered non-200 under load")
		}
	}
	return nil
}

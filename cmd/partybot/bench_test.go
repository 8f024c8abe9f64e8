package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
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

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store/redistest"
)

// TestDemoWithRedis runs the demo on a real Redis (-redis) and plays WeCom
// from Go: the demo's endpoints and its seeded branch work end to end.
func TestDemoWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	d, err := StartDemo(t.Context(), DemoOptions{Listen: "127.0.0.1:0", Redis: srv.Addr()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = d.Close()
	})
	base := strings.TrimSuffix(d.URL(), "/")
	type member struct{ UserID, Name, Role, Corp, Branch, Company string }
	var session struct {
		Callback, Token, CorpID string
		AESKey                  string `json:"aes_key"`
		AgentID                 int    `json:"agent_id"`
		Members                 []member
		Corps                   []struct {
			ID, Name, Callback, Token string
			CorpID                    string `json:"corp_id"`
			AESKey                    string `json:"aes_key"`
			AgentID                   int    `json:"agent_id"`
		}
	}
	getJSON(t, base+"/demo/api/session", &session)
	// The five members, the secretary first, then the sample 入党积极分子;
	// then the joint branch of two companies.
	if len(session.Members) != 10 || session.Members[0].Name != "张书记" || session.Members[0].Role != "书记" ||
		session.Members[5] != (member{"liuyang", "刘洋", "入党积极分子", "", "demo", "示例科技公司"}) ||
		session.Members[9] != (member{"partner/liming", "黎明", "党员", "partner", "joint", "合作网络公司"}) {
		t.Fatalf("members %+v, want five with the secretary first, the applicant, then the joint branch", session.Members)
	}
	if len(session.Corps) != 2 || session.Corps[1].Callback != "/wecom/callback/partner" || session.Corps[1].CorpID != demoPartnerCorpID {
		t.Fatalf("corps %+v", session.Corps)
	}
	// A member of the other company speaks through their company's app.
	p := session.Corps[1]
	pwc, err := wecomtest.NewWeCom(base+p.Callback, p.Token, p.AESKey, p.CorpID, p.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := pwc.SendText("liming", "我的", "0"); err != nil || !strings.Contains(resp.ReplyText, "黎明") || resp.ReplyTo != "liming" {
		t.Fatalf("我的 as the partner's liming: %v %q to %q", err, resp.ReplyText, resp.ReplyTo)
	}
	wc, err := wecomtest.NewWeCom(base+session.Callback, session.Token, session.AESKey, d.App.Config.WeCom.CorpID, session.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	// The applicant speaks through the same signed callback: their own stage only.
	if resp, err := wc.SendText("liuyang", "入党进度", "0"); err != nil || !strings.Contains(resp.ReplyText, "你目前是：入党积极分子") {
		t.Fatalf("入党进度 as the applicant: %v %q", err, resp.ReplyText)
	}
	resp, err := wc.SendText("zhangshuji", "会议 支委会 十一月支委会", "1")
	if err != nil || !strings.Contains(resp.ReplyText, "已通知本支部 4 名党员") {
		t.Fatalf("会议: %v %q", err, resp.ReplyText)
	}
	var pushed struct {
		Next     int
		Messages []struct {
			To       []string
			Type     string
			Card     map[string]any
			ImageURL string `json:"image_url"`
		}
	}
	// The card and its text fallback (for the WeChat plugin) go out in either order.
	waitFor(t, "the meeting card and its text in the simulator feed", func() bool {
		getJSON(t, base+"/demo/api/pushed?since=0", &pushed)
		return len(pushed.Messages) >= 2
	})
	for _, m := range pushed.Messages[:2] {
		if len(m.To) != 4 || (m.Type == "template_card") == (m.Card["task_id"] == nil) {
			t.Fatalf("pushed %+v", m)
		}
	}
	r, err := http.Post(base+"/demo/api/jobs/weekly-summary", "", nil)
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("run job: %v %v", err, r.Status)
	}
	r.Body.Close()
	var image string
	waitFor(t, "the weekly chart", func() bool {
		getJSON(t, base+"/demo/api/pushed?since=0", &pushed)
		for _, m := range pushed.Messages {
			if m.Type == "image" {
				image = m.ImageURL
			}
		}
		return image != ""
	})
	r, err = http.Get(base + image)
	if err != nil || r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("chart at %s: %v %v", image, err, r)
	}
	r.Body.Close()
	// The joint branch's secretary opens a meeting: its members of both
	// companies are notified, the partner's named as the page knows them.
	if resp, err := wc.SendText("sunli", "会议 党员大会 联合支部党员大会", "2"); err != nil || !strings.Contains(resp.ReplyText, "已通知本支部 3 名党员") {
		t.Fatalf("会议 in the joint branch: %v %q", err, resp.ReplyText)
	}
	waitFor(t, "the joint meeting's card to the partner's members", func() bool {
		getJSON(t, base+"/demo/api/pushed?since=0&psince=0", &pushed)
		for _, m := range pushed.Messages {
			if m.Type == "template_card" && slices.Contains(m.To, "partner/wumin") && slices.Contains(m.To, "partner/liming") {
				return true
			}
		}
		return false
	})
	if r, err := http.Get(base + "/app.js"); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("embedded page assets: %v", err)
	} else {
		r.Body.Close()
	}
}

// TestDemoHistory asks, as the secretary, what a newcomer would try first:
// a demo started normally answers from weeks of sample history, one
// started with -empty from nothing. Started again on the same Redis, the
// history is not written twice.
func TestDemoHistory(t *testing.T) {
	streak := regexp.MustCompile(`已连续签到 (\d+) 天`)
	amount := regexp.MustCompile(`你的月党费：(\d+(?:\.\d+)?) 元`)
	acked := regexp.MustCompile(`已确认 (\d+)/(\d+)`)
	for _, tc := range []struct {
		name  string
		empty bool
		check func(t *testing.T, ask func(string) string)
	}{
		{"seeded", false, func(t *testing.T, ask func(string) string) {
			if me := ask("我的"); streak.FindStringSubmatch(me) == nil || streak.FindStringSubmatch(me)[1] == "0" {
				t.Errorf("我的: want a running streak from the sample check-ins, got %q", me)
			}
			if week := ask("本周"); weekCheckins(t, week) == 0 {
				t.Errorf("本周: want check-ins this week, got %q", week)
			}
			if dues := ask("党费"); !amount.MatchString(dues) {
				t.Errorf("党费: want the secretary's amount, got %q", dues)
			}
			status := ask("公告状态")
			m := acked.FindStringSubmatch(status)
			if m == nil || m[1] == "0" || m[1] == m[2] || !strings.Contains(status, "未确认") {
				t.Errorf("公告状态: want the latest announcement acknowledged by some, not all, got %q", status)
			}
			if dev := ask("发展 进度"); !strings.Contains(dev, "积极分子 1") || !strings.Contains(dev, "刘洋｜入党积极分子") {
				t.Errorf("发展 进度: want the sample 入党积极分子, got %q", dev)
			}
		}},
		{"empty", true, func(t *testing.T, ask func(string) string) {
			if me := ask("我的"); streak.FindStringSubmatch(me) == nil || streak.FindStringSubmatch(me)[1] != "0" {
				t.Errorf("我的: want no streak, got %q", me)
			}
			if week := ask("本周"); weekCheckins(t, week) != 0 {
				t.Errorf("本周: want no check-ins, got %q", week)
			}
			if dues := ask("党费"); !strings.Contains(dues, "未设置") {
				t.Errorf("党费: want no amount set, got %q", dues)
			}
			if status := ask("公告状态"); !strings.Contains(status, "没有找到") {
				t.Errorf("公告状态: want no announcement, got %q", status)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := redistest.Start(t)
			opts := DemoOptions{Listen: "127.0.0.1:0", Redis: srv.Addr(), Empty: tc.empty}
			_, stop, ask := startAsking(t, opts)
			tc.check(t, ask)
			if tc.empty {
				return
			}
			list, week := ask("公告列表"), ask("本周")
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			d, _, ask := startAsking(t, opts) // a restart on the same Redis
			if again := ask("公告列表"); again != list || strings.Count(again, "\n#") != 2 {
				t.Errorf("公告列表 after a restart: %q, before: %q; want the same two announcements", again, list)
			}
			if again := ask("本周"); again != week {
				t.Errorf("本周 after a restart: %q, before: %q", again, week)
			}
			// Nor a week later, when a second history would hold other days.
			later := time.Now().AddDate(0, 0, 7)
			h, err := seedDemoHistory(t.Context(), d.App.Store, d.App.Bot.Calendar, d.App.Bot.Location, later)
			if err != nil || h != nil {
				t.Fatalf("seeding a seeded Redis again: wrote %v, error %v; want nothing written", h != nil, err)
			}
			meetings, err := d.App.Store.Meetings(t.Context(), "demo", later.AddDate(0, -2, 0), later)
			if err != nil || len(meetings) != 2 {
				t.Errorf("meetings after seeding again: %d (%v), want the two of the sample", len(meetings), err)
			}
		})
	}
}

// startAsking starts a demo; ask sends the secretary's text through the
// real callback and returns the reply; stop closes the demo (once; the
// test's cleanup calls it too).
func startAsking(t *testing.T, opts DemoOptions) (d *Demo, stop func() error, ask func(string) string) {
	t.Helper()
	d, err := StartDemo(t.Context(), opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stop = sync.OnceValue(d.Close)
	t.Cleanup(func() { _ = stop() })
	base := strings.TrimSuffix(d.URL(), "/")
	cfg := d.App.Config.WeCom
	wc, err := wecomtest.NewWeCom(base+cfg.CallbackPath, cfg.Token, cfg.EncodingAESKey, cfg.CorpID, cfg.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return d, stop, func(text string) string {
		t.Helper()
		n++
		resp, err := wc.SendText("zhangshuji", text, fmt.Sprintf("%d%06d", time.Now().UnixNano(), n))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		return resp.ReplyText
	}
}

// weekCheckins adds up the 签到 column of a 本周 reply
// ("姓名｜签到｜学习｜次数", one line a member).
func weekCheckins(t *testing.T, reply string) int {
	t.Helper()
	total, rows := 0, 0
	for _, line := range strings.Split(reply, "\n") {
		cols := strings.Split(line, "｜")
		if len(cols) != 4 {
			continue
		}
		if n, err := strconv.Atoi(cols[1]); err == nil {
			total += n
			rows++
		}
	}
	if rows != len(demoMembers) {
		t.Fatalf("本周: %d member rows in %q, want %d", rows, reply, len(demoMembers))
	}
	return total
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store/redistest"
)

// TestDemoWithRedis runs the demo on a real Redis (-redis) and plays WeCom
// from Go: the demo's endpoints and its seeded branch work end to end.
func TestDemoWithRedis(t *testing.T) {
	srv := redistest.Start(t)
	d, err := StartDemo(t.Context(), "127.0.0.1:0", srv.Addr(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = d.Close()
	})
	base := strings.TrimSuffix(d.URL(), "/")
	var session struct {
		Callback, Token, CorpID string
		AESKey                  string `json:"aes_key"`
		AgentID                 int    `json:"agent_id"`
		Members                 []struct{ UserID, Name, Role string }
	}
	getJSON(t, base+"/demo/api/session", &session)
	if len(session.Members) != 5 || session.Members[0].Name != "张书记" || session.Members[0].Role != "书记" {
		t.Fatalf("members %+v, want five with the secretary first", session.Members)
	}
	wc, err := wecomtest.NewWeCom(base+session.Callback, session.Token, session.AESKey, d.App.Config.WeCom.CorpID, session.AgentID)
	if err != nil {
		t.Fatal(err)
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
	if r, err := http.Get(base + "/app.js"); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("embedded page assets: %v", err)
	} else {
		r.Body.Close()
	}
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

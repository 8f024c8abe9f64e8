package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// metric reads one sample of /metrics, 0 when it is absent.
func metric(t *testing.T, e *e2e, sample string) int {
	t.Helper()
	_, body := e.getBody(t, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return int(n)
		}
	}
	return 0
}

// An install whose server IP is missing from 企业可信IP gets 60020 on every
// send. Nothing is dropped: sending pauses, /readyz says what to fix, and
// once the IP is added every message goes out.
func TestUntrustedIPPausesSendingAndLosesNothing(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.fake.SetUntrustedIP(true)
	_, key := e.open(t, "党员大会", "")
	waitFor(t, "/readyz to report the pause", func() bool {
		status, body := e.getBody(t, "/readyz")
		return status == http.StatusOK && strings.Contains(body, "degraded") && strings.Contains(body, "企业可信IP")
	})
	// Three refusals of two messages: one was held through a pause and
	// refused again (a fixed sleep proved nothing on a slow machine).
	waitFor(t, "a message refused after a pause", func() bool {
		return metric(t, e, `partybot_sends_total{result="errcode_60020"}`) >= 3
	})
	dead, err := e.app.Outbox.DeadLetters(t.Context())
	if err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v): a configuration error must not drop messages", dead, err)
	}
	if n := len(e.fake.Calls("message/send")); n != 0 {
		t.Fatalf("%d sends got through an untrusted IP", n)
	}

	e.fake.SetUntrustedIP(false) // the operator adds the IP
	waitFor(t, "the held card and its text", func() bool {
		return len(e.sent("template_card")) == 1 && len(e.sent("text")) == 1
	})
	card := e.sent("template_card")[0]["template_card"].(map[string]any)
	if button := card["button_list"].([]any)[0].(map[string]any); button["key"] != key {
		t.Fatalf("card button %v, want key %s", button, key)
	}
	if status, body := e.getBody(t, "/readyz"); status != http.StatusOK || !strings.HasPrefix(body, "ready") {
		waitFor(t, "/readyz ready again", func() bool {
			status, body = e.getBody(t, "/readyz")
			return status == http.StatusOK && strings.HasPrefix(body, "ready")
		})
	}
}

// The meeting code reaches members on the WeChat plugin (微工作台), who see
// no cards: as a text as well.
func TestMeetingCodeAlsoGoesOutAsText(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	code, _ := e.open(t, "支委会", "")
	waitFor(t, "the meeting text", func() bool { return len(e.sent("text")) == 1 })
	text := e.sent("text")[0]
	content := text["text"].(map[string]any)["content"].(string)
	if text["touser"] != "lisi|qianqi|wangwu|zhaoliu" || !strings.Contains(content, "签到码："+code) {
		t.Fatalf("text %v, want the code %s to the four members", text, code)
	}
}

// appchat/send takes only chats this app created: a chat id pasted from a
// group is found at start, and the log names the branch.
func TestChatIDsAreCheckedAtStart(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	branches := []bot.Branch{{ID: "tech", Name: "技术党支部", ChatID: "pasted-from-a-group"}}
	err := e.app.CheckChats(t.Context(), branches)
	if err == nil || !strings.Contains(err.Error(), "branch tech") {
		t.Fatalf("CheckChats = %v, want an error naming branch tech", err)
	}
	e.fake.AddAppChat("pasted-from-a-group", "zhangsan", "lisi")
	if err := e.app.CheckChats(t.Context(), branches); err != nil {
		t.Fatalf("CheckChats after appchat/create: %v", err)
	}
}

func TestChatCreateCLI(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	cfgPath := writeConfig(t, e.app.Config)
	code, out := cli(t, "chat", "create", "-config", cfgPath, "-branch", "tech", "-owner", "zhangsan")
	if code != 0 || !strings.Contains(out, "chat_id: wrchat") {
		t.Fatalf("chat create: %d\n%s", code, out)
	}
	chatID := strings.TrimSpace(out[strings.Index(out, "chat_id: ")+len("chat_id: "):])
	created := e.fake.Calls("appchat/create")
	if len(created) != 1 || len(created[0].Body["userlist"].([]any)) != 5 || created[0].Body["owner"] != "zhangsan" {
		t.Fatalf("appchat/create calls %v, want one with the five members, owned by zhangsan", created)
	}
	if sends := e.fake.Calls("appchat/send"); len(sends) != 1 || sends[0].Body["chatid"] != chatID {
		t.Fatalf("appchat/send %v: WeCom shows a new chat only after a first message", sends)
	}
	cfg := e.app.Config
	cfg.Org.Branches[0].ChatID = chatID
	if code, out := cli(t, "chat", "check", "-config", writeConfig(t, cfg)); code != 0 {
		t.Fatalf("chat check with the created chat: %d\n%s", code, out)
	}
	cfg.Org.Branches[0].ChatID = "pasted"
	if code, out := cli(t, "chat", "check", "-config", writeConfig(t, cfg)); code != 1 || !strings.Contains(out, "branch tech") {
		t.Fatalf("chat check with a pasted chat id: %d\n%s", code, out)
	}
}

// WeCom answers 48002 to every appchat/send of an app whose visible range
// is not the root department. That concerns app chats only: members'
// messages keep going (no install-wide pause, /readyz stays ready), the
// operator is told which chat, and the held group text goes out once the
// visible range is fixed.
func TestAppChat48002PausesOnlyChatSends(t *testing.T) {
	e := startAnnounce(t)
	e.fake.RefuseAppChats(true)
	var sawGlobalPause atomic.Bool
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() { // an install-wide pause, however short, stops members' messages
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if p, err := e.app.Outbox.Paused(context.Background()); err == nil && p.Reason != "" {
				sawGlobalPause.Store(true)
			}
		}
	}()
	e.run(t, []step{
		{"zhangsan", "公告 周五下午三点党员大会", "公告预览"},
		{"zhangsan", "发送", "已发送公告 #1"},
	})
	e.cardKeys(t, "lisi", "ann_ack:")
	waitFor(t, "the robot post", func() bool { return len(e.fake.RobotTexts(testRobotKey)) == 1 })
	waitFor(t, "the chat send refused twice (a pause and a retry)", func() bool { return e.fake.AppChatRefusals() >= 2 })
	e.open(t, "党员大会", "") // members' messages while app chats are refused
	waitFor(t, "the meeting card", func() bool { _, _, ok := e.fake.CardButtons("lisi", "meeting_signin"); return ok })
	close(stop)
	<-watched
	if sawGlobalPause.Load() {
		t.Fatal("48002 from appchat/send paused every send")
	}
	if status, body := e.getBody(t, "/readyz"); status != http.StatusOK || !strings.HasPrefix(body, "ready") {
		t.Fatalf("/readyz %d %q while only app chats are refused", status, body)
	}
	metric := `partybot_send_pauses_total{channel="chat",result="errcode_48002",target="techchat"}`
	if body := scrape(t, e.base+"/metrics"); !strings.Contains(body, metric) {
		t.Fatalf("/metrics lacks %s", metric)
	}
	if dead, err := e.app.Outbox.DeadLetters(t.Context()); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v): the chat text must wait, not be dropped", dead, err)
	}

	e.fake.RefuseAppChats(false) // the operator sets the visible range
	waitFor(t, "the held chat text", func() bool {
		for _, m := range e.sent("text") {
			if m["chatid"] == "techchat" && strings.Contains(m["text"].(map[string]any)["content"].(string), "公告 #1") {
				return true
			}
		}
		return false
	})
}

// A branch's group robot removed from its group (or a wrong robot_key)
// answers 93000: an alert naming the branch, that robot's posts held (not
// dead letters), everything else sent; a new robot gets the held post.
func TestRobot93000PausesThatRobot(t *testing.T) {
	const removedKey = "6a1b2c3d-0000-4e5f-8a9b-removed0robot"
	e := startBranch(t, func(c *Config) { c.Org.Branches[0].RobotKey = removedKey })
	e.run(t, []step{
		{"zhangsan", "公告 周五下午三点党员大会", "公告预览"},
		{"zhangsan", "发送", "已发送公告 #1"},
	})
	e.cardKeys(t, "lisi", "ann_ack:")
	metric := `partybot_send_pauses_total{channel="robot",result="errcode_93000",target="tech"}`
	waitFor(t, "the robot's pause on /metrics", func() bool { return strings.Contains(scrape(t, e.base+"/metrics"), metric) })
	time.Sleep(time.Second) // several pauses: a dead letter would have been archived by now
	if dead, err := e.app.Outbox.DeadLetters(t.Context()); err != nil || len(dead) != 0 {
		t.Fatalf("dead letters %v (%v): a removed robot is a configuration alert, not a dead letter", dead, err)
	}
	if p, err := e.app.Outbox.Paused(t.Context()); err != nil || p.Reason != "" {
		t.Fatalf("install-wide pause %q (%v) for one branch's robot", p.Reason, err)
	}

	e.fake.AddRobot(removedKey) // the operator puts the robot back
	waitFor(t, "the held robot post", func() bool { return len(e.fake.RobotTexts(removedKey)) == 1 })
}

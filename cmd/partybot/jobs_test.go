package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/store"
	"github.com/partybot/partybot/store/redistest"
)

func TestCheckinReminderFollowsCalendarAndLeave(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.run(t, []step{
		{"lisi", "签到", "签到成功"},                   // Friday 11-20
		{"wangwu", "请假 11-20 到 11-21 出差", "已登记"}, // on leave
	})
	tests := []struct {
		name string
		at   time.Time
		want string // recipients, sorted
	}{
		{"working Friday", time.Date(2026, 11, 20, 9, 30, 0, 0, cst), "qianqi,zhangsan,zhaoliu"},
		{"plain Saturday", time.Date(2026, 11, 21, 9, 30, 0, 0, cst), ""},
		{"National Day holiday", time.Date(2026, 10, 1, 9, 30, 0, 0, cst), ""},
		{"调休 Saturday", time.Date(2026, 10, 10, 9, 30, 0, 0, cst), "lisi,qianqi,wangwu,zhangsan,zhaoliu"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fake.Reset()
			e.fire(t, bot.JobCheckinReminder, tc.at)
			var got []string
			for u := range e.textsTo("text") {
				got = append(got, u)
			}
			slices.Sort(got)
			if strings.Join(got, ",") != tc.want {
				t.Fatalf("reminded %v, want %s", got, tc.want)
			}
			if n := len(e.sent("text")); tc.want != "" && n != 1 {
				t.Fatalf("%d sends, want 1 batched call", n)
			}
		})
	}
}

// The daily check-in reminder is off unless turned on, org-wide
// (rules.checkin_reminder) or per branch (org.branches[].checkin_reminder,
// which wins): the 2024 rules on 形式主义 reject forced 打卡.
func TestCheckinReminderIsOffUnlessTurnedOn(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name   string
		all    bool
		branch *bool
		want   int // members reminded
	}{
		{"default", false, nil, 0},
		{"org-wide", true, nil, 5},
		{"this branch", false, &on, 5},
		{"org-wide but not this branch", true, &off, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startBranch(t, func(c *Config) {
				c.Rules.CheckinReminder = tc.all
				c.Org.Branches[0].CheckinReminder = tc.branch
			})
			e.fake.Reset()
			e.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
			if got := e.textsTo("text"); len(got) != tc.want {
				t.Fatalf("reminded %v, want %d members", got, tc.want)
			}
		})
	}
}

// The lifecycle job through the outbox: 转正 only after the 预备期 (the
// member privately asked for the 转正申请 a month ahead, the secretary for
// the 党员大会 from the due day until one is held), and a leave chained past
// six months asks the secretary about the 组织关系, once.
func TestProbationAndLongLeaveThroughJobs(t *testing.T) {
	e := startBranch(t) // Friday 2026-11-20
	err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "wangwu", Name: "王五", BranchID: "tech", Role: bot.RoleCommittee, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2025, Month: 12, Day: 20}, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"lisi", "请假 11-20 到 2027-03-31 外派", "已登记"},
		{"lisi", "请假 2027-04-01 到 2027-06-30 外派", "已登记"},
	})
	texts := func(at time.Time) map[string][]string {
		t.Helper()
		e.drain(t) // what came before (the meeting's notice) is not the job's
		e.fake.Reset()
		e.fire(t, bot.JobLifecycle, at)
		out := map[string][]string{}
		for _, m := range e.sent("text") {
			to := m["touser"].(string)
			out[to] = append(out[to], m["text"].(map[string]any)["content"].(string))
		}
		return out
	}
	got := texts(time.Date(2026, 11, 20, 9, 5, 0, 0, cst))
	if len(got["wangwu"]) != 1 || !strings.Contains(got["wangwu"][0], "请在期满前向党支部提交书面转正申请") {
		t.Fatalf("the member's own reminder: %v", got)
	}
	if len(got["zhangsan"]) != 2 {
		t.Fatalf("the secretary got %q, want the 转正 preparation and the 组织关系 prompt", got["zhangsan"])
	}
	joined := strings.Join(got["zhangsan"], "\n")
	for _, want := range []string{"王五 的预备期将于 12月20日 满一年。请提前准备", "【组织关系】李四 请假 2026年11月20日 至 2027年6月30日（共 223 天，原因：外派）"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("the secretary's messages lack %q:\n%s", want, joined)
		}
	}
	if got := texts(time.Date(2026, 11, 21, 9, 5, 0, 0, cst)); len(got) != 0 {
		t.Fatalf("the next day: %v", got)
	}
	if got := texts(time.Date(2026, 12, 20, 9, 5, 0, 0, cst)); len(got["zhangsan"]) != 1 || !strings.Contains(got["zhangsan"][0], "王五 的预备期今天满一年，请及时召开党员大会讨论其转正") {
		t.Fatalf("on the day: %v", got)
	}
	e.clock.Set(time.Date(2026, 12, 22, 15, 0, 0, 0, cst))
	e.open(t, "党员大会", "王五转正")
	e.run(t, []step{{"zhangsan", "结束会议", "已结束"}})
	if got := texts(time.Date(2026, 12, 27, 9, 5, 0, 0, cst)); len(got) != 0 {
		t.Fatalf("a week on, after the 党员大会: %v", got)
	}
}

func TestUniformReminderIsBatchedByThousand(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 999, 1000, 1001, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel() // each size has its own app
			e := startApp(t, redistest.Config(t))
			seedMembers(t, e.app.Store, "tech", n)
			e.fire(t, bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
			calls := len(e.sent("text"))
			if want := (n + 3 + 999) / 1000; calls != want { // n plus the three seeded members
				t.Fatalf("%d message/send calls for %d members, want ceil(%d/1000) = %d", calls, n+3, n+3, want)
			}
			if got := len(e.textsTo("text")); got != n+3 {
				t.Fatalf("%d members reminded, want %d", got, n+3)
			}
		})
	}
}

func TestTwoReplicasDeliverEachFireOnce(t *testing.T) {
	t.Parallel()
	rc := redistest.Config(t)
	fake := newFake(t)
	a, b := startAppWith(t, fake, rc), startAppWith(t, fake, rc) // one Redis, one key prefix, one WeCom
	fire := time.Date(2026, 11, 20, 9, 30, 0, 0, cst)
	var enqueued int
	for _, e := range []*e2e{a, b, a, b} {
		ok, err := e.app.Scheduler.Fire(t.Context(), bot.JobCheckinReminder, fire)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			enqueued++
		}
	}
	if enqueued != 1 {
		t.Fatalf("%d replicas enqueued the same fire, want 1", enqueued)
	}
	a.drain(t)
	b.drain(t)
	if got := a.textsTo("text"); len(got) != 3 || got["lisi"] != 1 || got["zhangsan"] != 1 || got["wangwu"] != 1 {
		t.Fatalf("deliveries %v, want each of the three members once", got)
	}
	// The next fire time is a new run.
	fake.Reset()
	a.fire(t, bot.JobCheckinReminder, fire.AddDate(0, 0, 3)) // Monday
	if got := a.textsTo("text"); got["lisi"] != 1 {
		t.Fatalf("second fire delivered %v", got)
	}
}

func TestRetriedJobSendsNobodyTwice(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	fire := time.Date(2026, 11, 20, 9, 30, 0, 0, cst)
	// A run that crashed after enqueueing its messages is run again by the
	// queue: the job body runs twice, the members hear once.
	outs, err := e.app.Bot.Job(t.Context(), bot.JobCheckinReminder, fire)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, o := range outs {
			if err := e.app.Outbox.Enqueue(t.Context(), "checkin-reminder:"+fmt.Sprint(fire.Unix())+":"+o.Key, o.Notice); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.fire(t, bot.JobCheckinReminder, fire) // the queue's own run of the same fire
	for u, n := range e.textsTo("text") {
		if n != 1 {
			t.Fatalf("%s got %d reminders, want 1", u, n)
		}
	}
	if len(e.textsTo("text")) != 5 {
		t.Fatalf("reminded %v, want all five", e.textsTo("text"))
	}
}

func TestOutboxRetriesTransientAndArchivesPermanent(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.fake.FailNext("message/send", 45009, -1) // frequency block, then busy, then success
	if err := e.app.Outbox.Enqueue(t.Context(), "t:transient", bot.Notice{To: []string{"lisi"}, Text: "第一条"}); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if got := e.textsTo("text"); got["lisi"] != 1 {
		t.Fatalf("after 45009 and -1: deliveries %v, want lisi once", got)
	}

	e.fake.FailNext("message/send", 40058)
	if err := e.app.Outbox.Enqueue(t.Context(), "t:permanent", bot.Notice{To: []string{"ghost"}, Text: "第二条"}); err != nil {
		t.Fatal(err)
	}
	var dead []string
	waitFor(t, "a dead letter", func() bool {
		letters, err := e.app.Outbox.DeadLetters(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		dead = nil
		for _, d := range letters {
			dead = append(dead, d.ID+" "+d.Reason)
		}
		return len(letters) > 0
	})
	if len(dead) != 1 || !strings.Contains(dead[0], "t:permanent") || !strings.Contains(dead[0], "40058") {
		t.Fatalf("dead letters %v, want t:permanent with errcode 40058", dead)
	}
	if got := e.textsTo("text"); got["ghost"] != 0 {
		t.Fatalf("the permanent failure was delivered: %v", got)
	}
}

func TestWeeklySummary(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.app.Bot.Targets = bot.StudyTargets{WeeklyMinutes: 60}
	if err := e.app.Store.SaveBranches(t.Context(), []bot.Branch{{ID: "tech", Name: "技术党支部", ChatID: "chat-tech"}}); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"lisi", "签到", "签到成功"},
		{"lisi", "学习 党章 1小时", "已记录学习"},
		{"zhaoliu", "请假 11-16 到 11-22 休假", "只能从今天起请假"},
		{"zhangsan", "请假 @zhaoliu 11-16 到 11-22 休假", "已登记"}, // a leader may enter a past leave
	})
	e.fake.SetUnreachable("qianqi") // left the company: WeCom answers errcode 0 with invaliduser
	code, _ := e.open(t, "支委会", "")
	waitFor(t, "the meeting card", func() bool { return len(e.sent("template_card")) > 0 })
	e.run(t, []step{{"wangwu", "签到 " + code, "会议签到成功"}, {"zhangsan", "结束会议", "已结束"}})
	e.fake.Reset()
	e.fake.AddAppChat("chat-tech", "zhangsan", "lisi", "wangwu")
	e.fire(t, bot.JobWeeklySummary, time.Date(2026, 11, 22, 20, 0, 0, 0, cst)) // Sunday evening

	md := e.sent("markdown")
	var branchReport, orgReport string
	for _, m := range md {
		content := m["markdown"].(map[string]any)["content"].(string)
		switch m["touser"] {
		case "wangwu|zhangsan":
			branchReport = content
		case "admin1":
			orgReport = content
		}
	}
	// Mon–Fri are working days: 4 members × 5 days expected (赵六 on leave all week).
	for _, want := range []string{"技术党支部 周报（11月16日–22日）", "签到率：<font color=\"warning\">5%</font>（1/20", "学习：60 分钟，1 次；达标 1/5 人", "本周会议：支委会 1 次", "学习未达标（4 人）：钱七（差60分钟）", "1 人未收到，可能已离职或未激活：钱七"} {
		if !strings.Contains(branchReport, want) {
			t.Errorf("branch report lacks %q:\n%s", want, branchReport)
		}
	}
	// Ranked by duties owed (here: meetings overdue since 2024), not by 签到率.
	if !strings.Contains(orgReport, "全组织（11月16日–22日）") || !strings.Contains(orgReport, "1. 技术党支部：<font color=\"warning\">上期未开 ") ||
		strings.Contains(orgReport, "技术党支部：签到率") {
		t.Errorf("org report:\n%s", orgReport)
	}
	if name, data, ok := e.fake.FileSentTo("admin1"); !ok || !strings.HasPrefix(name, "全组织支部汇总") || len(data) == 0 {
		t.Errorf("the admins' workbook: %q %v", name, ok)
	}
	chats := e.sent("text")
	if len(chats) != 1 || chats[0]["chatid"] != "chat-tech" || strings.Contains(fmt.Sprint(chats[0]), "李四") {
		t.Errorf("branch chat message %v: want one, to chat-tech, without names", chats)
	}
	var uploads []wecomtest.Call
	for _, u := range e.fake.Calls("media/upload") {
		if u.Body["type"] == "image" {
			uploads = append(uploads, u)
		}
	}
	images := e.sent("image")
	if len(uploads) != 1 || uploads[0].Body["png"] != true || len(images) != 1 || images[0]["touser"] != "wangwu|zhangsan" {
		t.Errorf("chart: uploads %v, images %v", uploads, images)
	}
}

func TestObligationsAndMonthlyJobs(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.clock.Set(time.Date(2026, 11, 23, 8, 0, 0, 0, cst))
	e.run(t, []step{{"zhangsan", "请假 @qianqi 11-30 到 12-02 出差", "已登记"}})
	e.fire(t, bot.JobObligations, time.Date(2026, 11, 23, 9, 0, 0, 0, cst))
	md := e.sent("markdown")
	if len(md) != 1 || md[0]["touser"] != "wangwu|zhangsan" {
		t.Fatalf("obligations sends %v", md)
	}
	content := md[0]["markdown"].(map[string]any)["content"].(string)
	if !strings.Contains(content, "本月支委会（11月30日前）") || !strings.Contains(content, "逾期未开：上季度党员大会、上月支委会") {
		t.Fatalf("obligations text:\n%s", content)
	}
	e.fake.Reset()
	e.fire(t, bot.JobMonthly, time.Date(2026, 12, 1, 9, 0, 0, 0, cst))
	got := e.textsTo("text")
	if len(got) != 4 || got["zhangsan"] != 2 || got["lisi"] != 1 || got["qianqi"] != 0 {
		t.Fatalf("monthly recipients %v: want the four not on leave once, leaders twice", got)
	}
}

func TestJobsCLI(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	cfg := e.app.Config
	cfg.Schedule = DefaultSchedule()
	cfgPath := writeConfig(t, cfg)
	code, out := cli(t, "jobs", "list", "-config", cfgPath)
	if code != 0 || !strings.Contains(out, "checkin-reminder") || !strings.Contains(out, "0 30 9 * * *") {
		t.Fatalf("jobs list: %d\n%s", code, out)
	}
	e.fake.Reset()
	code, out = cli(t, "jobs", "run", "monthly", "-config", cfgPath) // the word order; monthly runs on any day
	if code != 0 || !strings.Contains(out, "monthly: done; 0 dead letters") {
		t.Fatalf("jobs run: %d\n%s", code, out)
	}
	if got := e.textsTo("text"); len(got) != 5 {
		t.Fatalf("jobs run reached %v, want the five members", got)
	}
	if code, out = cli(t, "jobs", "run", "-config", cfgPath, "nope"); code == 0 || !strings.Contains(out, "unknown job") {
		t.Fatalf("jobs run nope: %d %q", code, out)
	}
}

// TestKillBetweenEnqueueAndSend runs a second process that enqueues a
// message and is killed with SIGKILL before anything sends it; a fresh
// process then delivers it, once.
func TestKillBetweenEnqueueAndSend(t *testing.T) {
	t.Parallel()
	fake := newFake(t)
	srv := redistest.Start(t)
	rc := srv.Config(t)
	killHelperWhenReady(t, "enqueue-and-hang", rc, "the helper to enqueue")
	if n := len(fake.Calls("message/send")); n != 0 {
		t.Fatalf("%d sends before the restart", n)
	}
	e := startAppWith(t, fake, rc) // the restart
	e.drain(t)
	if got := e.textsTo("text"); len(got) != 1 || got["lisi"] != 1 {
		t.Fatalf("after restart: %v, want lisi once", got)
	}
}

// helperEnqueueAndHang is the killed process of TestKillBetweenEnqueueAndSend.
func helperEnqueueAndHang() {
	fake := wecomtest.NewFakeAPI(wecomtest.CorpID, wecomtest.Secret) // the killed process's own WeCom
	cfg := testConfig(store.Config{Addr: os.Getenv("HELPER_REDIS"), KeyPrefix: os.Getenv("HELPER_PREFIX")}, fake.URL())
	app, err := NewApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	if err := app.Outbox.Enqueue(context.Background(), "killed:1", bot.Notice{To: []string{"lisi"}, Text: "杀不死的消息"}); err != nil {
		panic(err)
	}
	if err := os.WriteFile(os.Getenv("HELPER_READY"), nil, 0o600); err != nil {
		panic(err)
	}
	select {} // hang until killed: no worker ever runs here
}

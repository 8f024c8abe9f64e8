package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func TestAnnouncePreviewSendAcknowledge(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	e.run(t, []step{
		{"lisi", "公告 明天开会", "只有支部书记"},
		{"zhangsan", "公告", "用法：公告"},
		{"zhangsan", "发送", "没有待发送"},
		{"zhangsan", "公告 周五下午三点党员大会\n请准时参加，带好笔记本。", "公告预览"},
	})
	if !strings.Contains(e.last, "4 名党员") || !strings.Contains(e.last, "支部群") {
		t.Fatalf("preview %q should name 4 members and the group", e.last)
	}
	e.cardKeys(t, "zhangsan", "ann_send:")
	e.drain(t)
	if _, _, ok := e.fake.CardButtons("lisi", "ann_ack:"); ok {
		t.Fatal("a member got the announcement before 发送")
	}

	e.run(t, []step{{"zhangsan", "发送", "已发送公告 #1 给 4 名党员"}})
	keys := e.cardKeys(t, "lisi", "ann_ack:")
	waitFor(t, "the robot post", func() bool { return len(e.fake.RobotTexts(testRobotKey)) == 1 })
	if got := e.fake.RobotTexts(testRobotKey)[0]; !strings.Contains(got, "周五下午三点党员大会") || !strings.Contains(got, "带好笔记本") {
		t.Fatalf("robot posted %q", got)
	}
	waitFor(t, "the app chat text", func() bool {
		for _, m := range e.sent("text") {
			if m["chatid"] == "techchat" && strings.Contains(m["text"].(map[string]any)["content"].(string), "公告 #1") {
				return true
			}
		}
		return false
	})
	card := e.sent("template_card")
	last := card[len(card)-1]["template_card"].(map[string]any)
	if last["main_title"].(map[string]any)["title"] != "周五下午三点党员大会" || last["sub_title_text"] != "请准时参加，带好笔记本。" {
		t.Fatalf("card %v", last)
	}
	if to := card[len(card)-1]["touser"]; to != "lisi|qianqi|wangwu|zhaoliu" {
		t.Fatalf("card went to %v, want the four members (not the author)", to)
	}

	// A click, and WeCom's retry of that click: one acknowledgement.
	xml := e.wc.CardEventXML("lisi", keys[0], "task-1", e.fake.IssueResponseCode("lisi"), e.clock.Now())
	for range 2 {
		resp, err := e.wc.Post(xml)
		if err != nil || resp.ReplyButton != "已收到" {
			t.Fatalf("click: %v %+v", err, resp)
		}
	}
	e.run(t, []step{
		{"wangwu", "收到", "已确认收到 #1"},
		{"wangwu", "收到", "已确认过全部公告"},
		{"zhangsan", "公告状态", "已确认 2/4"},
	})
	if !strings.Contains(e.last, "未确认 2：钱七、赵六") {
		t.Fatalf("status %q should name the two pending", e.last)
	}
	r, err := e.app.Store.Responses(t.Context(), "tech", 1)
	if err != nil || len(r.Acked) != 2 {
		t.Fatalf("acks %v %v, want lisi and wangwu once each", r.Acked, err)
	}
	e.run(t, []step{
		{"zhangsan", "公告列表", "#1"},
		{"lisi", "公告状态", "只有支部书记"},
	})
	// A click on an announcement that does not exist changes nothing.
	before := e.snapshot(t)
	if got := e.click(t, "qianqi", "ann_ack:tech:99"); got != "公告已失效" {
		t.Fatalf("unknown announcement click: %q", got)
	}
	e.assertUnchangedExceptDedupe(t, before)
}

func TestAnnounceCancelAndConfirmByCard(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	e.run(t, []step{
		{"zhangsan", "公告 草稿一", "公告预览"},
		{"zhangsan", "取消", "已取消"},
		{"zhangsan", "发送", "没有待发送"},
		{"zhangsan", "公告 草稿二", "公告预览"},
	})
	// The first preview's card may arrive later than this one's: wait for this.
	draft, found, err := e.app.Store.Draft(t.Context(), "zhangsan")
	if err != nil || !found {
		t.Fatalf("no draft: %v", err)
	}
	keys := e.cardKeys(t, "zhangsan", "ann_send:"+draft.ID)
	if len(keys) != 2 || !strings.HasPrefix(keys[1], "ann_cancel:") {
		t.Fatalf("preview card keys %v", keys)
	}
	// The first preview's 发送 no longer sends anything.
	if got := e.click(t, "zhangsan", strings.Replace(keys[0], keys[0][len("ann_send:"):], "old", 1)); got != "已失效" {
		t.Fatalf("stale 发送: %q", got)
	}
	if got := e.click(t, "zhangsan", keys[0]); got != "已发送" {
		t.Fatalf("发送 by card: %q", got)
	}
	waitFor(t, "the confirmation text", func() bool {
		return slices.ContainsFunc(e.textsOf("zhangsan"), func(s string) bool { return strings.Contains(s, "已发送公告 #1") })
	})
	e.cardKeys(t, "lisi", "ann_ack:tech:1")
	recent, err := e.app.Store.RecentAnnouncements(t.Context(), "tech", time.Time{}, 10)
	if err != nil || len(recent) != 1 {
		t.Fatalf("announcements %v %v, want one", recent, err)
	}
}

// A picture sent between 公告 and 发送 goes out with it; text longer than a
// card goes out in full as well, cut where WeCom's byte limit needs.
func TestAnnounceLongTextAndPicture(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	body := strings.Repeat("请各位党员认真学习会议精神并结合工作实际撰写心得体会。", 80) // ~2,000 characters
	e.run(t, []step{{"zhangsan", "公告 学习安排\n" + body, "公告预览"}})
	e.fake.PutMedia("media-photo-1", []byte("a member's picture"))
	resp, err := e.wc.Post(e.wc.ImageXML("zhangsan", "media-photo-1", "img-1", e.clock.Now()))
	if err != nil || !strings.Contains(resp.ReplyText, "已附上图片（共 1 张）") {
		t.Fatalf("picture: %v %q", err, resp.ReplyText)
	}
	e.run(t, []step{{"zhangsan", "发送", "已发送公告 #1"}})
	e.drain(t)
	// Parts may arrive in any order; each says which it is.
	parts := map[int]string{}
	for _, s := range e.textsOf("lisi") {
		var i, n int
		if _, err := fmt.Sscanf(s, "（%d/%d）", &i, &n); err == nil {
			parts[i] = s[strings.Index(s, "）")+len("）"):]
		}
	}
	var full strings.Builder
	for i := 1; i <= len(parts); i++ {
		full.WriteString(parts[i])
	}
	if len(parts) < 2 || !strings.Contains(strings.ReplaceAll(full.String(), "\n", ""), body) {
		t.Fatalf("the full text did not reach lisi in numbered parts (%d parts)", len(parts))
	}
	// WeCom promises only that a member's MediaId can be fetched: the
	// picture goes out under an id this app uploaded (the fake refuses the
	// inbound id in a message); two messages sent at once may upload twice.
	images := 0
	for _, m := range e.sent("image") {
		id, _ := m["image"].(map[string]any)["media_id"].(string)
		if data, ok := e.fake.Media(id); ok && id != "media-photo-1" && string(data) == "a member's picture" {
			images++
		}
	}
	if ups := e.fake.Calls("media/upload"); images != 2 || len(ups) == 0 || len(ups) > 2 || ups[0].Body["type"] != "image" { // the members, and the app chat
		t.Fatalf("the picture went out %d times after %d uploads, want it uploaded and sent to the members and the chat", images, len(ups))
	}
	for _, post := range e.fake.RobotTexts(testRobotKey) {
		if len(post) > 2048 {
			t.Fatalf("robot post of %d bytes", len(post))
		}
	}
}

func TestAnnounceReminderReachesOnlyTheUnacknowledged(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	e.run(t, []step{
		{"zhaoliu", "请假 今天 到 11-25 出差", "请假"},
		{"zhangsan", "公告 周五交学习心得", "公告预览"},
		{"zhangsan", "发送", "已发送"},
		{"lisi", "收到", "已确认收到"},
	})
	e.drain(t)
	sentAt := e.clock.Now()
	nudged := func() []string {
		var to []string
		for _, tx := range e.fake.Texts() {
			if strings.HasPrefix(tx[1], "提醒：请确认公告") {
				to = append(to, tx[0])
			}
		}
		return to
	}
	e.fire(t, bot.JobAnnounceReminder, sentAt.Add(time.Hour)) // too early
	if got := nudged(); len(got) != 0 {
		t.Fatalf("nudged %v an hour after sending", got)
	}
	e.clock.Set(sentAt.Add(4*time.Hour + 10*time.Minute))
	e.fire(t, bot.JobAnnounceReminder, e.clock.Now())
	if got := nudged(); !slices.Equal(got, []string{"qianqi|wangwu"}) {
		t.Fatalf("nudged %v, want qianqi and wangwu (lisi acknowledged, zhaoliu is on leave, zhangsan wrote it)", got)
	}
	if !slices.ContainsFunc(e.textsOf("zhangsan"), func(s string) bool { return strings.Contains(s, "已确认 1/4") }) {
		t.Fatalf("the author got no tally: %v", e.textsOf("zhangsan"))
	}
	e.fire(t, bot.JobAnnounceReminder, e.clock.Now().Add(30*time.Minute))
	if got := nudged(); len(got) != 1 {
		t.Fatalf("nudged again by the schedule: %v", got)
	}
	// `partybot jobs run announce-reminder`: everyone unacknowledged, now.
	if _, err := e.app.Scheduler.RunNow(t.Context(), bot.JobAnnounceReminder, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if got := nudged(); len(got) != 2 || got[1] != "qianqi|wangwu" {
		t.Fatalf("manual run nudged %v", got)
	}
}

func TestActivityCapacityAndWaitingList(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	e.run(t, []step{
		{"lisi", "活动 志愿服务", "只有支部书记"},
		{"zhangsan", "活动 志愿服务 11-28 14:00 阳光社区 名额 0", "名额要写正整数"},
		{"zhangsan", "活动 社区志愿服务 11-28 14:00 阳光社区 名额 2 截止 11-19", "截止时间已经过了"},
		{"zhangsan", "活动 社区志愿服务 11-28 14:00 阳光社区 名额 2 截止 11-26", "活动预览"},
		{"zhangsan", "发送", "已发送活动 #1"},
	})
	keys := e.cardKeys(t, "lisi", "act_join:")
	if got := e.click(t, "lisi", keys[0]); got != "已报名" {
		t.Fatalf("lisi 报名: %q", got)
	}
	e.run(t, []step{
		{"wangwu", "报名", "报名成功"},
		{"zhaoliu", "报名", "候补第 1 位"},
		{"zhaoliu", "报名", "候补第 1 位"},
	})
	if got := e.click(t, "qianqi", keys[0]); got != "候补第2位" {
		t.Fatalf("qianqi 报名: %q", got)
	}
	e.run(t, []step{
		{"lisi", "取消报名", "已取消报名"},
		{"lisi", "取消报名", "没有报名"},
		{"zhangsan", "活动状态", "报名 2/2：王五、赵六"},
	})
	if !strings.Contains(e.last, "候补 1：钱七") {
		t.Fatalf("status %q", e.last)
	}
	waitFor(t, "zhaoliu's promotion", func() bool {
		return slices.ContainsFunc(e.textsOf("zhaoliu"), func(s string) bool { return strings.Contains(s, "候补成功") })
	})
	// The day before, after sign-ups closed, those signed up get one
	// reminder; cancelling still frees the place for the waiting list.
	eve := time.Date(2026, 11, 27, 9, 10, 0, 0, cst)
	e.clock.Set(eve)
	e.fire(t, bot.JobAnnounceReminder, eve)
	e.fire(t, bot.JobAnnounceReminder, eve.Add(30*time.Minute))
	var reminded []string
	for _, tx := range e.fake.Texts() {
		if strings.HasPrefix(tx[1], "明天的活动") {
			reminded = append(reminded, tx[0])
		}
	}
	if !slices.Equal(reminded, []string{"wangwu|zhaoliu"}) {
		t.Fatalf("reminded %v, want wangwu and zhaoliu once", reminded)
	}
	e.run(t, []step{{"wangwu", "取消报名", "已取消报名"}})
	waitFor(t, "qianqi's promotion", func() bool {
		return slices.ContainsFunc(e.textsOf("qianqi"), func(s string) bool { return strings.Contains(s, "候补成功") })
	})
	// After the deadline the card is closed.
	e.clock.Set(time.Date(2026, 11, 28, 9, 0, 0, 0, cst))
	if got := e.click(t, "qianqi", keys[1]); got != "报名已截止" {
		t.Fatalf("late click: %q", got)
	}
}

// An admin's announcement to the whole org goes to members in batches of
// 1,000: ceil(N/1000) calls per message.
func TestOrgAnnouncementIsBatched(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	var members []bot.Member
	for i := range 2500 {
		members = append(members, bot.Member{UserID: fmt.Sprintf("m%04d", i), BranchID: "tech", Role: bot.RoleMember, Active: true})
	}
	members = append(members, bot.Member{UserID: "admin1", Role: bot.RoleAdmin, Active: true})
	if err := e.app.Store.SaveMembers(t.Context(), members); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"admin1", "公告 nosuch 内容", "没有支部“nosuch”"},
		{"admin1", "公告 全体 党委通知\n本周五前提交材料。", "将发给全体 1 个支部 2505 名党员"},
		{"admin1", "发送", "已发送公告 全体#1"},
	})
	e.drain(t)
	calls := 0
	for _, m := range e.sent("template_card") {
		keys := m["template_card"].(map[string]any)["button_list"].([]any)
		if keys[0].(map[string]any)["key"] == "ann_ack:!org:1" {
			calls++
			if n := len(strings.Split(m["touser"].(string), "|")); n > 1000 {
				t.Fatalf("one call to %d users", n)
			}
		}
	}
	if calls != 3 {
		t.Fatalf("%d card calls for 2,505 members, want 3", calls)
	}
	entries, err := e.app.Store.AuditEntries(t.Context(), 10)
	if err != nil || !slices.ContainsFunc(entries, func(a bot.AuditEntry) bool { return a.Action == "announce.send" && a.Actor == "admin1" }) {
		t.Fatalf("audit %v %v: no announce.send", entries, err)
	}
	e.run(t, []step{{"m0001", "收到", "已确认收到 全体#1"}})
}

// A retried 取消报名 (WeCom's retry after the claim was released) cancels
// the one sign-up the first delivery cancelled, not a second activity.
func TestRetriedCancelCancelsOnce(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	e.run(t, []step{
		{"zhangsan", "活动 读书会 11-30", "活动预览"},
		{"zhangsan", "发送", "已发送活动 #1"},
		{"zhangsan", "活动 观影 12-01", "活动预览"},
		{"zhangsan", "发送", "已发送活动 #2"},
		{"lisi", "报名", "观影"},
	})
	if _, err := e.app.Store.Respond(t.Context(), "tech", 1, bot.SignUp{Action: bot.SignUpJoin, UserID: "lisi", At: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	first := e.send(t, "lisi", "取消报名", "cancel-1")
	e.forget(t, "cancel-1")
	again := e.send(t, "lisi", "取消报名", "cancel-1")
	if !strings.Contains(first.ReplyText, "观影") || again.ReplyText != first.ReplyText {
		t.Fatalf("first %q, retry %q", first.ReplyText, again.ReplyText)
	}
	r, err := e.app.Store.Responses(t.Context(), "tech", 1)
	if err != nil || !slices.Contains(r.Joined, "lisi") {
		t.Fatalf("读书会 sign-ups %v %v: the retry cancelled it too", r.Joined, err)
	}
}

// 发送 typed while the card's 发送 is pressed: one announcement, and its
// messages queued under the announcement's ids, so the outbox sends them once.
func TestSendTwiceAtOnceDeliversOnce(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	e.run(t, []step{{"zhangsan", "公告 同时发送", "公告预览"}})
	draft, _, err := e.app.Store.Draft(t.Context(), "zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { e.wc.SendText("zhangsan", "发送", "send-text") })
	wg.Go(func() {
		e.wc.Post(e.wc.CardEventXML("zhangsan", "ann_send:"+draft.ID, "task", e.fake.IssueResponseCode("zhangsan"), e.clock.Now()))
	})
	wg.Wait()
	e.drain(t)
	cards := 0
	for _, m := range e.sent("template_card") {
		if strings.HasPrefix(m["template_card"].(map[string]any)["button_list"].([]any)[0].(map[string]any)["key"].(string), "ann_ack:") {
			cards++
		}
	}
	if cards != 1 {
		t.Fatalf("%d announcement card sends, want 1", cards)
	}
}

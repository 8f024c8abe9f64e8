package bot_test

// 活动 end to end: places, the waiting list moving up on 取消报名, 不参加,
// 活动状态, the deadline, the day before's reminder.

import (
	"slices"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func TestActivitySignUpWaitingListAndPromotion(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	const plan = "11月28日 14:00 · 阳光社区 · 名额 2 · 11月27日 23:59截止"

	wantText(t, w.say("sec", "活动 志愿服务 11-28 14:00 阳光社区 名额 2 截止 11-27"),
		"📢 活动预览\n【志愿服务】\n"+plan+"\n将发给本支部 4 名党员，并发到支部群。\n10 分钟内回复“发送”确认，“取消”放弃；图片请在发送前发来。")
	wantText(t, w.say("sec", "发送"), "✅ 已发送活动 #1 给 4 名党员。发“活动状态”查看确认情况。")
	a, _, err := w.s.Announcement(ctx, "tech", 1)
	if err != nil || a.Activity == nil || a.Activity.Capacity != 2 || a.Activity.Place != "阳光社区" || a.Activity.Start != "14:00" ||
		a.Activity.Day != (bot.Date{Year: 2026, Month: 11, Day: 28}) || !a.Activity.Deadline.Equal(time.Date(2026, 11, 27, 23, 59, 0, 0, beijing)) {
		t.Fatalf("stored activity %+v %+v %v", a, a.Activity, err)
	}
	card := w.box.withPrefix("ann:tech:1:deliver:0:")
	if len(card) != 1 || card[0].Card.Title != "活动：志愿服务" || card[0].Card.Subtitle != plan || card[0].Card.Description != "活动 #1，点“报名”参加" ||
		!slices.Equal(card[0].Card.Buttons, []bot.Button{{Text: "报名", Key: "act_join:tech:1"}, {Text: "不参加", Key: "act_no:tech:1", Secondary: true}}) {
		t.Fatalf("activity card %+v", card)
	}
	if chat := w.box.withPrefix("ann:tech:1:deliver:1:"); len(chat) != 1 || chat[0].Text != "【活动 #1】志愿服务\n"+plan+"\n（请在“党建助手”应用里点“报名”）" {
		t.Fatalf("group text %+v", chat)
	}

	wantText(t, w.say("m1", "报名"), "报名成功 ✅ 《志愿服务》 "+plan+"\n不能参加请发“取消报名”。")
	wantText(t, w.say("m1", "报名"), "你已报名《志愿服务》。不能参加请发“取消报名”。")
	wantButton(t, w.click("m2", "act_join:tech:1"), "已报名")
	wantText(t, w.say("m3", "报名"), "《志愿服务》名额已满，已排在候补第 1 位；有人取消时自动递补并通知你。")
	wantText(t, w.say("m3", "join"), "你已在《志愿服务》候补第 1 位，有人取消时自动递补并通知你。")
	wantButton(t, w.click("com", "act_no:tech:1"), "不参加")
	wantButton(t, w.click("ops2", "act_join:tech:1"), "无需确认")
	wantText(t, w.say("m1", "收到"), "现在没有需要确认的公告。") // an activity is answered by 报名

	wantText(t, w.say("sec", "活动状态"), "活动 #1《志愿服务》\n11-20 10:00 发出 · "+plan+"\n报名 2/2：甲、乙\n候补 1：丙\n不参加 1：支委")
	wantText(t, w.say("sec", "公告状态"), "没有找到这条公告或活动。发“公告列表”查看编号。")
	wantText(t, w.say("sec", "公告列表"), "最近的公告和活动：\n#1 11-20 活动《志愿服务》4/4\n发“公告状态 #编号”看名单。")

	r := w.say("m1", "取消报名")
	wantText(t, r, "已取消报名《志愿服务》。")
	promoted := "候补成功 ✅ 你已递补报名《志愿服务》" + plan + "。不能参加请发“取消报名”。"
	if len(r.Notices) != 1 || !slices.Equal(r.Notices[0].To, []string{"m3"}) || r.Notices[0].Text != promoted {
		t.Fatalf("promotion notice %+v", r.Notices)
	}
	if q := w.box.withPrefix("cmd:"); !slices.ContainsFunc(q, func(n bot.Notice) bool { return n.Text == promoted }) {
		t.Fatal("the promotion was not queued")
	}
	resp, err := w.s.Responses(ctx, "tech", 1)
	if err != nil || !slices.Equal(resp.Joined, []string{"m2", "m3"}) || len(resp.Waiting) != 0 || !resp.Declined["com"] {
		t.Fatalf("responses %+v %v", resp, err)
	}
	wantText(t, w.say("m1", "取消报名"), "你没有报名进行中的活动。")
	wantButton(t, w.click("m1", "act_join:tech:1"), "候补第1位")

	// The day before: those signed up are reminded, once.
	w.now = time.Date(2026, 11, 27, 9, 10, 0, 0, beijing)
	outs := w.job(bot.JobAnnounceReminder)
	eve := keyed(t, outs, "act:tech:1:eve:0")
	if !slices.Equal(eve.To, []string{"m2", "m3"}) || eve.Text != "明天的活动《志愿服务》："+plan+"。请准时参加；不能参加请发“取消报名”。" {
		t.Fatalf("eve reminder %+v", eve)
	}
	w.now = w.now.Add(30 * time.Minute)
	if outs := w.job(bot.JobAnnounceReminder); slices.Contains(keysOf(outs), "act:tech:1:eve:0") {
		t.Fatal("the eve reminder went twice")
	}

	// Sign-ups close at the deadline; cancelling stays possible until the day.
	w.now = time.Date(2026, 11, 28, 8, 0, 0, 0, beijing)
	wantButton(t, w.click("m1", "act_join:tech:1"), "报名已截止")
	wantText(t, w.say("com", "报名"), "现在没有可以报名的活动。")
	r = w.say("m2", "取消报名")
	wantText(t, r, "已取消报名《志愿服务》。")
	if len(r.Notices) != 1 || !slices.Equal(r.Notices[0].To, []string{"m1"}) {
		t.Fatalf("m1, waiting, should move up: %+v", r.Notices)
	}
	w.now = time.Date(2026, 11, 29, 8, 0, 0, 0, beijing)
	wantText(t, w.say("m3", "取消报名"), "你没有报名进行中的活动。")
}

// Without a limit or a day: everyone may join, the status counts against
// 不限 and names who has not answered; the nudge asks for 报名.
func TestActivityWithoutLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantHas(t, w.say("com", "活动 读书分享会"), "【读书分享会】\n点“报名”参加\n将发给本支部 4 名党员")
	w.say("com", "发送")
	wantHas(t, w.say("m1", "报名"), "报名成功 ✅ 《读书分享会》 点“报名”参加")
	wantText(t, w.say("com", "活动状态 #1"), "活动 #1《读书分享会》\n11-20 10:00 发出 · 点“报名”参加\n报名 1/不限：甲\n未回复 3：乙、丙、书记")
	w.now = friday.Add(5 * time.Hour)
	n := keyed(t, w.job(bot.JobAnnounceReminder), "ann:tech:1:nudge:0")
	if !slices.Equal(n.To, []string{"m2", "m3", "sec"}) || n.Text != "提醒：请确认活动 #1《读书分享会》——点卡片上的“报名”或“不参加”，或回复“报名”。" {
		t.Fatalf("nudge %+v", n)
	}
}

func TestActivityRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	tests := []struct{ from, text, want string }{
		{"m1", "活动 自己组织", "“活动”只有支部书记、支委或党委管理员可以使用。"},
		{"sec", "活动", "用法：活动 标题 [日期] [时间] [地点] [名额 N] [截止 日期]\n例如：活动 社区志愿服务 11-28 14:00 阳光社区 名额 10 截止 11-27"},
		{"sec", "活动 参观 11-28 截止 今天 08:00", "报名截止时间已经过了，请写以后的时间。"},
		{"sec", "活动 参观 11-10", "活动日期已经过去了，请检查日期。"},
		{"sec", "活动 参观 名额 很多", "名额要写正整数，例如“名额 20”。"},
		{"sec", "活动 这是一个非常非常非常非常非常非常非常非常长的活动标题超过三十个字", "活动标题最长 30 字，详细内容请另发公告。"},
		{"sec", "活动 参观 一个非常非常非常非常非常非常非常非常非常遥远的地方还要再远一点", "地点最长 30 字。"},
	}
	for _, tc := range tests {
		wantText(t, w.say(tc.from, tc.text), tc.want)
	}
	if _, found, _ := w.s.Draft(t.Context(), "sec"); found {
		t.Fatal("a refused 活动 left a draft")
	}
}

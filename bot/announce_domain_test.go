package bot_test

// 公告 end to end on real Redis: preview, 发送 or 取消 (typed or from the
// card), what goes out, 收到 once, 公告状态, 公告列表, admins' 全体, long
// texts in numbered parts, pictures, and the 4-hour nudge.

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/partybot/partybot/bot"
)

// previewKeys returns the send and cancel keys of a preview's card.
func previewKeys(t *testing.T, r bot.Reply) (send, cancel string) {
	t.Helper()
	if len(r.Notices) != 1 || r.Notices[0].Card == nil || len(r.Notices[0].Card.Buttons) != 2 {
		t.Fatalf("preview %q has notices %+v, want one card with 发送 and 取消", r.Text, r.Notices)
	}
	b := r.Notices[0].Card.Buttons
	if b[0].Text != "发送" || b[1].Text != "取消" || !b[1].Secondary {
		t.Fatalf("preview buttons %+v", b)
	}
	return b[0].Key, b[1].Key
}

func TestAnnounceFromPreviewToAcknowledgement(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()

	r := w.say("sec", "公告 支部大会通知\n周五下午三点在三楼开会\n请准时参加")
	wantText(t, r, "📢 公告预览\n【支部大会通知】\n周五下午三点在三楼开会\n请准时参加\n将发给本支部 4 名党员，并发到支部群。\n10 分钟内回复“发送”确认，“取消”放弃；图片请在发送前发来。")
	send, _ := previewKeys(t, r)
	if to := r.Notices[0].To; !slices.Equal(to, []string{"sec"}) {
		t.Fatalf("the preview card goes to %v, want the author alone", to)
	}
	draft, found, err := w.s.Draft(ctx, "sec")
	if err != nil || !found || draft.Title != "支部大会通知" || draft.Body != "周五下午三点在三楼开会\n请准时参加" || draft.Scope != "tech" || send != "ann_send:"+draft.ID {
		t.Fatalf("draft %+v %v %v; card key %q", draft, found, err, send)
	}
	if got := w.box.withPrefix("ann:"); len(got) != 0 {
		t.Fatalf("a preview queued %d deliveries", len(got))
	}

	wantText(t, w.say("sec", "发送"), "✅ 已发送公告 #1 给 4 名党员。发“公告状态”查看确认情况。")
	a, found, err := w.s.Announcement(ctx, "tech", 1)
	if err != nil || !found {
		t.Fatalf("announcement #1: %v %v", found, err)
	}
	if !slices.Equal(a.To, techTo) || a.Author != "sec" || a.Title != "支部大会通知" || !a.SentAt.Equal(friday) || a.Activity != nil {
		t.Fatalf("stored %+v", a)
	}
	if _, found, _ := w.s.Draft(ctx, "sec"); found {
		t.Fatal("the draft outlived 发送")
	}
	if !w.audited("announce.send", "", "#1 公告 支部大会通知（4 人）") {
		t.Fatal("发送 is not audited")
	}
	card := w.box.withPrefix("ann:tech:1:deliver:0:")
	if len(card) != 1 || card[0].Card == nil || !slices.Equal(card[0].To, techTo) {
		t.Fatalf("card delivery %+v", card)
	}
	if c := card[0].Card; c.Title != "支部大会通知" || c.Description != "技术党支部 #1" || c.Subtitle != a.Body ||
		len(c.Buttons) != 1 || c.Buttons[0] != (bot.Button{Text: "收到", Key: "ann_ack:tech:1"}) {
		t.Fatalf("card %+v", c)
	}
	group := "【公告 #1】支部大会通知\n周五下午三点在三楼开会\n请准时参加\n（请在“党建助手”应用里点“收到”）"
	chat, robot := w.box.withPrefix("ann:tech:1:deliver:1:"), w.box.withPrefix("ann:tech:1:deliver:2:")
	if len(chat) != 1 || chat[0].ChatID != "wr-tech" || chat[0].Text != group || len(robot) != 1 || robot[0].Robot != "tech" || robot[0].Text != group {
		t.Fatalf("group deliveries: chat %+v robot %+v", chat, robot)
	}
	if all := w.box.withPrefix("ann:"); len(all) != 3 {
		t.Fatalf("%d deliveries, want card, app chat and robot", len(all))
	}
	wantText(t, w.say("sec", "发送"), "没有待发送的公告或活动（草稿 10 分钟内有效），请重新编写。")

	// 收到: typed once, typed again, from the card; strangers and bad keys.
	wantText(t, w.say("m1", "收到"), "已确认收到 #1《支部大会通知》，谢谢！")
	wantText(t, w.say("m1", "已阅"), "你已确认过全部公告，谢谢！")
	wantButton(t, w.click("m2", "ann_ack:tech:1"), "已收到")
	wantButton(t, w.click("ops2", "ann_ack:tech:1"), "无需确认")
	wantButton(t, w.click("m3", "ann_ack:tech:99"), "公告已失效")
	wantButton(t, w.click("m3", "ann_ack:tech"), "公告已失效")
	wantButton(t, w.click("m3", "ann_ack:../x:1"), "公告已失效")
	wantText(t, w.say("sec", "收到"), "现在没有需要确认的公告。") // the author is not asked
	resp, err := w.s.Responses(ctx, "tech", 1)
	if err != nil || len(resp.Acked) != 2 || resp.Acked["m1"].IsZero() || resp.Acked["m2"].IsZero() {
		t.Fatalf("responses %+v %v, want m1 and m2", resp, err)
	}

	wantText(t, w.say("sec", "公告状态"), "公告 #1《支部大会通知》\n11-20 10:00 发出 · 已确认 2/4\n未确认 2：支委、丙")
	wantText(t, w.say("com", "公告状态 #1"), "公告 #1《支部大会通知》\n11-20 10:00 发出 · 已确认 2/4\n未确认 2：支委、丙")
	wantText(t, w.say("sec", "公告列表"), "最近的公告和活动：\n#1 11-20 公告《支部大会通知》2/4\n发“公告状态 #编号”看名单。")
	wantText(t, w.say("sec", "活动状态"), "没有找到这条公告或活动。发“公告列表”查看编号。")
	wantText(t, w.say("sec", "公告状态 #7"), "没有找到这条公告或活动。发“公告列表”查看编号。")

	// The ledger keeps it with its answers.
	l, err := w.b.Ledger(ctx, []bot.Branch{orgBranches[0]}, bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}, false)
	if err != nil || len(l.Branches) != 1 || len(l.Branches[0].Announcements) != 1 || len(l.Branches[0].Announcements[0].Responses.Acked) != 2 {
		t.Fatalf("ledger %+v %v", l, err)
	}

	// After a week it takes no more answers.
	w.now = friday.Add(bot.AnnounceOpenFor)
	wantButton(t, w.click("com", "ann_ack:tech:1"), "已结束")
	wantText(t, w.say("com", "收到"), "现在没有需要确认的公告。")
}

// The unanswered are nudged once, four hours after, on a working day; not
// those on leave; the author gets the tally. A retried run repeats its own
// nudge, a later run does not; a manual run nudges again.
func TestAnnounceNudgeOnceAfterFourHours(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	w.say("sec", "公告 交党费\n本周内交齐")
	w.say("sec", "发送")
	w.say("m1", "收到")
	today := bot.Date{Year: 2026, Month: 11, Day: 20}
	if err := w.s.PutLeave(ctx, bot.Leave{ID: "l-m3", BranchID: "tech", UserID: "m3", From: today, To: today.AddDays(2), Reason: "出差", By: "m3", At: friday}); err != nil {
		t.Fatal(err)
	}

	w.now = friday.Add(3*time.Hour + 40*time.Minute)
	if outs := w.job(bot.JobAnnounceReminder); len(outs) != 0 {
		t.Fatalf("nudged before four hours: %v", keysOf(outs))
	}
	w.now = friday.Add(4*time.Hour + 10*time.Minute)
	outs := w.job(bot.JobAnnounceReminder)
	nudge := keyed(t, outs, "ann:tech:1:nudge:0")
	if !slices.Equal(nudge.To, []string{"com", "m2"}) || nudge.Text != "提醒：请确认公告 #1《交党费》——点卡片上的“收到”，或回复“收到”。" {
		t.Fatalf("nudge %+v", nudge)
	}
	tally := keyed(t, outs, "ann:tech:1:tally:0")
	if !slices.Equal(tally.To, []string{"sec"}) || tally.Text != "已提醒 2 人。\n公告 #1《交党费》\n11-20 10:00 发出 · 已确认 1/4\n未确认 2：支委、乙\n请假中 1（不催）：丙" {
		t.Fatalf("tally %+v", tally)
	}
	if len(outs) != 2 {
		t.Fatalf("outbounds %v", keysOf(outs))
	}
	if again := w.job(bot.JobAnnounceReminder); !slices.Equal(keysOf(again), keysOf(outs)) {
		t.Fatalf("a retried run sent %v, want its own %v again", keysOf(again), keysOf(outs))
	}
	w.now = friday.Add(4*time.Hour + 40*time.Minute)
	if later := w.job(bot.JobAnnounceReminder); len(later) != 0 {
		t.Fatalf("a later run nudged again: %v", keysOf(later))
	}
	if manual := w.manual(bot.JobAnnounceReminder); len(keysOf(manual)) != 2 {
		t.Fatalf("a manual run sent %v, want the nudge and the tally", keysOf(manual))
	}
}

// Sent on Friday afternoon, the nudge waits for Monday.
func TestAnnounceNudgeWaitsForAWorkingDay(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday.Add(6*time.Hour))
	w.say("sec", "公告 周末值班安排")
	w.say("sec", "发送")
	w.now = time.Date(2026, 11, 21, 10, 10, 0, 0, beijing) // Saturday
	if outs := w.job(bot.JobAnnounceReminder); len(outs) != 0 {
		t.Fatalf("nudged on a Saturday: %v", keysOf(outs))
	}
	w.now = time.Date(2026, 11, 23, 9, 10, 0, 0, beijing) // Monday
	if n := keyed(t, w.job(bot.JobAnnounceReminder), "ann:tech:1:nudge:0"); !slices.Equal(n.To, techTo) {
		t.Fatalf("Monday's nudge went to %v", n.To)
	}
}

func TestAnnounceCancelAndCardButtons(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()

	w.say("sec", "公告 草稿一")
	wantText(t, w.say("sec", "取消"), "已取消，未发送。")
	if _, found, _ := w.s.Draft(ctx, "sec"); found {
		t.Fatal("取消 left the draft")
	}
	wantText(t, w.say("sec", "取消"), "没有待发送的公告或活动。")
	wantText(t, w.say("m1", "取消"), "要取消活动报名，请发“取消报名”。")

	send, cancel := previewKeys(t, w.say("sec", "公告 草稿二"))
	wantButton(t, w.click("sec", "ann_cancel:20200101000000-abcdef"), "已失效")
	wantButton(t, w.click("sec", cancel), "已取消")
	wantButton(t, w.click("sec", send), "已失效")

	send, _ = previewKeys(t, w.say("sec", "公告 草稿三"))
	wantButton(t, w.click("m1", send), "无权发送")
	r := w.click("sec", send)
	wantButton(t, r, "已发送")
	if len(r.Notices) != 1 || r.Notices[0].Text != "✅ 已发送公告 #1 给 4 名党员。发“公告状态”查看确认情况。" || !slices.Equal(r.Notices[0].To, []string{"sec"}) {
		t.Fatalf("a card's 发送 tells the author by %+v", r.Notices)
	}
	if a, found, _ := w.s.Announcement(ctx, "tech", 1); !found || a.Title != "草稿三" {
		t.Fatalf("#1 is %+v", a)
	}
	// The same draft sent twice (typed while the button is pressed) is one announcement.
	wantText(t, w.say("sec", "发送"), "没有待发送的公告或活动（草稿 10 分钟内有效），请重新编写。")
	if _, found, _ := w.s.Announcement(ctx, "tech", 2); found {
		t.Fatal("one draft made two announcements")
	}
}

func TestAnnouncementRefusalsAndUsage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	const usage = "用法：公告 内容（第一行是标题，可以多行）。党委管理员：公告 <支部id|全体> 内容"
	tests := []struct {
		from, text, want string
	}{
		{"m1", "公告 我也想发", "“公告”只有支部书记、支委或党委管理员可以使用。"},
		{"sec", "公告", usage},
		{"sec", "公告 \u200b", usage}, // nothing visible: no title
		{"sec", "公告 长文\n" + strings.Repeat("字", 4000), "公告太长（4003 字），最多 4000 字。请精简或分两次发。"},
		{"boss", "公告 随便写写", usage},
		{"boss", "公告 全体", usage},
		{"boss", "公告 nosuch 通知", "没有支部“nosuch”。现有：ops、solo、tech，或“全体”。"},
		{"boss", "公告 solo 没人收", "没有可以接收的党员，未保存。"},
		{"m1", "公告状态", "“公告状态”只有支部书记、支委或党委管理员可以使用。"},
		{"sec", "公告状态 全体", "全体公告的情况由党委管理员查看。"},
		{"sec", "公告状态 ops", "你只能查看本支部。"},
		{"sec", "公告状态 什么", "用法：公告状态 [#编号]；党委管理员：公告状态 <支部id|全体> [#编号]"},
		{"boss", "公告状态", "用法：公告状态 [#编号]；党委管理员：公告状态 <支部id|全体> [#编号]"},
		{"sec", "公告列表", "还没有发过公告。发“公告 内容”试试。"},
		{"boss", "活动 读书会", "活动由支部发起：请书记或支委发送。"},
	}
	for _, tc := range tests {
		wantText(t, w.say(tc.from, tc.text), tc.want)
	}
	if _, found, _ := w.s.Draft(t.Context(), "boss"); found {
		t.Fatal("a refused 公告 left a draft")
	}
}

// An admin's 全体 reaches every branch; members acknowledge it beside their
// branch's own; only admins see its status.
func TestAdminAnnouncesToTheWholeOrg(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	r := w.say("boss", "公告 全体\n党委通知\n请各支部组织学习")
	wantHas(t, r, "【党委通知】\n请各支部组织学习\n将发给全体 3 个支部 7 名党员，并发到支部群。")
	wantText(t, w.say("boss", "发送"), "✅ 已发送公告 全体#1 给 7 名党员。发“公告状态”查看确认情况。")
	a, found, err := w.s.Announcement(ctx, bot.OrgScope, 1)
	want := []string{"com", "m1", "m2", "m3", "ops1", "ops2", "sec"}
	if err != nil || !found || !slices.Equal(a.To, want) || a.Label() != "全体#1" {
		t.Fatalf("org announcement %+v %v %v", a, found, err)
	}
	if c := w.box.withPrefix("ann:!org:1:deliver:0:"); len(c) != 1 || c[0].Card.Description != "党委公告 全体#1" || c[0].Card.Buttons[0].Key != "ann_ack:!org:1" {
		t.Fatalf("org card %+v", c)
	}
	// Only tech has a group: its chat and its robot get the text.
	if chat := w.box.withPrefix("ann:!org:1:deliver:1:"); len(chat) != 1 || chat[0].ChatID != "wr-tech" {
		t.Fatalf("group delivery %+v", chat)
	}

	w.say("sec", "公告 支部自己的通知")
	w.now = friday.Add(time.Minute)
	w.say("sec", "发送")
	wantText(t, w.say("m1", "收到"), "已确认收到 #1《支部自己的通知》，谢谢！") // the newest first
	wantText(t, w.say("m1", "收到"), "已确认收到 全体#1《党委通知》，谢谢！")
	wantButton(t, w.click("ops2", "ann_ack:!org:1"), "已收到")

	status := w.say("boss", "公告状态 全体")
	wantHas(t, status, "公告 全体#1《党委通知》\n11-20 10:00 发出 · 已确认 2/7\n未确认 5：支委、乙、丙、运维书记、书记")
	wantText(t, w.say("boss", "公告状态 全体#1"), status.Text)
	wantHas(t, w.say("boss", "公告列表 全体"), "全体#1 11-20 公告《党委通知》2/7")
	wantHas(t, w.say("boss", "公告列表 tech"), "#1 11-20 公告《支部自己的通知》1/4")

	// To one branch by its id.
	wantHas(t, w.say("boss", "公告 ops 运维通知"), "将发给支部 ops 2 名党员。")
	wantText(t, w.say("boss", "发送"), "✅ 已发送公告 #1 给 2 名党员。发“公告状态”查看确认情况。")
	if a, found, _ := w.s.Announcement(ctx, "ops", 1); !found || !slices.Equal(a.To, []string{"ops1", "ops2"}) {
		t.Fatalf("ops #1 %+v", a)
	}
}

// A body too long for the card also goes out as text in numbered parts
// within WeCom's limit; pictures sent before 发送 go along.
func TestAnnounceLongTextAndPictures(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	var lines []string
	for range 30 {
		lines = append(lines, strings.Repeat("学习贯彻党的二十届四中全会精神", 3)+"。")
	}
	body := strings.Join(lines, "\n")
	r := w.say("sec", "公告 学习材料\n"+body)
	wantHas(t, r, "【学习材料】\n"+string([]rune(body)[:59])+"…\n")

	wantText(t, w.picture("sec", "pic-1"), "📎 已附上图片（共 1 张），回复“发送”一并发出。")
	wantText(t, w.picture("sec", "pic-2"), "📎 已附上图片（共 2 张），回复“发送”一并发出。")
	wantText(t, w.say("sec", "发送"), "✅ 已发送公告 #1 给 4 名党员。发“公告状态”查看确认情况。")
	a, _, err := w.s.Announcement(ctx, "tech", 1)
	if err != nil || len(a.Media) != 2 || a.Media[1] != (bot.Media{Type: "image", ID: "pic-2"}) {
		t.Fatalf("stored media %+v %v", a.Media, err)
	}

	all := w.box.withPrefix("ann:tech:1:deliver:")
	var toMembers, toChat []string
	var memberMedia, chatMedia, robotTexts int
	for _, n := range all {
		switch {
		case n.Card != nil:
		case n.Media != nil && n.ChatID != "":
			chatMedia++
		case n.Media != nil:
			memberMedia++
		case n.Robot != "":
			robotTexts++
		case n.ChatID != "":
			toChat = append(toChat, n.Text)
		default:
			toMembers = append(toMembers, n.Text)
		}
		if len(n.Text) > 2048 {
			t.Fatalf("a part of %d bytes", len(n.Text))
		}
	}
	if len(toMembers) != 3 || memberMedia != 2 || chatMedia != 2 || len(toChat) != 3 || robotTexts != 3 {
		t.Fatalf("%d member texts, %d member pictures, %d chat texts, %d chat pictures, %d robot texts", len(toMembers), memberMedia, len(toChat), chatMedia, robotTexts)
	}
	var joined []string
	for i, part := range toMembers {
		mark := "（" + string(rune('1'+i)) + "/3）"
		rest, ok := strings.CutPrefix(part, mark)
		if !ok {
			t.Fatalf("part %d starts %q, want %s", i, part[:20], mark)
		}
		joined = append(joined, rest)
	}
	if got := strings.Join(joined, "\n"); got != "【公告 #1】学习材料\n"+body {
		t.Fatalf("the parts put together differ from the text (%d vs %d runes)", utf8.RuneCountInString(got), utf8.RuneCountInString(body))
	}
}

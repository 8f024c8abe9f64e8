package bot_test

// A member's everyday commands end to end: 请假 and 销假, 学习 with its
// evidence and 撤回, 我的, 本周, 排行, 名单, 支部, 导出, 帮助, what strangers and
// unknown words get, locations, menu clicks; and the jobs around them.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
)

func TestLeaveAndEndLeave(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	const tail = "。期间不会收到签到提醒，也不计缺勤。提前回来发“销假”。"

	r := w.say("m1", "请假 明天 体检")
	wantText(t, r, "已登记：你 11月21日 请假（体检）"+tail)
	if len(r.Notices) != 0 {
		t.Fatalf("a one-day leave told %+v", r.Notices)
	}
	r = w.say("m2", "请假 11-23到11-30 出差")
	wantText(t, r, "已登记：你 11月23日–11月30日 请假（出差）"+tail)
	if len(r.Notices) != 1 || !slices.Equal(r.Notices[0].To, []string{"com", "sec"}) ||
		r.Notices[0].Text != "乙 请假 11月23日–11月30日（8 天），原因：出差。期间不提醒、不计缺勤；如有疑问请与本人联系。" {
		t.Fatalf("a long leave's notice to the leaders: %+v", r.Notices)
	}
	steps := []struct{ from, text, want string }{
		{"m3", "请假 昨天 生病", "只能从今天起请假；补登以前的请假请联系支部书记。"},
		{"sec", "请假 @m3 昨天 到 11-25 生病", "已登记：丙 11月19日–11月25日 请假（生病）" + tail},
		{"m1", "请假 @m2 明天", "只有对方所在支部的书记、支委或党委管理员可以替他操作。"},
		{"m1", "请假 随便", "用法：请假 11-20 到 11-30 出差（一天可写：请假 明天 体检）\n书记或支委替他人登记：请假 @userid 11-20 到 11-30 原因"},
		{"m1", "请假 2026-11-21 到 2027-12-01", "一次最多请假 366 天，请分段登记。"},
		{"boss", "请假 明天", "党委 不属于任何支部，无需请假。"},
	}
	for _, s := range steps {
		wantText(t, w.say(s.from, s.text), s.want)
	}
	if !w.audited("leave.set", "m3", "2026-11-19..2026-11-25 生病") {
		t.Fatal("a leave entered for another is not audited")
	}

	// Monday: m2 is away and not reminded to check in (where the
	// reminder is on).
	w.b.CheckinReminder.All = true
	w.now = time.Date(2026, 11, 23, 9, 30, 0, 0, beijing)
	var reminded []string
	for _, o := range w.job(bot.JobCheckinReminder) {
		reminded = append(reminded, o.Notice.To...)
	}
	if slices.Contains(reminded, "m2") || slices.Contains(reminded, "m3") || !slices.Contains(reminded, "m1") || !slices.Contains(reminded, "ops2") {
		t.Fatalf("reminded %v", reminded)
	}

	wantText(t, w.say("m3", "销假"), "已销假，欢迎回来！")
	wantText(t, w.say("m2", "back"), "已销假，欢迎回来！")
	wantText(t, w.say("m2", "销假"), "没有正在进行或待开始的请假，无需销假。")
	wantText(t, w.say("sec", "销假 @m1"), "没有正在进行或待开始的请假，无需销假。") // m1's day is over
	leaves, err := w.s.Leaves(ctx, "tech", bot.Date{Year: 2026, Month: 11, Day: 19}, bot.Date{Year: 2026, Month: 12, Day: 31})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves {
		switch l.UserID {
		case "m3": // under way: it ends yesterday
			if l.Ended || l.To != (bot.Date{Year: 2026, Month: 11, Day: 22}) {
				t.Fatalf("m3's leave after 销假: %+v", l)
			}
		case "m2": // not begun: cancelled, kept
			if !l.Ended || l.To != (bot.Date{Year: 2026, Month: 11, Day: 30}) {
				t.Fatalf("m2's leave after 销假: %+v", l)
			}
		}
	}
	if !w.audited("leave.end", "m2", "") {
		t.Fatal("销假 is not audited")
	}
}

func TestStudyEvidenceWithdrawAndStats(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday, func(d *bot.Deps) { d.Targets = bot.StudyTargets{WeeklyMinutes: 60, WeeklyReports: 2} })
	const evidence = "\n10 分钟内发图片可作为学习凭证。"

	wantText(t, w.say("m1", "学习 党章 第一章 30分钟 收获很大"), "已记录学习 ✅ 党章 第一章 30分钟（自学）\n本周学习 30/60 分钟，1/2 次"+evidence)
	wantText(t, w.picture("m1", "ev-1"), "📷 已作为“党章 第一章”的学习凭证（共 1 张）。")
	wantText(t, w.picture("m1", "ev-1"), "📷 已作为“党章 第一章”的学习凭证（共 1 张）。") // the same picture again
	wantText(t, w.say("m1", "学习 昨天 集体学习党史 1小时"), "已记录学习 ✅ 集体学习党史 60分钟（集体学习）\n补记 11月19日\n本周学习 90/60 分钟 ✅，2/2 次 ✅"+evidence)
	steps := []struct{ from, text, want string }{
		{"m1", "学习 11-13 党史 30分钟", "只能补记本周（周一起）的学习；更早的请联系书记。"},
		{"m1", "学习 明天 党史 30分钟", "不能提前登记学习。"},
		{"m1", "学习 党史", "用法：学习 <内容> <时长> [心得]\n例如：学习 党章第一章 30分钟 收获很大\n补记本周：学习 昨天 党史 1小时"},
		{"m1", "撤回", "已撤回：集体学习党史 60分钟。"},
		{"m1", "撤回", "没有可撤回的学习记录。"},
		{"boss", "学习 党章 30分钟", "你不属于任何支部，学习记录需挂在支部下。"},
		{"m1", "学习 专题学习 12小时", "已记录学习 ✅ 专题学习 720分钟（专题学习）\n本周学习 750/60 分钟 ✅，2/2 次 ✅" + evidence},
		{"m1", "学习 党课 5小时", "11月20日已记录 12 小时 30 分钟 学习，再加 5 小时 会超过每日 16 小时的上限，没有记录。请核对时长；记错了可发“撤回”。"},
		{"m1", "签到", "签到成功 ✅ 11月20日 10:00\n已连续签到 1 天（仅你可见），继续保持！"},
		{"m1", "我的", "甲 · 本周（11月16日–22日）\n签到 1 天 · 本周学习 750/60 分钟 ✅，2/2 次 ✅\n11月：签到 1 天 · 学习 750 分钟 / 2 次\n已连续签到 1 天（仅你可见）\n本年学时 16.6/32（集中 0、自学 16.6；1 学时 = 45 分钟）"},
		{"m1", "排行", "排行榜未开启：党建助手默认不做公开排名。发送“我的”查看自己的进度。"},
		{"m2", "撤回", "没有可撤回的学习记录。"},
	}
	for _, s := range steps {
		wantText(t, w.say(s.from, s.text), s.want)
	}
	wantText(t, w.say("sec", "本周"), "技术党支部 本周（11月16日–22日）\n姓名｜签到｜学习｜次数\n支委｜0｜0′｜0\n甲｜1｜750′｜2\n乙｜0｜0′｜0\n丙｜0｜0′｜0\n书记｜0｜0′｜0\n"+
		"未达标：支委（差60分钟、差2次）、乙（差60分钟、差2次）、丙（差60分钟、差2次）、书记（差60分钟、差2次）")
	wantText(t, w.say("m1", "本周"), "“本周”只有支部书记、支委或党委管理员可以使用。")

	// Friday's reminder goes to those behind; 撤回 and pictures have a window.
	w.now = friday.Add(6 * time.Hour)
	n := keyed(t, w.job(bot.JobStudyReminder), "study:0")
	if !slices.Equal(n.To, []string{"com", "m2", "m3", "ops1", "ops2", "sec"}) || n.Text != "本周学习还没达到目标（60 分钟、2 次）。发送“我的”查看进度，发送“学习 内容 时长”记录。" {
		t.Fatalf("study reminder %+v", n)
	}
	wantText(t, w.picture("m1", "ev-2"), "图片未保存。如需作为学习凭证，请先发“学习 内容 时长”，10 分钟内再发图片。")
	w.now = friday.Add(25 * time.Hour)
	wantText(t, w.say("m1", "撤回"), "只能撤回 24 小时内的学习记录；更早的请联系书记。")
}

func TestLeaderboardWhenEnabled(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday, func(d *bot.Deps) { d.Leaderboard = true })
	w.say("m2", "学习 党史 45分钟")
	w.say("m1", "学习 党章 20分钟")
	r := w.say("m3", "rank")
	if !strings.HasPrefix(r.Text, "本周学习时长（本支部）\n1. 乙 45分钟\n2. 甲 20分钟\n3. ") || strings.Count(r.Text, "\n") != 5 {
		t.Fatalf("leaderboard\n%s", r.Text)
	}
	wantText(t, w.say("boss", "排行"), "你不属于任何支部。")
	if !strings.Contains(w.say("m1", "帮助").Text, "· 排行 — 本支部学习时长排行（需开启）") {
		t.Fatal("help hides 排行 while it is on")
	}
}

func TestRosterBranchesExportAndOrgWeek(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	tests := []struct{ from, text, want string }{
		{"sec", "名单", "技术党支部 共 5 人：\n支委（支委）［预备］、甲、乙、丙、书记（书记）"},
		{"boss", "名单 ops", "运维党支部 共 2 人：\n运维书记（书记）、丁"},
		{"boss", "名单", "用法：名单 <支部id>。发送“支部”查看全部支部。"},
		{"boss", "名单 nosuch", "没有 id 为“nosuch”的支部。发送“支部”查看全部支部。"},
		{"sec", "名单 ops", "你只能查看本支部。"},
		{"sec", "支部", "“支部”只有党委管理员可以使用。"},
		{"sec", "导出 全部", "“导出 全部”只有党委管理员可以使用。"},
		{"sec", "导出 ops", "你只能导出本支部：用法：导出 [本月|上月|本季度|上季度|本年|去年|2026-10-01 2026-12-31]，例如“导出 上季度”"},
		{"sec", "导出 下个月", "用法：导出 [本月|上月|本季度|上季度|本年|去年|2026-10-01 2026-12-31]，例如“导出 上季度”"},
		{"sec", "导出 2025-01-01 2026-06-30", "一次最多导出一年。用法：导出 [本月|上月|本季度|上季度|本年|去年|2026-10-01 2026-12-31]，例如“导出 上季度”"},
		{"boss", "导出", "请写支部 id 或“全部”，例如“导出 全部 上季度”。"},
		{"boss", "导出 nosuch", "没有支部“nosuch”。现有：ops、solo、tech，或“全部”。"},
		{"sec", "本周 全部", "“本周 全部”只有党委管理员可以使用。"},
	}
	for _, tc := range tests {
		wantText(t, w.say(tc.from, tc.text), tc.want)
	}
	wantText(t, w.say("boss", "支部"), "共 3 个支部：\n· 运维党支部（ops）2 人\n· 空支部（solo）0 人\n· 技术党支部（tech）5 人")

	exports := []struct {
		from, text, reply, file string
		branch                  string
	}{
		{"sec", "导出 上季度", "正在生成技术党支部 2026-07-01 至 2026-09-30 的台账，稍后以 Excel 文件发给你。", "技术党支部台账-2026-07-01-2026-09-30.xlsx", "tech"},
		{"com", "导出 2026-11-01 到 2026-11-15", "正在生成技术党支部 2026-11-01 至 2026-11-15 的台账，稍后以 Excel 文件发给你。", "技术党支部台账-2026-11-01-2026-11-15.xlsx", "tech"},
		{"boss", "导出 ops 本年", "正在生成运维党支部 2026-01-01 至 2026-12-31 的台账，稍后以 Excel 文件发给你。", "运维党支部台账-2026-01-01-2026-12-31.xlsx", "ops"},
		{"boss", "导出 全部", "正在生成全部支部 2026-11-01 至 2026-11-30 的台账，稍后以 Excel 文件发给你。", "全部支部台账-2026-11-01-2026-11-30.xlsx", ""},
	}
	for _, e := range exports {
		r := w.say(e.from, e.text)
		wantText(t, r, e.reply)
		if len(r.Notices) != 1 || r.Notices[0].File == nil || r.Notices[0].File.Name != e.file || r.Notices[0].File.Export.Branch != e.branch ||
			!slices.Equal(r.Notices[0].To, []string{e.from}) {
			t.Fatalf("%s: notices %+v", e.text, r.Notices)
		}
	}

	r := w.say("boss", "本周 全部")
	if !strings.Contains(r.Text, "技术党支部") || strings.Contains(r.Text, "**") || strings.Contains(r.Text, "<font") {
		t.Fatalf("本周 全部 as text:\n%s", r.Text)
	}
	if len(r.Notices) != 1 || r.Notices[0].File == nil || !r.Notices[0].File.Export.SummaryOnly {
		t.Fatalf("本周 全部 notices %+v, want the workbook", r.Notices)
	}
}

func TestHelpUnknownWordsAndStrangers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	member := w.say("m1", "帮助").Text
	for _, want := range []string{"党建助手可以帮你：", "\n· 签到 — 每日签到（也可以发 打卡）", "\n· 收到 — 确认收到最新的公告（也可以发 ack）", "\n· 党费 [已交 月份] — "} {
		if !strings.Contains(member, want) {
			t.Fatalf("member help lacks %q:\n%s", want, member)
		}
	}
	for _, hidden := range []string{"· 公告 内容", "· 取消 —", "· 排行", "· 支部 —", "· 结束会议"} {
		if strings.Contains(member, hidden) {
			t.Fatalf("member help shows %q:\n%s", hidden, member)
		}
	}
	secretary := w.say("sec", "? 公告").Text
	if !strings.Contains(secretary, "· 公告 内容 — 向本支部发公告") || !strings.Contains(secretary, "· 取消 — 放弃预览中的公告或活动（也可以发 cancel）") {
		t.Fatalf("secretary help:\n%s", secretary)
	}
	if branchGroup := w.say("sec", "帮助 支部管理").Text; strings.Contains(branchGroup, "· 支部 —") {
		t.Fatalf("secretary help offers the admins' 支部:\n%s", branchGroup)
	}
	if admin := w.say("boss", "HELP 支部").Text; !strings.Contains(admin, "· 支部 — 全部支部及人数（也可以发 branches）") {
		t.Fatalf("admin help:\n%s", admin)
	}

	const notRegistered = "你好！你还不在党建助手的党员名册中，请联系所在党支部书记登记后再使用。"
	tests := []struct {
		name string
		msg  bot.Message
		want bot.Reply
	}{
		{"unknown word", bot.Message{MsgID: "u1", From: "m1", Kind: bot.KindText, Text: "吃饭"}, bot.Reply{Text: "没看懂“吃饭”。发送“帮助”查看可用命令，例如“签到”。"}},
		{"long unknown text is cut", bot.Message{MsgID: "u2", From: "m1", Kind: bot.KindText, Text: "今天天气真不错我们一起去爬山吧"}, bot.Reply{Text: "没看懂“今天天气真不错我们一起去…”。发送“帮助”查看可用命令，例如“签到”。"}},
		{"stranger's text", bot.Message{MsgID: "u3", From: "stranger", Kind: bot.KindText, Text: "签到"}, bot.Reply{Text: notRegistered}},
		{"stranger's menu click", bot.Message{From: "stranger", Kind: bot.KindEvent, Event: "click", EventKey: "签到"}, bot.Reply{Text: notRegistered}},
		{"stranger's picture", bot.Message{MsgID: "u4", From: "stranger", Kind: bot.KindImage, MediaID: "x"}, bot.Reply{}},
		{"former member", bot.Message{MsgID: "u5", From: "GONE", Kind: bot.KindText, Text: "签到"}, bot.Reply{Text: notRegistered}},
		{"entering the app", bot.Message{From: "m1", Kind: bot.KindEvent, Event: "enter_agent"}, bot.Reply{}},
		{"a card of nothing", bot.Message{From: "m1", Kind: bot.KindEvent, Event: "template_card_event", EventKey: "mystery"}, bot.Reply{}},
		{"menu click runs the command", bot.Message{From: "m1", Kind: bot.KindEvent, Event: "click", EventKey: "排行"}, bot.Reply{Text: "排行榜未开启：党建助手默认不做公开排名。发送“我的”查看自己的进度。"}},
		{"leader-only from the menu", bot.Message{From: "m2", Kind: bot.KindEvent, Event: "click", EventKey: "名单"}, bot.Reply{Text: "“名单”只有支部书记、支委或党委管理员可以使用。"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := w.handle(tc.msg)
			if err != nil || r.Text != tc.want.Text || r.ReplaceButton != tc.want.ReplaceButton || len(r.Notices) != 0 {
				t.Fatalf("reply %+v %v, want %+v", r, err, tc.want)
			}
		})
	}
	if _, found, _ := w.s.Member(t.Context(), "stranger"); found {
		t.Fatal("a stranger was stored")
	}
}

// A location message goes with today's check-in, before or after it.
func TestLocationJoinsTheCheckin(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	loc := &bot.Location{Latitude: 39.9, Longitude: 116.4, Label: "北京市东城区"}
	wantText(t, w.must(bot.Message{MsgID: "l1", From: "m1", Kind: bot.KindLocation, Location: loc}), "📍 位置已记录。今天还没签到，发送“签到”后会一并记入。")
	w.say("m1", "签到")
	wantText(t, w.must(bot.Message{MsgID: "l2", From: "m1", Kind: bot.KindLocation, Location: loc}), "📍 位置已附在今天的签到上。")
	got, found, err := w.s.Location(ctx, "tech", "m1", bot.Date{Year: 2026, Month: 11, Day: 20})
	if err != nil || !found || got.Label != "北京市东城区" {
		t.Fatalf("stored location %+v %v %v", got, found, err)
	}
	if r := w.must(bot.Message{MsgID: "l3", From: "boss", Kind: bot.KindLocation, Location: loc}); !r.Empty() {
		t.Fatalf("an admin's location answered %+v", r)
	}
	if r := w.must(bot.Message{From: "m2", Kind: bot.KindEvent, Event: "LOCATION"}); !r.Empty() {
		t.Fatalf("the periodic location report answered %+v", r)
	}
}

// 预警 names members drifting away, those on long leave apart; the
// monthly job warns the secretary once a run reaches 2 months.
func TestWarnings(t *testing.T) {
	t.Parallel()
	fire := time.Date(2026, 12, 1, 9, 0, 0, 0, beijing)
	w := newWorld(t, fire)
	ctx := t.Context()
	for _, month := range []time.Month{10, 11} {
		at := time.Date(2026, month, 15, 15, 0, 0, 0, beijing)
		m := bot.Meeting{ID: "ops-" + month.String(), BranchID: "ops", Type: bot.MeetingGroup, Code: "1", OpenedBy: "ops1", OpenedAt: at, ExpiresAt: at.Add(time.Hour)}
		if _, _, err := w.s.OpenMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.s.RecordAttendance(ctx, "ops", m.ID, bot.Attendance{UserID: "ops1", Status: bot.Present, At: at, Via: "chair"}); err != nil {
			t.Fatal(err)
		}
		m.ClosedBy, m.ClosedAt = "ops1", at.Add(time.Hour)
		if _, err := w.s.CloseMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		p := bot.DuesPayment{UserID: "ops1", Month: bot.Month{Year: 2026, Month: month}.String(), Amount: 3000, At: at, By: "ops1", Via: "self"}
		if _, _, err := w.s.RecordDues(ctx, "ops", p); err != nil {
			t.Fatal(err)
		}
	}
	const risk = "丁：连续 2 个月未参加组织生活，连续 2 个月未交党费"
	const head = "运维党支部 预警（仅你可见；连续 6 个月可视为自行脱党，请及早谈心谈话）"
	tests := []struct{ from, text, want string }{
		{"ops2", "预警", "“预警”只有支部书记、支委或党委管理员可以使用。"},
		{"ops1", "预警", head + "\n" + risk},
		{"boss", "预警 ops", head + "\n" + risk},
		{"sec", "预警 ops", "你只能查看本支部。"},
		{"boss", "预警", "用法：预警 <支部id>。发送“支部”查看全部支部。"},
		{"boss", "预警 nosuch", "没有 id 为“nosuch”的支部。发送“支部”查看全部支部。"},
	}
	for _, tc := range tests {
		wantText(t, w.say(tc.from, tc.text), tc.want)
	}

	outs := w.job(bot.JobMonthly)
	warn := keyed(t, outs, "warn:ops:ops1:0")
	if !slices.Equal(warn.To, []string{"ops1"}) || warn.Text != "【预警】运维党支部（仅你可见）\n"+risk+"\n连续 6 个月可视为自行脱党，请及早联系、谈心谈话。发“预警”看全部。" {
		t.Fatalf("warning %+v", warn)
	}
	if everyone := keyed(t, outs, "dues:0"); len(everyone.To) != 7 || everyone.Text != "新的一月开始了：请留意支部本月主题党日安排。党费在支部收缴日提醒，交了发“党费 已交”。" {
		t.Fatalf("monthly notice %+v", everyone)
	}
	if theme := keyed(t, outs, "themeday:0"); !slices.Equal(theme.To, []string{"com", "ops1", "sec"}) || !strings.HasPrefix(theme.Text, "12月主题党日请提前安排") {
		t.Fatalf("主题党日 reminder %+v", theme)
	}

	leave := bot.Leave{ID: "away", BranchID: "ops", UserID: "ops2", From: bot.DateOf(fire, beijing), To: bot.Date{Year: 2027, Month: 1, Day: 31}, Reason: "外派", By: "ops1", At: fire}
	if err := w.s.PutLeave(ctx, leave); err != nil {
		t.Fatal(err)
	}
	wantText(t, w.say("ops1", "预警"), head+"\n请假中：\n"+risk+"（长期请假：外派）")
	// Leave excuses meetings, not dues (owed on leave too): 丁 is still
	// warned of, marked as on leave.
	if warn := keyed(t, w.job(bot.JobMonthly), "warn:ops:ops1:0"); !strings.Contains(warn.Text, "\n"+risk+"（长期请假：外派）\n") {
		t.Fatalf("a member on long leave with dues arrears: %q", warn.Text)
	}

	w.now = time.Date(2026, 10, 5, 9, 0, 0, 0, beijing) // nothing owed before the branch began
	wantText(t, w.say("ops1", "预警"), "运维党支部：近半年没有连续 2 个月未参加组织生活或未交党费的党员 👍")
}

// The obligations job tells the leaders present what is due and overdue.
func TestObligationsReminder(t *testing.T) {
	t.Parallel()
	monday := time.Date(2026, 11, 23, 9, 0, 0, 0, beijing)
	w := newWorld(t, monday)
	if err := w.s.PutLeave(t.Context(), bot.Leave{ID: "c", BranchID: "tech", UserID: "com", From: bot.DateOf(monday, beijing), To: bot.DateOf(monday, beijing), By: "com", At: monday}); err != nil {
		t.Fatal(err)
	}
	outs := w.job(bot.JobObligations)
	tech := keyed(t, outs, "obligations:tech")
	if !slices.Equal(tech.To, []string{"sec"}) || !strings.HasPrefix(tech.Markdown, "**技术党支部 组织生活提醒**\n> 待开：本季度党员大会（12月31日前）、本月支委会（11月30日前）") ||
		!strings.Contains(tech.Markdown, "逾期未开：上季度党员大会、上月支委会") {
		t.Fatalf("tech's reminder %+v", tech)
	}
	ops := keyed(t, outs, "obligations:ops")
	// ops began on 1 October: October's meetings are overdue, last quarter's
	// are not. Its two members have a secretary and no committee: no 支委会
	// is owed (支部工作条例), nor a 党小组会 without groups.
	if !strings.Contains(ops.Markdown, "逾期未开：上月主题党日") || strings.Contains(ops.Markdown, "上季度") || strings.Contains(ops.Markdown, "支委会") ||
		strings.Contains(ops.Markdown, "党小组会") || !slices.Equal(ops.To, []string{"ops1"}) {
		t.Fatalf("ops's reminder %+v", ops)
	}
	if slices.Contains(keysOf(outs), "obligations:solo") {
		t.Fatal("a branch without leaders got a reminder")
	}
}

// The weekly summary names whom WeCom did not reach and the coming week's
// 政治生日; the branch group gets totals only; the member gets a greeting.
func TestWeeklySummaryUnreachedAndBirthdays(t *testing.T) {
	t.Parallel()
	sunday := time.Date(2026, 11, 15, 20, 0, 0, 0, beijing)
	w := newWorld(t, sunday, func(d *bot.Deps) { d.PoliticalBirthday = true; d.Deliveries = d.Roster.(*store.Store) })
	if err := w.s.MarkUndelivered(t.Context(), []string{"m3"}, sunday.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	outs := w.job(bot.JobWeeklySummary)
	report := keyed(t, outs, "summary:tech")
	if !strings.Contains(report.Markdown, "> 1 人未收到，可能已离职或未激活：丙") || !strings.Contains(report.Markdown, "> 未来一周政治生日：甲（11月20日，10 周年）") {
		t.Fatalf("report:\n%s", report.Markdown)
	}
	chat := keyed(t, outs, "chat:tech")
	if chat.ChatID != "wr-tech" || !strings.HasPrefix(chat.Text, "技术党支部 本周（11月9日–15日）签到率 0%") || strings.Contains(chat.Text, "丙") {
		t.Fatalf("group text %+v", chat)
	}
	if chart := keyed(t, outs, "chart:tech"); chart.Image == nil || chart.Image.Chart == nil || chart.Image.Chart.Members != 5 {
		t.Fatalf("chart %+v", chart)
	}

	w.now = time.Date(2026, 11, 20, 9, 5, 0, 0, beijing)
	greeting := keyed(t, w.job(bot.JobLifecycle), "birthday:m1")
	if !slices.Equal(greeting.To, []string{"m1"}) || greeting.Text != "甲，今天是你的政治生日 🎂 入党 10 周年。不忘初心，继续前进！" {
		t.Fatalf("greeting %+v", greeting)
	}
	w.now = w.now.Add(time.Minute)
	if later := w.job(bot.JobLifecycle); slices.Contains(keysOf(later), "birthday:m1") {
		t.Fatal("greeted twice in a year")
	}
}

package bot_test

// Meetings end to end: open with a code, sign in by code or card, excuse,
// close with the quorum, 更正, 进度, and 纪要 with photos into the ledger.

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func TestMeetingOpenSignInCloseAndCorrect(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()

	wantText(t, w.say("sec", "会议 吃饭"), "用法：会议 <类型> [标题]\n类型：党员大会、支委会、党小组会、党课、主题党日、组织生活会、其他\n党小组会可写明党小组：会议 党小组会 第一党小组 [标题]")
	wantText(t, w.say("m1", "会议 党员大会"), "“会议”只有支部书记、支委或党委管理员可以使用。")
	wantText(t, w.say("m1", "签到 2468"), "本支部现在没有进行中的会议，签到码无效。日常签到请只发“签到”。")

	r := w.say("sec", "会议 党员大会 十一月 例会")
	wantText(t, r, "已开启 党员大会「十一月 例会」\n签到码：2468（12:00 前有效）\n已通知本支部 4 名党员。会后发送“结束会议”查看到会情况。")
	m, open, err := w.s.OpenMeetingOf(ctx, "tech")
	if err != nil || !open || m.Code != "2468" || m.Title != "十一月 例会" || m.OpenedBy != "sec" || !m.ExpiresAt.Equal(friday.Add(2*time.Hour)) {
		t.Fatalf("open meeting %+v %v %v", m, open, err)
	}
	if len(r.Notices) != 2 || !slices.Equal(r.Notices[0].To, techTo) || r.Notices[0].Card.Buttons[0].Key != m.SignInKey() ||
		!strings.Contains(r.Notices[1].Text, "签到码：2468（12:00 前有效）") {
		t.Fatalf("meeting notices %+v", r.Notices)
	}
	if !w.audited("meeting.open", "sec", m.ID) {
		t.Fatal("opening is not audited")
	}
	wantText(t, w.say("com", "会议 支委会"), "本支部已有进行中的会议：党员大会「十一月 例会」（签到码 2468）。请先发送“结束会议”。")

	w.now = friday.Add(5 * time.Minute)
	wantText(t, w.say("m1", "签到 2468"), "会议签到成功 ✅ 党员大会「十一月 例会」 10:05")
	wantText(t, w.say("m1", "签到 ２４６８"), "你已在 10:05 签到过 党员大会「十一月 例会」。")
	wantText(t, w.say("sec", "签到 2468"), "你是 党员大会「十一月 例会」 的主持人，已计为到会，无需签到。")
	wantHas(t, w.say("m1", "签到"), "签到成功 ✅ 11月20日 10:05", "本支部正在开会：会议签到请发“签到 签到码”。")
	for range 5 {
		wantText(t, w.say("m2", "签到 1111"), "签到码不对，请向会议主持人确认后重发“签到 签到码”。")
	}
	wantText(t, w.say("m2", "签到 2468"), "签到码错误次数过多，请点会议卡片上的“签到”按钮，或请主持人为你更正记录。")
	wantButton(t, w.click("m2", m.SignInKey()), "已签到")
	wantButton(t, w.click("com", "meeting_signin:20200101000000-000000"), "会议已结束")
	wantText(t, w.say("m3", "请假 家中有事"), "已登记 丙 本次党员大会请假（家中有事）。")
	wantText(t, w.say("m3", "请假 还是有事"), "丙 已请过假（家中有事）。")
	wantText(t, w.say("m3", "签到 2468"), "你已请假（家中有事），如需更正请联系书记。")
	wantText(t, w.say("m1", "请假 临时有事"), "甲 已签到本次会议，无需请假。")

	w.now = friday.Add(2*time.Hour + time.Minute)
	wantText(t, w.say("com", "签到 2468"), "签到时间已过（12:00 截止），不能补签。如需更正请联系书记。")
	wantButton(t, w.click("com", m.SignInKey()), "签到已截止")
	wantText(t, w.say("com", "请假 迟到了"), "签到已于 12:00 截止，不能再为本次会议请假。如有特殊情况请联系书记更正。")

	wantText(t, w.say("m1", "结束会议"), "“结束会议”只有支部书记、支委或党委管理员可以使用。")
	wantText(t, w.say("sec", "结束会议"), "党员大会「十一月 例会」 已结束（11月20日 10:00–12:01）\n"+
		"到会 3 人：甲、乙、书记（主持）\n请假 1 人：丙（家中有事）\n缺席 1 人：支委\n"+
		"有表决权的党员应到 4 人，实到 3 人：✅ 超过半数，会议有效")
	wantText(t, w.say("com", "结束会议"), "党员大会「十一月 例会」 已于 12:01 结束，无需再次结束。发送“进度”查看组织生活情况。")
	wantButton(t, w.click("m3", m.SignInKey()), "会议已结束")
	wantText(t, w.say("m3", "签到 2468"), "本支部现在没有进行中的会议，签到码无效。日常签到请只发“签到”。")

	// 更正 appends over the closed record, audited; it reads the same after.
	corrections := []struct{ text, want string }{
		{"更正", "用法：更正 @userid 到会|请假|缺席 [说明]\n更正本支部进行中或最近一次会议的记录，原记录保留，更正记入审计。"},
		{"更正 @com 迟到了", "用法：更正 @userid 到会|请假|缺席 [说明]\n更正本支部进行中或最近一次会议的记录，原记录保留，更正记入审计。"},
		{"更正 @nobody 到会", "找不到党员“nobody”，请用 userid，例如 @lisi。"},
		{"更正 @ops2 到会", "只有对方所在支部的书记、支委或党委管理员可以替他操作。"},
		{"更正 @ 到会", "请在 @ 后写上对方的 userid，例如 @lisi。"},
		{"更正 @com 到会 迟到十分钟", "已更正 党员大会「十一月 例会」：支委 → 到会（原记录保留，更正已记入审计）。\n到会 4 人，请假 1 人，缺席 0 人；应到 4 人，实到 3 人。"},
		{"更正 @丙 缺席 未经批准", "已更正 党员大会「十一月 例会」：丙 → 缺席（原记录保留，更正已记入审计）。\n到会 4 人，请假 0 人，缺席 1 人；应到 4 人，实到 3 人。"},
	}
	for _, c := range corrections {
		wantText(t, w.say("sec", c.text), c.want)
	}
	if !w.audited("meeting.correct", "m3", "→缺席 未经批准") {
		t.Fatal("更正 is not audited")
	}
	closed, _, err := w.s.LatestMeeting(ctx, "tech")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.b.MeetingRecord(ctx, closed)
	if err != nil || len(rec.Present) != 4 || len(rec.Absent) != 1 || rec.Absent[0].UserID != "m3" || !rec.QuorumMet() {
		t.Fatalf("record after corrections %+v %v", rec, err)
	}
	if ok, why := rec.Counts(); !ok {
		t.Fatalf("the meeting does not count: %s", why)
	}

	// A 支委会 with half the committee is not quorate, and 进度 says so.
	w.now = friday.Add(4 * time.Hour)
	w.say("sec", "会议 支委会")
	wantHas(t, w.say("sec", "结束会议"), "支委应到 2 人，实到 1 人：⚠️ 未超过半数，会议不符合法定人数", "⚠️ 未达法定人数，本次不计入三会一课完成情况。")
	progress := w.say("sec", "进度")
	// tech has a committee, and no 党小组: it owes no 党小组会, and says why.
	wantHas(t, progress, "技术党支部 组织生活进度（2026年11月20日）\n本月：支委会 ⏳待开（11月30日前）；主题党日 ⏳待开（11月30日前）",
		"\n党小组会：本支部未设党小组，不需召开",
		"\n本季度：党员大会 ✅1次；党课 ⏳待开（12月31日前）", "\n本年：组织生活会 ⏳待开（12月31日前）",
		"\n⚠️ 逾期未开：上月支委会", "\n不计入：11月20日支委会（未达法定人数）", "\n转正（预备期满）：支委 12月1日")
	wantText(t, w.say("m1", "进度"), "“进度”只有支部书记、支委或党委管理员可以使用。")
	wantHas(t, w.say("boss", "进度 ops"), "运维党支部 组织生活进度（2026年11月20日）")
}

// A card sent before keys named their meeting carries it in the task id.
func TestMeetingSignInByAnOldCard(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "会议 党课")
	m, _, err := w.s.OpenMeetingOf(t.Context(), "tech")
	if err != nil {
		t.Fatal(err)
	}
	old := bot.Message{From: "m1", Kind: bot.KindEvent, Event: "template_card_event", EventKey: "meeting_signin", TaskID: "mtg_tech_" + m.ID}
	wantButton(t, w.must(old), "已签到")
	stale := old
	stale.From, stale.TaskID = "m2", "mtg_tech_gone"
	wantButton(t, w.must(stale), "会议已结束")
	wantText(t, w.say("m3", "请假"), "请写上原因：请假 原因（本次会议）。按日期请假：用法：请假 11-20 到 11-30 出差（一天可写：请假 明天 体检）\n书记或支委替他人登记：请假 @userid 11-20 到 11-30 原因")
	wantText(t, w.say("sec", "请假 @m3 出差"), "已登记 丙 本次党课请假（出差）。")
	if !w.audited("meeting.excuse", "m3", m.ID+" 出差") {
		t.Fatal("excusing another is not audited")
	}
	att, err := w.s.Attendance(t.Context(), "tech", m.ID)
	if err != nil || !slices.ContainsFunc(att, func(a bot.Attendance) bool { return a.UserID == "m1" && a.Via == "card" }) ||
		!slices.ContainsFunc(att, func(a bot.Attendance) bool { return a.UserID == "m3" && a.Status == bot.Excused && a.Via == "sec" }) ||
		slices.ContainsFunc(att, func(a bot.Attendance) bool { return a.UserID == "m2" }) {
		t.Fatalf("attendance %+v %v", att, err)
	}
}

// 纪要 parses its fields and appends; a leader's pictures while the meeting
// is open, or just after 纪要, are fetched and kept; the ledger has them.
func TestMinutesAndPhotos(t *testing.T) {
	t.Parallel()
	lab := photoLab{"ph-1": []byte("jpeg one"), "ph-2": []byte("jpeg two")}
	w := newWorld(t, friday, func(d *bot.Deps) { d.Media = lab })
	ctx := t.Context()

	wantText(t, w.say("sec", "纪要"), "用法：纪要 内容。可分行写：地点：…、主持人：…、记录人：…、议题：…、内容：…")
	wantText(t, w.say("sec", "纪要 没开会"), "没有进行中或 7 天内结束的会议。请先发“会议 类型 标题”开会，会后一周内补纪要。")
	wantText(t, w.say("m1", "纪要 我来写"), "“纪要”只有支部书记、支委或党委管理员可以使用。")

	w.say("sec", "会议 党员大会 学习会")
	m, _, _ := w.s.OpenMeetingOf(ctx, "tech")
	wantText(t, w.say("sec", "纪要 地点：三楼会议室\n主持人:书记\n议题：学习<b>全会</b>精神\n大家踊跃发言\n记录人：支委"),
		"📝 已记入 党员大会「学习会」 的纪要（第 1 条）。10 分钟内发的照片作为会议照片。")
	wantText(t, w.picture("sec", "ph-1"), "📷 已存为会议照片（共 1 张）。")
	wantText(t, w.picture("m1", "ph-2"), "图片未保存。如需作为学习凭证，请先发“学习 内容 时长”，10 分钟内再发图片。")

	w.now = friday.Add(time.Hour)
	w.say("sec", "结束会议")
	w.now = friday.Add(26 * time.Hour)
	retry := bot.Message{MsgID: "minutes-2", From: "com", Kind: bot.KindText, Text: "纪要 会后补充：通过了学习计划"}
	first := w.must(retry)
	wantText(t, first, "📝 已记入 党员大会「学习会」 的纪要（第 2 条）。10 分钟内发的照片作为会议照片。")
	wantText(t, w.must(retry), first.Text) // WeCom's retry: the same answer, nothing added
	wantText(t, w.picture("com", "ph-2"), "📷 已存为会议照片（共 2 张）。")
	if _, err := w.handle(bot.Message{MsgID: "ph-x", From: "com", Kind: bot.KindImage, MediaID: "down-1"}); err == nil || !strings.Contains(err.Error(), "fetch photo") {
		t.Fatalf("a picture that cannot be fetched now: err %v, want the message to fail for a retry", err)
	}
	wantText(t, w.picture("ops1", "ph-9"), "图片未保存。如需作为学习凭证，请先发“学习 内容 时长”，10 分钟内再发图片。")

	mins, err := w.s.Minutes(ctx, "tech", m.ID)
	if err != nil || len(mins) != 2 {
		t.Fatalf("minutes %+v %v", mins, err)
	}
	want := bot.Minutes{ID: mins[0].ID, By: "sec", At: friday, Place: "三楼会议室", Host: "书记", Recorder: "支委", Topics: "学习＜b＞全会＜/b＞精神", Content: "大家踊跃发言"}
	if !mins[0].At.Equal(want.At) || mins[0].ID == "" {
		t.Fatalf("first minutes at %s id %q", mins[0].At, mins[0].ID)
	}
	mins[0].At = want.At
	if mins[0] != want {
		t.Fatalf("first minutes\n%+v\nwant\n%+v", mins[0], want)
	}
	if mins[1].By != "com" || mins[1].Content != "会后补充：通过了学习计划" {
		t.Fatalf("second minutes %+v", mins[1])
	}
	photos, err := w.s.Photos(ctx, "tech", m.ID)
	if err != nil || len(photos) != 2 || photos[0].MediaID != "ph-1" || photos[0].Bytes != len("jpeg one") || photos[1].By != "com" {
		t.Fatalf("photos %+v %v", photos, err)
	}
	if data, err := w.s.PhotoData(ctx, "tech", m.ID, "ph-2"); err != nil || !bytes.Equal(data, lab["ph-2"]) {
		t.Fatalf("photo data %q %v", data, err)
	}

	span := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	l, err := w.b.Ledger(ctx, []bot.Branch{orgBranches[0]}, span, false)
	if err != nil || len(l.Branches) != 1 || len(l.Branches[0].Meetings) != 1 {
		t.Fatalf("ledger %+v %v", l, err)
	}
	ml := l.Branches[0].Meetings[0]
	if len(ml.Minutes) != 2 || len(ml.Photos) != 2 || len(ml.Record.Present) != 1 {
		t.Fatalf("ledger meeting: %d minutes, %d photos, present %+v", len(ml.Minutes), len(ml.Photos), ml.Record.Present)
	}

	w.now = friday.Add(8 * 24 * time.Hour)
	wantText(t, w.say("sec", "纪要 太晚了"), "没有进行中或 7 天内结束的会议。请先发“会议 类型 标题”开会，会后一周内补纪要。")
}

// A photo is stored whole or not at all: one over 10 MB, one WeCom no
// longer holds, or one past the meeting's 30 is told to the leader and
// stored nowhere; a passing failure still fails the message for a retry.
func TestMeetingPhotoLimits(t *testing.T) {
	t.Parallel()
	lab := photoLab{"big": make([]byte, bot.MaxPhotoBytes+1), "fine": []byte("jpeg")}
	for i := range bot.MaxMeetingPhotos + 1 {
		lab[fmt.Sprintf("p-%d", i)] = []byte("jpeg")
	}
	w := newWorld(t, friday, func(d *bot.Deps) { d.Media = lab })
	ctx := t.Context()
	w.say("sec", "会议 党员大会 学习会")
	m, _, _ := w.s.OpenMeetingOf(ctx, "tech")
	cases := []struct {
		name, mediaID, want string
	}{
		{"over 10 MB", "big", "这张照片超过 10MB，没有保存。请压缩后重新发送。"},
		{"invalid media_id", "gone", "这张照片无法从企业微信取回（可能已过期），没有保存，请重新发送。"},
		{"a photo", "fine", "📷 已存为会议照片（共 1 张）。"},
	}
	for _, tc := range cases {
		if got := w.picture("sec", tc.mediaID).Text; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for i := range bot.MaxMeetingPhotos - 1 {
		wantText(t, w.picture("sec", fmt.Sprintf("p-%d", i)), fmt.Sprintf("📷 已存为会议照片（共 %d 张）。", i+2))
	}
	wantText(t, w.picture("sec", fmt.Sprintf("p-%d", bot.MaxMeetingPhotos)), "这次会议已存满 30 张照片，这张没有保存。")
	photos, err := w.s.Photos(ctx, "tech", m.ID)
	if err != nil || len(photos) != bot.MaxMeetingPhotos || slices.ContainsFunc(photos, func(p bot.Photo) bool { return p.MediaID == "big" || p.MediaID == "gone" }) {
		t.Fatalf("%d photos stored (%v), want %d and none refused", len(photos), err, bot.MaxMeetingPhotos)
	}
}

package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store/redistest"
)

func TestMeetingFullFlow(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	code, key := e.open(t, "党员大会", "十一月党员大会")

	t.Run("one card notice to the branch", func(t *testing.T) {
		waitFor(t, "the meeting card", func() bool { return len(e.sent("template_card")) > 0 })
		cards := e.sent("template_card")
		if len(cards) != 1 {
			t.Fatalf("%d card sends, want 1 batched call", len(cards))
		}
		card := cards[0]["template_card"].(map[string]any)
		if got := cards[0]["touser"]; got != "lisi|qianqi|wangwu|zhaoliu" {
			t.Fatalf("touser %v", got)
		}
		button := card["button_list"].([]any)[0].(map[string]any)
		if card["task_id"] == "" || button["key"] != key || card["card_type"] != "button_interaction" {
			t.Fatalf("card %v", card)
		}
	})

	wrong := "0000"
	if code == wrong {
		wrong = "1111"
	}
	e.run(t, []step{
		{"lisi", "签到 " + wrong, "签到码不对"},
		{"lisi", "签到 " + code, "会议签到成功 ✅ 党员大会「十一月党员大会」"},
		{"lisi", "签到 " + code, "你已在 14:00 签到过"},
		{"zhangsan", "签到 " + code, "你是 党员大会「十一月党员大会」 的主持人，已计为到会"},
		{"zhaoliu", "请假 出差在外", "已登记 赵六 本次党员大会请假（出差在外）"},
		{"zhaoliu", "签到 " + code, "你已请假（出差在外）"},
		{"lisi", "签到", "本支部正在开会"},
		{"zhangsan", "会议 支委会", "本支部已有进行中的会议：党员大会「十一月党员大会」"},
		{"lisi", "会议 党课", "只有支部书记、支委或党委管理员可以使用"},
	})
	if got := e.clickCard(t, "wangwu", key); got != "已签到" {
		t.Fatalf("card click relabelled the button %q, want 已签到", got)
	}

	// Three hours later the code has expired: no back-dating.
	e.clock.Set(e.clock.Now().Add(3 * time.Hour))
	e.run(t, []step{{"qianqi", "签到 " + code, "签到时间已过（16:00 截止），不能补签"}})
	if got := e.clickCard(t, "qianqi", key); got != "签到已截止" {
		t.Fatalf("late card click %q, want 签到已截止", got)
	}

	e.run(t, []step{{"zhangsan", "结束会议", "到会 3 人：李四、王五、张三"}})
	record := e.lastReply(t)
	// A leave entered after the meeting closed does not change its record.
	e.clock.Set(e.clock.Now().Add(time.Minute))
	e.run(t, []step{{"zhangsan", "请假 @qianqi 今天 补登", "已登记"}})
	m, _, _ := e.app.Store.LatestMeeting(t.Context(), "tech")
	if r, err := e.app.Bot.MeetingRecord(t.Context(), m); err != nil || len(r.Absent) != 1 || r.Absent[0].UserID != "qianqi" {
		t.Fatalf("record after a later leave: absent %v (%v), want qianqi still absent", r.Absent, err)
	}
	for _, want := range []string{"请假 1 人：赵六（出差在外）", "缺席 1 人：钱七", "有表决权的党员应到 4 人，实到 2 人：⚠️ 未超过半数"} {
		if !strings.Contains(record, want) {
			t.Errorf("record lacks %q:\n%s", want, record)
		}
	}
	e.run(t, []step{
		{"lisi", "签到 " + code, "没有进行中的会议"},
		{"zhangsan", "结束会议", "已于 17:00 结束，无需再次结束"},
	})
	e.clock.Set(e.clock.Now().Add(time.Minute)) // a new click, not a retry of the last one
	if got := e.clickCard(t, "qianqi", key); got != "会议已结束" {
		t.Fatalf("click after close %q, want 会议已结束", got)
	}

	// 钱七 was there but could not sign in: the secretary corrects the
	// record after the meeting; the attendance itself stays as it was.
	e.run(t, []step{
		{"lisi", "更正 @qianqi 到会", "只有支部书记、支委或党委管理员可以使用"},
		{"zhangsan", "更正 @qianqi 出勤", "用法：更正 @userid"},
		{"zhangsan", "更正 @qianqi 到会 手机没电，会上核实", "已更正 党员大会「十一月党员大会」：钱七 → 到会"},
	})
	if !strings.Contains(e.last, "到会 4 人，请假 1 人，缺席 0 人；应到 4 人，实到 3 人") {
		t.Fatalf("corrected counts: %q", e.last)
	}
	if att, _ := e.app.Store.Attendance(t.Context(), "tech", m.ID); len(att) != 4 {
		t.Fatalf("attendance rewritten: %d records, want the original 4", len(att))
	}

	actions := map[string]int{}
	for _, a := range mustAudit(t, e) {
		actions[a.Action]++
	}
	if actions["meeting.open"] != 1 || actions["meeting.close"] != 1 || actions["meeting.correct"] != 1 {
		t.Fatalf("audit %v, want one open, one close and one correction", actions)
	}
}

// Four digits can be guessed: five wrong codes end the code for that member.
func TestMeetingCodeGuessingIsCutOff(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	code, key := e.open(t, "党课", "")
	wrong := "0000"
	if code == wrong {
		wrong = "1111"
	}
	var steps []step
	for range 5 {
		steps = append(steps, step{"qianqi", "签到 " + wrong, "签到码不对"})
	}
	e.run(t, append(steps,
		step{"qianqi", "签到 " + code, "签到码错误次数过多"},
		step{"lisi", "签到 " + code, "会议签到成功"}, // others are not affected
	))
	if got := e.clickCard(t, "qianqi", key); got != "已签到" { // the card still works
		t.Fatalf("card after guessing: %q", got)
	}
	m, _, _ := e.app.Store.OpenMeetingOf(t.Context(), "tech")
	ttl := e.app.Store.Client().TTL(t.Context(), e.app.Store.Prefix()+"{tech}:meeting:"+m.ID+":wrongcode:qianqi").Val()
	if ttl <= 0 {
		t.Fatalf("the wrong-code counter has no TTL (%v)", ttl)
	}
}

func TestMeetingQuorumMet(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	code, key := e.open(t, "党员大会", "")
	e.run(t, []step{
		{"zhangsan", "签到 " + code, "主持人，已计为到会"}, // whoever opens it chairs it
		{"lisi", "签到 " + code, "会议签到成功"},
	})
	e.clickCard(t, "qianqi", key)
	e.run(t, []step{{"zhangsan", "结束会议", "有表决权的党员应到 4 人，实到 3 人：✅ 超过半数，会议有效"}})

	// 支委会: the committee is the secretary and the committee member.
	code, _ = e.open(t, "支委会", "")
	e.run(t, []step{
		{"wangwu", "签到 " + code, "会议签到成功"},
		{"zhangsan", "结束会议", "支委应到 2 人，实到 2 人：✅ 超过半数"},
	})
	if r := e.lastReply(t); !strings.Contains(r, "缺席 0 人") {
		t.Fatalf("a committee meeting counted members as absent:\n%s", r)
	}
}

func TestMeetingRetriedCardClick(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	_, key := e.open(t, "主题党日", "参观")
	plain := e.wc.CardEventXML("lisi", key, "", e.fake.IssueResponseCode("lisi"), e.clock.Now())
	for i := range 2 {
		resp, err := e.wc.Post(plain)
		if err != nil || resp.ReplyButton != "已签到" {
			t.Fatalf("delivery %d: %v %q", i+1, err, resp.ReplyButton)
		}
	}
	m, _, _ := e.app.Store.OpenMeetingOf(t.Context(), "tech")
	att, err := e.app.Store.Attendance(t.Context(), "tech", m.ID)
	cards := slices.DeleteFunc(att, func(a bot.Attendance) bool { return a.Via != "card" })
	if err != nil || len(cards) != 1 || cards[0].UserID != "lisi" {
		t.Fatalf("attendance %+v %v, want one card sign-in", att, err)
	}
}

func TestObligationsProgress(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	for _, typ := range []string{"支委会", "主题党日", "党课"} {
		code, _ := e.open(t, typ, "")
		e.run(t, []step{{"wangwu", "签到 " + code, "会议签到成功"}, {"zhangsan", "结束会议", "已结束"}})
	}
	e.open(t, "党员大会", "") // still open: not yet done
	// The branch has a 支委 (wangwu) and no 党小组: a 支委会 is owed, a 党小组会 is not.
	e.run(t, []step{{"zhangsan", "进度", "本月：支委会 ✅1次；主题党日 ✅1次"}})
	r := e.lastReply(t)
	for _, want := range []string{
		"本季度：党员大会 ⏳待开（12月31日前）；党课 ✅1次",
		"本年：组织生活会 ⏳待开（12月31日前）",
		"⚠️ 逾期未开：上月支委会、上月主题党日、上季度党员大会、上季度党课、去年组织生活会",
		"党小组会：本支部未设党小组，不需召开",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("进度 lacks %q:\n%s", want, r)
		}
	}
	e.run(t, []step{{"lisi", "进度", "只有支部书记、支委或党委管理员可以使用"}})
}

// A branch new to the bot has nothing overdue: no record says what it did
// before. The config names a secretary and no 支委: no 支委会 is owed.
func TestObligationsOfANewBranch(t *testing.T) {
	t.Parallel()
	e := startApp(t, redistest.Config(t)) // seeded today
	e.run(t, []step{{"zhangsan", "进度", "本月：主题党日 ⏳待开"}})
	if !strings.Contains(e.last, "支委会：本支部未设支委会，不需召开") {
		t.Fatalf("进度 does not say why no 支委会 is owed:\n%s", e.last)
	}
	if strings.Contains(e.last, "逾期") {
		t.Fatalf("a branch seeded today shows overdue meetings:\n%s", e.last)
	}
}

func TestLocationAttachesToCheckin(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	day := bot.Date{Year: 2026, Month: time.November, Day: 20}
	post := func(lat float64, label string) string {
		e.msgSeq++
		resp, err := e.wc.Post(e.wc.LocationXML("lisi", lat, 116.3, label, fmt.Sprint(e.msgSeq), e.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		return resp.ReplyText
	}
	if got := post(39.9, "公司"); !strings.Contains(got, "今天还没签到") {
		t.Fatalf("location before check-in: %q", got)
	}
	e.run(t, []step{{"lisi", "签到", "签到成功"}})
	if got := post(39.95, "会议室"); !strings.Contains(got, "位置已附在今天的签到上") {
		t.Fatalf("location after check-in: %q", got)
	}
	loc, found, err := e.app.Store.Location(t.Context(), "tech", "lisi", day)
	if err != nil || !found || loc.Latitude != 39.95 || loc.Label != "会议室" {
		t.Fatalf("stored location %+v %v %v", loc, found, err)
	}
	// A location is sensitive personal information: kept 30 days after its day.
	ttl := e.app.Store.Client().TTL(t.Context(), e.app.Store.Prefix()+"{tech}:checkin:loc:"+day.String()).Val()
	if want := time.Until(time.Unix(day.AddDays(31).Number()*86400, 0)); ttl <= 0 || ttl > want+time.Minute || ttl < want-time.Minute {
		t.Fatalf("location key TTL %v, want about %v (30 days after its day)", ttl, want)
	}
	// The periodic LOCATION event gets no reply and is not stored (PIPL).
	ev := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event>`+
		`<Latitude>40.0</Latitude><Longitude>116.4</Longitude><Precision>30</Precision><AgentID>1</AgentID></xml>`,
		e.wc.CorpID, e.clock.Now().Unix())
	resp, err := e.wc.Post(ev)
	if err != nil || resp.Status != 200 || len(resp.Body) != 0 {
		t.Fatalf("LOCATION event: %v %d %q, want an empty 200", err, resp.Status, resp.Body)
	}
	if loc, _, _ := e.app.Store.Location(t.Context(), "tech", "lisi", day); loc.Latitude != 39.95 {
		t.Fatalf("a LOCATION event was stored: %+v", loc)
	}
}

func TestMeetingCommandsSurviveAHalfDoneFirstRun(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	first := e.send(t, "zhangsan", "会议 党员大会 重试测试", "open-1")
	e.forget(t, "open-1")
	again := e.send(t, "zhangsan", "会议 党员大会 重试测试", "open-1")
	if !strings.Contains(again.ReplyText, "已开启") || again.ReplyText != first.ReplyText {
		t.Fatalf("retried 会议 answered %q, want the first answer %q", again.ReplyText, first.ReplyText)
	}
	waitFor(t, "the card", func() bool { return len(e.sent("template_card")) > 0 })
	e.drain(t)
	if n := len(e.sent("template_card")); n != 1 {
		t.Fatalf("%d card sends, want 1: the retry must not notify twice", n)
	}

	e.run(t, []step{{"lisi", "签到 " + codePattern.FindStringSubmatch(first.ReplyText)[1], "会议签到成功"}})
	closed := e.send(t, "zhangsan", "结束会议", "close-1")
	e.forget(t, "close-1")
	again = e.send(t, "zhangsan", "结束会议", "close-1")
	if !strings.Contains(again.ReplyText, "到会 2 人：李四、张三（主持）") || again.ReplyText != closed.ReplyText {
		t.Fatalf("retried 结束会议 answered %q, want the record %q", again.ReplyText, closed.ReplyText)
	}
	if other := e.send(t, "zhangsan", "结束会议", "close-2"); !strings.Contains(other.ReplyText, "已于 14:00 结束，无需再次结束") {
		t.Fatalf("a new 结束会议 answered %q", other.ReplyText)
	}
}

// A meeting photo is stored whole, or the leader is told at once why not,
// through signed callbacks against the fake qyapi: one just over the old
// 8 MiB read cap is kept whole (it was cut), one over 10 MB is refused, one
// over media/get's 20 MB too (830002, then one Range request tells the
// size), and an id WeCom does not hold (40007) is answered, not left to
// WeCom's retries.
func TestMeetingPhotoWholeOrTold(t *testing.T) {
	e := startBranch(t)
	e.open(t, "党员大会", "十一月党员大会")
	jpeg := func(n int) []byte {
		data := make([]byte, n)
		copy(data, "\xff\xd8\xff\xe0")
		data[n-1] = 0xd9 // the last byte: a cut file loses it
		return data
	}
	e.fake.PutMedia("photo-8mib", jpeg(8<<20+100<<10))
	e.fake.PutMedia("photo-11mb", jpeg(11<<20))
	e.fake.PutMedia("photo-21mb", jpeg(21<<20))
	cases := []struct{ mediaID, want string }{
		{"photo-8mib", "📷 已存为会议照片（共 1 张）。"},
		{"photo-11mb", "这张照片超过 10MB，没有保存。请压缩后重新发送。"},
		{"photo-21mb", "这张照片超过 10MB，没有保存。请压缩后重新发送。"},
		{"photo-never-sent", "这张照片无法从企业微信取回（可能已过期），没有保存，请重新发送。"},
	}
	for i, tc := range cases {
		resp, err := e.wc.Post(e.wc.ImageXML("zhangsan", tc.mediaID, fmt.Sprint("img-", i), e.clock.Now()))
		if err != nil || resp.Status != 200 || resp.ReplyText != tc.want {
			t.Errorf("%s: HTTP %d %q (%v), want %q", tc.mediaID, resp.Status, resp.ReplyText, err, tc.want)
		}
	}
	m, _, _ := e.app.Store.OpenMeetingOf(t.Context(), "tech")
	photos, err := e.app.Store.Photos(t.Context(), "tech", m.ID)
	if err != nil || len(photos) != 1 {
		t.Fatalf("photos %+v (%v), want the one within the limit", photos, err)
	}
	data, err := e.app.Store.PhotoData(t.Context(), "tech", m.ID, "photo-8mib")
	if want := jpeg(8<<20 + 100<<10); err != nil || !slices.Equal(data, want) || photos[0].Bytes != len(want) {
		t.Fatalf("stored %d bytes (%v), want all %d", len(data), err, len(want))
	}
}

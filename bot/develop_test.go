package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// at is a working day's 10:00 in Beijing.
func at(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, beijing) }

// wantIn fails unless the reply contains every part.
func wantIn(t *testing.T, what string, r bot.Reply, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.Text, p) {
			t.Fatalf("%s: reply lacks %q:\n%s", what, p, r.Text)
		}
	}
}

// developTo walks zhao (赵六) from 入党申请 to 发展对象 on the path's own
// dates: applied 2025-01-06, talked 01-20, activist 03-03 with m1 and m2 as
// 培养联系人, reviews 09-01 and 2026-03-02, 发展对象 2026-03-09.
func developTo(t *testing.T, w *world, last bot.DevStep) {
	t.Helper()
	steps := []struct {
		step bot.DevStep
		now  time.Time
		text string
	}{
		{bot.DevApplied, at(2025, 1, 6), "发展 申请人 @zhao 赵六 2025-01-06"},
		{bot.DevTalked, at(2025, 1, 20), "发展 谈话 @zhao 2025-01-20"},
		{bot.DevActivist, at(2025, 3, 3), "发展 积极分子 @zhao 2025-03-03 联系人 @m1 @m2"},
		{bot.DevReviewed, at(2025, 9, 1), "发展 考察 @zhao 2025-09-01 表现良好"},
		{bot.DevReviewed, at(2026, 3, 2), "发展 考察 @zhao 2026-03-02 表现良好"},
		{bot.DevCandidate, at(2026, 3, 9), "发展 发展对象 @zhao 2026-03-09"},
		{bot.DevVetted, at(2026, 4, 1), "发展 政审 @zhao 2026-04-01"},
		{bot.DevTrained, at(2026, 4, 10), "发展 培训 @zhao 2026-04-10 24学时"},
		{bot.DevPublished, at(2026, 4, 13), "发展 公示 @zhao 2026-04-13"},
		{bot.DevPreChecked, at(2026, 4, 21), "发展 预审 @zhao 2026-04-21"},
	}
	for _, s := range steps {
		w.now = s.now
		wantIn(t, s.text, w.say("sec", s.text), "已登记 赵六「"+string(s.step)+"」")
		if s.step == last {
			return
		}
	}
}

// Each time rule of the 细则 refuses a step with the rule's reason and the
// earliest date, and stores nothing.
func TestDevelopmentTimeRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t, at(2025, 1, 6))
	wantIn(t, "apply", w.say("sec", "发展 申请人 @zhao 赵六 2025-01-06"), "现为：入党申请人", "下一步：派人谈话（收到申请书一个月内），最早 2025-01-06，最迟 2025-02-05")
	tests := []struct {
		name string
		now  time.Time
		text string
		want string
	}{
		{"a future date", at(2025, 1, 7), "发展 谈话 @zhao 2025-01-08", "还没到"},
		{"activist before the talk", at(2025, 1, 7), "发展 积极分子 @zhao 2025-01-07 联系人 @m1 @m2", "还没有登记谈话"},
		{"a step before the one it follows", at(2025, 1, 7), "发展 谈话 @zhao 2025-01-05", "日期不能早于上一步“申请”（2025-01-06）"},
		{"a member is not an applicant", at(2025, 1, 7), "发展 谈话 @m1 2025-01-07", "已在党员名册中"},
		{"someone never registered", at(2025, 1, 7), "发展 谈话 @nobody 2025-01-07", "还没有登记入党申请"},
		{"a member cannot record", at(2025, 1, 7), "发展 谈话 @zhao 2025-01-07", ""},
	}
	for _, tc := range tests {
		w.now = tc.now
		who := "sec"
		if tc.want == "" {
			who, tc.want = "m1", "只有支部书记、支委或党委管理员可以使用"
		}
		wantIn(t, tc.name, w.say(who, tc.text), tc.want)
	}
	w.now = at(2025, 1, 20)
	w.say("sec", "发展 谈话 @zhao 2025-01-20")
	w.now = at(2025, 3, 3)
	wantIn(t, "a 联系人 who is a 预备党员", w.say("sec", "发展 积极分子 @zhao 2025-03-03 联系人 @m1 @com"), "培养联系人须是正式党员", "@com")
	wantIn(t, "activist", w.say("sec", "发展 积极分子 @zhao 2025-03-03 联系人 @m1 @m2"), "现为：入党积极分子", "下一步：培养考察（每半年一次），最早 2025-03-03，最迟 2025-09-03")
	w.now = at(2025, 9, 1)
	w.say("sec", "发展 考察 @zhao 2025-09-01 表现良好")
	w.now = at(2026, 3, 2)
	// One year as 积极分子 (第十三条): 2025-03-03 → 2026-03-03.
	wantIn(t, "发展对象 before a year", w.say("sec", "发展 发展对象 @zhao 2026-03-02"), "经过一年以上培养教育和考察", "最早 2026-03-03")
	w.now = at(2026, 3, 9)
	wantIn(t, "发展对象 with one 考察", w.say("sec", "发展 发展对象 @zhao 2026-03-09"), "现有 1 次")
	w.say("sec", "发展 考察 @zhao 2026-03-09 表现良好")
	wantIn(t, "发展对象 after a year and two 考察", w.say("sec", "发展 发展对象 @zhao 2026-03-09"), "现为：发展对象", "下一步：政治审查")
	w.now = at(2026, 4, 10)
	wantIn(t, "training under 24 学时", w.say("sec", "发展 培训 @zhao 2026-04-10 16"), "不少于 3 天或 24 学时")
	wantIn(t, "预审 before 政审", w.say("sec", "发展 预审 @zhao 2026-04-10"), "须完成政治审查和集中培训")
	w.say("sec", "发展 政审 @zhao 2026-04-10")
	wantIn(t, "training of 3 days", w.say("sec", "发展 培训 @zhao 2026-04-10 3天"), "现为：发展对象")
	w.now = at(2026, 4, 13)
	w.say("sec", "发展 公示 @zhao 2026-04-13")
	w.now = at(2026, 4, 17)
	// 公示 from Monday 13 April: five working days end on Monday the 20th.
	wantIn(t, "预审 within the 公示", w.say("sec", "发展 预审 @zhao 2026-04-17"), "公示不少于 5 个工作日", "最早 2026-04-20")

	a, found, err := w.s.Applicant(t.Context(), "zhao")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	steps := make([]bot.DevStep, len(a.Records))
	for i, r := range a.Records {
		steps[i] = r.Step
	}
	want := []bot.DevStep{bot.DevApplied, bot.DevTalked, bot.DevActivist, bot.DevReviewed, bot.DevReviewed, bot.DevCandidate, bot.DevVetted, bot.DevTrained, bot.DevPublished}
	if !slices.Equal(steps, want) {
		t.Fatalf("stored steps %v, want %v: a refused step must store nothing", steps, want)
	}
	if !w.audited("develop.activist", "zhao", "积极分子 2025-03-03") {
		t.Error("the activist step is not audited")
	}
}

// The 支部大会 vote is tied to a 党员大会 held that day whose quorum held; it
// passes only when yes-votes exceed half of the 正式党员 entitled to vote
// (not of those present); 审批 comes from the committee within 3 months
// and makes the person a 预备党员 from the 支部大会's date.
func TestDevelopmentVoteAndApproval(t *testing.T) {
	t.Parallel()
	w := newWorld(t, at(2025, 1, 6))
	developTo(t, w, bot.DevPreChecked)
	w.now = at(2026, 5, 6)
	wantIn(t, "no meeting that day", w.say("sec", "发展 大会 @zhao 2026-05-06 赞成 3 反对 0 弃权 0"), "没有找到 2026-05-06 已结束的党员大会")

	// tech's voters are sec, m1, m2, m3 (com is a 预备党员): 4 entitled.
	holdMeeting(t, w.s, bot.MeetingGeneral, at(2026, 5, 6).Add(-2*time.Hour), "sec", "m1")
	wantIn(t, "no quorum", w.say("sec", "发展 大会 @zhao 2026-05-06 赞成 2 反对 0 弃权 0"), "未过半数，表决无效")

	w.now = at(2026, 5, 7)
	holdMeeting(t, w.s, bot.MeetingGeneral, at(2026, 5, 7).Add(-2*time.Hour), "sec", "m1", "m2")
	wantIn(t, "more votes than voters present", w.say("sec", "发展 大会 @zhao 2026-05-07 赞成 3 反对 1 弃权 0"), "超过到会有表决权的党员 3 人")
	wantIn(t, "2 of 4 entitled is not more than half", w.say("sec", "发展 大会 @zhao 2026-05-07 赞成 2 反对 1 弃权 0"),
		"表决未通过", "有表决权的正式党员 4 人，赞成须超过 2 人", "现为：发展对象")
	wantIn(t, "approval of a failed vote", w.say("boss", "发展 审批 @zhao 2026-05-07"), "支部大会通过后才能审批")

	w.now = at(2026, 5, 14)
	holdMeeting(t, w.s, bot.MeetingGeneral, at(2026, 5, 14).Add(-2*time.Hour), "sec", "m1", "m2")
	wantIn(t, "3 of 4", w.say("sec", "发展 大会 @zhao 2026-05-14 赞成 3 反对 0 弃权 0"), "表决通过", "现为：待审批", "最迟 2026-08-13")
	wantIn(t, "a secretary cannot approve", w.say("sec", "发展 审批 @zhao 2026-05-20"), "只有党委管理员可以使用")

	w.now = at(2026, 8, 14)
	wantIn(t, "approval after three months", w.say("boss", "发展 审批 @zhao 2026-08-14"), "三个月内审批", "2026-08-13 已过")
	r := w.say("boss", "发展 审批 @zhao 2026-08-13")
	wantIn(t, "approval", r, "现为：预备党员")
	m, found, err := w.s.Member(t.Context(), "zhao")
	if err != nil || !found {
		t.Fatal("the approved person is not in the roster", err)
	}
	if m.Status != bot.StatusProbationary || m.Joined != (bot.Date{Year: 2026, Month: 5, Day: 14}) || m.BranchID != "tech" || !m.Active {
		t.Fatalf("admitted as %+v; want a 预备党员 of tech from the 支部大会 (2026-05-14)", m)
	}
	if len(r.Notices) != 1 || !slices.Equal(r.Notices[0].To, []string{"zhao"}) || !strings.Contains(r.Notices[0].Text, "2026-05-14 起为中共预备党员") {
		t.Fatalf("the person is not told: %+v", r.Notices)
	}
}

// People on the path are not members: they do not count in a quorum, cannot
// check in or use members' commands, and see only their own stage; their
// 思想汇报 reaches their 培养联系人 and the leaders only.
func TestDevelopmentPrivacyAndStanding(t *testing.T) {
	t.Parallel()
	w := newWorld(t, at(2025, 1, 6))
	developTo(t, w, bot.DevActivist)
	w.now = at(2025, 3, 4)
	w.say("sec", "发展 申请人 @qian 钱七 2025-03-04")

	wantIn(t, "own stage", w.say("zhao", "入党进度"), "你目前是：入党积极分子", "接下来：培养考察")
	for _, text := range []string{"发展 进度", "签到", "名单", "我的", "发展 进度 @qian"} {
		if r := w.say("zhao", text); r.Text != "你目前在发展党员流程中，可以发送：入党进度、思想汇报 内容、帮助。" {
			t.Errorf("an applicant sends %q: %q", text, r.Text)
		}
	}
	help := w.say("zhao", "帮助").Text
	if !strings.Contains(help, "入党进度") || strings.Contains(help, "签到") || strings.Contains(help, "钱七") {
		t.Errorf("an applicant's help:\n%s", help)
	}
	if r := w.say("stranger", "入党进度"); !strings.Contains(r.Text, "不在党建助手的党员名册中") {
		t.Errorf("a stranger: %q", r.Text)
	}

	const secret = "我对党的认识更深了一层"
	r := w.say("zhao", "思想汇报 "+secret)
	wantIn(t, "report", r, "已收到你的思想汇报")
	if len(r.Notices) != 1 {
		t.Fatalf("notices %+v", r.Notices)
	}
	n := r.Notices[0]
	if want := []string{"com", "m1", "m2", "sec"}; !slices.Equal(n.To, want) || n.ChatID != "" || n.Robot != "" {
		t.Fatalf("the report goes to %v chat %q robot %q; want the 联系人 m1, m2 and the leaders sec, com only", n.To, n.ChatID, n.Robot)
	}
	w.picture("zhao", "pic-1")
	reports, err := w.s.ThoughtReports(t.Context(), "tech", "zhao")
	if err != nil || len(reports) != 1 || reports[0].Text != secret || len(reports[0].Media) != 1 {
		t.Fatalf("stored reports %+v (%v)", reports, err)
	}
	// Nothing else of the report leaves: not in the secretary's 发展 进度,
	// not in the audit trail.
	if p := w.say("sec", "发展 进度").Text; strings.Contains(p, secret) || !strings.Contains(p, "申请人 1，积极分子 1") {
		t.Errorf("发展 进度:\n%s", p)
	}
	entries, err := w.s.AuditEntries(t.Context(), 200)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Detail, secret) {
			t.Errorf("the audit trail holds the report: %+v", e)
		}
	}

	// A 党员大会 counts the roster's voters only.
	m := holdMeeting(t, w.s, bot.MeetingGeneral, at(2025, 3, 4), "sec", "m1", "m2")
	rec, err := w.b.MeetingRecord(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Eligible != 4 || slices.ContainsFunc(rec.Absent, func(m bot.Member) bool { return m.UserID == "zhao" }) {
		t.Errorf("the meeting counts %d voters, absent %v: people on the path are not members", rec.Eligible, rec.Absent)
	}
}

// The development job reminds each time rule once; a manual run lists what
// falls due within 14 days for each secretary, whatever was sent.
func TestDevelopmentReminders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, at(2025, 1, 6))
	w.say("sec", "发展 申请人 @zhao 赵六 2025-01-06")
	w.now = at(2025, 1, 29) // a week before the talk's deadline (02-05)
	outs := w.job(bot.JobDevelopment)
	if len(outs) != 1 || !strings.Contains(outs[0].Notice.Text, "须在 2025-02-05 前派人谈话") || !slices.Equal(outs[0].Notice.To, []string{"sec"}) {
		t.Fatalf("talk reminder: %+v", outs)
	}
	w.now = at(2025, 1, 30)
	if outs := w.job(bot.JobDevelopment); len(outs) != 0 {
		t.Fatalf("the talk reminder again: %+v", outs)
	}
	w.now = at(2025, 2, 6)
	if outs := w.job(bot.JobDevelopment); len(outs) != 1 || !strings.Contains(outs[0].Notice.Text, "谈话期限 2025-02-05 已过") {
		t.Fatalf("overdue talk: %+v", outs)
	}
	manual := w.manual(bot.JobDevelopment)
	if len(manual) != 1 || !strings.Contains(manual[0].Notice.Text, "赵六：派人谈话") || !strings.Contains(manual[0].Notice.Text, "已逾期") {
		t.Fatalf("manual run: %+v", manual)
	}

	// 思想汇报 once a quarter, from its last month, to those who owe one.
	w.now = at(2025, 2, 6)
	w.say("sec", "发展 谈话 @zhao 2025-02-06")
	w.say("sec", "发展 积极分子 @zhao 2025-02-06 联系人 @m1 @m2")
	w.now = at(2025, 3, 3)
	outs = w.job(bot.JobDevelopment)
	var toZhao, toContact, toCom bool
	for _, o := range outs {
		toZhao = toZhao || slices.Contains(o.Notice.To, "zhao") && strings.Contains(o.Notice.Text, "本季度还没有提交思想汇报")
		toContact = toContact || slices.Equal(o.Notice.To, []string{"m1"}) && strings.Contains(o.Notice.Text, "赵六")
		toCom = toCom || slices.Contains(o.Notice.To, "com") && strings.Contains(o.Notice.Text, "思想汇报")
	}
	if !toZhao || !toContact || !toCom {
		t.Fatalf("quarterly nudge to zhao %v, to 联系人 %v, to com (a 预备党员) %v: %+v", toZhao, toContact, toCom, outs)
	}
	w.now = at(2025, 3, 4)
	if outs := w.job(bot.JobDevelopment); len(outs) != 0 {
		t.Fatalf("the quarterly nudge again: %+v", outs)
	}
}

// The weekly report carries the pipeline in one line.
func TestWeeklyReportShowsThePipeline(t *testing.T) {
	t.Parallel()
	w := newWorld(t, at(2026, 11, 16))
	w.say("sec", "发展 申请人 @zhao 赵六 2026-10-01")
	w.say("sec", "发展 申请人 @qian 钱七 2026-11-16")
	w.now = time.Date(2026, 11, 22, 20, 0, 0, 0, beijing)
	for _, o := range w.job(bot.JobWeeklySummary) {
		if strings.HasPrefix(o.Key, "summary:tech") {
			if !strings.Contains(o.Notice.Markdown, "> 发展：申请人 2，积极分子 0，发展对象 0；逾期 1") {
				t.Fatalf("report:\n%s", o.Notice.Markdown)
			}
			return
		}
	}
	t.Fatal("no weekly report for tech")
}

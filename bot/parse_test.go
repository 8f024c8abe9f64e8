package bot

// Table tests of the parsers and pure rules behind the commands: what a
// member may type, and what it is read as.

import (
	"strings"
	"testing"
	"time"
)

var zone = time.FixedZone("CST", 8*3600)

// nov20 is a working Friday.
var nov20 = Date{2026, time.November, 20}

func TestParseActivity(t *testing.T) {
	const usage = activityUsage
	deadline := func(day, clock string) time.Time {
		d, err := ParseDate(day)
		if err != nil {
			t.Fatal(err)
		}
		return at(d, clock, zone)
	}
	tests := []struct {
		args    string
		title   string
		want    ActivityPlan
		problem string
	}{
		{"志愿服务 11-28 14:00 阳光社区 名额 10 截止 11-27", "志愿服务",
			ActivityPlan{Day: Date{2026, 11, 28}, Start: "14:00", Place: "阳光社区", Capacity: 10, Deadline: deadline("2026-11-27", "23:59")}, ""},
		{"党日 明天 9:05 名额20人", "党日", ActivityPlan{Day: Date{2026, 11, 21}, Start: "09:05", Capacity: 20}, ""},
		{"观影 名额：15 红星 影城", "观影", ActivityPlan{Capacity: 15, Place: "红星 影城"}, ""},
		{"观影 名额:15", "观影", ActivityPlan{Capacity: 15}, ""},
		{"观影 ２０２６年１２月１日 １９：３０", "观影", ActivityPlan{Day: Date{2026, 12, 1}, Start: "19:30"}, ""},
		{"观影 11-28 截止 11-27 18:30", "观影", ActivityPlan{Day: Date{2026, 11, 28}, Deadline: deadline("2026-11-27", "18:30")}, ""},
		{"观影 报名截止 11-27", "观影", ActivityPlan{Deadline: deadline("2026-11-27", "23:59")}, ""},
		// Only the first date and time are the day and start: the rest is the place.
		{"党课 11-28 14:00 15:00 11-29", "党课", ActivityPlan{Day: Date{2026, 11, 28}, Start: "14:00", Place: "15:00 11-29"}, ""},
		{"党课 25:00", "党课", ActivityPlan{Place: "25:00"}, ""},
		// January asked in November is next year.
		{"新年茶话会 1-5", "新年茶话会", ActivityPlan{Day: Date{2027, 1, 5}}, ""},
		{"<b>标题</b> [链接](x)", "＜b＞标题＜/b＞", ActivityPlan{Place: "［链接］(x)"}, ""},
		{"", "", ActivityPlan{}, usage},
		{"x 名额 零", "", ActivityPlan{}, "名额要写正整数，例如“名额 20”。"},
		{"x 名额", "", ActivityPlan{}, "名额要写正整数，例如“名额 20”。"},
		{"x 名额 0", "", ActivityPlan{}, "名额要写正整数，例如“名额 20”。"},
		{"x 名额 10001", "", ActivityPlan{}, "名额要写正整数，例如“名额 20”。"},
		{"x 截止", "", ActivityPlan{}, "截止后面写日期，例如“截止 11-27”。"},
		{"x 截止 下周", "", ActivityPlan{}, "截止日期看不懂：“下周”。请写 11-27 这样的日期。"},
		{"x 11-10", "", ActivityPlan{}, "活动日期已经过去了，请检查日期。"},
		{"x 11-25 截止 11-26", "", ActivityPlan{}, "报名截止不能晚于活动日期。"},
	}
	for _, tc := range tests {
		t.Run(tc.args, func(t *testing.T) {
			title, act, problem := parseActivity(strings.Fields(tc.args), nov20, zone)
			if problem != tc.problem {
				t.Fatalf("problem %q, want %q", problem, tc.problem)
			}
			if problem != "" {
				return
			}
			if title != tc.title || act.Day != tc.want.Day || act.Start != tc.want.Start || act.Place != tc.want.Place ||
				act.Capacity != tc.want.Capacity || !act.Deadline.Equal(tc.want.Deadline) {
				t.Fatalf("%q %+v, want %q %+v", title, act, tc.title, tc.want)
			}
		})
	}
}

func TestActivityPlanDescribe(t *testing.T) {
	tests := []struct {
		plan ActivityPlan
		want string
	}{
		{ActivityPlan{}, "点“报名”参加"},
		{ActivityPlan{Place: "礼堂"}, "礼堂"},
		{ActivityPlan{Day: Date{2026, 11, 28}}, "11月28日"},
		{ActivityPlan{Day: Date{2026, 11, 28}, Start: "09:00", Place: "礼堂", Capacity: 3, Deadline: time.Date(2026, 11, 27, 18, 0, 0, 0, zone)},
			"11月28日 09:00 · 礼堂 · 名额 3 · 11月27日 18:00截止"},
	}
	for _, tc := range tests {
		if got := tc.plan.describe(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.plan, got, tc.want)
		}
	}
}

func TestSignUpText(t *testing.T) {
	a := Announcement{Title: "读书会", Activity: &ActivityPlan{Place: "图书馆"}}
	tests := []struct {
		o    SignUpOutcome
		want string
	}{
		{SignUpOutcome{Now: "joined"}, "报名成功 ✅ 《读书会》 图书馆\n不能参加请发“取消报名”。"},
		{SignUpOutcome{Was: "waiting", Now: "joined"}, "报名成功 ✅ 《读书会》 图书馆\n不能参加请发“取消报名”。"},
		{SignUpOutcome{Was: "joined", Now: "joined"}, "你已报名《读书会》。不能参加请发“取消报名”。"},
		{SignUpOutcome{Now: "waiting", Position: 3}, "《读书会》名额已满，已排在候补第 3 位；有人取消时自动递补并通知你。"},
		{SignUpOutcome{Was: "waiting", Now: "waiting", Position: 2}, "你已在《读书会》候补第 2 位，有人取消时自动递补并通知你。"},
	}
	for _, tc := range tests {
		if got := signUpText(a, tc.o); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.o, got, tc.want)
		}
	}
	if n := promotedNotice(a, SignUpOutcome{Was: "joined"}); n != nil {
		t.Errorf("nobody moved up, yet %+v", n)
	}
	if n := promotedNotice(a, SignUpOutcome{Promoted: "m3"}); len(n) != 1 || n[0].To[0] != "m3" || !strings.HasPrefix(n[0].Text, "候补成功 ✅") {
		t.Errorf("promotion notice %+v", n)
	}
}

func TestSplitTitle(t *testing.T) {
	tests := []struct{ in, title, body string }{
		{"标题\n正文", "标题", "正文"},
		{"标题", "标题", ""},
		{"\n\n  标题  \n\n第一段\n\n第二段\n", "标题", "第一段\n\n第二段"},
		{"标题\n\t缩进\t行 ", "标题", "缩进 行"},
		{"", "", ""},
		{"  \n \t \n", "", ""},
		{"\u200b\n\u202e", "", ""},
		{"<a href=\"https://evil.example\">点我</a>", "＜a href=\"https://evil.example\"＞点我＜/a＞", ""},
		{"# 标题\n> 引用", "＃ 标题", "＞ 引用"},
		{"标题\u202e反转\n正\u200b文", "标题反转", "正文"},
	}
	for _, tc := range tests {
		title, body := splitTitle(tc.in)
		if title != tc.title || body != tc.body {
			t.Errorf("splitTitle(%q) = %q, %q; want %q, %q", tc.in, title, body, tc.title, tc.body)
		}
	}
}

func TestArgText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"公告 标题\n正文", "标题\n正文"},
		{"公告\n标题\n正文", "标题\n正文"},
		{"公告\t标题", "标题"},
		{"公告　全角空格后", "全角空格后"},
		{"  公告   x  ", "x"},
		{"公告", ""},
		{"公告   ", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := argText(tc.in); got != tc.want {
			t.Errorf("argText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStatusTarget(t *testing.T) {
	secretary := Member{UserID: "sec", BranchID: "tech", Role: RoleSecretary}
	member := Member{UserID: "m1", BranchID: "tech", Role: RoleMember}
	admin := Member{UserID: "boss", Role: RoleAdmin}
	const usage = statusUsage
	tests := []struct {
		name    string
		who     Member
		args    string
		scope   string
		no      int
		refusal string
	}{
		{"own branch, newest", secretary, "", "tech", 0, ""},
		{"#3", secretary, "#3", "tech", 3, ""},
		{"a bare number", secretary, "3", "tech", 3, ""},
		{"full-width", secretary, "＃３", "tech", 3, ""},
		{"own branch named", secretary, "tech #2", "tech", 2, ""},
		{"#0 is no number", secretary, "#0", "", 0, usage},
		{"negative", secretary, "-1", "", 0, usage},
		{"a word", secretary, "好的", "", 0, usage},
		{"the org, not an admin", secretary, "全体", "", 0, "全体公告的情况由党委管理员查看。"},
		{"another branch", secretary, "ops", "", 0, "你只能查看本支部。"},
		{"a member", member, "#1", "", 0, "你只能查看本支部。"},
		{"admin without a scope", admin, "", "", 0, usage},
		{"admin, the org", admin, "全体", OrgScope, 0, ""},
		{"admin, the org's #2 in one word", admin, "全体#2", OrgScope, 2, ""},
		{"admin, all and a number", admin, "ALL 5", OrgScope, 5, ""},
		{"admin, a branch", admin, "ops #1", "ops", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Member: tc.who, Args: strings.Fields(tc.args)}
			scope, no, refusal, err := (&Bot{}).statusTarget(t.Context(), req)
			if err != nil || scope != tc.scope || no != tc.no || refusal != tc.refusal {
				t.Fatalf("%q %d %q %v; want %q %d %q", scope, no, refusal, err, tc.scope, tc.no, tc.refusal)
			}
		})
	}
}

func TestAnnouncementOpenAndCancellable(t *testing.T) {
	sent := time.Date(2026, 11, 20, 10, 0, 0, 0, zone)
	plain := Announcement{SentAt: sent}
	withDeadline := Announcement{SentAt: sent, Activity: &ActivityPlan{Day: Date{2026, 11, 28}, Deadline: time.Date(2026, 11, 27, 18, 0, 0, 0, zone)}}
	withDay := Announcement{SentAt: sent, Activity: &ActivityPlan{Day: Date{2026, 12, 31}}}
	undated := Announcement{SentAt: sent, Activity: &ActivityPlan{Place: "礼堂"}}
	tests := []struct {
		name              string
		a                 Announcement
		now               time.Time
		open, cancellable bool
	}{
		{"announcement, a minute before a week", plain, sent.Add(AnnounceOpenFor - time.Minute), true, true},
		{"announcement, a week on", plain, sent.Add(AnnounceOpenFor), false, false},
		{"activity, before its deadline", withDeadline, time.Date(2026, 11, 27, 17, 59, 0, 0, zone), true, true},
		{"activity, at its deadline", withDeadline, time.Date(2026, 11, 27, 18, 0, 0, 0, zone), false, true},
		{"activity, on its day", withDeadline, time.Date(2026, 11, 28, 23, 0, 0, 0, zone), false, true},
		{"activity, the day after", withDeadline, time.Date(2026, 11, 29, 0, 0, 0, 0, zone), false, false},
		// The day counts in the org's zone: 16:30 UTC on the 31st is the 1st in Beijing.
		{"activity without deadline, on its day", withDay, time.Date(2026, 12, 31, 23, 59, 0, 0, zone), true, true},
		{"activity without deadline, past midnight", withDay, time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC), false, false},
		{"activity without deadline, weeks after sending", withDay, sent.Add(30 * 24 * time.Hour), true, true},
		{"undated activity, like an announcement", undated, sent.Add(AnnounceOpenFor), false, false},
		{"undated activity, within the week", undated, sent.Add(time.Hour), true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Open(tc.now, zone); got != tc.open {
				t.Errorf("Open = %v, want %v", got, tc.open)
			}
			if got := tc.a.Cancellable(tc.now, zone); got != tc.cancellable {
				t.Errorf("Cancellable = %v, want %v", got, tc.cancellable)
			}
		})
	}
}

func TestAnnouncementLabels(t *testing.T) {
	tests := []struct {
		a                          Announcement
		label, noun, key, fullText string
	}{
		{Announcement{Scope: "tech", No: 12, Title: "通知"}, "#12", "公告", "tech:12", "【公告 #12】通知"},
		{Announcement{Scope: OrgScope, No: 3, Title: "党委通知", Body: "正文"}, "全体#3", "公告", "!org:3", "【公告 全体#3】党委通知\n正文"},
		{Announcement{Scope: "ops", No: 1, Title: "植树", Activity: &ActivityPlan{Place: "公园"}}, "#1", "活动", "ops:1", "【活动 #1】植树\n公园"},
	}
	for _, tc := range tests {
		if got := [4]string{tc.a.Label(), tc.a.noun(), tc.a.key(), tc.a.fullText()}; got != [4]string{tc.label, tc.noun, tc.key, tc.fullText} {
			t.Errorf("%+v: %q", tc.a, got)
		}
	}
	au := audience{branches: []Branch{{ID: "tech", Name: "技术党支部"}}}
	two := audience{branches: []Branch{{ID: "a"}, {ID: "b"}}}
	for _, tc := range []struct {
		a    Announcement
		au   audience
		want string
	}{
		{tests[0].a, au, "技术党支部 #12"},
		{tests[0].a, two, "支部公告 #12"},
		{tests[1].a, two, "党委公告 全体#3"},
		{tests[2].a, au, "活动 #1，点“报名”参加"},
	} {
		if got := tc.a.cardDescription(tc.au); got != tc.want {
			t.Errorf("card description %q, want %q", got, tc.want)
		}
	}
	if s := (Announcement{Title: strings.Repeat("长", 40)}).short(); s != strings.Repeat("长", 29)+"…" {
		t.Errorf("short %q", s)
	}
}

func TestCutRunesAndNumberedParts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"一二三四五", 5, "一二三四五"}, {"一二三四五六", 5, "一二三四…"}, {"", 3, ""}, {"abc", 2, "a…"},
	} {
		if got := cutRunes(tc.in, tc.n); got != tc.want {
			t.Errorf("cutRunes(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	if parts := NumberedParts("短消息"); len(parts) != 1 || parts[0] != "短消息" {
		t.Errorf("a short text was numbered: %q", parts)
	}
	line := strings.Repeat("党", 100) // 300 bytes
	text := strings.TrimSuffix(strings.Repeat(line+"\n", 20), "\n")
	parts := NumberedParts(text)
	if len(parts) != 4 {
		t.Fatalf("%d parts of 6000 bytes, want 4", len(parts))
	}
	var back []string
	for i, p := range parts {
		if len(p) > MaxMessageBytes {
			t.Errorf("part %d has %d bytes", i, len(p))
		}
		mark := "（" + string(rune('1'+i)) + "/4）"
		rest, ok := strings.CutPrefix(p, mark)
		if !ok {
			t.Fatalf("part %d lacks %s", i, mark)
		}
		back = append(back, rest)
	}
	if strings.Join(back, "\n") != text {
		t.Error("the parts lose text")
	}
}

func TestParseMinutes(t *testing.T) {
	tests := []struct {
		in   string
		want Minutes
	}{
		{"地点：三楼会议室\n主持人:书记\n讨论了预算\n议题：预算、人事", Minutes{Place: "三楼会议室", Host: "书记", Topics: "预算、人事", Content: "讨论了预算"}},
		{"内容：第一段\n第二段", Minutes{Content: "第一段\n第二段"}},
		{"只写了内容", Minutes{Content: "只写了内容"}},
		{"地点：A\n地点：B", Minutes{Place: "A B"}},
		{"备注:带冒号的一行", Minutes{Content: "备注:带冒号的一行"}},
		{"时间：下午 3 点", Minutes{Content: "时间：下午 3 点"}},
		{"主持人：  张三   李四 ", Minutes{Host: "张三 李四"}},
		{" 记录人 ：王五", Minutes{Recorder: "王五"}},
		{"议题：\n\n", Minutes{}},
		{"  \n\n", Minutes{}},
		{"内容：开场\n地点：礼堂\n发言一\n\n发言二", Minutes{Place: "礼堂", Content: "开场\n发言一\n发言二"}},
	}
	for _, tc := range tests {
		if got := parseMinutes(tc.in); got != tc.want {
			t.Errorf("parseMinutes(%q)\n = %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseDay(t *testing.T) {
	tests := []struct {
		in   string
		want Date // zero: not a day
	}{
		{"今天", nov20}, {"today", nov20}, {"明天", Date{2026, 11, 21}}, {"明日", Date{2026, 11, 21}},
		{"后天", Date{2026, 11, 22}}, {"昨天", Date{2026, 11, 19}},
		{"2026-12-01", Date{2026, 12, 1}}, {"12/1", Date{2026, 12, 1}}, {"12.1", Date{2026, 12, 1}},
		{"12月1日", Date{2026, 12, 1}}, {"12月1号", Date{2026, 12, 1}}, {"２０２７年１月２日", Date{2027, 1, 2}},
		{"1-5", Date{2027, 1, 5}},        // more than half a year back: next year
		{"6-1", Date{2026, 6, 1}},        // less: this year
		{"2025-01-05", Date{2025, 1, 5}}, // a year written is kept
		{"2-30", Date{}}, {"13-01", Date{}}, {"2026-2-29", Date{}}, {"abc", Date{}}, {"", Date{}}, {"11-20-2026", Date{}},
	}
	for _, tc := range tests {
		got, ok := parseDay(tc.in, nov20)
		if ok != !tc.want.IsZero() || got != tc.want {
			t.Errorf("parseDay(%q) = %v %v, want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestParseStudyDayAndWeekStart(t *testing.T) {
	tests := []struct {
		in   string
		want Date
	}{
		{"周一", Date{2026, 11, 16}}, {"星期三", Date{2026, 11, 18}}, {"礼拜日", Date{2026, 11, 22}}, {"周天", Date{2026, 11, 22}},
		{"前天", Date{2026, 11, 18}}, {"昨天", Date{2026, 11, 19}}, {"11-17", Date{2026, 11, 17}}, {"周八", Date{}}, {"党史", Date{}},
	}
	for _, tc := range tests {
		got, ok := parseStudyDay(tc.in, nov20)
		if ok != !tc.want.IsZero() || got != tc.want {
			t.Errorf("parseStudyDay(%q) = %v %v, want %v", tc.in, got, ok, tc.want)
		}
	}
	for _, tc := range []struct{ d, monday Date }{
		{Date{2026, 11, 22}, Date{2026, 11, 16}}, {Date{2026, 11, 16}, Date{2026, 11, 16}}, {Date{2027, 1, 1}, Date{2026, 12, 28}},
	} {
		if got := weekStart(tc.d); got != tc.monday {
			t.Errorf("weekStart(%v) = %v, want %v", tc.d, got, tc.monday)
		}
	}
	for _, tc := range []struct {
		from Date
		want string
	}{
		{Date{2026, 11, 16}, "11月16日–22日"}, {Date{2026, 11, 30}, "11月30日–12月6日"},
	} {
		if got := fmtWeek(tc.from); got != tc.want {
			t.Errorf("fmtWeek(%v) = %q, want %q", tc.from, got, tc.want)
		}
	}
	if got := studyKind("参加支部集体学习"); got != StudyGroup {
		t.Errorf("studyKind = %q", got)
	}
	if got := studyKind("读书"); got != StudySelf {
		t.Errorf("studyKind = %q", got)
	}
}

func TestMonths(t *testing.T) {
	this := Month{2026, time.November}
	tests := []struct {
		in   string
		want Month // zero: not a month
	}{
		{"2026-05", Month{2026, 5}}, {"5月", Month{2026, 5}}, {"2026年5月", Month{2026, 5}}, {"2026/3", Month{2026, 3}},
		{"2026.3", Month{2026, 3}}, {"3", Month{2026, 3}}, {"１１月", Month{2026, 11}},
		{"本月", this}, {"这个月", this}, {"上月", Month{2026, 10}}, {"上个月", Month{2026, 10}}, {"LAST-MONTH", Month{2026, 10}},
		{"12月", Month{2025, 12}}, // a month ahead without a year is last year's
		{"2027-01", Month{2027, 1}},
		{"13月", Month{}}, {"0", Month{}}, {"2026-13", Month{}}, {"abc", Month{}}, {"", Month{}}, {"上上月", Month{}},
	}
	for _, tc := range tests {
		got, ok := ParseMonth(tc.in, this)
		if ok != (tc.want != Month{}) || got != tc.want {
			t.Errorf("ParseMonth(%q) = %v %v, want %v", tc.in, got, ok, tc.want)
		}
	}
	if got, _ := ParseMonth("上月", Month{2026, time.January}); got != (Month{2025, time.December}) {
		t.Errorf("上月 in January = %v", got)
	}

	jan := Month{2026, time.January}
	if got := jan.Add(-1); got != (Month{2025, time.December}) {
		t.Errorf("Add(-1) = %v", got)
	}
	if got := this.Add(13); got != (Month{2027, time.December}) {
		t.Errorf("Add(13) = %v", got)
	}
	if this.Since(Month{2026, 5}) != 6 || (Month{2027, 2}).Since(this) != 3 || !jan.Before(this) || this.Before(jan) || this.Before(this) {
		t.Error("Since or Before")
	}
	if this.String() != "2026-11" || (Month{2026, 5}).String() != "2026-05" || this.Label() != "2026年11月" {
		t.Errorf("String %q, Label %q", this.String(), this.Label())
	}
	if feb := (Month{2024, time.February}); feb.First() != (Date{2024, 2, 1}) || feb.Last() != (Date{2024, 2, 29}) || (Month{2026, 2}).Last() != (Date{2026, 2, 28}) {
		t.Error("First or Last")
	}
	if got := MonthOf(Date{2026, 12, 31}); got != (Month{2026, 12}) {
		t.Errorf("MonthOf = %v", got)
	}
	if got := lastMonths(Month{2026, 2}, 3); len(got) != 3 || got[0] != (Month{2025, 12}) || got[2] != (Month{2026, 2}) {
		t.Errorf("lastMonths = %v", got)
	}
}

func TestDuesMonth(t *testing.T) {
	this := Month{2026, time.November}
	tests := []struct {
		in      string
		prepay  int // months ahead allowed
		want    Month
		problem string
	}{
		{"2026-11", 0, Month{2026, 11}, ""},
		{"本月", 0, Month{2026, 11}, ""},
		{"2026-05", 0, Month{2026, 5}, ""}, // six months back is the limit
		{"2026-04", 0, Month{2026, 4}, "2026年4月已超过 6 个月，按规定不能补交，请联系书记。"},
		{"12月", 0, Month{2025, 12}, "2025年12月已超过 6 个月，按规定不能补交，请联系书记。"},
		{"2026-12", 0, Month{2026, 12}, "2026年12月还没到，不能提前登记。"},
		{"<b>", 0, Month{}, "月份看不懂：“＜b＞”，请写 2026-05 或 5月。"},
		// Paying ahead, with the branch's consent (2008 规定).
		{"2026-12", 6, Month{2026, 12}, ""},
		{"下月", 6, Month{2026, 12}, ""},
		{"2027-05", 6, Month{2027, 5}, ""}, // six months ahead is the limit
		{"2027-06", 6, Month{2027, 6}, "2027年6月还没到：最多可提前 6 个月预交。"},
		{"12月", 6, Month{2026, 12}, ""}, // too old to back-pay: next December
		{"3月", 6, Month{2027, 3}, ""},
		{"5月", 6, Month{2026, 5}, ""}, // back-payable: this year's
		{"4月", 3, Month{2026, 4}, "2026年4月已超过 6 个月，按规定不能补交，请联系书记。"}, // next April is too far ahead
		{"2027-02", 3, Month{2027, 2}, ""},
		{"2027-03", 3, Month{2027, 3}, "2027年3月还没到：最多可提前 3 个月预交。"},
		{"2025-12", 6, Month{2025, 12}, "2025年12月已超过 6 个月，按规定不能补交，请联系书记。"}, // a year given is meant
	}
	for _, tc := range tests {
		got, problem := duesMonth(tc.in, this, tc.prepay)
		if problem != tc.problem || (tc.want != Month{} && got != tc.want) {
			t.Errorf("duesMonth(%q, prepay %d) = %v %q, want %v %q", tc.in, tc.prepay, got, problem, tc.want, tc.problem)
		}
	}
}

func TestParseAmountAndCents(t *testing.T) {
	tests := []struct {
		in   string
		want Cents // 0: refused
	}{
		{"50", 5000}, {"12.5", 1250}, {"12.50", 1250}, {"0.01", 1}, {"50元", 5000}, {"５０", 5000}, {" 8 ", 800}, {"999999.99", 99999999},
		{"0", 0}, {"0.00", 0}, {"12.345", 0}, {"-5", 0}, {"1234567", 0}, {"", 0}, {"abc", 0}, {"1,000", 0}, {".5", 0}, {"5.", 0},
	}
	for _, tc := range tests {
		got, ok := ParseAmount(tc.in)
		if ok != (tc.want != 0) || (ok && got != tc.want) {
			t.Errorf("ParseAmount(%q) = %d %v, want %d", tc.in, got, ok, tc.want)
		}
	}
	for c, want := range map[Cents]string{5000: "50", 1250: "12.50", 1: "0.01", 0: "0", 123456: "1234.56", 1205: "12.05"} {
		if got := c.String(); got != want {
			t.Errorf("Cents(%d) = %q, want %q", c, got, want)
		}
	}
	paid := map[Month]map[string]DuesPayment{{2026, 9}: {"a": {}}, {2026, 11}: {"b": {}}}
	months := []Month{{2026, 8}, {2026, 9}, {2026, 10}, {2026, 11}}
	for who, want := range map[string]int{"a": 2, "b": 0, "c": 4} {
		if got := duesOwedMonths(paid, months, who); got != want {
			t.Errorf("duesOwedMonths(%s) = %d, want %d", who, got, want)
		}
	}
}

func TestParseSpan(t *testing.T) {
	d := func(y int, m time.Month, day int) Date { return Date{y, m, day} }
	tests := []struct {
		args  string
		today Date
		want  Span // zero: refused
	}{
		{"", nov20, Span{d(2026, 11, 1), d(2026, 11, 30)}},
		{"本月", nov20, Span{d(2026, 11, 1), d(2026, 11, 30)}},
		{"上月", nov20, Span{d(2026, 10, 1), d(2026, 10, 31)}},
		{"上月", d(2026, 3, 15), Span{d(2026, 2, 1), d(2026, 2, 28)}},
		{"本季度", nov20, Span{d(2026, 10, 1), d(2026, 12, 31)}},
		{"本季", d(2026, 5, 1), Span{d(2026, 4, 1), d(2026, 6, 30)}},
		{"上季度", nov20, Span{d(2026, 7, 1), d(2026, 9, 30)}},
		{"上季度", d(2026, 2, 10), Span{d(2025, 10, 1), d(2025, 12, 31)}},
		{"本年", nov20, Span{d(2026, 1, 1), d(2026, 12, 31)}},
		{"去年", nov20, Span{d(2025, 1, 1), d(2025, 12, 31)}},
		{"THIS-YEAR", nov20, Span{d(2026, 1, 1), d(2026, 12, 31)}},
		{"2026-10-01 2026-12-31", nov20, Span{d(2026, 10, 1), d(2026, 12, 31)}},
		{"2026-10-01 到 2026-12-31", nov20, Span{d(2026, 10, 1), d(2026, 12, 31)}},
		{"2026-10-01 2026-10-01", nov20, Span{d(2026, 10, 1), d(2026, 10, 1)}},
		{"2026-12-31 2026-10-01", nov20, Span{}},
		{"2026-10-01", nov20, Span{}},
		{"下个月", nov20, Span{}},
		{"2026-10-01 到 2026-12-31 以后", nov20, Span{}},
		{"10-01 12-31", nov20, Span{}},
	}
	for _, tc := range tests {
		got, ok := ParseSpan(strings.Fields(tc.args), tc.today)
		if ok != (tc.want != Span{}) || got != tc.want {
			t.Errorf("ParseSpan(%q) at %v = %v %v, want %v", tc.args, tc.today, got, ok, tc.want)
		}
	}
	q4 := Span{d(2026, 10, 1), d(2026, 12, 31)}
	if q4.Days() != 92 || q4.String() != "2026-10-01 至 2026-12-31" || len(q4.Months()) != 3 || q4.Months()[2] != (Month{2026, 12}) {
		t.Errorf("Days %d, String %q, Months %v", q4.Days(), q4.String(), q4.Months())
	}
	if !q4.Start(zone).Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, zone)) || !q4.End(zone).Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, zone)) {
		t.Errorf("Start %v End %v", q4.Start(zone), q4.End(zone))
	}
	for w, want := range map[string]bool{"上季度": true, "tech": false, "2026-10-01": false} {
		if isSpanWord(w) != want {
			t.Errorf("isSpanWord(%q) = %v", w, !want)
		}
	}
	if !isDateWord("2026-10-01") || isDateWord("tech") {
		t.Error("isDateWord")
	}
	if lastDay(Date{2024, 2, 10}) != (Date{2024, 2, 29}) || lastDay(Date{2026, 12, 5}) != (Date{2026, 12, 31}) {
		t.Error("lastDay")
	}
	if got := (ExportRequest{From: d(2026, 10, 1), To: d(2026, 12, 31), SummaryOnly: true}).FileName("全部支部"); got != "全部支部支部汇总-2026-10-01-2026-12-31.xlsx" {
		t.Errorf("FileName %q", got)
	}
}

// Edge cases beyond TestParseStudyDuration's forms.
func TestParseStudyDurationEdgeCases(t *testing.T) {
	tests := []struct {
		in   string
		want int // 0: refused
	}{
		{"720分钟", 720}, {"721分钟", 0}, {"十二小时", 720}, {"十三小时", 0}, {"一百分钟", 0},
		{"两刻钟", 30}, {"1.5刻钟", 0}, {"二十五分钟", 25}, {"０.５ｈ", 30}, {"1 小时", 0},
		{"三个半小时", 210}, {"十个半小时", 630}, {"半h", 30}, {"1H30M", 90}, {"1小时60分", 0},
		{"1.5h30m", 0}, {"1h30", 90}, {"1.5个半小时", 0}, {"0.25h", 15}, {"0.1h", 6}, {"0.01h", 0},
		{"两十分钟", 20}, {"十二十分钟", 0},
	}
	for _, tc := range tests {
		got, ok := ParseStudyDuration(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("ParseStudyDuration(%q) = %d %v, want %d", tc.in, got, ok, tc.want)
		}
	}
	numbers := []struct {
		in string
		n  int
		ok bool
	}{
		{"十", 10, true}, {"十五", 15, true}, {"二十", 20, true}, {"九十九", 99, true}, {"零", 0, true}, {"两十", 20, true},
		{"一二", 0, false}, {"十一二", 0, false}, {"百", 0, false}, {"", 0, false}, {"二三十", 0, false}, {"十x", 0, false},
	}
	for _, tc := range numbers {
		if n, ok := parseChineseNumber(tc.in); n != tc.n || ok != tc.ok {
			t.Errorf("parseChineseNumber(%q) = %d %v, want %d %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
	for m, want := range map[int]string{0: "0 分钟", 45: "45 分钟", 120: "2 小时", 90: "1 小时 30 分钟", 750: "12 小时 30 分钟"} {
		if got := FormatMinutes(m); got != want {
			t.Errorf("FormatMinutes(%d) = %q, want %q", m, got, want)
		}
	}
}

func TestNormalizeEdgeCases(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"//checkin", "/checkin"}, {"／签到", "签到"}, {" Ｈｅｌｌｏ　", "hello"}, {"ＡＢＣ１２３", "abc123"},
		{"＠ＬｉＳｉ", "@lisi"}, {"名额：１５", "名额:15"}, {"１９：３０", "19:30"}, {"#３", "#3"},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for in, want := range map[string]string{" LiSi ": "lisi", "ZHANG.san": "zhang.san", "": ""} {
		if got := NormalizeUserID(in); got != want {
			t.Errorf("NormalizeUserID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnknownCommandReply(t *testing.T) {
	tests := []struct{ in, want string }{
		{"吃饭", "没看懂“吃饭”。发送“帮助”查看可用命令，例如“签到”。"},
		{"  吃饭  ", "没看懂“吃饭”。发送“帮助”查看可用命令，例如“签到”。"},
		{"一二三四五六七八九十一二", "没看懂“一二三四五六七八九十一二”。发送“帮助”查看可用命令，例如“签到”。"},
		{"一二三四五六七八九十一二三", "没看懂“一二三四五六七八九十一二…”。发送“帮助”查看可用命令，例如“签到”。"},
	}
	for _, tc := range tests {
		if got := unknownCommandReply(tc.in); got != tc.want {
			t.Errorf("unknownCommandReply(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAccessRules(t *testing.T) {
	member := Member{UserID: "m", BranchID: "tech", Role: RoleMember}
	secretary := Member{UserID: "s", BranchID: "tech", Role: RoleSecretary}
	committee := Member{UserID: "c", BranchID: "tech", Role: RoleCommittee}
	admin := Member{UserID: "a", Role: RoleAdmin}
	refusals := []struct {
		access Access
		who    Member
		want   string
	}{
		{AccessMember, member, ""},
		{AccessBranch, member, "“名单”只有支部书记、支委或党委管理员可以使用。"},
		{AccessBranch, committee, ""},
		{AccessBranch, admin, ""},
		{AccessAdmin, secretary, "“名单”只有党委管理员可以使用。"},
		{AccessAdmin, admin, ""},
	}
	for _, tc := range refusals {
		if got := tc.access.refusal(tc.who, "名单"); got != tc.want {
			t.Errorf("%v for %s: %q, want %q", tc.access, tc.who.Role, got, tc.want)
		}
	}
	leads := []struct {
		who    Member
		branch string
		want   bool
	}{
		{secretary, "tech", true}, {secretary, "ops", false}, {committee, "tech", true}, {member, "tech", false},
		{admin, "ops", true}, {Member{Role: RoleSecretary}, "", false},
	}
	for _, tc := range leads {
		if got := tc.who.Leads(tc.branch); got != tc.want {
			t.Errorf("%s leads %q = %v", tc.who.Role, tc.branch, got)
		}
	}
	for r, want := range map[Role]string{RoleMember: "党员", RoleSecretary: "书记", RoleCommittee: "支委", RoleAdmin: "管理员", "": "党员"} {
		if got := r.Label(); got != want {
			t.Errorf("%q.Label() = %q", r, got)
		}
	}
}

func TestRosterWords(t *testing.T) {
	roles := []struct {
		in   string
		want Role
		ok   bool
	}{
		{"书记", RoleSecretary, true}, {" Secretary ", RoleSecretary, true}, {"支委委员", RoleCommittee, true},
		{"党委管理员", RoleAdmin, true}, {"", RoleMember, true}, {"群众", "", false},
	}
	for _, tc := range roles {
		if got, ok := ParseRole(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("ParseRole(%q) = %q %v", tc.in, got, ok)
		}
	}
	statuses := []struct {
		in   string
		want Status
		ok   bool
	}{
		{"正式", StatusFull, true}, {"PROBATIONARY", StatusProbationary, true}, {"预备党员", StatusProbationary, true}, {"", StatusUnknown, true}, {"积极分子", "", false},
	}
	for _, tc := range statuses {
		if got, ok := ParseStatus(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("ParseStatus(%q) = %q %v", tc.in, got, ok)
		}
	}
	actives := []struct {
		in         string
		active, ok bool
	}{
		{"", true, true}, {"是", true, true}, {"在册", true, true}, {"否", false, true}, {"离开", false, true}, {" LEFT ", false, true}, {"也许", false, false},
	}
	for _, tc := range actives {
		if active, ok := ParseActive(tc.in); active != tc.active || ok != tc.ok {
			t.Errorf("ParseActive(%q) = %v %v", tc.in, active, ok)
		}
	}
	cadences := []struct {
		in   string
		want Cadence
		ok   bool
	}{
		{"monthly", Monthly, true}, {"每季度", Quarterly, true}, {" Yearly ", Yearly, true}, {"年", Yearly, true}, {"weekly", 0, false},
	}
	for _, tc := range cadences {
		if got, ok := ParseCadence(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("ParseCadence(%q) = %v %v", tc.in, got, ok)
		}
	}
	for c, want := range map[Cadence][2]string{Monthly: {"本月", "上月"}, Quarterly: {"本季度", "上季度"}, Yearly: {"本年", "去年"}} {
		if this, last := c.label(); this != want[0] || last != want[1] {
			t.Errorf("%v.label() = %q %q", c, this, last)
		}
	}
	for _, tc := range []struct {
		c         Cadence
		at        time.Time
		start, to time.Time
	}{
		{Monthly, time.Date(2026, 12, 31, 23, 0, 0, 0, zone), time.Date(2026, 12, 1, 0, 0, 0, 0, zone), time.Date(2027, 1, 1, 0, 0, 0, 0, zone)},
		{Quarterly, time.Date(2026, 8, 15, 0, 0, 0, 0, zone), time.Date(2026, 7, 1, 0, 0, 0, 0, zone), time.Date(2026, 10, 1, 0, 0, 0, 0, zone)},
		{Yearly, time.Date(2026, 8, 15, 0, 0, 0, 0, zone), time.Date(2026, 1, 1, 0, 0, 0, 0, zone), time.Date(2027, 1, 1, 0, 0, 0, 0, zone)},
	} {
		if p := periodOf(tc.c, tc.at); !p.Start.Equal(tc.start) || !p.End.Equal(tc.to) {
			t.Errorf("periodOf(%v, %v) = %v", tc.c, tc.at, p)
		}
	}
}

func TestMilestones(t *testing.T) {
	if got := anniversary(Date{2024, 2, 29}, 2025); got != (Date{2025, 2, 28}) {
		t.Errorf("29 February in 2025 = %v", got)
	}
	if got := anniversary(Date{2024, 2, 29}, 2028); got != (Date{2028, 2, 29}) {
		t.Errorf("29 February in 2028 = %v", got)
	}
	full := Member{Status: StatusFull, Joined: Date{2020, 7, 1}}
	probationary := Member{Status: StatusProbationary, Joined: Date{2025, 7, 1}}
	tests := []struct {
		m     Member
		today Date
		want  bool
	}{
		{full, Date{2026, 7, 1}, true},
		{full, Date{2026, 7, 2}, false},
		{full, Date{2020, 7, 1}, false},         // the day of joining itself
		{probationary, Date{2026, 7, 1}, false}, // the first anniversary is 转正
		{Member{Status: StatusProbationary, Joined: Date{2024, 7, 1}}, Date{2026, 7, 1}, true}, // still probationary on record: greeted
		{Member{Joined: Date{2024, 2, 29}}, Date{2025, 2, 28}, true},
	}
	for _, tc := range tests {
		if got := isPoliticalBirthday(tc.m, tc.today); got != tc.want {
			t.Errorf("isPoliticalBirthday(%+v, %v) = %v", tc.m, tc.today, got)
		}
	}
	if got := probationEnd(probationary); got != (Date{2026, 7, 1}) {
		t.Errorf("probationEnd = %v", got)
	}
	members := []Member{
		{Name: "甲", Status: StatusProbationary, Joined: Date{2025, 12, 1}},
		{Name: "乙", Status: StatusProbationary, Joined: Date{2025, 3, 1}}, // due long ago
		{Name: "丙", Status: StatusFull, Joined: Date{2025, 12, 1}},
		{Name: "丁", Status: StatusProbationary},
	}
	if got := upcomingProbations(members, nov20); len(got) != 1 || got[0] != "甲 12月1日" {
		t.Errorf("upcomingProbations = %q", got)
	}
	for _, tc := range []struct {
		r    Risk
		want string
	}{
		{Risk{NoMeeting: 2}, "连续 2 个月未参加组织生活"},
		{Risk{NoDues: 3}, "连续 3 个月未交党费"},
		{Risk{NoMeeting: 5, NoDues: 2}, "连续 5 个月未参加组织生活，连续 2 个月未交党费"},
		{Risk{NoMeeting: 1, NoDues: 1}, ""},
	} {
		if got := tc.r.Reason(); got != tc.want {
			t.Errorf("%+v.Reason() = %q, want %q", tc.r, got, tc.want)
		}
	}
	secretaries := []Member{{UserID: "c", Role: RoleCommittee}, {UserID: "s", Role: RoleSecretary}, {UserID: "m", Role: RoleMember}}
	if got := leadersOf(secretaries); len(got) != 1 || got[0] != "s" {
		t.Errorf("leadersOf = %v", got)
	}
	if got := leadersOf(secretaries[:1]); len(got) != 1 || got[0] != "c" {
		t.Errorf("leadersOf without a secretary = %v", got)
	}
}

func TestMessageHelpers(t *testing.T) {
	at := time.Unix(1763600000, 0)
	keys := []struct {
		msg  Message
		want string
	}{
		{Message{MsgID: "42"}, "msg:42"},
		{Message{MsgID: "0", From: "m1", Time: at, Event: "click", EventKey: "签到"}, "evt:m1|1763600000|click|签到|"},
		{Message{From: "m1", Time: at, Event: "template_card_event", EventKey: "k", TaskID: "t"}, "evt:m1|1763600000|template_card_event|k|t"},
	}
	for _, tc := range keys {
		if got := tc.msg.DedupeKey(); got != tc.want {
			t.Errorf("DedupeKey = %q, want %q", got, tc.want)
		}
	}
	meetings := []struct {
		msg  Message
		want string
	}{
		{Message{EventKey: "meeting_signin:20261120-abc"}, "20261120-abc"},
		{Message{EventKey: "meeting_signin", TaskID: "mtg_tech_20261120-abc"}, "20261120-abc"},
		{Message{EventKey: "meeting_signin"}, ""},
	}
	for _, tc := range meetings {
		if got := clickedMeetingID(tc.msg, "tech"); got != tc.want {
			t.Errorf("clickedMeetingID(%+v) = %q, want %q", tc.msg, got, tc.want)
		}
	}
	to := make([]string, 2500)
	for i := range to {
		to[i] = "u"
	}
	parts := Notice{To: to, Text: "x"}.Split()
	if len(parts) != 3 || len(parts[0].To) != 1000 || len(parts[2].To) != 500 || parts[2].Text != "x" {
		t.Errorf("Split into %d parts", len(parts))
	}
	if got := (Card{LegacyButtonText: "签到", LegacyButtonKey: "meeting_signin"}).ButtonList(); len(got) != 1 || got[0].Key != "meeting_signin" {
		t.Errorf("legacy button %+v", got)
	}
	if got := (Card{Buttons: []Button{{Text: "a"}}, LegacyButtonKey: "old"}).ButtonList(); len(got) != 1 || got[0].Text != "a" {
		t.Errorf("buttons %+v", got)
	}
	if !(Reply{}).Empty() || (Reply{ReplaceButton: "x"}).Empty() || (Reply{Text: "x"}).Empty() {
		t.Error("Reply.Empty")
	}
	for s, want := range map[AttendanceStatus]string{Present: "到会", Excused: "请假", Absent: "缺席", "late": "late"} {
		if got := s.Label(); got != want {
			t.Errorf("%q.Label() = %q", s, got)
		}
	}
	if got := (Meeting{Type: MeetingLecture, Title: "<b>党史</b>"}).Label(); got != "党课「＜b＞党史＜/b＞」" {
		t.Errorf("meeting label %q", got)
	}
	if got := (Photo{}).FileName(Meeting{BranchID: "tech", ID: "m1"}, 2); got != "tech-m1-2.jpg" {
		t.Errorf("photo file name %q", got)
	}
	if code := newCode(); len(code) != 4 || strings.Trim(code, "0123456789") != "" {
		t.Errorf("sign-in code %q", code)
	}
}

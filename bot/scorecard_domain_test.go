package bot_test

// 成绩单 on real Redis: a 联合党委 of three companies — the home corp (技术,
// 运维 and 空支部), partner (a single-company branch) and idle (no branch)
// — with a joint branch whose members come from home and partner.

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

var unionCompanies = []bot.Company{{ID: "", Name: "某某科技公司"}, {ID: "partner", Name: "合作网络公司"}, {ID: "idle", Name: "闲置公司"}}

// unionWorld adds to the org a joint branch (a home secretary, two partner
// members) and partner's own branch, and names the companies.
func unionWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t, friday, func(d *bot.Deps) { d.Companies = unionCompanies })
	since := bot.Date{Year: 2024, Month: 1, Day: 1}
	if err := w.s.SaveBranches(t.Context(), []bot.Branch{
		{ID: "joint", Name: "青年创客联合党支部", Since: since},
		{ID: "pnet", Name: "合作网络党支部", Company: "partner", Since: since},
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.s.SaveMembers(t.Context(), []bot.Member{
		{UserID: "jsec", Name: "联书记", BranchID: "joint", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
		{UserID: "partner/j1", Name: "联甲", BranchID: "joint", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
		{UserID: "partner/j2", Name: "联乙", BranchID: "joint", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2026, Month: 3, Day: 1}, Active: true},
		{UserID: "partner/p1", Name: "网书记", BranchID: "pnet", Role: bot.RoleSecretary, Status: bot.StatusFull, Active: true},
		{UserID: "partner/p2", Name: "网甲", BranchID: "pnet", Role: bot.RoleMember, Status: bot.StatusFull, Active: true},
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// activity: partner's branch holds a 主题党日 and collects a month's dues;
// the joint branch holds a 党课 (one absent: a 补学) and sends an
// announcement one partner member acknowledges; each company registers an
// applicant. Nothing happens in the home corp's own branches.
func (w *world) unionActivity() {
	w.t.Helper()
	wantHas(w.t, w.say("partner/p1", "会议 主题党日"), "签到码：2468")
	wantHas(w.t, w.say("partner/p2", "签到 2468"), "会议签到成功")
	wantHas(w.t, w.say("partner/p1", "结束会议"), "已结束")
	wantHas(w.t, w.say("partner/p1", "党费 设置 @p1 30"), "30")
	wantHas(w.t, w.say("partner/p1", "党费 已交"), "已登记")
	wantHas(w.t, w.say("jsec", "会议 党课"), "签到码：2468")
	wantHas(w.t, w.say("partner/j1", "签到 2468"), "会议签到成功")
	wantHas(w.t, w.say("jsec", "结束会议"), "已结束")
	w.say("jsec", "公告 联合支部通知\n周五开会")
	wantHas(w.t, w.say("jsec", "发送"), "已发送公告 #1 给 2 名党员")
	wantButton(w.t, w.click("partner/j1", "ann_ack:joint:1"), "已收到")
	wantHas(w.t, w.say("sec", "发展 申请人 @x1 张三 2026-11-02"), "入党申请人")
	wantHas(w.t, w.say("partner/p1", "发展 申请人 @y1 李四 2026-11-03"), "入党申请人")
}

func TestScorecardCountsPerCompanyAndBranch(t *testing.T) {
	w := unionWorld(t)
	w.unionActivity()
	month := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	sc, err := w.b.Scorecard(t.Context(), month)
	if err != nil {
		t.Fatal(err)
	}
	// Order: no branch first, then nothing this month (the home corp's own
	// branches held nothing: the joint 党课 counts under 联合支部), then the rest.
	var names []string
	for _, c := range sc.Companies {
		names = append(names, c.Company.Name)
	}
	if want := []string{"闲置公司", "某某科技公司", "合作网络公司"}; !slices.Equal(names, want) {
		t.Fatalf("companies %v, want %v", names, want)
	}
	obligations := func(branch string) (owed, held int) {
		obs, err := w.b.Obligations(t.Context(), branch, w.now)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			owed++
			if o.Done > 0 {
				held++
			}
		}
		return owed, held
	}
	techOwed, _ := obligations("tech")
	opsOwed, _ := obligations("ops")
	soloOwed, _ := obligations("solo")
	pnetOwed, pnetHeld := obligations("pnet")
	jointOwed, jointHeld := obligations("joint")
	if pnetHeld != 1 || jointHeld != 1 {
		t.Fatalf("held: pnet %d, joint %d; want the 主题党日 and the 党课 to count", pnetHeld, jointHeld)
	}
	idle, home, partner := sc.Companies[0], sc.Companies[1], sc.Companies[2]
	for _, tc := range []struct {
		name string
		got  bot.CompanyScore
		want bot.CompanyScore
	}{
		{"idle", idle, bot.CompanyScore{Company: unionCompanies[2]}},
		// 技术 4 正式 + 1 预备, 运维 2, the joint secretary; 学时 tallied for all 8.
		{"home", home, bot.CompanyScore{Company: unionCompanies[0], Branches: 3, JointBranches: 1, ScoreCounts: bot.ScoreCounts{
			Full: 7, Probationary: 1, Pipeline: map[bot.DevStage]int{bot.StageApplicant: 1},
			Duties: techOwed + opsOwed + soloOwed, Hours: 8,
		}}},
		// pnet's two, the joint branch's two; one 主题党日; 30 yuan of 2
		// member-months; one of the joint announcement's two acknowledged.
		{"partner", partner, bot.CompanyScore{Company: unionCompanies[1], Branches: 1, JointBranches: 1, ScoreCounts: bot.ScoreCounts{
			Full: 3, Probationary: 1, Pipeline: map[bot.DevStage]int{bot.StageApplicant: 1},
			Duties: pnetOwed, DutiesHeld: 1, Meetings: 1, Hours: 4,
			DuesOwed: 2, DuesPaid: 1, DuesAmount: 3000, Notified: 2, Acked: 1,
		}}},
	} {
		got, want := tc.got, tc.want
		got.HoursOnPace, want.HoursOnPace = 0, 0 // nobody studied: no one at the year's pace
		if tc.got.HoursOnPace != 0 || !sameScore(got, want) {
			t.Errorf("%s: got %+v\nwant %+v", tc.name, tc.got, tc.want)
		}
	}
	// The joint branch's meetings are 联合支部's, not split by company.
	if sc.JointBranches != 1 || sc.Joint.Duties != jointOwed || sc.Joint.DutiesHeld != 1 || sc.Joint.Meetings != 1 || sc.Joint.Makeups != 1 || sc.Joint.MakeupsDone != 0 {
		t.Errorf("joint: %d branches, %+v", sc.JointBranches, sc.Joint)
	}
	byID := map[string]bot.BranchScore{}
	for _, s := range sc.Branches {
		byID[s.Branch.ID] = s
	}
	if j := byID["joint"]; !j.Joint || j.Full != 2 || j.Probationary != 1 || j.Notified != 2 || j.Acked != 1 || j.Makeups != 1 {
		t.Errorf("joint branch: %+v", j)
	}
	if p := byID["pnet"]; p.Joint || p.Company != "partner" || p.Full != 2 || p.DutiesHeld != 1 || p.DuesPaid != 1 {
		t.Errorf("partner's branch: %+v", p)
	}
	if tech := byID["tech"]; tech.Joint || tech.Company != "" || tech.Full != 4 || tech.Probationary != 1 || tech.InPipeline() != 1 {
		t.Errorf("tech: %+v", tech)
	}

	// The admin's command: the text names both companies and every branch,
	// with no member's name; the workbook follows as an export request.
	r := w.say("boss", "成绩单")
	wantHas(t, r, "成绩单·本月（11月1日–11月30日，截至 11月20日）", "3 家企业、5 个支部（联合支部 1 个）",
		"【闲置公司】⚠️无支部：本企业党员尚未编入任何支部\n【某某科技公司】⚠️本期无活动；支部 3，联合 1", "【合作网络公司】支部 1，联合 1",
		"党员 3·预备 1·发展 1（入党申请人 1）", "党费 1/2 30 元·公告 1/2", "【联合支部 1 个】会议 1/",
		"· 青年创客联合党支部〔联合〕", "· 合作网络党支部〔合作网络公司〕")
	for _, name := range []string{"联甲", "联乙", "网书记", "张三", "李四", "书记"} {
		if strings.Contains(strings.ReplaceAll(r.Text, "支部", ""), name) {
			t.Errorf("the 成绩单 names %s:\n%s", name, r.Text)
		}
	}
	if parts := bot.SplitText(r.Text, bot.MaxMessageBytes); len(parts) > 2 {
		t.Errorf("%d messages", len(parts))
	}
	if len(r.Notices) != 1 || r.Notices[0].File == nil || r.Notices[0].File.Export == nil || !r.Notices[0].File.Export.Scorecard ||
		r.Notices[0].File.Export.For != "boss" || r.Notices[0].File.Name != "成绩单-2026-11-01-2026-11-30.xlsx" {
		t.Fatalf("notices %+v", r.Notices)
	}
	if err := w.b.CheckExport(t.Context(), *r.Notices[0].File.Export); err != nil {
		t.Fatalf("the admin's 成绩单 refused at delivery: %v", err)
	}
	// A secretary's request (one queued before they lost admin, say) is refused.
	exp := *r.Notices[0].File.Export
	exp.For, exp.Branch = "sec", "tech"
	if err := w.b.CheckExport(t.Context(), exp); err == nil {
		t.Fatal("a secretary's 成绩单 passed the delivery check")
	}

	var buf bytes.Buffer
	if err := workbook.WriteScorecard(&buf, sc); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if got := f.GetSheetList(); !slices.Equal(got, workbook.ScorecardSheets) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := f.GetRows(workbook.ScoreMeetings)
	if err != nil {
		t.Fatal(err)
	}
	// Header, three companies, five branches, 联合支部.
	if len(rows) != 1+3+5+1 || rows[1][1] != "闲置公司（无支部）" || rows[9][0] != "联合支部" {
		t.Errorf("会议 sheet rows: %q", rows)
	}
}

// sameScore compares company rows (maps included).
func sameScore(a, b bot.CompanyScore) bool {
	for _, st := range bot.PipelineStages {
		if a.Pipeline[st] != b.Pipeline[st] {
			return false
		}
	}
	a.Pipeline, b.Pipeline = nil, nil
	return reflect.DeepEqual(a, b)
}

func TestScorecardPeriodsAndAccess(t *testing.T) {
	w := unionWorld(t)
	for _, tc := range []struct {
		from, text string
		want       []string
	}{
		{"sec", "成绩单", []string{"“成绩单”只有党委管理员可以使用。"}},
		{"partner/p1", "scorecard", []string{"“成绩单”只有党委管理员可以使用。"}},
		{"boss", "成绩单 本季度", []string{"成绩单·本季度（10月1日–12月31日，截至 11月20日）"}},
		{"boss", "scorecard year", []string{"成绩单·本年（1月1日–12月31日，截至 11月20日）"}},
		{"boss", "成绩单 quarter", []string{"成绩单·本季度"}},
		{"boss", "成绩单 明年", []string{"用法：成绩单 [本月|本季度|本年]"}},
	} {
		r := w.say(tc.from, tc.text)
		wantHas(t, r, tc.want...)
		if refused := !strings.HasPrefix(r.Text, "成绩单·"); refused && len(r.Notices) > 0 {
			t.Errorf("%s %q: refused but sent %+v", tc.from, tc.text, r.Notices)
		}
	}
}

func TestScorecardInAdminsWeeklyDigestOnly(t *testing.T) {
	w := unionWorld(t)
	w.unionActivity()
	w.now = time.Date(2026, 11, 22, 20, 0, 0, 0, beijing) // Sunday evening
	outs := w.job(bot.JobWeeklySummary)
	digest := keyed(t, outs, "org:0")
	if !slices.Equal(digest.To, []string{"boss"}) {
		t.Fatalf("digest to %v", digest.To)
	}
	for _, want := range []string{"**成绩单·本月（截至 11月22日）**", "> 闲置公司：<font color=\"warning\">无支部</font>\n",
		"> 某某科技公司：<font color=\"warning\">本期无活动</font>；党员 7·预备 1", "> 合作网络公司：党员 3·预备 1·会议 1/", "党费 1/2·公告 1/2", "> 联合支部 1 个：会议 1/"} {
		if !strings.Contains(digest.Markdown, want) {
			t.Errorf("digest lacks %q:\n%s", want, digest.Markdown)
		}
	}
	if len(digest.Markdown) > bot.MaxMessageBytes {
		t.Errorf("digest of %d bytes", len(digest.Markdown))
	}
	for _, o := range outs {
		if o.Key != "org:0" && (strings.Contains(o.Notice.Markdown, "成绩单") || strings.Contains(o.Notice.Text, "成绩单")) {
			t.Errorf("%s carries the 成绩单: %s%s", o.Key, o.Notice.Markdown, o.Notice.Text)
		}
	}
}

// A large org's 成绩单 stays within two messages: the branch lines that do
// not fit are left to the workbook, and the text says so.
func TestScorecardTextFitsTwoMessages(t *testing.T) {
	w := unionWorld(t)
	var many []bot.Branch
	for i := range 80 {
		many = append(many, bot.Branch{ID: fmt.Sprintf("b%02d", i), Name: fmt.Sprintf("第%d党支部", i+1)})
	}
	if err := w.s.SaveBranches(t.Context(), many); err != nil {
		t.Fatal(err)
	}
	r := w.say("boss", "成绩单")
	if parts := bot.SplitText(r.Text, bot.MaxMessageBytes); len(parts) != 2 {
		t.Errorf("%d messages, want 2", len(parts))
	}
	wantHas(t, r, "【闲置公司】", "【合作网络公司】", "行，见 Excel）", "Excel 随后发给你。")
	if len(r.Notices) != 1 || r.Notices[0].File == nil {
		t.Fatalf("no workbook: %+v", r.Notices)
	}
}

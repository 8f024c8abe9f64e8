package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
	"github.com/partybot/partybot/bot/workbook"
)

// 成绩单 end to end: an admin of a two-company 联合党委 asks through a
// signed callback; the reply lists both companies and the workbook, built
// when the outbox delivers it (the export path, rights checked), has a
// sheet a measure.
func TestScorecardListsBothCompanies(t *testing.T) {
	t.Parallel()
	e := startBranch(t, func(c *Config) {
		c.WeCom.Name = "某某科技公司"
		c.Corps = []CorpConfig{{ID: "partner", Name: "合作网络公司", CorpID: "wwpartner0000001", AgentID: 2000002,
			Secret: "partner-secret", Token: "partnertoken", EncodingAESKey: wecomtest.AESKey}}
		c.Org.Branches = append(c.Org.Branches,
			BranchConfig{ID: "joint", Name: "青年创客联合党支部", Secretaries: []string{"jsec"}, Members: []string{"jsec", "partner/j1"}},
			BranchConfig{ID: "pnet", Name: "合作网络党支部", Company: "partner", Secretaries: []string{"partner/p1"}, Members: []string{"partner/p1", "partner/p2"}})
	})
	ctx := t.Context()
	// Branches the bot has known for years, as seedBranch dates tech.
	var dated []bot.Branch
	for _, br := range e.app.Config.org().Branches[1:] {
		br.Since = bot.Date{Year: 2024, Month: 1, Day: 1}
		dated = append(dated, br)
	}
	if err := e.app.Store.SaveBranches(ctx, dated); err != nil {
		t.Fatal(err)
	}
	// partner's 党费 this month: one of its two members has paid.
	if _, _, err := e.app.Store.RecordDues(ctx, "pnet", bot.DuesPayment{UserID: "partner/p1", Month: "2026-11", Amount: 5000, At: e.clock.Now(), By: "partner/p1", Via: "self"}); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"zhangsan", "成绩单", "“成绩单”只有党委管理员可以使用。"},
		{"admin1", "成绩单", "成绩单·本月（11月1日–11月30日，截至 11月20日）"},
	})
	reply := e.lastReply(t)
	for _, want := range []string{"2 家企业、3 个支部（联合支部 1 个）", "【某某科技公司】", "【合作网络公司】", "党费 1/2 50 元",
		"· 青年创客联合党支部〔联合〕", "· 合作网络党支部〔合作网络公司〕", "· 技术党支部〔某某科技公司〕党员 4·预备 1"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply lacks %q:\n%s", want, reply)
		}
	}
	if strings.Contains(reply, "张三") || strings.Contains(reply, "李四") {
		t.Errorf("the 成绩单 names a member:\n%s", reply)
	}
	var name string
	var data []byte
	waitFor(t, "the 成绩单 workbook", func() bool {
		var ok bool
		name, data, ok = e.fake.FileSentTo("admin1")
		return ok
	})
	if name != "成绩单-2026-11-01-2026-11-30.xlsx" {
		t.Errorf("file %q", name)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if got := f.GetSheetList(); !slices.Equal(got, workbook.ScorecardSheets) {
		t.Fatalf("sheets %v, want %v", got, workbook.ScorecardSheets)
	}
	rows := sheetRows(t, f, workbook.ScoreDues)
	var companies []string
	for _, r := range rows[1:] {
		if r[0] == "企业" {
			companies = append(companies, r[2])
		}
	}
	slices.Sort(companies)
	if want := []string{"合作网络公司", "某某科技公司"}; !slices.Equal(companies, want) {
		t.Errorf("党费 sheet's companies %v, want %v (rows %q)", companies, want, rows)
	}
	for _, r := range rows[1:] {
		if r[0] == "企业" && r[2] == "合作网络公司" && (r[3] != "2" || r[4] != "1" || r[6] != "50") {
			t.Errorf("partner's dues row %q", r)
		}
	}
	layout, err := f.GetPageLayout(workbook.ScoreMembers)
	if err != nil || layout.Size == nil || *layout.Size != 9 {
		t.Errorf("党员 sheet not set up for A4: %+v %v", layout, err)
	}
	// No other file and nothing to anyone else: the 成绩单 is the admin's.
	time.Sleep(100 * time.Millisecond)
	if _, _, ok := e.fake.FileSentTo("zhangsan"); ok {
		t.Error("a secretary received a workbook")
	}
}

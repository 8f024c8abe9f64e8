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

// Through signed callbacks: someone the sync found is not a member until
// 确认; a member leaves by 转出 and 转出 完成; another arrives by 转入;
// each is audited.
func TestConfirmAndTransfersInChat(t *testing.T) {
	e := startBranch(t)
	cfg := e.app.Config
	cfg.Org.Branches[0].DepartmentIDs = []int{10}
	e.fake.SetDepartment(10, []wecomtest.DirectoryUser{{UserID: "zhangsan", Name: "张三"}, {UserID: "lisi", Name: "李四"}, {UserID: "qunzhong", Name: "孙群"}})
	if code, out := cli(t, "roster", "sync", "-config", writeConfig(t, cfg)); code != 0 || !strings.Contains(out, "1 to confirm (待确认)") {
		t.Fatalf("sync: %d\n%s", code, out)
	}
	e.run(t, []step{
		{"qunzhong", "签到", "不在党建助手的党员名册中"},
		{"zhangsan", "名单", "待确认 1 人"},
		{"lisi", "确认 @qunzhong 正式党员", "只有支部书记、支委或党委管理员可以使用"},
		{"zhangsan", "确认 @qunzhong 正式党员", "已确认 孙群 为正式党员"},
		{"qunzhong", "签到", "签到成功"},
		{"zhangsan", "转出 @lisi 北京市某街道党工委", "已将 李四 标为待转出"},
		{"zhangsan", "名单", "李四 @lisi（去向：北京市某街道党工委，11月20日起）"},
		{"zhangsan", "转出 完成 @lisi", "已转出完成"},
		{"lisi", "签到", "不在党建助手的党员名册中"},
		{"zhangsan", "转入 @zhouba 周八 预备党员 来自上海某公司党支部", "已将 周八 转入本支部（预备党员，来自 上海某公司党支部）"},
		{"zhouba", "签到", "签到成功"},
	})
	entries, err := e.app.Store.AuditEntries(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][2]string{{"member.confirm", "qunzhong"}, {"transfer.out", "lisi"}, {"transfer.done", "lisi"}, {"transfer.in", "zhouba"}} {
		if !slices.ContainsFunc(entries, func(a bot.AuditEntry) bool {
			return a.Action == want[0] && a.Target == want[1] && a.Actor == "zhangsan"
		}) {
			t.Errorf("no audit entry %s of %s by zhangsan", want[0], want[1])
		}
	}
}

// November's ledger, exported in December, still lists a member whose
// transfer was received in December, with their November records.
func TestLedgerKeepsWhoLeftAfterThePeriod(t *testing.T) {
	e := startAnnounce(t)
	ledgerRecords(t, e)
	e.clock.Set(time.Date(2026, 12, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	e.run(t, []step{
		{"zhangsan", "转出 @lisi 北京市某街道党工委", "已将 李四 标为待转出"},
		{"zhangsan", "转出 完成 @lisi", "已转出完成"},
		{"zhangsan", "导出 上月", "2026-11-01 至 2026-11-30"},
	})
	var data []byte
	waitFor(t, "the workbook as a file message", func() bool {
		var ok bool
		_, data, ok = e.fake.FileSentTo("zhangsan")
		return ok
	})
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, c := range []struct {
		sheet string
		cells []string
	}{
		{workbook.SheetRoster, []string{"李四", "lisi", "党员", "1", "30", "1"}},
		{workbook.SheetStudy, []string{"李四", "党章第一章", "30"}},
		{workbook.SheetDues, []string{"李四", "lisi", "50"}},
	} {
		if rowWith(sheetRows(t, f, c.sheet), c.cells...) == nil {
			t.Errorf("%s has no row with %v:\n%v", c.sheet, c.cells, sheetRows(t, f, c.sheet))
		}
	}
}

package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// 党费 through signed callbacks: amounts, payment, proxy and back-payment
// limits, status, the year table, and the collection-day reminder going to
// the unpaid only, once.
func TestDuesThroughCallbacks(t *testing.T) {
	t.Parallel()
	e := startBranch(t) // Friday 2026-11-20
	e.run(t, []step{
		{"lisi", "党费 设置 @wangwu 5", "只有支部书记、支委"},
		{"zhangsan", "党费 设置 @lisi 12.345", "最多两位小数"},
		{"zhangsan", "党费 设置 @lisi 0", "正数"},
		{"zhangsan", "党费 设置 @nobody 5", "找不到党员"},
		{"zhangsan", "党费 设置 @lisi 50", "已设置 李四 的月党费：50 元"},
		{"zhangsan", "党费 设置 @wangwu 12.5", "12.50 元"},
		{"lisi", "党费", "你的月党费：50 元"},
		{"lisi", "党费 已交", "已登记 2026年11月党费 50 元"},
		{"lisi", "党费 已交", "2026年11月的党费已登记"},
		{"lisi", "党费 已交 2027-06", "2027年6月还没到：最多可提前 6 个月预交。"},
		{"lisi", "党费 已交 2027-01", "已登记 2027年1月党费 50 元 ✅（预交）"},
		{"lisi", "党费 已交 2026-04", "已超过 6 个月"},
		{"lisi", "党费 已交 5月", "已登记 2026年5月党费 50 元"},
		{"lisi", "党费 补交 @wangwu 2026-06", "只有支部书记、支委"},
		{"zhangsan", "党费 补交 @wangwu 2026-06", "已为 王五 登记 2026年6月党费 12.50 元（已记入审计）"},
		{"zhangsan", "党费 补交 @wangwu 2026-03", "已超过 6 个月"},
		{"lisi", "党费", "已预交：2027年1月。"},
		{"zhangsan", "党费 状态", "2026年11月党费：已交 1/5 人，50/62.50 元"},
		{"zhangsan", "党费 乱写", "用法：党费"},
	})
	if !strings.Contains(e.last, "用法") {
		t.Fatal(e.last)
	}
	e.run(t, []step{{"zhangsan", "党费 状态", "未交："}})
	if !strings.Contains(e.last, "王五（12.50元）") || strings.Contains(e.last, "李四（") {
		t.Fatalf("status %q", e.last)
	}
	entries, err := e.app.Store.AuditEntries(t.Context(), 20)
	if err != nil || !slices.ContainsFunc(entries, func(a bot.AuditEntry) bool { return a.Action == "dues.proxy" && a.Target == "wangwu" }) {
		t.Fatalf("no dues.proxy audit entry: %v %v", entries, err)
	}

	// December: lisi pays early; on the 5th the other four get one card.
	e.clock.Set(time.Date(2026, 12, 3, 10, 0, 0, 0, cst))
	e.run(t, []step{{"lisi", "党费 已交", "2026年12月"}})
	e.fake.Reset()
	fifth := time.Date(2026, 12, 5, 9, 15, 0, 0, cst)
	e.clock.Set(fifth)
	e.fire(t, bot.JobDuesReminder, fifth.Add(-24*time.Hour)) // the 4th: not the collection day
	e.fire(t, bot.JobDuesReminder, fifth)
	e.fire(t, bot.JobDuesReminder, fifth.Add(time.Hour)) // a second fire that day
	var to []string
	for _, c := range e.sent("template_card") {
		to = append(to, c["touser"].(string))
	}
	if !slices.Equal(to, []string{"qianqi|wangwu|zhangsan|zhaoliu"}) {
		t.Fatalf("dues cards went to %v, want the four unpaid once", to)
	}
	_, keys, ok := e.fake.CardButtons("wangwu", "dues_paid:")
	if !ok || keys[0] != "dues_paid:2026-12" {
		t.Fatalf("card keys %v", keys)
	}
	if got := e.clickCard(t, "wangwu", keys[0]); got != "已登记" {
		t.Fatalf("card click: %q", got)
	}
	e.run(t, []step{
		{"zhangsan", "党费 状态", "已交 2/5 人"},
		{"zhangsan", "党费 年度", "2026年党费收缴（截至 12 月）"},
	})
	if !strings.Contains(e.last, "李四｜3｜150") || !strings.Contains(e.last, "王五｜2｜25") {
		t.Fatalf("year table %q", e.last)
	}
	// 张三 (the secretary) has paid nothing: the committee member sees it
	// in 预警, 张三 does not see their own line.
	e.run(t, []step{
		{"lisi", "预警", "只有支部书记"},
		{"zhangsan", "预警", "技术党支部 预警"},
	})
	if strings.Contains(e.last, "张三：") || !strings.Contains(e.last, "赵六：连续 6 个月未交党费") {
		t.Fatalf("the secretary's 预警:\n%s", e.last)
	}
	e.run(t, []step{{"wangwu", "预警", "张三：连续 6 个月未交党费"}})
}

// rules.dues_prepay_months: 0 forbids paying ahead, as before it existed.
func TestDuesPrepayOff(t *testing.T) {
	e := startBranch(t, func(c *Config) { c.Rules.DuesPrepayMonths = 0 })
	e.run(t, []step{
		{"lisi", "党费 已交 下月", "2026年12月还没到，不能提前登记。"},
		{"lisi", "党费 已交", "已登记 2026年11月党费"},
	})
}

// 党费 撤销 through signed callbacks: a payment made at 0 yuan, before the
// amount was set, is revoked and recorded again at the set amount.
func TestDuesRevokeThroughCallbacks(t *testing.T) {
	e := startBranch(t)
	e.run(t, []step{
		{"lisi", "党费 已交", "金额未设置"},
		{"lisi", "党费 撤销 @lisi 2026-11", "只有支部书记、支委"},
		{"zhangsan", "党费 设置 @lisi 50", "已设置"},
		{"zhangsan", "党费 撤销 @lisi 2026-11", "已撤销 李四 2026年11月的党费登记（0 元"},
		{"zhangsan", "党费 补交 @lisi 2026-11", "登记 2026年11月党费 50 元"},
		{"zhangsan", "党费 状态", "已交 1/5 人，50/50 元"},
	})
	entries, err := e.app.Store.AuditEntries(t.Context(), 20)
	if err != nil || !slices.ContainsFunc(entries, func(a bot.AuditEntry) bool { return a.Action == "dues.revoke" && a.Target == "lisi" }) {
		t.Fatalf("no dues.revoke audit entry: %v %v", entries, err)
	}
}

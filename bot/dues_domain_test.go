package bot_test

// 党费 end to end: amounts set by the secretary, payments confirmed by the
// member (typed or from the reminder card) or recorded for them, the
// month's and the year's tables, the collection-day reminder.

import (
	"slices"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func TestDuesFromAmountToYearTable(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()

	steps := []struct{ from, text, want string }{
		{"m1", "党费", "你的月党费：未设置（请向书记确认）\n未登记：5月、6月、7月、8月、9月、10月、11月。交了请发“党费 已交 [月份]”。"},
		{"m1", "党费 设置 @m2 5", "“党费 设置”只有支部书记、支委或党委管理员可以使用。"},
		{"m1", "党费 怎么交", "用法：党费（看自己的）｜党费 已交 [月份]｜书记：党费 设置 @userid 50｜党费 补交 @userid 2026-05｜党费 状态 [月份]｜党费 年度 [年]"},
		{"sec", "党费 设置 m1 50", "用法：党费 设置 @userid 50（金额为正数，最多两位小数）"},
		{"sec", "党费 设置 @m1", "用法：党费 设置 @userid 50（金额为正数，最多两位小数）"},
		{"sec", "党费 设置 @m1 五十", "金额要是正数，最多两位小数，例如 50 或 12.5。"},
		{"sec", "党费 设置 @ops2 50", "只有对方所在支部的书记、支委或党委管理员可以替他操作。"},
		{"sec", "党费 设置 @m1 50", "已设置 甲 的月党费：50 元。"},
		{"com", "党费 set @m3 12.5", "已设置 丙 的月党费：12.50 元。"},

		{"m1", "党费 已交", "已登记 2026年11月党费 50 元 ✅"},
		{"m1", "党费 交了", "2026年11月的党费已登记（50 元，11月20日）。"},
		{"m1", "党费 已交 2026-12", "2026年12月还没到，不能提前登记。"},
		{"m1", "党费 已交 2026-04", "2026年4月已超过 6 个月，按规定不能补交，请联系书记。"},
		{"m1", "党费 已交 12月", "2025年12月已超过 6 个月，按规定不能补交，请联系书记。"},
		{"m1", "党费 已交 上上月", "月份看不懂：“上上月”，请写 2026-05 或 5月。"},
		{"m1", "党费 已交 5月", "已登记 2026年5月党费 50 元 ✅"},
		{"m2", "党费 已交", "已登记 2026年11月党费 （金额未设置，请向书记确认） ✅"},

		{"sec", "党费 补交", "用法：党费 补交 @userid 2026-05"},
		{"sec", "党费 补交 @m3 2026-13", "月份看不懂：“2026-13”，请写 2026-05 或 5月。"},
		{"sec", "党费 补交 @m3 2026-10", "已为 丙 登记 2026年10月党费 12.50 元（已记入审计）。"},
		{"sec", "党费 代交 @m3 2026-10", "丙 2026年10月的党费已登记过（12.50 元）。"},

		{"sec", "党费 状态", "2026年11月党费：已交 2/5 人，50/62.50 元\n未交：支委（金额未设）、丙（12.50元）、书记（金额未设）"},
		{"sec", "党费 状态 2026-10", "2026年10月党费：已交 1/5 人，12.50/62.50 元\n未交：支委（金额未设）、甲（50元）、乙（金额未设）、书记（金额未设）"},
		{"sec", "党费 状态 2027-01", "用法：党费 状态 [月份]，例如 党费 状态 2026-05"},
		{"sec", "党费 年度", "2026年党费收缴（截至 11 月）\n姓名｜已交月数｜合计（元）\n支委｜0｜0\n甲｜2｜100\n乙｜1｜0\n丙｜1｜12.50\n书记｜0｜0\n合计 112.50 元"},
		{"sec", "党费 年度 2025年", "2025年党费收缴（截至 12 月）\n姓名｜已交月数｜合计（元）\n支委｜0｜0\n甲｜0｜0\n乙｜0｜0\n丙｜0｜0\n书记｜0｜0\n合计 0 元"},
		{"sec", "党费 年度 2027", "用法：党费 年度 [年]，例如 党费 年度 2026"},
		{"sec", "党费 年度 1999", "用法：党费 年度 [年]，例如 党费 年度 2026"},
		{"m3", "党费", "你的月党费：12.50 元\n未登记：5月、6月、7月、8月、9月、11月。交了请发“党费 已交 [月份]”。"},
	}
	for _, s := range steps {
		wantText(t, w.say(s.from, s.text), s.want)
	}
	if !w.audited("dues.set", "m1", "50") || !w.audited("dues.set", "m3", "12.50") || !w.audited("dues.proxy", "m3", "2026-10 12.50") {
		t.Fatal("setting and recording for another are not audited")
	}

	// The reminder card's button.
	wantButton(t, w.click("com", "dues_paid:2026-11"), "已登记")
	wantButton(t, w.click("m1", "dues_paid:2026-11"), "已登记")
	wantButton(t, w.click("com", "dues_paid:2020-01"), "已过期")
	paid, err := w.s.DuesPaid(ctx, "tech", []bot.Month{{Year: 2026, Month: 11}, {Year: 2026, Month: 10}})
	if err != nil {
		t.Fatal(err)
	}
	nov, oct := paid[bot.Month{Year: 2026, Month: 11}], paid[bot.Month{Year: 2026, Month: 10}]
	if nov["com"].Via != "card" || nov["m1"].Via != "self" || nov["m1"].Amount != 5000 || oct["m3"].Via != "proxy" || oct["m3"].By != "sec" || oct["m3"].Amount != 1250 {
		t.Fatalf("payments: November %+v, October %+v", nov, oct)
	}
	wantText(t, w.say("m1", "党费"), "你的月党费：50 元\n未登记：6月、7月、8月、9月、10月。交了请发“党费 已交 [月份]”。")
}

// On the collection day the unpaid get one card; a branch collecting on
// the 31st does so on a shorter month's last day; a manual run reminds now.
func TestDuesReminderOnCollectionDay(t *testing.T) {
	t.Parallel()
	w := newWorld(t, time.Date(2026, 12, 4, 9, 15, 0, 0, beijing))
	if outs := w.job(bot.JobDuesReminder); len(outs) != 0 {
		t.Fatalf("reminded before the day: %v", keysOf(outs))
	}
	w.now = time.Date(2026, 12, 5, 9, 0, 0, 0, beijing)
	w.say("m1", "党费 已交")
	w.now = w.now.Add(15 * time.Minute)
	outs := w.job(bot.JobDuesReminder)
	card := keyed(t, outs, "dues:tech:0")
	if len(outs) != 1 || !slices.Equal(card.To, []string{"com", "m2", "m3", "sec"}) || card.Card.Title != "2026年12月党费" ||
		!slices.Equal(card.Card.Buttons, []bot.Button{{Text: "已交", Key: "dues_paid:2026-12"}}) {
		t.Fatalf("reminder %+v of %v", card, keysOf(outs))
	}
	if again := w.job(bot.JobDuesReminder); !slices.Equal(keysOf(again), keysOf(outs)) {
		t.Fatalf("a retried run sent %v", keysOf(again))
	}
	w.now = w.now.Add(time.Hour)
	if later := w.job(bot.JobDuesReminder); len(later) != 0 {
		t.Fatalf("a second run the same day reminded again: %v", keysOf(later))
	}
	if manual := w.manual(bot.JobDuesReminder); !slices.Equal(keysOf(manual), []string{"dues:ops:0", "dues:tech:0"}) && !slices.Equal(keysOf(manual), []string{"dues:tech:0", "dues:ops:0"}) {
		t.Fatalf("a manual run sent %v, want every branch's unpaid", keysOf(manual))
	}

	w.now = time.Date(2026, 11, 30, 9, 15, 0, 0, beijing) // ops collects on the 31st
	outs = w.job(bot.JobDuesReminder)
	if ops := keyed(t, outs, "dues:ops:0"); !slices.Equal(ops.To, []string{"ops1", "ops2"}) || len(outs) != 1 {
		t.Fatalf("November's last day: %v", keysOf(outs))
	}
}

// 党费 may be paid ahead with the branch's consent (2008 规定), up to
// rules.dues_prepay_months: typed, from a card, or recorded by the
// secretary; the member's own view lists the prepaid months, the
// collection day skips them, and 预警 counts them as paid.
func TestDuesPaidInAdvance(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday, func(d *bot.Deps) { d.DuesPrepayMonths = 6 })
	steps := []struct{ from, text, want string }{
		{"sec", "党费 设置 @m1 50", "已设置 甲 的月党费：50 元。"},
		{"sec", "党费 设置 @m2 20", "已设置 乙 的月党费：20 元。"},
		{"m1", "党费 已交", "已登记 2026年11月党费 50 元 ✅"},
		{"m1", "党费 已交 下月", "已登记 2026年12月党费 50 元 ✅（预交）"},
		{"m1", "党费 已交 1月", "已登记 2027年1月党费 50 元 ✅（预交）"},
		{"m1", "党费 已交 2027-05", "已登记 2027年5月党费 50 元 ✅（预交）"},
		{"m1", "党费 已交 2027-06", "2027年6月还没到：最多可提前 6 个月预交。"},
		{"m1", "党费 已交 12月", "2026年12月的党费已登记（50 元，11月20日）。"},
		{"sec", "党费 补交 @m2 2027-02", "已为 乙 登记 2027年2月党费 20 元（预交，已记入审计）。"},
		{"m1", "党费", "你的月党费：50 元\n未登记：5月、6月、7月、8月、9月、10月。交了请发“党费 已交 [月份]”。\n已预交：12月、2027年1月、2027年5月。"},
	}
	for _, s := range steps {
		wantText(t, w.say(s.from, s.text), s.want)
	}
	wantButton(t, w.click("m1", "dues_paid:2027-02"), "已登记")
	wantButton(t, w.click("m1", "dues_paid:2027-06"), "已过期")
	for _, mo := range []string{"2027-03", "2027-04"} {
		w.say("m1", "党费 已交 "+mo)
	}

	w.now = time.Date(2026, 12, 5, 9, 15, 0, 0, beijing) // the collection day: m1 has paid December
	if card := keyed(t, w.job(bot.JobDuesReminder), "dues:tech:0"); slices.Contains(card.To, "m1") || !slices.Contains(card.To, "m2") {
		t.Fatalf("December's reminder went to %v", card.To)
	}
	w.now = time.Date(2027, 6, 1, 9, 0, 0, 0, beijing) // December to May were paid in November
	risks, err := w.b.Risks(t.Context(), orgBranches[0], w.now)
	if err != nil {
		t.Fatal(err)
	}
	owed := map[string]int{}
	for _, r := range risks {
		owed[r.Member.UserID] = r.NoDues
	}
	if owed["m1"] != 0 || owed["m2"] != 3 { // m2: February paid ahead, March to May not
		t.Fatalf("months owed %v", owed)
	}
}

// 党费 撤销 removes a month's payment (one at 0 yuan, made before the amount
// was set), audited with what it was; 补交 then records the right amount.
func TestDuesRevokeCorrectsAPayment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	steps := []struct{ from, text, want string }{
		{"m1", "党费 已交", "已登记 2026年11月党费 （金额未设置，请向书记确认） ✅"},
		{"m1", "党费 撤销 @m1 2026-11", "“党费 撤销”只有支部书记、支委或党委管理员可以使用。"},
		{"sec", "党费 撤销 @m1", "用法：党费 撤销 @userid 2026-05（撤销该月的党费登记，记入审计）"},
		{"sec", "党费 撤销 m1 2026-11", "用法：党费 撤销 @userid 2026-05（撤销该月的党费登记，记入审计）"},
		{"sec", "党费 撤销 @m1 明年", "月份看不懂：“明年”，请写 2026-05 或 5月。"},
		{"sec", "党费 撤销 @ops2 2026-11", "只有对方所在支部的书记、支委或党委管理员可以替他操作。"},
		{"sec", "党费 撤销 @m2 2026-11", "乙 2026年11月没有党费登记，无需撤销。"},
		{"sec", "党费 设置 @m1 50", "已设置 甲 的月党费：50 元。"},
		{"sec", "党费 补交 @m1 2026-11", "甲 2026年11月的党费已登记过（0 元）。"},
		{"sec", "党费 撤销 @m1 11月", "已撤销 甲 2026年11月的党费登记（0 元，已记入审计）。需要重新登记请发“党费 补交 @m1 2026-11”。"},
		{"sec", "党费 撤销 @m1 2026-11", "甲 2026年11月没有党费登记，无需撤销。"},
		{"sec", "党费 补交 @m1 2026-11", "已为 甲 登记 2026年11月党费 50 元（已记入审计）。"},
		{"sec", "党费 状态", "2026年11月党费：已交 1/5 人，50/50 元\n未交：支委（金额未设）、乙（金额未设）、丙（金额未设）、书记（金额未设）"},
	}
	for _, s := range steps {
		wantText(t, w.say(s.from, s.text), s.want)
	}
	if !w.audited("dues.revoke", "m1", "2026-11 0 元（self，m1 登记）") {
		t.Fatal("the revocation is not audited with what was removed")
	}
}

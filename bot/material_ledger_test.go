package bot_test

import (
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

// The ledger's 学习材料 sheet: a row per member a material went to, with
// when they studied it and their 心得, or 未学.
func TestMaterialSheetInTheLedger(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "学习材料 纪律处分条例 https://example.cn/rules 必学 学时 2")
	w.say("sec", "发送")
	w.say("m1", "已学 条例很重要")
	span := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	raw := w.ledgerCSV([]bot.Branch{orgBranches[0]}, span, workbook.SheetMaterial)
	rows := strings.Split(strings.TrimSpace(raw), "\n")
	if len(rows) != 1+len(techTo) {
		t.Fatalf("%d rows, want a header and one per member it went to:\n%s", len(rows), raw)
	}
	var studied, notYet int
	for _, r := range rows[1:] {
		switch {
		case strings.Contains(r, ",m1,") && strings.Contains(r, "条例很重要") && strings.Contains(r, "https://example.cn/rules"):
			studied++
		case strings.Contains(r, "未学"):
			notYet++
		}
	}
	if studied != 1 || notYet != len(techTo)-1 {
		t.Fatalf("studied %d, not yet %d:\n%s", studied, notYet, raw)
	}
}

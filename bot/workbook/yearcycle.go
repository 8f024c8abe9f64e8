package workbook

import (
	"time"

	"github.com/partybot/partybot/bot"
)

// talkSheet lists the span's 谈心谈话: the pair, the day and the notes. The
// notes are private to the two and the secretary; the workbook carries them
// because only leaders export it (导出 is a leader's command).
func talkSheet(when func(time.Time) any, nameIn func(bot.BranchLedger) func(string) string) sheet {
	cols := []column{{"支部", 14}, {"日期", 12}, {"谈话人", 10}, {"谈话对象", 10}, {"要点", 40}, {"登记时间", 18}}
	return sheet{name: SheetTalks, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		name := nameIn(b)
		for _, t := range b.Talks {
			if err := emit(b.Branch.Name, t.Date, name(t.A), name(t.B), bot.Plain(t.Notes), when(t.At)); err != nil {
				return err
			}
		}
		return nil
	}}
}

// rectifySheet lists the 整改 and 议定 items the span saw, open or done.
func rectifySheet(when func(time.Time) any, nameIn func(bot.BranchLedger) func(string) string) sheet {
	cols := []column{{"支部", 14}, {"编号", 6}, {"类别", 6}, {"事项", 36}, {"责任人", 10}, {"截止", 12}, {"状态", 8}, {"完成时间", 18}, {"完成说明", 30}, {"登记人", 10}}
	return sheet{name: SheetRectify, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		name := nameIn(b)
		for _, it := range b.Rectify {
			state, done := "未完成", any("")
			if it.Done {
				state, done = "已完成", when(it.DoneAt)
			}
			if err := emit(b.Branch.Name, it.No, it.Kind, bot.Plain(it.What), name(it.Owner), it.Due, state, done, bot.Plain(it.DoneNote), name(it.By)); err != nil {
				return err
			}
		}
		return nil
	}}
}

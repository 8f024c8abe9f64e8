package workbook

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
)

// The 成绩单's sheets, one a measure, in the workbook's order.
const (
	ScoreMembers  = "党员"
	ScoreDevelop  = "发展"
	ScoreMeetings = "会议"
	ScoreLearning = "补学与学时"
	ScoreDues     = "党费"
	ScoreAnnounce = "公告"
)

// ScorecardSheets are the 成绩单's sheet names, in order.
var ScorecardSheets = []string{ScoreMembers, ScoreDevelop, ScoreMeetings, ScoreLearning, ScoreDues, ScoreAnnounce}

// scoreRow is one row's key columns and its counts.
type scoreRow struct {
	kind, name, company string
	c                   bot.ScoreCounts
	branches            string // a company's branches: its own and joint ones
}

// scoreTable is one sheet of the 成绩单: its columns after the keys, which
// rows it has and each row's cells.
type scoreTable struct {
	name  string
	cols  []column
	rows  func(sc bot.Scorecard, rows []scoreRow) []scoreRow
	cells func(r scoreRow) []any
}

// percent is done of owed in whole percent, or "" when nothing was owed.
func percent(done, owed int) any {
	if owed == 0 {
		return ""
	}
	return done * 100 / owed
}

// scoreTables lays the 成绩单 out: people measures have a row per company
// and per branch; branch measures add the joint branches' row, and 公告
// the 全体 announcements'.
func scoreTables() []scoreTable {
	keys := []column{{"类别", 8}, {"名称", 18}, {"所属企业", 16}}
	all := func(_ bot.Scorecard, rows []scoreRow) []scoreRow { return rows }
	withJoint := func(sc bot.Scorecard, rows []scoreRow) []scoreRow {
		if sc.JointBranches == 0 {
			return rows
		}
		joint := scoreRow{kind: "联合支部", name: fmt.Sprintf("联合支部（%d 个）", sc.JointBranches), company: bot.JointLabel, c: sc.Joint}
		return append(rows, joint)
	}
	return []scoreTable{
		{name: ScoreMembers, cols: append(keys, column{"支部", 16}, column{"正式党员", 10}, column{"预备党员", 10}, column{"合计", 8}),
			rows: all, cells: func(r scoreRow) []any {
				return []any{r.branches, r.c.Full, r.c.Probationary, r.c.Full + r.c.Probationary}
			}},
		{name: ScoreDevelop, cols: append(keys, column{"入党申请人", 10}, column{"入党积极分子", 12}, column{"发展对象", 10}, column{"待审批", 8}, column{"合计", 8}),
			rows: all, cells: func(r scoreRow) []any {
				out := make([]any, 0, len(bot.PipelineStages)+1)
				for _, st := range bot.PipelineStages {
					out = append(out, r.c.Pipeline[st])
				}
				return append(out, r.c.InPipeline())
			}},
		{name: ScoreMeetings, cols: append(keys, column{"应开（期）", 10}, column{"已开", 8}, column{"逾期未开", 10}, column{"完成率%", 8}, column{"召开会议（次）", 14}),
			rows: withJoint, cells: func(r scoreRow) []any {
				return []any{r.c.Duties, r.c.DutiesHeld, r.c.DutiesOverdue, percent(r.c.DutiesHeld, r.c.Duties), r.c.Meetings}
			}},
		{name: ScoreLearning, cols: append(keys, column{"应补学", 8}, column{"已补学", 8}, column{"统计学时人数", 12}, column{"达到年度进度", 12}, column{"达到进度%", 10}),
			rows: withJoint, cells: func(r scoreRow) []any {
				if r.kind == "联合支部" { // 学时 belong to people: counted by their companies
					return []any{r.c.Makeups, r.c.MakeupsDone, "", "", ""}
				}
				return []any{r.c.Makeups, r.c.MakeupsDone, r.c.Hours, r.c.HoursOnPace, percent(r.c.HoursOnPace, r.c.Hours)}
			}},
		{name: ScoreDues, cols: append(keys, column{"应交（人·月）", 14}, column{"已交（人·月）", 14}, column{"收缴率%", 8}, column{"已交金额（元）", 14}),
			rows: all, cells: func(r scoreRow) []any {
				return []any{r.c.DuesOwed, r.c.DuesPaid, percent(r.c.DuesPaid, r.c.DuesOwed), r.c.DuesAmount.String()}
			}},
		{name: ScoreAnnounce, cols: append(keys, column{"应确认（人次）", 14}, column{"已确认", 8}, column{"确认率%", 8}),
			rows: func(sc bot.Scorecard, rows []scoreRow) []scoreRow {
				if sc.Org.Notified == 0 {
					return rows
				}
				return append(rows, scoreRow{kind: "全体", name: "全体公告", company: "", c: sc.Org})
			}, cells: func(r scoreRow) []any {
				return []any{r.c.Notified, r.c.Acked, percent(r.c.Acked, r.c.Notified)}
			}},
	}
}

// scoreRows are the companies' rows, in the 成绩单's order, then the
// branches', in the roster's.
func scoreRows(sc bot.Scorecard) []scoreRow {
	var rows []scoreRow
	for _, c := range sc.Companies {
		name := c.Company.Name
		if a := c.Attention(); a != "" {
			name += "（" + a + "）"
		}
		rows = append(rows, scoreRow{kind: "企业", name: name, company: c.Company.Name, c: c.ScoreCounts,
			branches: fmt.Sprintf("本企业 %d，联合 %d", c.Branches, c.JointBranches)})
	}
	for _, s := range sc.Branches {
		company := bot.JointLabel
		if !s.Joint {
			company = sc.CompanyName(s.Company)
		}
		rows = append(rows, scoreRow{kind: "支部", name: bot.Plain(s.Branch.Name), company: company, c: s.ScoreCounts})
	}
	return rows
}

// WriteScorecard writes the 成绩单 as a workbook, a sheet a measure, each
// set up for A4 like the ledger's.
func WriteScorecard(w io.Writer, sc bot.Scorecard) error {
	f := excelize.NewFile()
	fail := func(err error) error {
		_ = f.Close()
		return fmt.Errorf("workbook: 成绩单: %w", err)
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEF3FB"}, Pattern: 1}})
	if err != nil {
		return fail(err)
	}
	h := bot.Ledger{Span: sc.Span, Made: sc.At, Location: sc.Location}
	title := "成绩单·" + sc.Label
	rows := scoreRows(sc)
	for i, t := range scoreTables() {
		if i == 0 {
			err = f.SetSheetName("Sheet1", t.name)
		} else {
			_, err = f.NewSheet(t.name)
		}
		if err != nil {
			return fail(err)
		}
		cols := t.cols
		sh := sheet{name: t.name, cols: cols}
		if err := setUpPage(f, sh); err != nil {
			return fail(fmt.Errorf("%s: page setup: %w", t.name, err))
		}
		sw, err := f.NewStreamWriter(t.name)
		if err != nil {
			return fail(err)
		}
		for c, col := range cols {
			if err := sw.SetColWidth(c+1, c+1, col.width); err != nil {
				return fail(err)
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return fail(err)
		}
		head := make([]any, len(cols))
		for c, col := range cols {
			head[c] = excelize.Cell{StyleID: header, Value: col.name}
		}
		if err := sw.SetRow("A1", head); err != nil {
			return fail(err)
		}
		n := 1
		for _, r := range t.rows(sc, rows[:len(rows):len(rows)]) { // a sheet's extra row never lands in rows
			n++
			cells := append([]any{r.kind, r.name, r.company}, t.cells(r)...)
			cell, _ := excelize.CoordinatesToCellName(1, n)
			if err := sw.SetRow(cell, cells); err != nil {
				return fail(err)
			}
		}
		if n == 1 { // a table needs a row under its header
			n++
			if err := sw.SetRow("A2", []any{""}); err != nil {
				return fail(err)
			}
		}
		last, _ := excelize.CoordinatesToCellName(len(cols), n)
		if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: fmt.Sprintf("S%d", i+1), StyleName: "TableStyleLight1"}); err != nil {
			return fail(fmt.Errorf("%s: table: %w", t.name, err))
		}
		if err := f.SetHeaderFooter(t.name, titledHeaderFooter(title, h)); err != nil {
			return fail(fmt.Errorf("%s: header: %w", t.name, err))
		}
		if err := sw.Flush(); err != nil {
			return fail(err)
		}
	}
	if err := setTitledDocProps(f, title, "成绩单", h); err != nil {
		return fail(err)
	}
	if err := f.Write(w); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	return nil
}

package workbook_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

var cst = time.FixedZone("CST", 8*3600)

// branchLedger is a branch of four members with a check-in.
func branchLedger(id, name string) bot.BranchLedger {
	b := bot.BranchLedger{Branch: bot.Branch{ID: id, Name: name}}
	for _, m := range []struct{ id, name string }{{"zhangsan", "张三"}, {"lisi", "李四"}, {"wangwu", "王五"}, {"zhaoliu", "赵六"}} {
		b.Members = append(b.Members, bot.MemberStats{Member: bot.Member{UserID: m.id, Name: m.name, BranchID: id, Status: bot.StatusFull, Active: true}})
	}
	day := bot.Date{Year: 2026, Month: 11, Day: 20}
	b.Checkins = []bot.Checkin{{BranchID: id, UserID: "lisi", Day: day, At: time.Date(2026, 11, 20, 8, 30, 0, 0, cst)}}
	return b
}

// sheetPage is what a sheet's print setup should be.
type sheetPage struct {
	landscape bool
	pagesWide int
	titles    string // _xlnm.Print_Titles, without the sheet name
}

func TestWorkbookPrintSetup(t *testing.T) {
	month := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	quarter := bot.Span{From: bot.Date{Year: 2026, Month: 10, Day: 1}, To: bot.Date{Year: 2026, Month: 12, Day: 31}}
	made := time.Date(2026, 11, 20, 14, 0, 0, 0, cst)
	rows := "!$1:$1"
	cases := []struct {
		name        string
		span        bot.Span
		summaryOnly bool
		branches    []bot.BranchLedger
		owner       string // in the page header and the title, & escaped in the header
		ownerHeader string
		pages       map[string]sheetPage
	}{
		{
			name: "a branch's month", span: month, branches: []bot.BranchLedger{branchLedger("tech", "技术党支部")},
			owner: "技术党支部", ownerHeader: "技术党支部",
			pages: map[string]sheetPage{
				workbook.SheetSummary:  {true, 1, rows},
				workbook.SheetRoster:   {false, 1, rows},
				workbook.SheetCheckins: {true, 2, "!$A:$B,'签到记录'" + rows}, // 35 columns: 66%, not 36% on 1
				workbook.SheetStudy:    {true, 1, rows},
				workbook.SheetMeetings: {true, 2, "!$A:$C,'会议记录'" + rows},
				workbook.SheetAnnounce: {true, 1, rows},
				workbook.SheetLeave:    {true, 1, rows},
				workbook.SheetDues:     {false, 1, rows},
			},
		},
		{
			name: "two branches' quarter", span: quarter, branches: []bot.BranchLedger{branchLedger("tech", "技术党支部"), branchLedger("ops", "运维党支部")},
			owner: "技术党支部等 2 个支部", ownerHeader: "技术党支部等 2 个支部",
			pages: map[string]sheetPage{
				workbook.SheetCheckins: {true, 5, "!$A:$B,'签到记录'" + rows}, // 96 columns: 61%, not 49% on 4
				workbook.SheetDues:     {false, 1, rows},                  // three months still fit portrait
			},
		},
		{
			name: "the org's numbers", span: month, summaryOnly: true, branches: []bot.BranchLedger{branchLedger("tech", "技术党支部"), branchLedger("ops", "运维党支部"), branchLedger("hr", "人事党支部")},
			owner: "技术党支部等 3 个支部", ownerHeader: "技术党支部等 3 个支部",
			pages: map[string]sheetPage{workbook.SheetSummary: {true, 1, rows}},
		},
		{
			name: "an ampersand in the name", span: month, branches: []bot.BranchLedger{branchLedger("rd", "研发&测试党支部")},
			owner: "研发&测试党支部", ownerHeader: "研发&&测试党支部",
			pages: map[string]sheetPage{workbook.SheetRoster: {false, 1, rows}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := bot.Ledger{Span: tc.span, SummaryOnly: tc.summaryOnly, Made: made, Location: cst, Branches: tc.branches}
			if err := workbook.WriteXLSX(&buf, l); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			titles := map[string]string{}
			for _, dn := range f.GetDefinedName() {
				if dn.Name == "_xlnm.Print_Titles" {
					titles[dn.Scope] = dn.RefersTo
				}
			}
			if len(titles) != len(f.GetSheetList()) {
				t.Errorf("print titles %v, want one per sheet of %v", titles, f.GetSheetList())
			}
			for sheet, want := range tc.pages {
				if !slices.Contains(f.GetSheetList(), sheet) {
					t.Errorf("no sheet %s in %v", sheet, f.GetSheetList())
					continue
				}
				layout, err := f.GetPageLayout(sheet)
				if err != nil {
					t.Fatal(err)
				}
				orientation := "portrait"
				if want.landscape {
					orientation = "landscape"
				}
				if *layout.Orientation != orientation || *layout.Size != 9 || *layout.FitToWidth != want.pagesWide || *layout.FitToHeight != 0 {
					t.Errorf("%s: %s, paper %d, fit %d×%d pages; want %s A4 (9), %d wide, 0 (any) tall",
						sheet, *layout.Orientation, *layout.Size, *layout.FitToWidth, *layout.FitToHeight, orientation, want.pagesWide)
				}
				if props, err := f.GetSheetProps(sheet); err != nil || props.FitToPage == nil || !*props.FitToPage {
					t.Errorf("%s: fit to page not on (%v): the fit settings would be ignored", sheet, err)
				}
				if got, wantTitles := titles[sheet], "'"+sheet+"'"+want.titles; got != wantTitles {
					t.Errorf("%s: print titles %q, want %q", sheet, got, wantTitles)
				}
				hf, err := f.GetHeaderFooter(sheet)
				if err != nil || hf == nil {
					t.Fatalf("%s: no header and footer (%v)", sheet, err)
				}
				for _, part := range []string{"&L" + tc.ownerHeader + " 台账", "&C&A", "&R" + tc.span.String()} {
					if !strings.Contains(hf.OddHeader, part) {
						t.Errorf("%s: header %q lacks %q", sheet, hf.OddHeader, part)
					}
				}
				for _, part := range []string{"第 &P 页，共 &N 页", "导出于 2026-11-20 14:00"} {
					if !strings.Contains(hf.OddFooter, part) {
						t.Errorf("%s: footer %q lacks %q", sheet, hf.OddFooter, part)
					}
				}
			}
			props, err := f.GetDocProps()
			if err != nil {
				t.Fatal(err)
			}
			if wantTitle := tc.owner + " 台账 " + tc.span.String(); props.Creator != "partybot" || props.LastModifiedBy != "partybot" || props.Title != wantTitle {
				t.Errorf("doc props creator %q, last modified by %q, title %q; want partybot, partybot, %q", props.Creator, props.LastModifiedBy, props.Title, wantTitle)
			}
			if props.Created != "2026-11-20T06:00:00Z" {
				t.Errorf("created %q, want the export's time 2026-11-20T06:00:00Z", props.Created)
			}
			if app, err := f.GetAppProps(); err != nil || app.Application != "partybot" {
				t.Errorf("application %+v %v, want partybot", app, err)
			}
		})
	}
}

// The print setup changes no cell: the header row and the rows are the
// sheets' own.
func TestWorkbookPrintSetupKeepsContent(t *testing.T) {
	span := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 16}, To: bot.Date{Year: 2026, Month: 11, Day: 20}}
	var buf bytes.Buffer
	l := bot.Ledger{Span: span, Made: time.Date(2026, 11, 20, 14, 0, 0, 0, cst), Location: cst, Branches: []bot.BranchLedger{branchLedger("tech", "技术党支部")}}
	if err := workbook.WriteXLSX(&buf, l); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(workbook.SheetCheckins)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"支部", "姓名", "userid", "签到天数", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"}
	if len(rows) != 5 || !slices.Equal(rows[0], wantHeader) {
		t.Fatalf("签到记录 rows %v, want the header %v and 4 members", rows, wantHeader)
	}
	if want := []string{"技术党支部", "李四", "lisi", "1", "", "", "", "", "08:30"}; !slices.Equal(rows[2], want) {
		t.Errorf("李四's row %v, want %v", rows[2], want)
	}
}

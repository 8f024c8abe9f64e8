package workbook

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
)

// Secretaries print the ledger for inspections, on A4. Each sheet is set up
// so that a page stands on its own: the header row on every page, the
// branch and period in the page header, 第 x 页，共 y 页 in the footer.
const (
	paperA4 = 9 // the paper size code of A4 in SpreadsheetML

	// The printable width of A4 between 1 cm side margins, in the pixels
	// (1/96 inch) column widths come to: 8.27 and 11.69 inches less 0.8.
	portraitPixels  = 717
	landscapePixels = 1045

	// portraitShrink: a table may shrink to 90% to stay portrait; wider
	// ones turn the page.
	portraitShrink = 0.9
	// minPrintScale: below half size the text (5.5 pt) is unreadable on
	// paper, so a wider table goes onto more pages across instead, with
	// the columns that name a row repeated on each.
	minPrintScale = 0.5

	// printCreator is the workbook's author, instead of excelize's own.
	printCreator = "partybot"
)

// columnPixels is how wide a column prints at 100%: Excel's width is in
// digits of the default font (Calibri 11, 7 pixels) plus 5 pixels padding.
func columnPixels(width float64) float64 { return width*7 + 5 }

// pageLayout is how a sheet goes on paper.
type pageLayout struct {
	landscape bool
	pagesWide int // fit to this many pages across, as many down as it takes
}

// layoutFor picks the orientation and the pages across for a sheet: one
// page wide unless that would print the text at less than half size. On n
// pages across the key columns (k pixels) print n times, so the scale is
// n·L / (width + (n−1)·k); n is the least that keeps it at minPrintScale.
func layoutFor(sh sheet) pageLayout {
	var px, keys float64
	for i, c := range sh.cols {
		px += columnPixels(c.width)
		if i < rowKeys(sh.name) {
			keys += columnPixels(c.width)
		}
	}
	if px*portraitShrink <= portraitPixels {
		return pageLayout{pagesWide: 1}
	}
	wide := math.Ceil(minPrintScale * (px - keys) / (landscapePixels - minPrintScale*keys))
	return pageLayout{landscape: true, pagesWide: max(1, int(wide))}
}

// rowKeys is how many leading columns name a row (支部, 姓名…): they are
// repeated on every page across when a sheet prints more than one wide.
func rowKeys(sheet string) int {
	switch sheet {
	case SheetSummary:
		return 1
	case SheetStudy, SheetMeetings:
		return 3
	case SheetAnnounce:
		return 4
	}
	return 2
}

// printTitles is the _xlnm.Print_Titles formula: the header row, and the
// key columns when the sheet prints more than one page wide.
func printTitles(sheet string, l pageLayout) string {
	quoted := "'" + strings.ReplaceAll(sheet, "'", "''") + "'"
	rows := quoted + "!$1:$1"
	if l.pagesWide == 1 {
		return rows
	}
	last, _ := excelize.ColumnNumberToName(rowKeys(sheet))
	return quoted + "!$A:$" + last + "," + rows
}

// setUpPage sets a sheet's paper, orientation, fit, margins and print
// titles. It runs before the sheet's stream opens: the stream writes the
// sheet properties (fit to page) first.
func setUpPage(f *excelize.File, sh sheet) error {
	l := layoutFor(sh)
	fit := true
	if err := f.SetSheetProps(sh.name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	orientation, order := "portrait", "overThenDown" // a row's next columns on the next page
	if l.landscape {
		orientation = "landscape"
	}
	size, wide, tall := paperA4, l.pagesWide, 0 // 0: as many pages down as the rows need
	if err := f.SetPageLayout(sh.name, &excelize.PageLayoutOptions{Size: &size, Orientation: &orientation, FitToWidth: &wide, FitToHeight: &tall, PageOrder: &order}); err != nil {
		return err
	}
	side, edge, band := 0.4, 0.75, 0.3 // inches: 1 cm at the sides
	centered := true
	if err := f.SetPageMargins(sh.name, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side, Top: &edge, Bottom: &edge, Header: &band, Footer: &band, Horizontally: &centered}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: printTitles(sh.name, l), Scope: sh.name})
}

// ledgerOwner names whose ledger it is: the branch, or the first of
// several and how many.
func ledgerOwner(branches []string) string {
	switch len(branches) {
	case 0:
		return "党建"
	case 1:
		return branches[0]
	}
	return fmt.Sprintf("%s等 %d 个支部", branches[0], len(branches))
}

// headerText escapes & for a header or footer, where it starts a code.
func headerText(s string) string { return strings.ReplaceAll(s, "&", "&&") }

// headerFooter names the branch, the sheet (&A) and the period at the top
// of each page, and the page number and the export's time at the bottom.
func headerFooter(owner string, h bot.Ledger) *excelize.HeaderFooterOptions {
	return titledHeaderFooter(owner+" 台账", h)
}

// titledHeaderFooter is headerFooter with the page header's title given.
func titledHeaderFooter(title string, h bot.Ledger) *excelize.HeaderFooterOptions {
	footer := "&C第 &P 页，共 &N 页"
	if !h.Made.IsZero() {
		made := h.Made
		if h.Location != nil {
			made = made.In(h.Location)
		}
		footer = "&L" + headerText("导出于 "+made.Format("2006-01-02 15:04")) + footer
	}
	return &excelize.HeaderFooterOptions{
		OddHeader: "&L" + headerText(title) + "&C&A&R" + headerText(h.Span.String()),
		OddFooter: footer,
	}
}

// setDocProps replaces excelize's defaults (author "xuri", created 2006)
// with the ledger's title, partybot, and the time it was made.
func setDocProps(f *excelize.File, owner string, h bot.Ledger) error {
	return setTitledDocProps(f, owner+" 台账", "台账", h)
}

// setTitledDocProps is setDocProps with the title and subject given.
func setTitledDocProps(f *excelize.File, title, subject string, h bot.Ledger) error {
	props := &excelize.DocProperties{
		Title:          title + " " + h.Span.String(),
		Subject:        subject,
		Creator:        printCreator,
		LastModifiedBy: printCreator,
		Language:       "zh-CN",
	}
	if !h.Made.IsZero() {
		props.Created = h.Made.UTC().Format(time.RFC3339)
		props.Modified = props.Created
	}
	if err := f.SetDocProps(props); err != nil {
		return err
	}
	return f.SetAppProps(&excelize.AppProperties{Application: printCreator})
}

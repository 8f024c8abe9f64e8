package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

// ledgerRecords writes a week's worth of records through signed callbacks:
// check-ins, study, a meeting with minutes, a photo and an excuse, an
// announcement with one acknowledgement, and a leave.
func ledgerRecords(t *testing.T, e *e2e) {
	t.Helper()
	e.fake.PutMedia("photo-1", []byte("\xff\xd8\xff\xe0 a meeting photo"))
	e.run(t, []step{
		{"lisi", "签到", "签到成功"},
		{"qianqi", "签到", "签到成功"},
		{"lisi", "学习 党章第一章 30分钟 有收获", "已记录"},
	})
	code, _ := e.open(t, "党员大会", "十一月党员大会")
	e.run(t, []step{
		{"lisi", "签到 " + code, "会议签到成功"},
		{"wangwu", "签到 " + code, "会议签到成功"},
		{"zhaoliu", "请假 出差", "请假"},
		{"lisi", "纪要 乱写", "只有支部书记"},
		{"zhangsan", "纪要 地点：三楼会议室\n主持人：张三\n议题：学习党章\n大家踊跃发言。", "已记入"},
	})
	resp, err := e.wc.Post(e.wc.ImageXML("zhangsan", "photo-1", "img-1", e.clock.Now()))
	if err != nil || !strings.Contains(resp.ReplyText, "已存为会议照片（共 1 张）") {
		t.Fatalf("meeting photo: %v %q", err, resp.ReplyText)
	}
	e.run(t, []step{
		{"zhangsan", "结束会议", "到会"},
		{"zhangsan", "纪要 补充：会后分组讨论。", "第 2 条"},
		{"zhangsan", "公告 周五交心得", "公告预览"},
		{"zhangsan", "发送", "已发送"},
		{"lisi", "收到", "已确认收到"},
		{"wangwu", "请假 11-23 到 11-25 体检", "请假"},
		{"zhangsan", "党费 设置 @lisi 50", "已设置"},
		{"lisi", "党费 已交", "已登记"},
	})
}

// sheetRows reads a sheet of a workbook.
func sheetRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	return rows
}

// rowWith finds the first row whose cells include all of want.
func rowWith(rows [][]string, want ...string) []string {
	for _, r := range rows {
		if slices.IndexFunc(want, func(w string) bool {
			return !slices.ContainsFunc(r, func(c string) bool { return strings.Contains(c, w) })
		}) < 0 {
			return r
		}
	}
	return nil
}

func TestLedgerExportInChat(t *testing.T) {
	t.Parallel()
	e := startAnnounce(t)
	ledgerRecords(t, e)
	e.run(t, []step{
		{"lisi", "导出", "只有支部书记"},
		{"zhangsan", "导出 2026-12-01 2026-11-01", "用法：导出"},
		{"zhangsan", "导出 下辈子", "用法：导出"},
		{"zhangsan", "导出 ops", "只能导出本支部"},
		{"zhangsan", "导出 本月", "正在生成技术党支部 2026-11-01 至 2026-11-30 的台账"},
	})
	var data []byte
	var name string
	waitFor(t, "the workbook as a file message", func() bool {
		var ok bool
		name, data, ok = e.fake.FileSentTo("zhangsan")
		return ok
	})
	if name != "技术党支部台账-2026-11-01-2026-11-30.xlsx" {
		t.Fatalf("file name %q", name)
	}
	if out := os.Getenv("PARTYBOT_LEDGER_XLSX"); out != "" { // for scripts/print-check.sh
		if err := os.WriteFile(out, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if ups := e.fake.Calls("media/upload"); len(ups) == 0 || ups[len(ups)-1].Body["type"] != "file" {
		t.Fatalf("uploads %v, want type file", ups)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{workbook.SheetSummary, workbook.SheetRoster, workbook.SheetCheckins, workbook.SheetStudy, workbook.SheetMeetings, workbook.SheetAnnounce, workbook.SheetLeave, workbook.SheetDues, workbook.SheetDevelop, workbook.SheetMaterial, workbook.SheetTalks, workbook.SheetRectify, workbook.SheetReview, workbook.SheetLife}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	checks := []struct {
		sheet string
		cells []string
	}{
		{workbook.SheetStudy, []string{"李四", "党章第一章", "30", "有收获"}},
		{workbook.SheetMeetings, []string{"党员大会", "十一月党员大会", "三楼会议室", "张三", "学习党章", "大家踊跃发言", "会后分组讨论", "李四", "赵六（出差）", "照片/tech-"}},
		{workbook.SheetAnnounce, []string{"#1", "公告", "周五交心得", "4", "1"}},
		{workbook.SheetLeave, []string{"王五", "2026-11-23", "2026-11-25", "体检"}},
		{workbook.SheetRoster, []string{"李四", "lisi", "党员", "1", "30", "1"}},
		{workbook.SheetDues, []string{"李四", "lisi", "50"}},
	}
	for _, c := range checks {
		if rowWith(sheetRows(t, f, c.sheet), c.cells...) == nil {
			t.Errorf("%s has no row with %v:\n%v", c.sheet, c.cells, sheetRows(t, f, c.sheet))
		}
	}
	// 签到记录 is a member × day table with the check-in time in the cell.
	checkins := sheetRows(t, f, workbook.SheetCheckins)
	day := slices.Index(checkins[0], "2026-11-20")
	for _, who := range []string{"李四", "钱七"} {
		if r := rowWith(checkins, who); r == nil || day < 0 || len(r) <= day || r[day] != "14:00" || r[3] != "1" {
			t.Errorf("签到记录 row of %s: %v (day column %d)", who, r, day)
		}
	}
	if r := rowWith(checkins, "王五"); r == nil || r[3] != "0" || len(r) > 4 {
		t.Errorf("签到记录 row of 王五 (no check-in): %v", r)
	}
	// Header frozen, widths set, a table (the autofilter) over the rows.
	panes, err := f.GetPanes(workbook.SheetCheckins)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("checkins header not frozen: %+v %v", panes, err)
	}
	if w, _ := f.GetColWidth(workbook.SheetStudy, "E"); w < 20 {
		t.Errorf("study content column width %v", w)
	}
	if tables, err := f.GetTables(workbook.SheetCheckins); err != nil || len(tables) != 1 {
		t.Errorf("checkins tables %v %v", tables, err)
	}
	// One truth: the month in 我的 is the roster sheet's row for lisi.
	e.run(t, []step{{"lisi", "我的", "11月：签到 1 天 · 学习 30 分钟 / 1 次"}})
}

// The numbers of the weekly summary and the workbook's 汇总 for the same
// week are the same numbers: whether the summary counts study from the
// reports (just after an upgrade) or from the day sums kept since.
func TestLedgerSummaryEqualsWeeklySummary(t *testing.T) {
	t.Parallel()
	for _, sums := range []bool{false, true} {
		t.Run(fmt.Sprintf("day sums %v", sums), func(t *testing.T) {
			t.Parallel() // each has its own app
			testLedgerSummaryEqualsWeeklySummary(t, sums)
		})
	}
}

func testLedgerSummaryEqualsWeeklySummary(t *testing.T, sums bool) {
	e := startAnnounce(t)
	week := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 16}, To: bot.Date{Year: 2026, Month: 11, Day: 20}}
	if sums { // this version has run since last week: its sums cover this one
		last := bot.StudyReport{ID: "last-week", BranchID: "tech", UserID: "lisi", Day: week.From.AddDays(-3), Minutes: 40, Content: "党史", At: time.Date(2026, 11, 13, 20, 0, 0, 0, cst)}
		if _, err := e.app.Store.RecordStudy(t.Context(), last); err != nil {
			t.Fatal(err)
		}
	}
	ledgerRecords(t, e)
	if _, ok, err := e.app.Store.StudySums(t.Context(), "tech", week.From, week.To); err != nil || ok != sums {
		t.Fatalf("StudySums ok=%v err=%v, want %v", ok, err, sums)
	}
	outs, err := e.app.Bot.Job(t.Context(), bot.JobWeeklySummary, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var summary string
	for _, o := range outs {
		if o.Key == "summary:tech" {
			summary = o.Notice.Markdown
		}
	}
	m := regexp.MustCompile(`(\d+)%</font>（(\d+)/(\d+) 人·工作日`).FindStringSubmatch(summary)
	s := regexp.MustCompile(`学习：(\d+) 分钟，(\d+) 次`).FindStringSubmatch(summary)
	if m == nil || s == nil {
		t.Fatalf("weekly summary %q", summary)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "week.xlsx")
	cfgPath := writeConfig(t, e.app.Config)
	if code, text := cli(t, "export", "-config", cfgPath, "-branch", "tech", "-from", week.From.String(), "-to", week.To.String(), "-o", out); code != 0 {
		t.Fatalf("export: %d %s", code, text)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := rowWith(sheetRows(t, f, workbook.SheetSummary), "技术党支部")
	if row == nil {
		t.Fatal("no branch row in 汇总")
	}
	// 支部, 党员数, 应签到, 已签到, 签到率%, 学习分钟, 学习次数
	got := []string{row[4], row[3], row[2], row[5], row[6]}
	if wantNums := []string{m[1], m[2], m[3], s[1], s[2]}; !slices.Equal(got, wantNums) {
		t.Fatalf("汇总 %v, weekly summary %v", got, wantNums)
	}
	photo, err := os.ReadFile(filepath.Join(dir, workbook.PhotoDir, rowWith(sheetRows(t, f, workbook.SheetMeetings), "党员大会")[17][len("照片/"):]))
	if err != nil || !bytes.Contains(photo, []byte("a meeting photo")) {
		t.Fatalf("the photo beside the workbook: %v %q", err, photo)
	}
}

func TestExportCLIBadInput(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	cfgPath := writeConfig(t, e.app.Config)
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"inverted", []string{"-branch", "tech", "-from", "2026-12-31", "-to", "2026-10-01", "-o", filepath.Join(dir, "a.xlsx")}, "is after"},
		{"bad date", []string{"-branch", "tech", "-from", "2026-13-01", "-to", "2026-12-31", "-o", filepath.Join(dir, "a.xlsx")}, "YYYY-MM-DD"},
		{"unknown branch", []string{"-branch", "ops", "-from", "2026-10-01", "-to", "2026-12-31", "-o", filepath.Join(dir, "a.xlsx")}, "known: tech"},
		{"unwritable", []string{"-all", "-from", "2026-10-01", "-to", "2026-12-31", "-o", "/proc/partybot/a.xlsx"}, "/proc/partybot/a.xlsx"},
		{"no scope", []string{"-from", "2026-10-01", "-to", "2026-12-31", "-o", filepath.Join(dir, "a.xlsx")}, "Usage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := cli(t, append([]string{"export", "-config", cfgPath}, tc.args...)...)
			if code == 0 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, output %q; want a failure naming %q", code, out, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	// CSV: one file per sheet, each starting with a BOM.
	csvDir := filepath.Join(dir, "csv")
	if code, out := cli(t, "export", "-config", cfgPath, "-all", "-from", "2026-11-01", "-to", "2026-11-30", "-o", csvDir, "-format", "csv"); code != 0 {
		t.Fatalf("csv export: %d %s", code, out)
	}
	for _, sheet := range []string{workbook.SheetSummary, workbook.SheetMeetings, workbook.SheetLeave} {
		raw, err := os.ReadFile(filepath.Join(csvDir, sheet+".csv"))
		if err != nil || !bytes.HasPrefix(raw, []byte("\ufeff")) {
			t.Fatalf("%s.csv: %v, BOM %v", sheet, err, bytes.HasPrefix(raw, []byte("\ufeff")))
		}
	}
}

// export deletes nothing it did not create: a CSV export refuses a folder
// with anything in it ("-o ~" once wiped a home folder) and a file, a
// workbook refuses a folder; an empty folder is taken, a workbook file
// replaced. Every file is its owner's only (0600, folders 0700).
func TestExportNeverDeletesWhatItDidNotCreate(t *testing.T) {
	e := startAnnounce(t)
	ledgerRecords(t, e)
	cfgPath := writeConfig(t, e.app.Config)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	mustWrite(t, filepath.Join(home, "论文.docx"), "years of work")
	mustWrite(t, filepath.Join(dir, "notes.txt"), "mine")
	mustWrite(t, filepath.Join(dir, "old.xlsx"), "last year's")
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, format, out, want string
		ok                      bool
	}{
		{"csv into a folder with files", "csv", home, "not empty", false},
		{"csv onto a file", "csv", filepath.Join(dir, "notes.txt"), "not a folder", false},
		{"xlsx onto a folder", "xlsx", home, "is a folder", false},
		{"csv into an empty folder", "csv", filepath.Join(dir, "empty"), "wrote", true},
		{"xlsx onto a file", "xlsx", filepath.Join(dir, "old.xlsx"), "wrote", true},
	}
	for _, tc := range cases {
		code, out := cli(t, "export", "-config", cfgPath, "-branch", "tech", "-from", "2026-11-01", "-to", "2026-11-30", "-o", tc.out, "-format", tc.format)
		if (code == 0) != tc.ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, %q; want ok=%v and %q", tc.name, code, out, tc.ok, tc.want)
		}
	}
	for path, want := range map[string]string{filepath.Join(home, "论文.docx"): "years of work", filepath.Join(dir, "notes.txt"): "mine"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s: %q %v, want it untouched", path, got, err)
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) != 1 {
		t.Errorf("the home folder holds %d entries, want its one file", len(entries))
	}
	if f, err := excelize.OpenFile(filepath.Join(dir, "old.xlsx")); err != nil {
		t.Errorf("old.xlsx not replaced by the workbook: %v", err)
	} else {
		f.Close()
	}
	wantModes(t, filepath.Join(dir, "old.xlsx"), filepath.Join(dir, workbook.PhotoDir), filepath.Join(dir, "empty"))
	assertNoPartial(t, dir)
}

// Exports to the same place at once each write under a temporary name of
// their own: every workbook export succeeds, and of CSV exports into one
// new folder exactly one does, the others refusing the then full folder.
func TestConcurrentExportsDoNotCollide(t *testing.T) {
	e := startAnnounce(t)
	ledgerRecords(t, e)
	cfgPath := writeConfig(t, e.app.Config)
	dir := t.TempDir()
	for _, format := range []string{"xlsx", "csv"} {
		out := filepath.Join(dir, "台账."+format)
		codes := make(chan int, 3)
		outputs := make(chan string, 3)
		for range 3 {
			go func() {
				var buf bytes.Buffer
				code := run(t.Context(), []string{"export", "-config", cfgPath, "-all", "-from", "2026-11-01", "-to", "2026-11-30", "-o", out, "-format", format}, &buf, &buf, noEnv)
				codes <- code
				outputs <- buf.String()
			}()
		}
		ok := 0
		var texts []string
		for range 3 {
			if <-codes == 0 {
				ok++
			}
			texts = append(texts, <-outputs)
		}
		if want := map[string]int{"xlsx": 3, "csv": 1}[format]; ok != want {
			t.Errorf("%s: %d of 3 concurrent exports succeeded, want %d:\n%s", format, ok, want, strings.Join(texts, "\n"))
		}
		for _, text := range texts {
			if strings.Contains(text, ".partial") {
				t.Errorf("%s: an export tripped over another's temporary name: %s", format, text)
			}
		}
	}
	assertNoPartial(t, dir)
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantModes checks that files are 0600 and folders 0700, all the way down.
func wantModes(t *testing.T, roots ...string) {
	t.Helper()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
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
			t.Errorf("%s: %v", root, err)
		}
	}
}

// assertNoPartial fails if a temporary file or folder was left in dir.
func assertNoPartial(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".partial") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

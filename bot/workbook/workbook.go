// Package workbook writes a bot.Ledger as an Excel workbook (excelize,
// streaming, so a quarter of a large org stays within memory) or as one
// UTF-8 CSV file per sheet, with a byte-order mark so Excel opens it.
package workbook

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/partybot/partybot/bot"
)

// Sheet names, in the workbook's order.
const (
	SheetSummary  = "汇总"
	SheetRoster   = "党员名册"
	SheetCheckins = "签到记录"
	SheetStudy    = "学习记录"
	SheetMeetings = "会议记录"
	SheetAnnounce = "公告与活动"
	SheetLeave    = "请假记录"
)

// Photos reads a meeting photo's bytes (store.PhotoData).
type Photos func(ctx context.Context, branchID, meetingID, mediaID string) ([]byte, error)

// column is a header and its width in characters.
type column struct {
	name  string
	width float64
}

// sheet is one table: its columns and a function that emits its rows.
type sheet struct {
	name string
	cols []column
	rows func(emit func(row ...any) error) error
}

// sheets lays the ledger out. A summary-only ledger has the first sheet.
func sheets(l bot.Ledger, photoDir string) []sheet {
	loc := l.Location
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	out := []sheet{summarySheet(l)}
	if l.SummaryOnly {
		return out
	}
	names := map[string]string{}
	for _, b := range l.Branches {
		for _, m := range b.Members {
			names[m.Member.UserID] = m.Member.DisplayName()
		}
	}
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	list := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = name(id)
		}
		return strings.Join(out, "、")
	}
	out = append(out,
		sheet{SheetRoster, []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"职务", 8}, {"党员状态", 10}, {"入党日期", 12}, {"签到天数", 10}, {"学习分钟", 10}, {"学习次数", 10}},
			func(emit func(...any) error) error {
				for _, b := range l.Branches {
					for _, m := range b.Members {
						joined := ""
						if !m.Member.Joined.IsZero() {
							joined = m.Member.Joined.String()
						}
						if err := emit(b.Branch.Name, m.Member.DisplayName(), m.Member.UserID, m.Member.Role.Label(), string(m.Member.Status), joined, m.Week.Checkins, m.Week.StudyMinutes, m.Week.StudyReports); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		sheet{SheetCheckins, []column{{"支部", 14}, {"日期", 12}, {"姓名", 10}, {"userid", 14}, {"签到时间", 18}},
			func(emit func(...any) error) error {
				for _, b := range l.Branches {
					for _, c := range b.Checkins {
						if err := emit(b.Branch.Name, c.Day.String(), name(c.UserID), c.UserID, at(c.At)); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		sheet{SheetStudy, []column{{"支部", 14}, {"学习日期", 12}, {"姓名", 10}, {"userid", 14}, {"内容", 30}, {"类型", 10}, {"分钟", 8}, {"心得", 30}, {"补记", 6}, {"提交时间", 18}, {"凭证图片", 8}, {"状态", 8}},
			func(emit func(...any) error) error {
				for _, b := range l.Branches {
					for _, r := range b.Studies {
						late, state := "", "有效"
						if r.Late {
							late = "是"
						}
						if r.Withdrawn {
							state = "已撤回"
						}
						if err := emit(b.Branch.Name, r.Day.String(), name(r.UserID), r.UserID, bot.Plain(r.Content), string(r.Kind), r.Minutes, bot.Plain(r.Reflection), late, at(r.At), len(r.Evidence), state); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		meetingSheet(l, at, name, photoDir),
		sheet{SheetAnnounce, []column{{"支部", 14}, {"编号", 8}, {"类型", 6}, {"标题", 30}, {"发出时间", 18}, {"发布人", 10}, {"对象人数", 10}, {"已确认", 8}, {"未确认", 30}, {"报名", 30}, {"候补", 20}, {"不参加", 20}, {"活动时间地点", 30}},
			func(emit func(...any) error) error {
				for _, b := range l.Branches {
					for _, al := range b.Announcements {
						a, r := al.Announcement, al.Responses
						var pending []string
						for _, id := range a.To {
							if r.Acked[id].IsZero() {
								pending = append(pending, id)
							}
						}
						kind, when := "公告", ""
						if a.Activity != nil {
							kind = "活动"
							when = activityWhen(*a.Activity)
						}
						if err := emit(b.Branch.Name, a.Label(), kind, a.Title, at(a.SentAt), name(a.Author), len(a.To), len(a.To)-len(pending),
							list(pending), list(r.Joined), list(r.Waiting), list(mapKeys(r.Declined)), when); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		sheet{SheetLeave, []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"开始", 12}, {"结束", 12}, {"原因", 30}, {"登记人", 10}, {"登记时间", 18}, {"状态", 8}},
			func(emit func(...any) error) error {
				for _, b := range l.Branches {
					for _, lv := range b.Leaves {
						state := "有效"
						if lv.Ended {
							state = "已取消"
						}
						if err := emit(b.Branch.Name, name(lv.UserID), lv.UserID, lv.From.String(), lv.To.String(), bot.Plain(lv.Reason), name(lv.By), at(lv.At), state); err != nil {
							return err
						}
					}
				}
				return nil
			}},
	)
	return out
}

func activityWhen(a bot.ActivityPlan) string {
	var parts []string
	if !a.Day.IsZero() {
		parts = append(parts, strings.TrimSpace(a.Day.String()+" "+a.Start))
	}
	if a.Place != "" {
		parts = append(parts, a.Place)
	}
	if a.Capacity > 0 {
		parts = append(parts, fmt.Sprintf("名额 %d", a.Capacity))
	}
	return strings.Join(parts, " ")
}

func mapKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// SummaryColumns are the 汇总 sheet's headers: one row per branch, then 合计.
var SummaryColumns = []string{"支部", "党员数", "应签到（人·工作日）", "已签到", "签到率%", "学习分钟", "学习次数", "学习达标人数", "召开会议", "三会一课应开未开", "未收到消息"}

func summarySheet(l bot.Ledger) sheet {
	widths := []float64{16, 8, 18, 8, 8, 10, 10, 12, 30, 24, 12}
	cols := make([]column, len(SummaryColumns))
	for i, n := range SummaryColumns {
		cols[i] = column{n, widths[i]}
	}
	return sheet{SheetSummary, cols, func(emit func(...any) error) error {
		var total bot.BranchSummary
		members, onTarget := 0, 0
		for _, b := range l.Branches {
			s := b.Summary
			n := s.Headcount
			members += n
			onTarget += s.OnTarget
			total.Expected += s.Expected
			total.Checkins += s.Checkins
			total.StudyMinutes += s.StudyMinutes
			total.StudyReports += s.StudyReports
			if err := emit(b.Branch.Name, n, s.Expected, s.Checkins, s.Rate(), s.StudyMinutes, s.StudyReports, s.OnTarget,
				s.MeetingsText(), strings.Join(s.Pending, "、"), len(s.Unreached)); err != nil {
				return err
			}
		}
		return emit("合计", members, total.Expected, total.Checkins, total.Rate(), total.StudyMinutes, total.StudyReports, onTarget, "", "", "")
	}}
}

func meetingSheet(l bot.Ledger, at func(time.Time) string, name func(string) string, photoDir string) sheet {
	cols := []column{{"支部", 14}, {"类型", 10}, {"标题", 20}, {"开始", 18}, {"结束", 18}, {"主持人", 10}, {"地点", 14}, {"记录人", 10}, {"议题", 24},
		{"纪要", 40}, {"应到", 6}, {"到会", 6}, {"到会名单", 30}, {"请假名单", 24}, {"缺席名单", 24}, {"法定人数", 14}, {"更正", 30}, {"照片", 30}}
	return sheet{SheetMeetings, cols, func(emit func(...any) error) error {
		for _, b := range l.Branches {
			for _, ml := range b.Meetings {
				r := ml.Record
				m := r.Meeting
				var place, host, recorder, topics, content []string
				for _, mn := range ml.Minutes {
					add := func(list *[]string, v string) {
						if v != "" {
							*list = append(*list, v)
						}
					}
					add(&place, mn.Place)
					add(&host, mn.Host)
					add(&recorder, mn.Recorder)
					add(&topics, mn.Topics)
					if mn.Content != "" {
						content = append(content, fmt.Sprintf("[%s %s] %s", at(mn.At), name(mn.By), mn.Content))
					}
				}
				if len(host) == 0 {
					host = []string{name(m.OpenedBy)}
				}
				names := func(ms []bot.Member) string {
					out := make([]string, len(ms))
					for i, mem := range ms {
						out[i] = mem.DisplayName()
						if reason := r.Reasons[mem.UserID]; reason != "" && ms[0].UserID != "" && contains(r.Excused, mem.UserID) {
							out[i] += "（" + bot.Plain(reason) + "）"
						}
					}
					return strings.Join(out, "、")
				}
				quorum := "不适用"
				if r.QuorumApplies {
					quorum = fmt.Sprintf("%d/%d ", r.EligiblePresent, r.Eligible)
					if r.QuorumMet() {
						quorum += "过半"
					} else {
						quorum += "未过半"
					}
				}
				var fixes []string
				for _, c := range ml.Corrections {
					fixes = append(fixes, fmt.Sprintf("%s %s→%s（%s，%s）", at(c.At), name(c.UserID), c.Status.Label(), bot.Plain(c.Reason), name(c.By)))
				}
				var photos []string
				for i, p := range ml.Photos {
					photos = append(photos, filepath.ToSlash(filepath.Join(photoDir, p.FileName(m, i+1))))
				}
				total := len(r.Present) + len(r.Excused) + len(r.Absent)
				if err := emit(b.Branch.Name, string(m.Type), bot.Plain(m.Title), at(m.OpenedAt), at(m.ClosedAt), strings.Join(host, "；"), strings.Join(place, "；"),
					strings.Join(recorder, "；"), strings.Join(topics, "；"), strings.Join(content, "\n"), total, len(r.Present),
					names(r.Present), names(r.Excused), names(r.Absent), quorum, strings.Join(fixes, "\n"), strings.Join(photos, "\n")); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

func contains(ms []bot.Member, id string) bool {
	for _, m := range ms {
		if m.UserID == id {
			return true
		}
	}
	return false
}

// PhotoDir is the folder, next to an exported file, that holds its photos.
const PhotoDir = "照片"

// WriteXLSX writes the ledger as a workbook to w. Meeting photos are named
// in the 会议记录 sheet under PhotoDir; WritePhotos puts them there.
func WriteXLSX(w io.Writer, l bot.Ledger) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEF3FB"}, Pattern: 1}})
	if err != nil {
		return fmt.Errorf("workbook: style: %w", err)
	}
	for i, sh := range sheets(l, PhotoDir) {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.name); err != nil {
				return fmt.Errorf("workbook: %w", err)
			}
		} else if _, err := f.NewSheet(sh.name); err != nil {
			return fmt.Errorf("workbook: %w", err)
		}
		if err := writeSheet(f, sh, bold, i); err != nil {
			return err
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("workbook: write: %w", err)
	}
	return nil
}

// writeSheet streams one sheet: widths, a frozen bold header, the rows and
// a table over them (which gives the autofilter).
func writeSheet(f *excelize.File, sh sheet, headerStyle, index int) error {
	sw, err := f.NewStreamWriter(sh.name)
	if err != nil {
		return fmt.Errorf("workbook: %s: %w", sh.name, err)
	}
	for i, c := range sh.cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return fmt.Errorf("workbook: %s: %w", sh.name, err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("workbook: %s: %w", sh.name, err)
	}
	header := make([]any, len(sh.cols))
	for i, c := range sh.cols {
		header[i] = excelize.Cell{StyleID: headerStyle, Value: c.name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("workbook: %s: %w", sh.name, err)
	}
	row := 1
	err = sh.rows(func(values ...any) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return sw.SetRow(cell, values)
	})
	if err != nil {
		return fmt.Errorf("workbook: %s: %w", sh.name, err)
	}
	last, _ := excelize.CoordinatesToCellName(len(sh.cols), max(row, 2))
	if row == 1 { // a table needs a row under its header
		if err := sw.SetRow("A2", []any{""}); err != nil {
			return fmt.Errorf("workbook: %s: %w", sh.name, err)
		}
	}
	table := &excelize.Table{Range: "A1:" + last, Name: fmt.Sprintf("T%d", index+1), StyleName: "TableStyleLight1"}
	if err := sw.AddTable(table); err != nil {
		return fmt.Errorf("workbook: %s: table: %w", sh.name, err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("workbook: %s: %w", sh.name, err)
	}
	return nil
}

// WriteCSV writes one CSV per sheet into dir (created if missing), each
// starting with a UTF-8 byte-order mark so that Excel reads the Chinese.
func WriteCSV(dir string, l bot.Ledger) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	for _, sh := range sheets(l, PhotoDir) {
		if err := writeCSVFile(filepath.Join(dir, sh.name+".csv"), sh); err != nil {
			return err
		}
	}
	return nil
}

func writeCSVFile(path string, sh sheet) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	defer func() {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("workbook: %w", cerr)
		}
	}()
	if _, err := file.WriteString("\ufeff"); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	cw := csv.NewWriter(file)
	header := make([]string, len(sh.cols))
	for i, c := range sh.cols {
		header[i] = c.name
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	err = sh.rows(func(values ...any) error {
		rec := make([]string, len(values))
		for i, v := range values {
			rec[i] = fmt.Sprint(v)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return fmt.Errorf("workbook: %s: %w", sh.name, err)
	}
	cw.Flush()
	return cw.Error()
}

// WritePhotos saves the ledger's meeting photos into dir/照片 under the
// names the 会议记录 sheet gives, and returns how many it wrote.
func WritePhotos(ctx context.Context, dir string, l bot.Ledger, read Photos) (int, error) {
	n := 0
	for _, b := range l.Branches {
		for _, ml := range b.Meetings {
			for i, p := range ml.Photos {
				data, err := read(ctx, b.Branch.ID, ml.Record.Meeting.ID, p.MediaID)
				if err != nil {
					return n, fmt.Errorf("workbook: photo: %w", err)
				}
				if len(data) == 0 {
					continue
				}
				if n == 0 {
					if err := os.MkdirAll(filepath.Join(dir, PhotoDir), 0o755); err != nil {
						return n, fmt.Errorf("workbook: %w", err)
					}
				}
				if err := os.WriteFile(filepath.Join(dir, PhotoDir, p.FileName(ml.Record.Meeting, i+1)), data, 0o644); err != nil {
					return n, fmt.Errorf("workbook: %w", err)
				}
				n++
			}
		}
	}
	return n, nil
}

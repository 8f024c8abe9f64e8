// Package workbook writes a bot.Ledger as an Excel workbook (excelize,
// streaming, so a quarter of a large org stays within memory) or as one
// UTF-8 CSV file per sheet, with a byte-order mark so Excel opens it.
package workbook

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
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
	SheetDues     = "党费"
	SheetDevelop  = "发展党员"
	SheetMaterial = "学习材料"
	SheetTalks    = "谈心谈话"
	SheetRectify  = "整改"
	SheetReview   = "民主评议"
	SheetLife     = "组织生活会"
)

// Photos reads a meeting photo's bytes (store.PhotoData).
type Photos func(ctx context.Context, branchID, meetingID, mediaID string) ([]byte, error)

// column is a header and its width in characters.
type column struct {
	name  string
	width float64
}

// emitFunc writes one row.
type emitFunc func(row ...any) error

// sheet is one table: its columns, the rows of one branch, and rows after
// the last branch (the 合计 line).
type sheet struct {
	name   string
	cols   []column
	branch func(b bot.BranchLedger, emit emitFunc) error
	end    func(emit emitFunc) error // nil: none
}

// sheets lays the ledger out; h is the ledger without its branches. A
// summary-only ledger has the first sheet.
func sheets(h bot.Ledger, photoDir string) []sheet {
	loc := h.Location
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	// when is a time cell: a real date-time in the workbook (sortable,
	// filterable), "2006-01-02 15:04" in CSV.
	when := func(t time.Time) any {
		if t.IsZero() {
			return ""
		}
		return moment(t.In(loc))
	}
	out := []sheet{summarySheet()}
	if h.SummaryOnly {
		return out
	}
	// Names come from the branch at hand; anyone else (an admin) shows as
	// their userid.
	var names map[string]string
	var namesOf string
	nameIn := func(b bot.BranchLedger) func(string) string {
		if namesOf != b.Branch.ID {
			names, namesOf = make(map[string]string, len(b.Members)), b.Branch.ID
			for _, m := range b.Members {
				names[m.Member.UserID] = m.Member.DisplayName()
			}
		}
		return func(id string) string {
			if n := names[id]; n != "" {
				return n
			}
			return id
		}
	}
	out = append(out,
		sheet{name: SheetRoster, cols: []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"职务", 8}, {"党员状态", 10}, {"入党日期", 12}, {"签到天数", 10}, {"学习分钟", 10}, {"学习次数", 10}},
			branch: func(b bot.BranchLedger, emit emitFunc) error {
				{
					for _, m := range b.Members {
						var joined any = ""
						if !m.Member.Joined.IsZero() {
							joined = m.Member.Joined
						}
						if err := emit(b.Branch.Name, m.Member.DisplayName(), m.Member.UserID, m.Member.Role.Label(), string(m.Member.Status), joined, m.Week.Checkins, m.Week.StudyMinutes, m.Week.StudyReports); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		checkinSheet(h),
		sheet{name: SheetStudy, cols: []column{{"支部", 14}, {"学习日期", 12}, {"姓名", 10}, {"userid", 14}, {"内容", 30}, {"类型", 10}, {"分钟", 8}, {"心得", 30}, {"补记", 6}, {"提交时间", 18}, {"凭证图片", 8}, {"状态", 8}},
			branch: func(b bot.BranchLedger, emit emitFunc) error {
				name := nameIn(b)
				{
					for _, r := range b.Studies {
						late, state := "", "有效"
						if r.Late {
							late = "是"
						}
						if r.Withdrawn {
							state = "已撤回"
						}
						if err := emit(b.Branch.Name, r.Day, name(r.UserID), r.UserID, bot.Plain(r.Content), string(r.Kind), r.Minutes, bot.Plain(r.Reflection), late, when(r.At), len(r.Evidence), state); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		meetingSheet(at, when, nameIn, photoDir),
		sheet{name: SheetAnnounce, cols: []column{{"支部", 14}, {"编号", 8}, {"类型", 6}, {"标题", 30}, {"发出时间", 18}, {"发布人", 10}, {"对象人数", 10}, {"已确认", 8}, {"未确认", 30}, {"报名", 30}, {"候补", 20}, {"不参加", 20}, {"活动时间地点", 30}},
			branch: func(b bot.BranchLedger, emit emitFunc) error {
				name := nameIn(b)
				list := func(ids []string) string {
					out := make([]string, len(ids))
					for i, id := range ids {
						out[i] = name(id)
					}
					return strings.Join(out, "、")
				}
				{
					for _, al := range b.Announcements {
						a, r := al.Announcement, al.Responses
						var pending []string
						for _, id := range a.To {
							if r.Acked[id].IsZero() {
								pending = append(pending, id)
							}
						}
						kind, plan := "公告", ""
						if a.Activity != nil {
							kind = "活动"
							plan = activityWhen(*a.Activity)
						}
						if err := emit(b.Branch.Name, a.Label(), kind, a.Title, when(a.SentAt), name(a.Author), len(a.To), len(a.To)-len(pending),
							list(pending), list(r.Joined), list(r.Waiting), list(mapKeys(r.Declined)), plan); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		sheet{name: SheetLeave, cols: []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"开始", 12}, {"结束", 12}, {"原因", 30}, {"登记人", 10}, {"登记时间", 18}, {"状态", 8}},
			branch: func(b bot.BranchLedger, emit emitFunc) error {
				name := nameIn(b)
				{
					for _, lv := range b.Leaves {
						state := "有效"
						if lv.Ended {
							state = "已取消"
						}
						if err := emit(b.Branch.Name, name(lv.UserID), lv.UserID, lv.From, lv.To, bot.Plain(lv.Reason), name(lv.By), when(lv.At), state); err != nil {
							return err
						}
					}
				}
				return nil
			}},
	)
	out = append(out, duesSheet(h), developSheet(when), materialSheet(when, nameIn), talkSheet(when, nameIn), rectifySheet(when, nameIn), reviewSheet(), lifeSheet())
	return out
}

// materialSheet is who studied each 学习材料 and when, with their 心得: a
// row per member it went to (未学 rows too, for the inspection).
func materialSheet(when func(time.Time) any, nameIn func(bot.BranchLedger) func(string) string) sheet {
	cols := []column{{"支部", 14}, {"编号", 8}, {"标题", 30}, {"链接", 36}, {"必学", 6}, {"学时", 6}, {"姓名", 10}, {"userid", 14}, {"已学时间", 18}, {"心得", 30}}
	return sheet{name: SheetMaterial, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		name := nameIn(b)
		for _, al := range b.Announcements {
			a := al.Announcement
			if a.Material == nil {
				continue
			}
			required := ""
			if a.Material.Required {
				required = "是"
			}
			for _, id := range a.To {
				var at any = "未学"
				note := ""
				if st, ok := al.Studied[id]; ok {
					at, note = when(st.At), bot.Plain(st.Note)
				}
				if err := emit(b.Branch.Name, a.Label(), bot.Plain(a.Title), a.Material.Link, required, a.Material.Hours, name(id), id, at, note); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

// developSheet is the 发展党员 register: a row per person per step, in the
// order of the official register (发展党员工作细则 2014).
func developSheet(when func(time.Time) any) sheet {
	cols := []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"阶段", 12}, {"步骤", 10}, {"日期", 12}, {"说明", 36}, {"登记人", 10}, {"登记时间", 18}}
	return sheet{name: SheetDevelop, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		for _, a := range b.Development {
			for _, r := range a.Records {
				if err := emit(b.Branch.Name, a.DisplayName(), a.UserID, string(a.StageAt()), string(r.Step), r.Date, r.RecordNote(), r.By, when(r.At)); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

// reviewSheet is the 民主评议 of the span's last year: per member the
// tally, 自评 and 评定. Ballots are anonymous and never exported.
func reviewSheet() sheet {
	cols := []column{{"支部", 14}, {"年度", 8}, {"姓名", 10}, {"userid", 14}}
	for _, g := range bot.Grades {
		cols = append(cols, column{string(g), 9})
	}
	cols = append(cols, column{"票数", 8}, column{"自评", 8}, column{"评定", 10})
	return sheet{name: SheetReview, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		if b.Review == nil {
			return nil
		}
		for _, r := range b.Review.Rows {
			row := []any{b.Branch.Name, b.Review.Round.Year, r.Name, r.UserID}
			for _, g := range bot.Grades {
				row = append(row, r.Tally[g])
			}
			self := "未交"
			if r.SelfAssessed {
				self = "已交"
			}
			row = append(row, r.Tally.Total(), self, string(r.Verdict))
			if err := emit(row...); err != nil {
				return err
			}
		}
		return nil
	}}
}

// lifeSheet is the 组织生活会 of the span's last year: the checklist, then
// each 检查材料, then the 意见 (without authors).
func lifeSheet() sheet {
	cols := []column{{"支部", 14}, {"年度", 8}, {"项目", 10}, {"姓名", 10}, {"日期", 12}, {"内容", 60}}
	return sheet{name: SheetLife, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		l := b.Life
		if l == nil {
			return nil
		}
		year := l.Checklist.Plan.Year
		for _, line := range l.Checklist.Lines() {
			if err := emit(b.Branch.Name, year, line[0], "", "", line[1]); err != nil {
				return err
			}
		}
		for _, m := range l.Materials {
			if err := emit(b.Branch.Name, year, "检查材料", cmp.Or(l.Names[m.UserID], m.UserID), m.Date, m.Text); err != nil {
				return err
			}
		}
		for _, o := range l.Opinions {
			if err := emit(b.Branch.Name, year, "意见", "", o.Date, o.Text); err != nil {
				return err
			}
		}
		return nil
	}}
}

// checkinSheet is the 签到表 inspections know: a row per member, a column
// per day of the span, the check-in time in the day's cell (empty: none).
// A quarter of 10,000 members is 10,000 rows, not half a million.
func checkinSheet(h bot.Ledger) sheet {
	cols := []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"签到天数", 10}}
	days := h.Span.Days()
	for d := h.Span.From; !h.Span.To.Before(d); d = d.AddDays(1) {
		cols = append(cols, column{fmt.Sprintf("%d-%02d-%02d", d.Year, d.Month, d.Day), 11})
	}
	row := make([]any, len(cols))
	return sheet{name: SheetCheckins, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		{
			at := make(map[string][]bot.Checkin, len(b.Members))
			for _, c := range b.Checkins {
				at[c.UserID] = append(at[c.UserID], c)
			}
			for _, m := range b.Members {
				clear(row)
				id := m.Member.UserID
				row[0], row[1], row[2], row[3] = b.Branch.Name, m.Member.DisplayName(), id, len(at[id])
				for _, c := range at[id] {
					if i := int(c.Day.Number() - h.Span.From.Number()); i >= 0 && i < days {
						row[4+i] = c.At.In(h.Location).Format("15:04")
					}
				}
				if err := emit(row...); err != nil {
					return err
				}
			}
		}
		return nil
	}}
}

// duesSheet is the 党费交纳登记表: a row per member, a column per month of
// the span with the amount paid (empty: none recorded), and the total.
func duesSheet(h bot.Ledger) sheet {
	months := h.Span.Months()
	cols := []column{{"支部", 14}, {"姓名", 10}, {"userid", 14}, {"月党费（元）", 12}}
	for _, m := range months {
		cols = append(cols, column{m.String(), 10})
	}
	cols = append(cols, column{"合计（元）", 10})
	row := make([]any, len(cols))
	return sheet{name: SheetDues, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		for _, m := range b.Members {
			clear(row)
			id := m.Member.UserID
			row[0], row[1], row[2] = b.Branch.Name, m.Member.DisplayName(), id
			if a, ok := b.DuesAmounts[id]; ok {
				row[3] = a.String()
			}
			var total bot.Cents
			for i, mo := range months {
				if p, ok := b.Dues[mo][id]; ok {
					row[4+i] = p.Amount.String()
					total += p.Amount
				}
			}
			row[len(row)-1] = total.String()
			if err := emit(row...); err != nil {
				return err
			}
		}
		return nil
	}}
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
var SummaryColumns = []string{"支部", "党员数", "应签到（人·工作日）", "已签到", "签到率%", "学习分钟", "学习次数", "学习达标人数", "召开会议", "三会一课应开未开", "未收到消息", "本年学时低于进度"}

func summarySheet() sheet {
	widths := []float64{16, 8, 18, 8, 8, 10, 10, 12, 30, 24, 12, 30}
	cols := make([]column, len(SummaryColumns))
	for i, n := range SummaryColumns {
		cols[i] = column{n, widths[i]}
	}
	var total bot.BranchSummary
	members, onTarget := 0, 0
	return sheet{name: SheetSummary, cols: cols,
		branch: func(b bot.BranchLedger, emit emitFunc) error {
			s := b.Summary
			members += s.Headcount
			onTarget += s.OnTarget
			total.Expected += s.Expected
			total.Checkins += s.Checkins
			total.StudyMinutes += s.StudyMinutes
			total.StudyReports += s.StudyReports
			return emit(b.Branch.Name, s.Headcount, s.Expected, s.Checkins, s.Rate(), s.StudyMinutes, s.StudyReports, s.OnTarget,
				s.MeetingsText(), strings.Join(s.Pending, "、"), len(s.Unreached), strings.Join(s.HoursBehind, "、"))
		},
		end: func(emit emitFunc) error {
			return emit("合计", members, total.Expected, total.Checkins, total.Rate(), total.StudyMinutes, total.StudyReports, onTarget, "", "", "", "")
		}}
}

func meetingSheet(at func(time.Time) string, when func(time.Time) any, nameIn func(bot.BranchLedger) func(string) string, photoDir string) sheet {
	cols := []column{{"支部", 14}, {"类型", 10}, {"标题", 20}, {"开始", 18}, {"结束", 18}, {"主持人", 10}, {"地点", 14}, {"记录人", 10}, {"议题", 24},
		{"纪要", 40}, {"应到", 6}, {"到会", 6}, {"到会名单", 30}, {"请假名单", 24}, {"缺席名单", 24}, {"法定人数", 14}, {"更正", 30}, {"照片", 30}, {"补学", 30}}
	return sheet{name: SheetMeetings, cols: cols, branch: func(b bot.BranchLedger, emit emitFunc) error {
		name := nameIn(b)
		{
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
					switch met := r.QuorumMet(); {
					case m.IsElection() && met: // an election needs four fifths
						quorum += "选举超过五分之四"
					case m.IsElection():
						quorum += "选举未超过五分之四"
					case met:
						quorum += "过半"
					default:
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
				// 补学: who made the meeting up, when, and their 心得.
				var makeups []string
				for _, mk := range ml.Makeups {
					if mk.Done != nil {
						makeups = append(makeups, fmt.Sprintf("%s %s %s", bot.Plain(mk.Name), at(mk.Done.At), bot.Plain(mk.Done.Reflection)))
					}
				}
				if len(ml.Makeups) > 0 {
					makeups = append([]string{fmt.Sprintf("%d/%d", len(makeups), len(ml.Makeups))}, makeups...)
				}
				total := len(r.Present) + len(r.Excused) + len(r.Absent)
				kind := string(m.Type)
				if m.Group != "" {
					kind += "（" + bot.Plain(m.Group) + "）" // a 党小组会's group
				}
				if err := emit(b.Branch.Name, kind, bot.Plain(m.Title), when(m.OpenedAt), when(m.ClosedAt), strings.Join(host, "；"), strings.Join(place, "；"),
					strings.Join(recorder, "；"), strings.Join(topics, "；"), strings.Join(content, "\n"), total, len(r.Present),
					names(r.Present), names(r.Excused), names(r.Absent), quorum, strings.Join(fixes, "\n"), strings.Join(photos, "\n"),
					strings.Join(makeups, "\n")); err != nil {
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

// moment is a time of day in the org's time zone, for a time cell.
type moment time.Time

func (m moment) String() string { return time.Time(m).Format("2006-01-02 15:04") }

// cellStyles are the number formats of date and time cells.
type cellStyles struct{ header, date, dateTime int }

// cell turns a day or a moment into a dated cell; Excel keeps wall-clock
// serial numbers, so the org's local time is written as if it were UTC.
func (cs cellStyles) cell(v any) any {
	switch v := v.(type) {
	case bot.Date:
		return excelize.Cell{StyleID: cs.date, Value: time.Date(v.Year, v.Month, v.Day, 0, 0, 0, 0, time.UTC)}
	case moment:
		t := time.Time(v)
		return excelize.Cell{StyleID: cs.dateTime, Value: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)}
	}
	return v
}

// XLSX writes a ledger as a workbook, a branch at a time: every sheet's
// stream is open at once, so a branch's rows go out as it arrives and only
// the rows' XML (spilled to temporary files beyond 16 MB) is kept.
type XLSX struct {
	w        io.Writer
	f        *excelize.File
	cs       cellStyles
	header   bot.Ledger
	sheets   []sheet
	streams  []*excelize.StreamWriter
	rows     []int
	branches []string // names, for the page header and the title
}

// NewXLSX starts a workbook for the ledger h describes (its branches are
// added with Add); Close writes it to w.
func NewXLSX(w io.Writer, h bot.Ledger) (*XLSX, error) {
	x := &XLSX{w: w, f: excelize.NewFile(), header: h, sheets: sheets(h, PhotoDir)}
	var err error
	if x.cs.header, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"EEF3FB"}, Pattern: 1}}); err != nil {
		return nil, x.fail(err)
	}
	dateFormat, dateTimeFormat := "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
	if x.cs.date, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat}); err != nil {
		return nil, x.fail(err)
	}
	if x.cs.dateTime, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &dateTimeFormat}); err != nil {
		return nil, x.fail(err)
	}
	for i, sh := range x.sheets {
		if i == 0 {
			err = x.f.SetSheetName("Sheet1", sh.name)
		} else {
			_, err = x.f.NewSheet(sh.name)
		}
		if err != nil {
			return nil, x.fail(err)
		}
		if err := setUpPage(x.f, sh); err != nil {
			return nil, x.fail(fmt.Errorf("%s: page setup: %w", sh.name, err))
		}
		sw, err := x.f.NewStreamWriter(sh.name)
		if err != nil {
			return nil, x.fail(err)
		}
		for c, col := range sh.cols {
			if err := sw.SetColWidth(c+1, c+1, col.width); err != nil {
				return nil, x.fail(err)
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, x.fail(err)
		}
		header := make([]any, len(sh.cols))
		for c, col := range sh.cols {
			header[c] = excelize.Cell{StyleID: x.cs.header, Value: col.name}
		}
		if err := sw.SetRow("A1", header); err != nil {
			return nil, x.fail(err)
		}
		x.streams, x.rows = append(x.streams, sw), append(x.rows, 1)
	}
	return x, nil
}

func (x *XLSX) fail(err error) error {
	_ = x.f.Close()
	return fmt.Errorf("workbook: %w", err)
}

// emitter writes rows to sheet i.
func (x *XLSX) emitter(i int) emitFunc {
	return func(values ...any) error {
		x.rows[i]++
		for c, v := range values {
			values[c] = x.cs.cell(v)
		}
		cell, _ := excelize.CoordinatesToCellName(1, x.rows[i])
		return x.streams[i].SetRow(cell, values)
	}
}

// Add writes a branch's rows in every sheet.
func (x *XLSX) Add(b bot.BranchLedger) error {
	x.branches = append(x.branches, b.Branch.Name)
	for i, sh := range x.sheets {
		if err := sh.branch(b, x.emitter(i)); err != nil {
			return x.fail(fmt.Errorf("%s: %w", sh.name, err))
		}
	}
	return nil
}

// Close ends every sheet (its closing rows, a table over the rows, which
// gives the autofilter, the page header now that the branches are known)
// and writes the workbook.
func (x *XLSX) Close() error {
	owner := ledgerOwner(x.branches)
	for i, sh := range x.sheets {
		if sh.end != nil {
			if err := sh.end(x.emitter(i)); err != nil {
				return x.fail(err)
			}
		}
		if x.rows[i] == 1 { // a table needs a row under its header
			if err := x.emitter(i)(""); err != nil {
				return x.fail(err)
			}
		}
		last, _ := excelize.CoordinatesToCellName(len(sh.cols), x.rows[i])
		table := &excelize.Table{Range: "A1:" + last, Name: fmt.Sprintf("T%d", i+1), StyleName: "TableStyleLight1"}
		if err := x.streams[i].AddTable(table); err != nil {
			return x.fail(fmt.Errorf("%s: table: %w", sh.name, err))
		}
		// The stream writes the header and footer when it flushes.
		if err := x.f.SetHeaderFooter(sh.name, headerFooter(owner, x.header)); err != nil {
			return x.fail(fmt.Errorf("%s: header: %w", sh.name, err))
		}
		if err := x.streams[i].Flush(); err != nil {
			return x.fail(err)
		}
	}
	if err := setDocProps(x.f, owner, x.header); err != nil {
		return x.fail(err)
	}
	if err := x.f.Write(x.w); err != nil {
		return x.fail(err)
	}
	if err := x.f.Close(); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	return nil
}

// WriteXLSX writes a whole ledger as a workbook.
func WriteXLSX(w io.Writer, l bot.Ledger) error {
	x, err := NewXLSX(w, l)
	if err != nil {
		return err
	}
	for _, b := range l.Branches {
		if err := x.Add(b); err != nil {
			return err
		}
	}
	return x.Close()
}

// CSV writes a ledger as one CSV per sheet into a directory, each starting
// with a UTF-8 byte-order mark so that Excel reads the Chinese.
type CSV struct {
	sheets  []sheet
	files   []*os.File
	writers []*csv.Writer
}

// NewCSV creates dir (if missing) and a file per sheet in it, readable by
// their owner only: a ledger names members and their leave reasons.
func NewCSV(dir string, h bot.Ledger) (*CSV, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("workbook: %w", err)
	}
	c := &CSV{sheets: sheets(h, PhotoDir)}
	for _, sh := range c.sheets {
		f, err := os.OpenFile(filepath.Join(dir, sh.name+".csv"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return nil, c.fail(err)
		}
		c.files = append(c.files, f)
		w := csv.NewWriter(f)
		c.writers = append(c.writers, w)
		if _, err := f.WriteString("\ufeff"); err != nil {
			return nil, c.fail(err)
		}
		header := make([]string, len(sh.cols))
		for i, col := range sh.cols {
			header[i] = col.name
		}
		if err := w.Write(header); err != nil {
			return nil, c.fail(err)
		}
	}
	return c, nil
}

func (c *CSV) fail(err error) error {
	for _, f := range c.files {
		_ = f.Close()
	}
	return fmt.Errorf("workbook: %w", err)
}

func (c *CSV) emitter(i int) emitFunc {
	return func(values ...any) error {
		rec := make([]string, len(values))
		for j, v := range values {
			switch v := v.(type) {
			case nil:
			case string: // members' text: never a formula
				rec[j] = NeutralizeCSV(v)
			default: // numbers, days and times the ledger computed
				rec[j] = fmt.Sprint(v)
			}
		}
		return c.writers[i].Write(rec)
	}
}

// NeutralizeCSV keeps a text cell from running as a formula when a
// spreadsheet opens the CSV ("=HYPERLINK(…)", "-2+3+cmd|…"): a cell that
// begins with = + - @, a tab or a carriage return gets a leading single
// quote (OWASP, CSV injection). The workbook needs none of this: its text
// cells are strings, never formulas.
func NeutralizeCSV(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Add writes a branch's rows in every file.
func (c *CSV) Add(b bot.BranchLedger) error {
	for i, sh := range c.sheets {
		if err := sh.branch(b, c.emitter(i)); err != nil {
			return c.fail(fmt.Errorf("%s: %w", sh.name, err))
		}
	}
	return nil
}

// Close writes the closing rows and closes the files.
func (c *CSV) Close() error {
	var errs []error
	for i, sh := range c.sheets {
		if sh.end != nil {
			errs = append(errs, sh.end(c.emitter(i)))
		}
		c.writers[i].Flush()
		errs = append(errs, c.writers[i].Error(), c.files[i].Sync(), c.files[i].Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("workbook: %w", err)
	}
	return nil
}

// WritePhotos saves a branch's meeting photos into dir/照片 under the names
// the 会议记录 sheet gives, and returns how many it wrote.
func WritePhotos(ctx context.Context, dir string, b bot.BranchLedger, read Photos) (int, error) {
	n := 0
	for _, ml := range b.Meetings {
		for i, p := range ml.Photos {
			data, err := read(ctx, b.Branch.ID, ml.Record.Meeting.ID, p.MediaID)
			if err != nil {
				return n, fmt.Errorf("workbook: photo: %w", err)
			}
			if len(data) == 0 {
				continue
			}
			if err := os.MkdirAll(filepath.Join(dir, PhotoDir), 0o700); err != nil {
				return n, fmt.Errorf("workbook: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, PhotoDir, p.FileName(ml.Record.Meeting, i+1)), data, 0o600); err != nil {
				return n, fmt.Errorf("workbook: %w", err)
			}
			n++
		}
	}
	return n, nil
}

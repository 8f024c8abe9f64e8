package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partybot/partybot/bot"
)

// A member's data under PIPL (个人信息保护法): everything stored about one
// person, for their request to see it (PersonalData), and the removal of
// their personal content once they have left (EraseMember). The branch's
// records keep what they must (see README, "Personal data").

// PersonalData is everything stored about one member, across every branch
// and announcement scope.
type PersonalData struct {
	UserID           string            `json:"userid"`
	ExportedAt       time.Time         `json:"exported_at"`
	Member           bot.Member        `json:"member"`
	Checkins         []CheckinData     `json:"checkins"`
	Study            []bot.StudyReport `json:"study"`
	Leaves           []bot.Leave       `json:"leaves"`
	DuesAmounts      []DuesAmount      `json:"dues_amounts"`
	Dues             []DuesData        `json:"dues"`
	Acknowledgements []AnswerData      `json:"acknowledgements"`
	SignUps          []AnswerData      `json:"signups"`
	Meetings         []MeetingData     `json:"meetings"`
	MeetingPhotos    []PhotoData       `json:"meeting_photos"`
	// Development is the person's 发展党员 record (steps, 联系人), if any;
	// ThoughtReports their 思想汇报.
	Development    *bot.Applicant      `json:"development,omitempty"`
	ThoughtReports []bot.ThoughtReport `json:"thought_reports,omitempty"`
}

// CheckinData is one day's check-in, with the location sent that day if
// it is still kept.
type CheckinData struct {
	Branch   string        `json:"branch"`
	Day      bot.Date      `json:"day"`
	At       time.Time     `json:"at,omitzero"`
	Location *bot.Location `json:"location,omitempty"`
}

// DuesAmount is the monthly amount set for the member in a branch.
type DuesAmount struct {
	Branch string    `json:"branch"`
	Amount bot.Cents `json:"amount_fen"`
}

// DuesData is one month's payment.
type DuesData struct {
	Branch string `json:"branch"`
	bot.DuesPayment
}

// AnswerData is the member's answer to an announcement or activity.
type AnswerData struct {
	Scope  string    `json:"scope"`
	No     int       `json:"no"`
	Title  string    `json:"title"`
	Answer string    `json:"answer"` // 收到, joined, waiting, declined
	At     time.Time `json:"at,omitzero"`
}

// MeetingData is the member's part of one meeting's record.
type MeetingData struct {
	Branch      string           `json:"branch"`
	MeetingID   string           `json:"meeting_id"`
	Meeting     string           `json:"meeting"` // type and title
	OpenedAt    time.Time        `json:"opened_at"`
	Attendance  *bot.Attendance  `json:"attendance,omitempty"`
	Record      *bot.RecordEntry `json:"record,omitempty"` // as it stood at closing
	Corrections []bot.Correction `json:"corrections,omitempty"`
}

// PhotoData is a meeting photo the member sent.
type PhotoData struct {
	Branch    string `json:"branch"`
	MeetingID string `json:"meeting_id"`
	bot.Photo
}

// ErrNoMember means the userid names nobody in the roster.
var ErrNoMember = errors.New("store: no such member")

// ErrActiveMember means the member is still active: their personal data is
// erased only after they have left.
var ErrActiveMember = errors.New("store: the member is still active")

// scopes lists every branch (retired ones too) the member's records may be
// in, and the org scope of announcements.
func (s *Store) memberScopes(ctx context.Context, m bot.Member) ([]bot.Branch, error) {
	branches, err := s.Branches(ctx)
	if err != nil {
		return nil, err
	}
	known := false
	for _, b := range branches {
		known = known || b.ID == m.BranchID
	}
	if !known && m.BranchID != "" {
		branches = append(branches, bot.Branch{ID: m.BranchID})
	}
	return branches, nil
}

// PersonalData gathers everything stored about userID (now dates the
// export and bounds the dues months read).
func (s *Store) PersonalData(ctx context.Context, userID string, now time.Time) (PersonalData, error) {
	m, found, err := s.Member(ctx, userID)
	if err != nil {
		return PersonalData{}, err
	}
	a, onPath, err := s.Applicant(ctx, userID)
	if err != nil {
		return PersonalData{}, err
	}
	if !found && !onPath {
		return PersonalData{}, fmt.Errorf("%w: %s", ErrNoMember, userID)
	}
	d := PersonalData{UserID: userID, ExportedAt: now, Member: m}
	reportsBranch := m.BranchID
	if onPath {
		d.Development, reportsBranch = &a, a.BranchID
	}
	if reportsBranch != "" {
		if d.ThoughtReports, err = s.ThoughtReports(ctx, reportsBranch, userID); err != nil {
			return PersonalData{}, err
		}
	}
	if !found { // on the 发展 path only: nothing else is kept about them
		return d, nil
	}
	branches, err := s.memberScopes(ctx, m)
	if err != nil {
		return PersonalData{}, err
	}
	for _, br := range branches {
		if err := s.branchData(ctx, br, m, now, &d); err != nil {
			return PersonalData{}, err
		}
	}
	for _, scope := range append([]string{bot.OrgScope}, branchIDs(branches)...) {
		if err := s.answerData(ctx, scope, m.UserID, &d); err != nil {
			return PersonalData{}, err
		}
	}
	return d, nil
}

func branchIDs(bs []bot.Branch) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

// branchData adds one branch's records of the member.
func (s *Store) branchData(ctx context.Context, br bot.Branch, m bot.Member, now time.Time, d *PersonalData) error {
	checkins, err := s.memberCheckins(ctx, br.ID, m.UserID)
	if err != nil {
		return err
	}
	d.Checkins = append(d.Checkins, checkins...)
	reports, err := s.memberStudy(ctx, br.ID, m.UserID)
	if err != nil {
		return err
	}
	d.Study = append(d.Study, reports...)
	leaves, err := s.memberLeaves(ctx, br.ID, m.UserID)
	if err != nil {
		return err
	}
	d.Leaves = append(d.Leaves, leaves...)
	if amount, err := s.rdb.HGet(ctx, s.duesAmountKey(br.ID), m.UserID).Int64(); err == nil {
		d.DuesAmounts = append(d.DuesAmounts, DuesAmount{Branch: br.ID, Amount: bot.Cents(amount)})
	} else if !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store: read dues amount: %w", err)
	}
	paid, err := s.DuesPaid(ctx, br.ID, duesMonths(br, now))
	if err != nil {
		return err
	}
	for _, byUser := range paid {
		if p, ok := byUser[m.UserID]; ok {
			d.Dues = append(d.Dues, DuesData{Branch: br.ID, DuesPayment: p})
		}
	}
	sort.Slice(d.Dues, func(i, j int) bool { return d.Dues[i].Month < d.Dues[j].Month })
	meetings, photos, err := s.memberMeetings(ctx, br.ID, m.UserID)
	if err != nil {
		return err
	}
	d.Meetings = append(d.Meetings, meetings...)
	d.MeetingPhotos = append(d.MeetingPhotos, photos...)
	return nil
}

// duesMonths are the months a branch's payments may be filed under: from a
// year before the bot first saw it (back-payments) to a year ahead
// (prepayments); ten years back when it is not known.
func duesMonths(br bot.Branch, now time.Time) []bot.Month {
	this := bot.Month{Year: now.Year(), Month: now.Month()}
	first := this.Add(-120)
	if br.Since.Year > 0 {
		first = bot.Month{Year: br.Since.Year, Month: time.Month(br.Since.Month)}.Add(-12)
	}
	var out []bot.Month
	for mo := first; !this.Add(12).Before(mo); mo = mo.Add(1) {
		out = append(out, mo)
	}
	return out
}

// memberCheckins reads the member's check-in days, each with its record and
// any location still kept.
func (s *Store) memberCheckins(ctx context.Context, branchID, userID string) ([]CheckinData, error) {
	days, err := s.rdb.ZRange(ctx, s.checkinMemberKey(branchID, userID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read check-in days: %w", err)
	}
	records := make([]*redis.StringCmd, len(days))
	locations := make([]*redis.StringCmd, len(days))
	parsed := make([]bot.Date, len(days))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, day := range days {
			parsed[i], _ = bot.ParseDate(day)
			records[i] = p.HGet(ctx, s.checkinDayKey(branchID, parsed[i]), userID)
			locations[i] = p.HGet(ctx, s.checkinLocationKey(branchID, parsed[i]), userID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: read check-ins: %w", err)
	}
	out := make([]CheckinData, 0, len(days))
	for i := range days {
		c := CheckinData{Branch: branchID, Day: parsed[i]}
		if raw, err := records[i].Result(); err == nil {
			var rec struct {
				At time.Time `json:"at"`
			}
			if err := json.Unmarshal([]byte(raw), &rec); err != nil {
				return nil, fmt.Errorf("store: decode check-in: %w", err)
			}
			c.At = rec.At
		}
		if raw, err := locations[i].Result(); err == nil {
			c.Location = &bot.Location{}
			if err := json.Unmarshal([]byte(raw), c.Location); err != nil {
				return nil, fmt.Errorf("store: decode location: %w", err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// memberStudy reads every report of the member, oldest first.
func (s *Store) memberStudy(ctx context.Context, branchID, userID string) ([]bot.StudyReport, error) {
	all, err := s.rdb.HGetAll(ctx, s.studyKey(branchID, userID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read study: %w", err)
	}
	out := make([]bot.StudyReport, 0, len(all))
	for _, raw := range all {
		r, err := decodeStudy(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// memberLeaves reads the member's leaves in a branch, set by anyone.
func (s *Store) memberLeaves(ctx context.Context, branchID, userID string) ([]bot.Leave, error) {
	all, err := s.rdb.HGetAll(ctx, s.leavesKey(branchID)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: read leaves: %w", err)
	}
	var out []bot.Leave
	for _, raw := range all {
		var l bot.Leave
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return nil, fmt.Errorf("store: decode leave: %w", err)
		}
		if strings.EqualFold(l.UserID, userID) {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out, nil
}

// memberMeetings reads the member's part of every meeting of a branch, and
// the photos they sent.
func (s *Store) memberMeetings(ctx context.Context, branchID, userID string) ([]MeetingData, []PhotoData, error) {
	meetings, err := s.Meetings(ctx, branchID, time.Unix(0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(meetings))
	for i, m := range meetings {
		ids[i] = m.ID
	}
	outcomes, err := s.Outcomes(ctx, branchID, ids)
	if err != nil {
		return nil, nil, err
	}
	var out []MeetingData
	var photos []PhotoData
	for _, m := range meetings {
		md := MeetingData{Branch: branchID, MeetingID: m.ID, Meeting: m.Label(), OpenedAt: m.OpenedAt}
		raw, err := s.rdb.HGet(ctx, s.attendanceKey(branchID, m.ID), userID).Result()
		switch {
		case err == nil:
			md.Attendance = &bot.Attendance{}
			if err := json.Unmarshal([]byte(raw), md.Attendance); err != nil {
				return nil, nil, fmt.Errorf("store: decode attendance: %w", err)
			}
		case !errors.Is(err, redis.Nil):
			return nil, nil, fmt.Errorf("store: read attendance: %w", err)
		}
		o := outcomes[m.ID]
		if o.Snapshot != nil {
			for _, e := range o.Snapshot.Entries {
				if strings.EqualFold(e.UserID, userID) {
					md.Record = &e
				}
			}
		}
		for _, c := range o.Corrections {
			if strings.EqualFold(c.UserID, userID) {
				md.Corrections = append(md.Corrections, c)
			}
		}
		if md.Attendance != nil || md.Record != nil || len(md.Corrections) > 0 {
			out = append(out, md)
		}
		ps, err := s.Photos(ctx, branchID, m.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			if strings.EqualFold(p.By, userID) {
				photos = append(photos, PhotoData{Branch: branchID, MeetingID: m.ID, Photo: p})
			}
		}
	}
	return out, photos, nil
}

// answerData adds the member's answers to a scope's announcements.
func (s *Store) answerData(ctx context.Context, scope, userID string, d *PersonalData) error {
	all, err := s.RecentAnnouncements(ctx, scope, time.Time{}, 1<<30)
	if err != nil {
		return err
	}
	for i := len(all) - 1; i >= 0; i-- { // oldest first
		a := all[i]
		r, err := s.Responses(ctx, scope, a.No)
		if err != nil {
			return err
		}
		ans := AnswerData{Scope: scope, No: a.No, Title: a.Title, At: r.Acked[userID]}
		if a.Activity == nil {
			if !ans.At.IsZero() {
				ans.Answer = "收到"
				d.Acknowledgements = append(d.Acknowledgements, ans)
			}
			continue
		}
		switch {
		case slices.Contains(r.Joined, userID):
			ans.Answer = "joined"
		case slices.Contains(r.Waiting, userID):
			ans.Answer = "waiting"
		case r.Declined[userID]:
			ans.Answer = "declined"
		default:
			continue
		}
		d.SignUps = append(d.SignUps, ans)
	}
	return nil
}

// ErasedText replaces a study report's content once it is erased: the
// report still counts (day and minutes), its words are gone.
const ErasedText = "（已删除）"

// EraseReport counts what an erase removed (or, dry, would remove). It
// holds numbers only, never the content.
type EraseReport struct {
	UserID            string `json:"userid"`
	Branch            string `json:"branch"`
	StudyTexts        int    `json:"study_texts"`        // content and reflection
	StudyEvidence     int    `json:"study_evidence"`     // photos attached to reports
	LeaveReasons      int    `json:"leave_reasons"`      // leave records' reasons
	Locations         int    `json:"locations"`          // check-in locations
	AttendanceReasons int    `json:"attendance_reasons"` // reasons in meeting attendance and records
	CorrectionReasons int    `json:"correction_reasons"` // free text of corrections about them
	MeetingPhotos     int    `json:"meeting_photos"`     // photos they sent to meetings
	Drafts            int    `json:"drafts"`             // an announcement draft waiting
	ThoughtReports    int    `json:"thought_reports"`    // 思想汇报 texts and pictures
}

// Total is the number of items removed.
func (r EraseReport) Total() int {
	return r.StudyTexts + r.StudyEvidence + r.LeaveReasons + r.Locations + r.AttendanceReasons + r.CorrectionReasons + r.MeetingPhotos + r.Drafts + r.ThoughtReports
}

// Summary is the report in one line, for the CLI and the audit entry.
func (r EraseReport) Summary() string {
	return fmt.Sprintf("study texts %d, study photos %d, leave reasons %d, locations %d, attendance reasons %d, correction reasons %d, meeting photos %d, drafts %d, thought reports %d",
		r.StudyTexts, r.StudyEvidence, r.LeaveReasons, r.Locations, r.AttendanceReasons, r.CorrectionReasons, r.MeetingPhotos, r.Drafts, r.ThoughtReports)
}

// EraseMember removes the personal content of a member who has left and
// keeps the branch's records (name, check-in days, study days and minutes,
// leave dates, meeting attendance, dues, answers to announcements). It
// refuses an active member (ErrActiveMember). Run again it finds nothing
// to remove. With dry it only counts. A real erase that removed anything
// is audited by actor, with the counts only.
func (s *Store) EraseMember(ctx context.Context, userID, actor string, now time.Time, dry bool) (EraseReport, error) {
	d, err := s.PersonalData(ctx, userID, now)
	if err != nil {
		return EraseReport{}, err
	}
	if d.Member.Active || (d.Development != nil && d.Development.OnPath()) {
		return EraseReport{}, fmt.Errorf("%w: %s", ErrActiveMember, d.UserID)
	}
	u := d.UserID
	rep := EraseReport{UserID: u, Branch: d.Member.BranchID}
	if err := s.eraseThoughtReports(ctx, d, &rep, dry); err != nil {
		return rep, err
	}
	for _, r := range d.Study {
		texts, evidence := (r.Content != "" && r.Content != ErasedText) || r.Reflection != "", len(r.Evidence) > 0
		if !texts && !evidence {
			continue
		}
		rep.StudyTexts += btoi(texts)
		rep.StudyEvidence += len(r.Evidence)
		if dry {
			continue
		}
		_, err := s.ModifyStudy(ctx, r.BranchID, r.UserID, r.ID, func(r *bot.StudyReport) error {
			if r.Content != "" {
				r.Content = ErasedText
			}
			r.Reflection, r.Evidence = "", nil
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("store: erase study: %w", err)
		}
	}
	for _, l := range d.Leaves {
		if l.Reason == "" {
			continue
		}
		rep.LeaveReasons++
		if !dry {
			l.Reason = ""
			if err := s.PutLeave(ctx, l); err != nil {
				return rep, err
			}
		}
	}
	for _, c := range d.Checkins {
		if c.Location == nil {
			continue
		}
		rep.Locations++
		if !dry {
			if err := s.rdb.HDel(ctx, s.checkinLocationKey(c.Branch, c.Day), u).Err(); err != nil {
				return rep, fmt.Errorf("store: erase location: %w", err)
			}
		}
	}
	for _, md := range d.Meetings {
		if err := s.eraseMeeting(ctx, md, u, dry, &rep); err != nil {
			return rep, err
		}
	}
	for _, p := range d.MeetingPhotos {
		rep.MeetingPhotos++
		if !dry {
			_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.HDel(ctx, s.photosKey(p.Branch, p.MeetingID), p.MediaID)
				pipe.Del(ctx, s.photoKey(p.Branch, p.MeetingID, p.MediaID))
				return nil
			})
			if err != nil {
				return rep, fmt.Errorf("store: erase photo: %w", err)
			}
		}
	}
	if n, err := s.rdb.Exists(ctx, s.draftKey(u)).Result(); err != nil {
		return rep, fmt.Errorf("store: read draft: %w", err)
	} else if n > 0 {
		rep.Drafts++
		if !dry {
			if err := s.rdb.Del(ctx, s.draftKey(u)).Err(); err != nil {
				return rep, fmt.Errorf("store: erase draft: %w", err)
			}
		}
	}
	if dry || rep.Total() == 0 {
		return rep, nil
	}
	err = s.Append(ctx, bot.AuditEntry{At: now, Actor: actor, Action: "member.erase", Branch: rep.Branch, Target: u, Detail: rep.Summary()})
	return rep, err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eraseMeeting blanks the reasons in the member's attendance, in the
// meeting's closing record and in corrections about them; statuses stay.
func (s *Store) eraseMeeting(ctx context.Context, md MeetingData, u string, dry bool, rep *EraseReport) error {
	if a := md.Attendance; a != nil && a.Reason != "" {
		rep.AttendanceReasons++
		if !dry {
			a.Reason = ""
			raw, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("store: encode attendance: %w", err)
			}
			if err := s.rdb.HSet(ctx, s.attendanceKey(md.Branch, md.MeetingID), a.UserID, raw).Err(); err != nil {
				return fmt.Errorf("store: erase attendance reason: %w", err)
			}
		}
	}
	if md.Record != nil && md.Record.Reason != "" {
		rep.AttendanceReasons++
		if !dry {
			if err := s.eraseSnapshotReason(ctx, md.Branch, md.MeetingID, u); err != nil {
				return err
			}
		}
	}
	for _, c := range md.Corrections {
		if c.Reason == "" {
			continue
		}
		rep.CorrectionReasons++
	}
	if dry || !slices.ContainsFunc(md.Corrections, func(c bot.Correction) bool { return c.Reason != "" }) {
		return nil
	}
	key := s.correctionsKey(md.Branch, md.MeetingID)
	raws, err := s.rdb.LRange(ctx, key, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("store: read corrections: %w", err)
	}
	for i, raw := range raws {
		var c bot.Correction
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return fmt.Errorf("store: decode correction: %w", err)
		}
		if !strings.EqualFold(c.UserID, u) || c.Reason == "" {
			continue
		}
		c.Reason = ""
		out, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("store: encode correction: %w", err)
		}
		if err := s.rdb.LSet(ctx, key, int64(i), out).Err(); err != nil {
			return fmt.Errorf("store: erase correction reason: %w", err)
		}
	}
	return nil
}

// eraseSnapshotReason blanks the member's reason in a closed meeting's
// record (the record is otherwise never rewritten).
func (s *Store) eraseSnapshotReason(ctx context.Context, branchID, meetingID, u string) error {
	key := s.snapshotKey(branchID, meetingID)
	raw, err := s.rdb.Get(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("store: read snapshot: %w", err)
	}
	var snap bot.MeetingSnapshot
	if err := json.Unmarshal([]byte(raw), &snap); err != nil {
		return fmt.Errorf("store: decode snapshot: %w", err)
	}
	for i := range snap.Entries {
		if strings.EqualFold(snap.Entries[i].UserID, u) {
			snap.Entries[i].Reason = ""
		}
	}
	out, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("store: encode snapshot: %w", err)
	}
	if err := s.rdb.Set(ctx, key, out, redis.KeepTTL).Err(); err != nil {
		return fmt.Errorf("store: erase snapshot reason: %w", err)
	}
	return nil
}

// eraseThoughtReports blanks the text and pictures of a person's 思想汇报,
// keeping their dates (the 发展党员 register shows they were handed in).
func (s *Store) eraseThoughtReports(ctx context.Context, d PersonalData, rep *EraseReport, dry bool) error {
	branchID := d.Member.BranchID
	if d.Development != nil {
		branchID = d.Development.BranchID
	}
	for i, r := range d.ThoughtReports {
		if r.Text == ErasedText && len(r.Media) == 0 {
			continue
		}
		rep.ThoughtReports++
		if dry {
			continue
		}
		r.Text, r.Media = ErasedText, nil
		enc, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("store: encode thought report: %w", err)
		}
		if err := s.rdb.LSet(ctx, s.devReportsKey(branchID, d.UserID), int64(i), enc).Err(); err != nil {
			return fmt.Errorf("store: erase thought report: %w", err)
		}
	}
	return nil
}

package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
)

// MeetingType is a kind of meeting of 三会一课, 主题党日 and others; its
// value is the Chinese name members type.
type MeetingType string

// Meeting types of 三会一课 and 主题党日.
const (
	MeetingGeneral   MeetingType = "党员大会"
	MeetingCommittee MeetingType = "支委会"
	MeetingGroup     MeetingType = "党小组会"
	MeetingLecture   MeetingType = "党课"
	MeetingThemeDay  MeetingType = "主题党日"
	MeetingLifeMeet  MeetingType = "组织生活会"
	MeetingOther     MeetingType = "其他"
)

// MeetingTypes lists the types a secretary may open, in display order.
var MeetingTypes = []MeetingType{MeetingGeneral, MeetingCommittee, MeetingGroup, MeetingLecture, MeetingThemeDay, MeetingLifeMeet, MeetingOther}

// Meeting is one meeting of a branch. Once closed it is never changed.
type Meeting struct {
	ID        string      `json:"id"` // see meetingID
	BranchID  string      `json:"branch"`
	Type      MeetingType `json:"type"`
	Group     string      `json:"group,omitempty"` // a 党小组会's 党小组; "" for the branch
	Title     string      `json:"title,omitempty"`
	Code      string      `json:"code"`
	OpenedBy  string      `json:"opened_by"`
	OpenedAt  time.Time   `json:"opened_at"`
	ExpiresAt time.Time   `json:"expires_at"` // sign-in closes
	ClosedBy  string      `json:"closed_by,omitempty"`
	ClosedAt  time.Time   `json:"closed_at,omitzero"`
	CloseKey  string      `json:"close_key,omitempty"` // dedupe key of the message that closed it
}

// SignInKey is the sign-in button's key on m's card: it comes back as the
// click's EventKey and tells which meeting the click is for.
func (m Meeting) SignInKey() string { return signInButtonKey + ":" + m.ID }

// clickedMeetingID names the meeting a card click is for. Cards sent before
// keys named their meeting carried it in the task_id ("mtg_<branch>_<id>").
func clickedMeetingID(msg Message, branchID string) string {
	if id, ok := strings.CutPrefix(msg.EventKey, signInButtonKey+":"); ok {
		return id
	}
	id, _ := strings.CutPrefix(msg.TaskID, "mtg_"+branchID+"_")
	return id
}

// Label is the type, the 党小组 and the title for replies.
func (m Meeting) Label() string {
	label := string(m.Type)
	if m.Group != "" {
		label += "（" + Plain(m.Group) + "）"
	}
	if m.Title == "" {
		return label
	}
	return label + "「" + Plain(m.Title) + "」"
}

// AttendanceStatus is a member's standing in a meeting's record.
type AttendanceStatus string

// Attendance statuses. Absent is only ever written by a correction: a
// member with no record is absent.
const (
	Present AttendanceStatus = "present"
	Excused AttendanceStatus = "excused"
	Absent  AttendanceStatus = "absent"
)

// Label is the status in Chinese, as records show it.
func (s AttendanceStatus) Label() string {
	switch s {
	case Present:
		return "到会"
	case Excused:
		return "请假"
	case Absent:
		return "缺席"
	}
	return string(s)
}

// Attendance is one member's record for a meeting; the first one stands.
type Attendance struct {
	UserID string           `json:"userid"`
	Status AttendanceStatus `json:"status"`
	At     time.Time        `json:"at"`
	Reason string           `json:"reason,omitempty"`
	Via    string           `json:"via"` // code, card, or the userid who excused them
}

// MeetingStore keeps meetings, one open per branch at a time.
type MeetingStore interface {
	// OpenMeeting opens m unless the branch has an open meeting, which it
	// returns instead (opened=false).
	OpenMeeting(ctx context.Context, m Meeting) (current Meeting, opened bool, err error)
	// OpenMeetingOf returns the branch's open meeting, if any.
	OpenMeetingOf(ctx context.Context, branchID string) (m Meeting, found bool, err error)
	// RecordAttendance stores a unless the member already has a record for
	// the meeting, and returns the record that stands. It fails with
	// ErrMeetingClosed once the meeting is no longer open.
	RecordAttendance(ctx context.Context, branchID, meetingID string, a Attendance) (stored Attendance, created bool, err error)
	// Attendance lists a meeting's records.
	Attendance(ctx context.Context, branchID, meetingID string) ([]Attendance, error)
	// CloseMeeting stores the closed record and clears the open pointer,
	// and reports false when the meeting was no longer open (closed by a
	// concurrent 结束会议): then it changes nothing.
	CloseMeeting(ctx context.Context, m Meeting) (closed bool, err error)
	// SaveSnapshot keeps a closed meeting's record as it stood at closing;
	// the first one stands.
	SaveSnapshot(ctx context.Context, branchID, meetingID string, snap MeetingSnapshot) error
	// Outcomes returns the snapshots (nil if none was taken) and corrections
	// of closed meetings.
	Outcomes(ctx context.Context, branchID string, meetingIDs []string) (map[string]MeetingOutcome, error)
	// Meetings lists a branch's meetings opened in [from, to).
	Meetings(ctx context.Context, branchID string, from, to time.Time) ([]Meeting, error)
	// MeetingsMany is Meetings of several branches in two round trips.
	MeetingsMany(ctx context.Context, branchIDs []string, from, to time.Time) (map[string][]Meeting, error)
	// WrongCodes counts a member's wrong sign-in codes for a meeting;
	// AddWrongCode adds one (the count expires with ttl).
	WrongCodes(ctx context.Context, branchID, meetingID, userID string) (int, error)
	AddWrongCode(ctx context.Context, branchID, meetingID, userID string, ttl time.Duration) (int, error)
	// LatestMeeting returns the branch's most recently opened meeting.
	LatestMeeting(ctx context.Context, branchID string) (m Meeting, found bool, err error)
	// AddCorrection appends a correction to a meeting's record, unless one
	// with its ID is there already (a retried 更正).
	AddCorrection(ctx context.Context, branchID, meetingID string, c Correction) error
	// Corrections lists a meeting's corrections, oldest first.
	Corrections(ctx context.Context, branchID, meetingID string) ([]Correction, error)
}

// ErrMeetingClosed means attendance came after the meeting was closed.
var ErrMeetingClosed = errors.New("bot: the meeting is closed")

// MeetingSnapshot is a closed meeting's record as it stood at closing: who
// was present, excused or absent, and who counted for the quorum. Names are
// kept, so the record reads the same after members leave. Corrections are
// applied over it when it is read.
type MeetingSnapshot struct {
	Entries       []RecordEntry `json:"entries"`
	QuorumApplies bool          `json:"quorum_applies,omitempty"`
	TakenAt       time.Time     `json:"taken_at"`
}

// RecordEntry is one member's line in a meeting's record.
type RecordEntry struct {
	UserID   string           `json:"userid"`
	Name     string           `json:"name,omitempty"`
	Status   AttendanceStatus `json:"status"`
	Reason   string           `json:"reason,omitempty"`
	Eligible bool             `json:"eligible,omitempty"` // counts for the quorum
	// Guest: came though not expected (a member at another group's
	// 党小组会, a non-member of the committee at a 支委会).
	Guest bool `json:"guest,omitempty"`
}

// MeetingOutcome is what is stored of a closed meeting beyond its header.
type MeetingOutcome struct {
	Snapshot    *MeetingSnapshot
	Corrections []Correction
}

// Correction changes one member's standing in a meeting's record after the
// fact. Attendance itself is never rewritten: corrections are appended,
// applied in order when the record is read, and each is audited.
type Correction struct {
	// ID is the dedupe key of the 更正 message: a retry stores it once.
	// Corrections stored before it existed have none.
	ID     string           `json:"id,omitempty"`
	UserID string           `json:"userid"`
	Status AttendanceStatus `json:"status"`
	Reason string           `json:"reason,omitempty"`
	By     string           `json:"by"`
	At     time.Time        `json:"at"`
}

// viaChair marks the attendance of the member who opened the meeting.
const viaChair = "chair"

// maxWrongCodes is how many wrong codes a member may send per meeting.
const maxWrongCodes = 5

// DefaultSignInWindow is how long a meeting's sign-in code is valid.
const DefaultSignInWindow = 2 * time.Hour

// newCode draws a 4-digit sign-in code.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		return fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	}
	return fmt.Sprintf("%04d", n.Int64())
}

const meetingUsage = "用法：会议 <类型> [标题]\n类型：党员大会、支委会、党小组会、党课、主题党日、组织生活会、其他\n党小组会可写明党小组：会议 党小组会 第一党小组 [标题]"

// signInButtonKey is the EventKey of the card's sign-in button.
const signInButtonKey = "meeting_signin"

func (b *Bot) openMeeting(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) == 0 || !slices.Contains(MeetingTypes, MeetingType(Normalize(req.Args[0]))) {
		return Reply{Text: meetingUsage}, nil
	}
	branchID := req.Member.BranchID
	if branchID == "" {
		return Reply{Text: "你不属于任何支部，不能开会。"}, nil
	}
	members, err := b.Roster.BranchMembers(ctx, branchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: list branch %s: %w", branchID, err)
	}
	typ, args := MeetingType(Normalize(req.Args[0])), req.Args[1:]
	var group string
	if typ == MeetingGroup {
		var refusal string
		if group, args, refusal, err = b.meetingGroup(ctx, req.Member, members, args); err != nil || refusal != "" {
			return Reply{Text: refusal}, err
		}
	}
	m := Meeting{
		ID: messageID(req), BranchID: branchID, Type: typ, Group: group,
		Title: strings.Join(args, " "), Code: b.NewCode(),
		OpenedBy: req.Member.UserID, OpenedAt: req.Now, ExpiresAt: req.Now.Add(b.SignInWindow),
	}
	current, opened, err := b.Meetings.OpenMeeting(ctx, m)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
	}
	// The same message again (its first run failed after opening) carries on.
	if !opened && current.ID != m.ID {
		return Reply{Text: fmt.Sprintf("本支部已有进行中的会议：%s（签到码 %s）。请先发送“结束会议”。", current.Label(), current.Code)}, nil
	}
	m = current
	if opened {
		if err := b.audit(ctx, req, "meeting.open", req.Member, m.ID+" "+m.Label()); err != nil {
			return Reply{}, err
		}
	}
	// Whoever opens the meeting chairs it (主持人): present without signing in.
	chair := Attendance{UserID: req.Member.UserID, Status: Present, At: req.Now, Via: viaChair}
	if _, _, err := b.Meetings.RecordAttendance(ctx, m.BranchID, m.ID, chair); err != nil && !errors.Is(err, ErrMeetingClosed) {
		return Reply{}, fmt.Errorf("bot: record chair: %w", err)
	}
	// A 党小组会 is announced to its group; other meetings to the branch
	// (members may sit in on a 支委会).
	var to []string
	for _, mem := range members {
		if expected, _ := expectedAt(m, mem); mem.UserID != req.Member.UserID && (expected || m.Type != MeetingGroup) {
			to = append(to, mem.UserID)
		}
	}
	audience := "本支部"
	if m.Group != "" {
		audience = Plain(m.Group)
	}
	until := m.ExpiresAt.In(b.Location).Format("15:04")
	reply := Reply{Text: fmt.Sprintf("已开启 %s\n签到码：%s（%s 前有效）\n已通知%s %d 名党员。会后发送“结束会议”查看到会情况。",
		m.Label(), m.Code, until, audience, len(to))}
	theme := ""
	if m.Type == MeetingThemeDay { // the month's 主题党日 计划, set beforehand (支部工作条例 第十六条)
		line, err := b.themeLine(ctx, branchID, MonthOf(DateOf(req.Now, b.Location)))
		if err != nil {
			return Reply{}, err
		}
		if line != "" {
			theme = "\n" + line
			reply.Text += theme
		}
	}
	if len(to) > 0 {
		// Members on the WeChat plugin (微工作台) see no cards: the code
		// also goes out as text, which every client shows.
		reply.Notices = []Notice{
			{To: to, Card: &Card{
				Title:       m.Label(),
				Description: fmt.Sprintf("签到码 %s，%s 前有效", m.Code, until),
				Buttons:     []Button{{Text: "签到", Key: m.SignInKey()}},
			}},
			{To: to, Text: fmt.Sprintf("【会议签到】%s\n签到码：%s（%s 前有效）\n点卡片上的“签到”，或发送“签到 %s”。不能参加请发送“请假 原因”。%s",
				m.Label(), m.Code, until, m.Code, theme)},
		}
	}
	return reply, nil
}

// signInMeeting handles "签到 <code>".
func (b *Bot) signInMeeting(ctx context.Context, req Request, code string) (Reply, error) {
	m, found, err := b.Meetings.OpenMeetingOf(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
	}
	if !found {
		return Reply{Text: "本支部现在没有进行中的会议，签到码无效。日常签到请只发“签到”。"}, nil
	}
	// Four digits can be guessed: a few wrong tries end the code's use for
	// this member, who then signs in by the card or the host's 更正.
	wrong, err := b.Meetings.WrongCodes(ctx, m.BranchID, m.ID, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: wrong codes: %w", err)
	}
	if wrong >= maxWrongCodes {
		return Reply{Text: "签到码错误次数过多，请点会议卡片上的“签到”按钮，或请主持人为你更正记录。"}, nil
	}
	if code != m.Code {
		if _, err := b.Meetings.AddWrongCode(ctx, m.BranchID, m.ID, req.Member.UserID, b.SignInWindow); err != nil {
			return Reply{}, fmt.Errorf("bot: wrong codes: %w", err)
		}
		return Reply{Text: "签到码不对，请向会议主持人确认后重发“签到 签到码”。"}, nil
	}
	text, _, err := b.recordPresence(ctx, req, m, "code")
	return Reply{Text: text}, err
}

// signInByCard handles a click on the meeting card's button.
func (b *Bot) signInByCard(ctx context.Context, req Request) (Reply, error) {
	m, found, err := b.Meetings.OpenMeetingOf(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
	}
	if !found || m.ID != clickedMeetingID(req.Msg, req.Member.BranchID) {
		return Reply{ReplaceButton: "会议已结束"}, nil
	}
	_, expired, err := b.recordPresence(ctx, req, m, "card")
	switch {
	case err != nil:
		return Reply{}, err
	case expired:
		return Reply{ReplaceButton: "签到已截止"}, nil
	}
	return Reply{ReplaceButton: "已签到"}, nil
}

// recordPresence signs the sender in; after the window it refuses, since
// attendance is never back-dated.
func (b *Bot) recordPresence(ctx context.Context, req Request, m Meeting, via string) (text string, expired bool, err error) {
	if req.Now.After(m.ExpiresAt) {
		return fmt.Sprintf("签到时间已过（%s 截止），不能补签。如需更正请联系书记。", m.ExpiresAt.In(b.Location).Format("15:04")), true, nil
	}
	stored, created, err := b.Meetings.RecordAttendance(ctx, m.BranchID, m.ID,
		Attendance{UserID: req.Member.UserID, Status: Present, At: req.Now, Via: via})
	if errors.Is(err, ErrMeetingClosed) {
		return "会议已结束，不能再签到。如需更正请联系书记。", true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("bot: record attendance: %w", err)
	}
	at := stored.At.In(b.Location).Format("15:04")
	switch {
	case stored.Via == viaChair:
		return fmt.Sprintf("你是 %s 的主持人，已计为到会，无需签到。", m.Label()), false, nil
	case created:
		return fmt.Sprintf("会议签到成功 ✅ %s %s", m.Label(), at), false, nil
	case stored.Status == Present:
		return fmt.Sprintf("你已在 %s 签到过 %s。", at, m.Label()), false, nil
	}
	return fmt.Sprintf("你已请假（%s），如需更正请联系书记。", Plain(stored.Reason)), false, nil
}

// excuseFromMeeting records an excused absence ("请假 原因" during a meeting).
func (b *Bot) excuseFromMeeting(ctx context.Context, req Request, target Member, m Meeting, reason string) (Reply, error) {
	if reason == "" {
		return Reply{Text: "请写上原因：请假 原因（本次会议）。按日期请假：" + leaveUsage}, nil
	}
	// A member may excuse themselves only while sign-in is open: afterwards
	// an absence is a fact, and only the branch's leaders may correct it.
	if target.UserID == req.Member.UserID && req.Now.After(m.ExpiresAt) {
		return Reply{Text: fmt.Sprintf("签到已于 %s 截止，不能再为本次会议请假。如有特殊情况请联系书记更正。", m.ExpiresAt.In(b.Location).Format("15:04"))}, nil
	}
	stored, created, err := b.Meetings.RecordAttendance(ctx, m.BranchID, m.ID,
		Attendance{UserID: target.UserID, Status: Excused, At: req.Now, Reason: reason, Via: req.Member.UserID})
	if errors.Is(err, ErrMeetingClosed) {
		return Reply{Text: "会议已结束，不能再请假。"}, nil
	}
	if err != nil {
		return Reply{}, fmt.Errorf("bot: record attendance: %w", err)
	}
	if !created {
		if stored.Status == Present {
			return Reply{Text: target.DisplayName() + " 已签到本次会议，无需请假。"}, nil
		}
		return Reply{Text: target.DisplayName() + " 已请过假（" + Plain(stored.Reason) + "）。"}, nil
	}
	if target.UserID != req.Member.UserID {
		if err := b.audit(ctx, req, "meeting.excuse", target, m.ID+" "+reason); err != nil {
			return Reply{}, err
		}
	}
	return Reply{Text: fmt.Sprintf("已登记 %s 本次%s请假（%s）。", target.DisplayName(), m.Type, Plain(reason))}, nil
}

func (b *Bot) closeMeeting(ctx context.Context, req Request) (Reply, error) {
	m, found, err := b.Meetings.OpenMeetingOf(ctx, req.Member.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: open meeting: %w", err)
	}
	key := req.Msg.DedupeKey()
	if found {
		m.ClosedBy, m.ClosedAt, m.CloseKey = req.Member.UserID, req.Now, key
		closed, err := b.Meetings.CloseMeeting(ctx, m)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: close meeting: %w", err)
		}
		found = closed // a concurrent 结束会议 may have closed it first
	}
	if !found {
		// A retry of the message that closed it (its first run failed after
		// closing) still gets the record; anyone else learns it is closed.
		latest, ok, err := b.Meetings.LatestMeeting(ctx, req.Member.BranchID)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: latest meeting: %w", err)
		}
		switch {
		case !ok || latest.ClosedAt.IsZero():
			return Reply{Text: "本支部没有进行中的会议。"}, nil
		case latest.CloseKey != key:
			return Reply{Text: fmt.Sprintf("%s 已于 %s 结束，无需再次结束。发送“进度”查看组织生活情况。",
				latest.Label(), latest.ClosedAt.In(b.Location).Format("15:04"))}, nil
		}
		m = latest
	}
	// Attendance is closed now: the record taken from it is final, and later
	// reads and corrections start from this snapshot.
	record, err := b.liveRecord(ctx, m)
	if err != nil {
		return Reply{}, err
	}
	if err := b.Meetings.SaveSnapshot(ctx, m.BranchID, m.ID, record.snapshot(req.Now)); err != nil {
		return Reply{}, fmt.Errorf("bot: save record: %w", err)
	}
	if err := b.audit(ctx, req, "meeting.close", req.Member, m.ID+" "+m.Label()); err != nil {
		return Reply{}, err
	}
	record, err = b.MeetingRecord(ctx, m)
	if err != nil {
		return Reply{}, err
	}
	notices, err := b.makeupsAtClose(ctx, record, req.Now)
	if err != nil {
		return Reply{}, err
	}
	// The absent and excused learn privately what to 补学 (see makeup.go).
	return Reply{Text: record.Text(b.Location), Notices: notices}, nil
}

// correctionWords map what a secretary types to a status.
var correctionWords = map[string]AttendanceStatus{
	"到会": Present, "出席": Present, "present": Present,
	"请假": Excused, "excused": Excused,
	"缺席": Absent, "absent": Absent,
}

const correctUsage = "用法：更正 @userid 到会|请假|缺席 [说明]\n更正本支部进行中或最近一次会议的记录，原记录保留，更正记入审计。"

// correct appends a correction to the open or latest meeting's record.
func (b *Bot) correct(ctx context.Context, req Request) (Reply, error) {
	if len(req.Args) < 2 || !strings.HasPrefix(Normalize(req.Args[0]), "@") {
		return Reply{Text: correctUsage}, nil
	}
	target, rest, refusal, err := b.resolveTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	status, ok := correctionWords[Normalize(rest[0])]
	if !ok {
		return Reply{Text: correctUsage}, nil
	}
	m, found, err := b.Meetings.LatestMeeting(ctx, target.BranchID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: latest meeting: %w", err)
	}
	if !found {
		return Reply{Text: "本支部还没有会议记录。"}, nil
	}
	reason := strings.Join(rest[1:], " ")
	c := Correction{ID: req.Msg.DedupeKey(), UserID: target.UserID, Status: status, Reason: reason, By: req.Member.UserID, At: req.Now}
	if err := b.Meetings.AddCorrection(ctx, m.BranchID, m.ID, c); err != nil {
		return Reply{}, fmt.Errorf("bot: add correction: %w", err)
	}
	if err := b.audit(ctx, req, "meeting.correct", target, fmt.Sprintf("%s %s→%s %s", m.ID, m.Label(), rest[0], reason)); err != nil {
		return Reply{}, err
	}
	record, err := b.MeetingRecord(ctx, m)
	if err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("已更正 %s：%s → %s（原记录保留，更正已记入审计）。\n到会 %d 人，请假 %d 人，缺席 %d 人",
		m.Label(), target.DisplayName(), rest[0], len(record.Present), len(record.Excused), len(record.Absent))
	if record.QuorumApplies {
		text += fmt.Sprintf("；应到 %d 人，实到 %d 人", record.Eligible, record.EligiblePresent)
	}
	return Reply{Text: text + "。"}, nil
}

// MeetingRecord is who came to a meeting, and whether it was quorate.
type MeetingRecord struct {
	Meeting Meeting
	Present []Member
	Excused []Member
	Reasons map[string]string // userid -> reason
	Absent  []Member
	// Quorum applies to 党员大会 (voting members) and 支委会 (committee).
	QuorumApplies   bool
	Eligible        int // voting members, or committee members
	EligiblePresent int
	// Expected and ExpectedPresent count those expected (see expectedAt),
	// guests apart: a 党小组会's group.
	Expected, ExpectedPresent int

	entries []RecordEntry // what a snapshot keeps
}

// QuorumMet is true when more than half of the eligible were present; for
// an election more than four fifths (基层组织选举工作条例: 选举 is valid
// only when more than 4/5 of the members entitled to vote attend).
func (r MeetingRecord) QuorumMet() bool {
	if r.Meeting.IsElection() {
		return r.EligiblePresent*5 > r.Eligible*4
	}
	return r.EligiblePresent*2 > r.Eligible
}

// MeetingRecord is m's record: for a closed meeting the snapshot taken at
// closing, for an open one (or one closed before snapshots) the live view;
// either way with the corrections applied in order.
func (b *Bot) MeetingRecord(ctx context.Context, m Meeting) (MeetingRecord, error) {
	var outcome MeetingOutcome
	if !m.ClosedAt.IsZero() {
		outcomes, err := b.Meetings.Outcomes(ctx, m.BranchID, []string{m.ID})
		if err != nil {
			return MeetingRecord{}, fmt.Errorf("bot: read record: %w", err)
		}
		outcome = outcomes[m.ID]
	} else {
		corrections, err := b.Meetings.Corrections(ctx, m.BranchID, m.ID)
		if err != nil {
			return MeetingRecord{}, fmt.Errorf("bot: read corrections: %w", err)
		}
		outcome.Corrections = corrections
	}
	return b.recordOf(ctx, m, outcome)
}

// recordOf builds m's record from a stored outcome, falling back to the
// live view where no snapshot was taken.
func (b *Bot) recordOf(ctx context.Context, m Meeting, o MeetingOutcome) (MeetingRecord, error) {
	var snap MeetingSnapshot
	if o.Snapshot != nil {
		snap = *o.Snapshot
	} else {
		live, err := b.liveRecord(ctx, m)
		if err != nil {
			return MeetingRecord{}, err
		}
		snap = live.snapshot(time.Time{})
	}
	return recordFrom(m, snap, o.Corrections), nil
}

// liveRecord computes m's record from attendance, the roster and leave (a
// member on leave that day counts as excused), without corrections.
func (b *Bot) liveRecord(ctx context.Context, m Meeting) (MeetingRecord, error) {
	members, err := b.Roster.BranchMembers(ctx, m.BranchID)
	if err != nil {
		return MeetingRecord{}, fmt.Errorf("bot: list branch %s: %w", m.BranchID, err)
	}
	att, err := b.Meetings.Attendance(ctx, m.BranchID, m.ID)
	if err != nil {
		return MeetingRecord{}, fmt.Errorf("bot: read attendance: %w", err)
	}
	byUser := map[string]Attendance{}
	for _, a := range att {
		byUser[a.UserID] = a
	}
	// Leave excuses a member only if it was entered before the meeting
	// closed: a record, once closed, does not change by later entries.
	day := DateOf(m.OpenedAt, b.Location)
	leaves, err := b.Leaves.Leaves(ctx, m.BranchID, day, day)
	if err != nil {
		return MeetingRecord{}, fmt.Errorf("bot: read leaves: %w", err)
	}
	away := map[string]bool{}
	for _, l := range leaves {
		if l.Covers(day) && (m.ClosedAt.IsZero() || l.At.Before(m.ClosedAt)) {
			away[l.UserID] = true
		}
	}
	snap := MeetingSnapshot{QuorumApplies: quorumApplies(m.Type)}
	for _, mem := range members {
		expected, entitled := expectedAt(m, mem)
		e := RecordEntry{UserID: mem.UserID, Name: mem.DisplayName(), Status: Absent, Eligible: entitled, Guest: !expected}
		a, ok := byUser[mem.UserID]
		switch {
		case ok:
			e.Status, e.Reason = a.Status, a.Reason
			if a.Via == viaChair {
				e.Reason = "主持"
			}
		case !expected:
			continue // neither expected nor there: not in the record
		case away[mem.UserID]:
			e.Status, e.Reason = Excused, "请假中"
		}
		snap.Entries = append(snap.Entries, e)
	}
	return recordFrom(m, snap, nil), nil
}

// snapshot is the record as stored at closing.
func (r MeetingRecord) snapshot(at time.Time) MeetingSnapshot {
	return MeetingSnapshot{Entries: r.entries, QuorumApplies: r.QuorumApplies, TakenAt: at}
}

// recordFrom applies corrections, in order, over a snapshot's entries. A
// correction for someone not in the record is ignored: they were not a
// member of the branch when it met.
func recordFrom(m Meeting, snap MeetingSnapshot, corrections []Correction) MeetingRecord {
	entries := slices.Clone(snap.Entries)
	for _, c := range corrections {
		if i := slices.IndexFunc(entries, func(e RecordEntry) bool { return e.UserID == c.UserID }); i >= 0 {
			entries[i].Status, entries[i].Reason = c.Status, c.Reason
		}
	}
	r := MeetingRecord{Meeting: m, Reasons: map[string]string{}, QuorumApplies: snap.QuorumApplies, entries: entries}
	for _, e := range entries {
		mem := Member{UserID: e.UserID, Name: e.Name}
		if e.Eligible {
			r.Eligible++
		}
		if !e.Guest {
			r.Expected++
			if e.Status == Present {
				r.ExpectedPresent++
			}
		}
		if e.Reason != "" {
			r.Reasons[e.UserID] = e.Reason
		}
		switch e.Status {
		case Present:
			r.Present = append(r.Present, mem)
			if e.Eligible {
				r.EligiblePresent++
			}
		case Excused:
			r.Excused = append(r.Excused, mem)
		default:
			r.Absent = append(r.Absent, mem)
		}
	}
	return r
}

// Counts reports whether the meeting fulfils its 三会一课 obligation, and
// if not, why: nobody came, or a 党员大会/支委会 without its quorum.
func (r MeetingRecord) Counts() (ok bool, why string) {
	switch {
	case len(r.Present) == 0:
		return false, "无人到会"
	case r.QuorumApplies && !r.QuorumMet() && r.Meeting.IsElection():
		return false, "选举未达应到人数的五分之四"
	case r.QuorumApplies && !r.QuorumMet():
		return false, "未达法定人数"
	}
	return true, ""
}

// Text renders the record for the secretary's phone.
func (r MeetingRecord) Text(loc *time.Location) string {
	names := func(ms []Member, reasons map[string]string) string {
		if len(ms) == 0 {
			return "无"
		}
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.DisplayName()
			if why := Plain(reasons[m.UserID]); why != "" {
				out[i] += "（" + why + "）"
			}
		}
		return strings.Join(out, "、")
	}
	m := r.Meeting
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s 已结束（%s–%s）\n", m.Label(), m.OpenedAt.In(loc).Format("1月2日 15:04"), m.ClosedAt.In(loc).Format("15:04"))
	fmt.Fprintf(&sb, "到会 %d 人：%s\n", len(r.Present), names(r.Present, r.Reasons))
	fmt.Fprintf(&sb, "请假 %d 人：%s\n", len(r.Excused), names(r.Excused, r.Reasons))
	fmt.Fprintf(&sb, "缺席 %d 人：%s", len(r.Absent), names(r.Absent, nil))
	if r.QuorumApplies {
		who := "有表决权的党员"
		if m.Type == MeetingCommittee {
			who = "支委"
		}
		verdict := "✅ 超过半数，会议有效"
		switch met := r.QuorumMet(); {
		case m.IsElection() && met:
			verdict = "✅ 超过五分之四，选举有效"
		case m.IsElection():
			verdict = "⚠️ 未超过五分之四，选举无效（选举须有超过应到人数五分之四的党员到会）"
		case !met:
			verdict = "⚠️ 未超过半数，会议不符合法定人数"
		}
		fmt.Fprintf(&sb, "\n%s应到 %d 人，实到 %d 人：%s", who, r.Eligible, r.EligiblePresent, verdict)
	} else if m.Group != "" {
		fmt.Fprintf(&sb, "\n%s应到 %d 人，实到 %d 人", Plain(m.Group), r.Expected, r.ExpectedPresent)
	}
	if ok, why := r.Counts(); !ok {
		fmt.Fprintf(&sb, "\n⚠️ %s，本次不计入三会一课完成情况。", why)
	}
	return sb.String()
}

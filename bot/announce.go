package bot

import (
	"context"
	"strconv"
	"time"
)

// OrgScope is the scope of an announcement to the whole org (an admin's
// `公告 全体 …`). It cannot be a branch id, which starts with [a-z0-9].
const OrgScope = "!org"

// Announcement is one sent announcement or activity. Records only grow:
// acknowledgements and sign-ups are kept beside it.
type Announcement struct {
	ID     string    `json:"id"`    // the draft's id: a retried 发送 publishes it once
	Scope  string    `json:"scope"` // a branch id, or OrgScope
	No     int       `json:"no"`    // numbered per scope: #12
	Title  string    `json:"title"`
	Body   string    `json:"body,omitempty"` // the lines after the title
	Media  []Media   `json:"media,omitempty"`
	Author string    `json:"author"`
	SentAt time.Time `json:"sent_at,omitzero"`
	To     []string  `json:"to,omitempty"` // recipients when sent, sorted
	// Activity is set for an activity (报名 / 不参加 instead of 收到).
	Activity *ActivityPlan `json:"activity,omitempty"`
	// Action is set on a draft that is a command waiting for 发送
	// (broadcast.go); such a draft is never published.
	Action *DraftAction `json:"action,omitempty"`
	// Material is set for a 学习材料 (已学 instead of 收到).
	Material *MaterialPlan `json:"material,omitempty"`
}

// ActivityPlan is what an activity adds: when, where, how many may come.
type ActivityPlan struct {
	Day      Date      `json:"day,omitzero"`
	Start    string    `json:"start,omitempty"` // "14:00", when given
	Place    string    `json:"place,omitempty"`
	Capacity int       `json:"capacity,omitempty"` // 0: no limit
	Deadline time.Time `json:"deadline,omitzero"`  // sign-ups close
}

// Label is the announcement's short number as members see it.
func (a Announcement) Label() string {
	if a.Scope == OrgScope {
		return "全体#" + strconv.Itoa(a.No)
	}
	return "#" + strconv.Itoa(a.No)
}

// short is the title as a reminder quotes it.
func (a Announcement) short() string { return cutRunes(a.Title, 30) }

// noun is 公告 or 活动.
func (a Announcement) noun() string {
	if a.Activity != nil {
		return "活动"
	}
	if a.Material != nil {
		return "学习材料"
	}
	return "公告"
}

// AnnounceOpenFor is how long an announcement takes acknowledgements.
const AnnounceOpenFor = 7 * 24 * time.Hour

// DraftTTL is how long a preview waits for 发送.
const DraftTTL = 10 * time.Minute

// announceNudgeAfter is when the unacknowledged are nudged.
const announceNudgeAfter = 4 * time.Hour

// maxAnnounceRunes bounds what one announcement may carry.
const maxAnnounceRunes = 4000

// Open reports whether the announcement still takes answers at now: an
// activity until its deadline (or its day), any announcement for a week.
func (a Announcement) Open(now time.Time, loc *time.Location) bool {
	if act := a.Activity; act != nil {
		switch {
		case !act.Deadline.IsZero():
			return now.Before(act.Deadline)
		case !act.Day.IsZero():
			return DateOf(now, loc).Number() <= act.Day.Number()
		}
	}
	return now.Before(a.SentAt.Add(AnnounceOpenFor))
}

// Cancellable reports whether a sign-up may still be cancelled: until the
// activity's day, even after sign-ups closed (the place goes to the next).
func (a Announcement) Cancellable(now time.Time, loc *time.Location) bool {
	if act := a.Activity; act != nil && !act.Day.IsZero() {
		return DateOf(now, loc).Number() <= act.Day.Number()
	}
	return a.Open(now, loc)
}

// Responses are the answers to one announcement.
type Responses struct {
	Acked    map[string]time.Time // 收到, or any answer to an activity
	Joined   []string             // signed up, in order
	Waiting  []string             // on the waiting list, in order
	Declined map[string]bool      // 不参加
}

// SignUpAction is what a member does to an activity.
type SignUpAction string

// Sign-up actions; the store keeps these words.
const (
	SignUpJoin    SignUpAction = "join"    // 报名 (the waiting list when full)
	SignUpDecline SignUpAction = "decline" // 不参加
	SignUpCancel  SignUpAction = "cancel"  // 取消报名
)

// SignUpState is where a member stands on an activity.
type SignUpState string

// Sign-up states; the store keeps these words.
const (
	SignUpNone     SignUpState = ""
	SignUpJoined   SignUpState = "joined"
	SignUpWaiting  SignUpState = "waiting"
	SignUpDeclined SignUpState = "declined"
)

// SignUp is one answer to an activity. Op names the message it came from:
// the same Op again returns the first outcome and changes nothing (a WeCom
// retry after the claim was released); "" applies it unconditionally.
type SignUp struct {
	Op       string
	Action   SignUpAction
	UserID   string
	At       time.Time
	Capacity int // 0: no limit
}

// SignUpOutcome is what a 报名, 不参加 or 取消报名 did.
type SignUpOutcome struct {
	Was      SignUpState // before: joined, waiting or none
	Now      SignUpState // after: joined, waiting, declined or none
	Position int         // on the waiting list, from 1
	Promoted string      // who moved up from the waiting list
}

// AnnounceStore keeps drafts, announcements and their answers.
type AnnounceStore interface {
	// SaveDraft keeps a's draft for its author for ttl, replacing theirs.
	SaveDraft(ctx context.Context, a Announcement, ttl time.Duration) error
	// Draft returns the author's draft with its media.
	Draft(ctx context.Context, author string) (a Announcement, found bool, err error)
	// AttachToDraft adds media to the author's draft, if there is one.
	AttachToDraft(ctx context.Context, author string, m Media) (count int, found bool, err error)
	// DropDraft removes the author's draft if it is still draftID.
	DropDraft(ctx context.Context, author, draftID string) error
	// Publish numbers and stores a; publishing one ID again returns the first.
	Publish(ctx context.Context, a Announcement) (Announcement, error)
	Announcement(ctx context.Context, scope string, no int) (a Announcement, found bool, err error)
	// RecentAnnouncements lists a scope's announcements sent since, newest first.
	RecentAnnouncements(ctx context.Context, scope string, since time.Time, limit int) ([]Announcement, error)
	// RecentAnnouncementsMany is RecentAnnouncements of several scopes in
	// two round trips (one when none has any).
	RecentAnnouncementsMany(ctx context.Context, scopes []string, since time.Time, limit int) (map[string][]Announcement, error)
	// Acknowledge records userID's 收到 once; first is false for a repeat.
	Acknowledge(ctx context.Context, scope string, no int, userID string, at time.Time) (first bool, err error)
	Responses(ctx context.Context, scope string, no int) (Responses, error)
	// AckCounts counts acknowledgements of several announcements at once.
	AckCounts(ctx context.Context, scope string, nos []int) ([]int, error)
	// Respond applies a sign-up answer to an activity, once per Op.
	Respond(ctx context.Context, scope string, no int, s SignUp) (SignUpOutcome, error)
}

// Button keys of announcement cards: "<prefix><scope>:<no>" or "<prefix><draft id>".
const (
	keyAnnounceSend   = "ann_send:"
	keyAnnounceCancel = "ann_cancel:"
	keyAnnounceAck    = "ann_ack:"
	keyActivityJoin   = "act_join:"
	keyActivityNo     = "act_no:"
)

// key is what button keys carry to name the announcement.
func (a Announcement) key() string { return a.Scope + ":" + strconv.Itoa(a.No) }

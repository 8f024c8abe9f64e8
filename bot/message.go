package bot

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the type of an inbound message, as WeCom names it in MsgType.
type Kind string

// Message kinds the bot understands. Anything else is parsed but ignored.
const (
	KindText     Kind = "text"
	KindImage    Kind = "image"
	KindLocation Kind = "location"
	KindEvent    Kind = "event"
)

// Message is one inbound message or event, already verified and decrypted
// by an adapter. It carries no wire tags: adapters translate into it.
type Message struct {
	MsgID    string // WeCom MsgId; empty for events
	From     string // member id: the userid, "corp/userid" outside the home corp (corp.go)
	Kind     Kind
	Text     string
	Time     time.Time // CreateTime
	AgentID  int
	MediaID  string // image
	PicURL   string // image
	Location *Location

	Event        string // event name, e.g. click, template_card_event, LOCATION
	EventKey     string
	TaskID       string
	CardType     string
	ResponseCode string
}

// Location is a location message or LOCATION event.
type Location struct {
	Latitude  float64
	Longitude float64
	Precision float64
	Label     string
}

// DedupeKey identifies a delivery so that WeCom's retries of it can be
// recognised: the MsgId when there is one, otherwise the event's sender,
// time and keys (two different clicks in the same second stay apart).
//
// MsgIds are unique within one corp only: another corp's carry the corp
// (a home corp's key is what it always was).
func (m Message) DedupeKey() string {
	if m.MsgID != "" && m.MsgID != "0" {
		if corp := CorpOf(m.From); corp != "" {
			return "msg:" + corp + corpSep + m.MsgID
		}
		return "msg:" + m.MsgID
	}
	return "evt:" + m.From + "|" + strconv.FormatInt(m.Time.Unix(), 10) + "|" + m.Event + "|" + m.EventKey + "|" + m.TaskID
}

// Reply is what the bot answers the sender. An empty reply says nothing.
type Reply struct {
	Text string `json:"text,omitempty"`
	// ReplaceButton answers a template-card click by relabelling the
	// clicked button (e.g. "已签到") instead of sending a text.
	ReplaceButton string `json:"button,omitempty"`
	// Notices go to other members once the command's effect is stored.
	// They are not remembered for retries: a retry never sends them twice.
	Notices []Notice `json:"-"`
}

// MaxMessageBytes is the most a text or markdown message may carry: WeCom
// takes 2048 bytes and cuts the rest; a margin keeps a split part under it.
const MaxMessageBytes = 2000

// SplitText cuts text into parts of at most max bytes, between lines where
// it can and on a character boundary where a line alone is too long, so
// that nothing is lost to WeCom's limit.
func SplitText(text string, max int) []string {
	if len(text) <= max {
		return []string{text}
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, line := range strings.Split(text, "\n") {
		for len(line) > max { // one line over the limit: cut it
			flush()
			cut := max
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out, line = append(out, line[:cut]), line[cut:]
		}
		if cur.Len() > 0 && cur.Len()+1+len(line) > max {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// Empty reports whether there is nothing to answer the sender.
func (r Reply) Empty() bool { return r.Text == "" && r.ReplaceButton == "" }

// Notice is a message the bot pushes: to members (To) or to an app group
// chat (ChatID) or a branch group's robot (Robot). Exactly one of Text,
// Markdown, Card, Image, Media, File and ButtonUpdate is set.
type Notice struct {
	To     []string `json:"to,omitempty"`      // userids
	ChatID string   `json:"chat_id,omitempty"` // an app group chat
	// Robot names the branch whose group robot (webhook) posts the text; the
	// adapter holds the webhook keys, which are secrets and stay out of Redis.
	Robot        string        `json:"robot,omitempty"`
	Media        *Media        `json:"media,omitempty"`
	File         *File         `json:"file,omitempty"`
	Text         string        `json:"text,omitempty"`
	Markdown     string        `json:"markdown,omitempty"`
	Card         *Card         `json:"card,omitempty"`
	Image        *Image        `json:"image,omitempty"`
	ButtonUpdate *ButtonUpdate `json:"button_update,omitempty"`
}

// ButtonUpdate relabels the clicked button of a card that To received,
// after the click's passive reply was too late to do it (WeCom
// update_template_card; the response code is single use, valid 72 h).
type ButtonUpdate struct {
	ResponseCode string `json:"response_code"`
	ReplaceName  string `json:"replace_name"`
}

// Delivery is what WeCom said about a notice it accepted: the recipients
// it did not deliver to (left the company, never activated, no licence).
type Delivery struct {
	Undelivered []string
}

// Image is a picture to upload and send: PNG bytes, or a weekly chart drawn
// when it is delivered (a job run's stored messages stay small, and the
// run does not spend its time drawing).
type Image struct {
	Name  string    `json:"name"`
	PNG   []byte    `json:"png,omitempty"`
	Chart *WeekBars `json:"chart,omitempty"`
}

// WeekBars is what a branch's weekly chart shows, per day Monday first:
// check-ins out of members and study minutes, this week against last. It
// is data only; an adapter draws it. Notices stored by an earlier release
// carry Daily and Members alone, and still draw (this week's check-ins).
type WeekBars struct {
	Daily   [7]int `json:"daily"` // this week's check-ins
	Members int    `json:"members"`
	// Week is the Monday of the week shown; zero in older notices.
	Week Date `json:"week,omitzero"`
	// The rest are nil when not known (older notices, or study day sums
	// that do not reach back that far): the chart leaves those bars out.
	LastDaily        []int `json:"last_daily,omitempty"`         // last week's check-ins
	StudyMinutes     []int `json:"study_minutes,omitempty"`      // this week's
	LastStudyMinutes []int `json:"last_study_minutes,omitempty"` // last week's
}

// MaxRecipients is how many userids one message/send call takes.
const MaxRecipients = 1000

// Split cuts a notice into notices of at most MaxRecipients recipients,
// so that each is exactly one API call.
func (n Notice) Split() []Notice {
	if len(n.To) <= MaxRecipients {
		return []Notice{n}
	}
	var out []Notice
	for start := 0; start < len(n.To); start += MaxRecipients {
		part := n
		part.To = n.To[start:min(start+MaxRecipients, len(n.To))]
		out = append(out, part)
	}
	return out
}

// Outbox takes messages for delivery: every outbound message is stored in
// Redis before it is sent, so nothing is lost if a process dies.
type Outbox interface {
	// Enqueue stores n for delivery under id. An id already enqueued is
	// not enqueued again, and that is not an error: re-running a job or a
	// retried command never sends twice.
	Enqueue(ctx context.Context, id string, n Notice) error
}

// Card is a button card (WeCom template_card, button_interaction). Its
// task_id is the adapter's: WeCom wants a new one for every send, so a
// click is matched by its button's key, which names what the card is about.
type Card struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Subtitle    string   `json:"subtitle,omitempty"` // the start of a longer text
	Buttons     []Button `json:"buttons,omitempty"`

	// Cards queued by versions before Buttons carry one button here.
	LegacyButtonText string `json:"button_text,omitempty"`
	LegacyButtonKey  string `json:"button_key,omitempty"`
}

// PlainText is the card as a text message, for readers who see no cards
// (WeChat's 微工作台): what the card shows, cut as the card cuts it (its
// sender sends whatever a card cannot hold as text too), and a line naming
// the words to type instead of each button.
func (c Card) PlainText() string {
	lines := []string{cutRunes(c.Title, cardTitleRunes)}
	if c.Description != "" {
		lines = append(lines, cutRunes(c.Description, cardDescriptionRunes))
	}
	if c.Subtitle != "" {
		lines = append(lines, cutRunes(c.Subtitle, cardSubtitleRunes))
	}
	if hint := typedReplies(c.ButtonList()); hint != "" {
		lines = append(lines, hint)
	}
	return strings.Join(lines, "\n")
}

// Button is one of a card's buttons (WeCom allows six).
type Button struct {
	Text string `json:"text"`
	Key  string `json:"key"` // comes back as the click event's EventKey
	// Secondary draws the button grey rather than blue.
	Secondary bool `json:"secondary,omitempty"`
}

// ButtonList is the card's buttons, including one queued by an older version.
func (c Card) ButtonList() []Button {
	if len(c.Buttons) == 0 && c.LegacyButtonKey != "" {
		return []Button{{Text: c.LegacyButtonText, Key: c.LegacyButtonKey}}
	}
	return c.Buttons
}

// Media is a file WeCom already holds (a member's picture, kept 3 days),
// sent on by its media_id.
type Media struct {
	Type string `json:"type"` // image, video or file
	ID   string `json:"media_id"`
}

package bot

import (
	"strconv"
	"time"
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
	From     string // member userid
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
func (m Message) DedupeKey() string {
	if m.MsgID != "" && m.MsgID != "0" {
		return "msg:" + m.MsgID
	}
	return "evt:" + m.From + "|" + strconv.FormatInt(m.Time.Unix(), 10) + "|" + m.Event + "|" + m.EventKey + "|" + m.TaskID
}

// Reply is what the bot answers. An empty Text means "say nothing".
type Reply struct {
	Text string `json:"text,omitempty"`
}

// Empty reports whether there is nothing to send.
func (r Reply) Empty() bool { return r.Text == "" }

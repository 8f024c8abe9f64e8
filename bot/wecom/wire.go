package wecom

import (
	"encoding/xml"
	"strconv"
	"time"

	"github.com/partybot/partybot/bot"
)

// cdata marshals as <![CDATA[...]]>, as WeCom's own payloads do.
type cdata struct {
	Value string `xml:",cdata"`
}

// envelope is the POST body: only Encrypt is signed and used.
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string   `xml:"ToUserName"`
	AgentID    string   `xml:"AgentID"`
	Encrypt    string   `xml:"Encrypt"`
}

// inbound is a decrypted message or event (WeCom docs 90239, 90240).
type inbound struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	MsgID        string   `xml:"MsgId"`
	AgentID      int      `xml:"AgentID"`

	Content    string  `xml:"Content"`
	PicURL     string  `xml:"PicUrl"`
	MediaID    string  `xml:"MediaId"`
	LocationX  float64 `xml:"Location_X"`
	LocationY  float64 `xml:"Location_Y"`
	Scale      float64 `xml:"Scale"`
	Label      string  `xml:"Label"`
	Latitude   float64 `xml:"Latitude"`
	Longitude  float64 `xml:"Longitude"`
	Precision  float64 `xml:"Precision"`
	Event      string  `xml:"Event"`
	EventKey   string  `xml:"EventKey"`
	TaskID     string  `xml:"TaskId"`
	CardType   string  `xml:"CardType"`
	RespCode   string  `xml:"ResponseCode"`
	ChangeType string  `xml:"ChangeType"`
}

func (in inbound) toMessage() bot.Message {
	m := bot.Message{
		MsgID:        in.MsgID,
		From:         in.FromUserName,
		Kind:         bot.Kind(in.MsgType),
		Text:         in.Content,
		Time:         time.Unix(in.CreateTime, 0),
		AgentID:      in.AgentID,
		MediaID:      in.MediaID,
		PicURL:       in.PicURL,
		Event:        in.Event,
		EventKey:     in.EventKey,
		TaskID:       in.TaskID,
		CardType:     in.CardType,
		ResponseCode: in.RespCode,
	}
	switch {
	case in.MsgType == string(bot.KindLocation):
		m.Location = &bot.Location{Latitude: in.LocationX, Longitude: in.LocationY, Precision: in.Scale, Label: in.Label}
	case in.MsgType == string(bot.KindEvent) && in.Event == "LOCATION":
		m.Location = &bot.Location{Latitude: in.Latitude, Longitude: in.Longitude, Precision: in.Precision}
	}
	return m
}

// passiveReply is the plaintext of a passive reply: a text, or for a
// template-card click an update_button that relabels the clicked button.
type passiveReply struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      *cdata   `xml:"Content,omitempty"`
	Button       *struct {
		ReplaceName cdata `xml:"ReplaceName"`
	} `xml:"Button,omitempty"`
}

// replyEnvelope wraps an encrypted passive reply (note WeCom's "TimeStamp").
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    int64    `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

// ReplyEnvelope is the exported shape of a passive reply, for clients (tests,
// the demo simulator) that play WeCom's part and must open one.
type ReplyEnvelope struct {
	Encrypt      string
	MsgSignature string
	TimeStamp    string
	Nonce        string
}

// ParseReplyEnvelope reads a passive reply body.
func ParseReplyEnvelope(body []byte) (ReplyEnvelope, error) {
	var e replyEnvelope
	if err := xml.Unmarshal(body, &e); err != nil {
		return ReplyEnvelope{}, err
	}
	return ReplyEnvelope{
		Encrypt: e.Encrypt.Value, MsgSignature: e.MsgSignature.Value,
		TimeStamp: strconv.FormatInt(e.TimeStamp, 10), Nonce: e.Nonce.Value,
	}, nil
}

// PassiveReply is a decrypted passive reply, for clients playing WeCom.
type PassiveReply struct {
	To, MsgType string
	Content     string // text replies
	ReplaceName string // update_button replies
}

// ParsePassiveReply reads the decrypted plaintext of a passive reply.
func ParsePassiveReply(plain []byte) (PassiveReply, error) {
	var r passiveReply
	if err := xml.Unmarshal(plain, &r); err != nil {
		return PassiveReply{}, err
	}
	out := PassiveReply{To: r.ToUserName.Value, MsgType: r.MsgType.Value}
	if r.Content != nil {
		out.Content = r.Content.Value
	}
	if r.Button != nil {
		out.ReplaceName = r.Button.ReplaceName.Value
	}
	return out, nil
}

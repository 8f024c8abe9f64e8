package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partybot/partybot/bot"
)

// cdata marshals as <![CDATA[...]]>, as WeCom's own payloads do.
type cdata struct {
	Value string `xml:",cdata"`
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

// readFields calls set with the name and text of every child element of
// the document's root, and returns the root's name. WeCom's messages are
// one level deep; deeper elements (a card's SelectedItems) are skipped.
// WeCom's own flat form is read by slicing; anything else (entities,
// comments, nesting) by the XML tokenizer.
func readFields(data []byte, set func(name, value string)) (root string, err error) {
	if scanFlat(data, set) {
		return "xml", nil
	}
	return readTokens(data, set)
}

// scanFlat reads <xml><A><![CDATA[v]]></A><B>12</B>…</xml> and nothing
// else: it reports false, having called set for nothing, on any other
// shape, so that the tokenizer reads it instead.
func scanFlat(data []byte, set func(name, value string)) bool {
	s := strings.Trim(string(data), " \t\r\n") // XML's white space, no other
	body, ok := strings.CutPrefix(s, "<xml>")
	if !ok {
		return false
	}
	if body, ok = strings.CutSuffix(body, "</xml>"); !ok {
		return false
	}
	type field struct{ name, value string }
	var fields [32]field
	n := 0
	for {
		body = strings.TrimLeft(body, " \t\r\n")
		if body == "" {
			break
		}
		if body[0] != '<' || n == len(fields) {
			return false
		}
		end := strings.IndexByte(body, '>')
		if end < 2 {
			return false
		}
		name := body[1:end]
		if !flatName(name) {
			return false
		}
		rest := body[end+1:]
		var value string
		if v, ok := strings.CutPrefix(rest, "<![CDATA["); ok {
			close := strings.Index(v, "]]>")
			if close < 0 {
				return false
			}
			value, rest = v[:close], v[close+3:]
		} else {
			lt := strings.IndexByte(rest, '<')
			if lt < 0 || strings.IndexByte(rest[:lt], '&') >= 0 || strings.Contains(rest[:lt], "]]>") {
				return false
			}
			value, rest = rest[:lt], rest[lt:]
		}
		if !flatValue(value) {
			return false
		}
		closing := "</" + name + ">"
		if !strings.HasPrefix(rest, closing) {
			return false // nested or mismatched: the tokenizer decides
		}
		fields[n] = field{name, value}
		n++
		body = rest[len(closing):]
	}
	for _, f := range fields[:n] {
		set(f.name, f.value)
	}
	return true
}

// flatName accepts the element names WeCom uses (ASCII letters, digits, _).
func flatName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return name != ""
}

// flatValue accepts text the tokenizer would return unchanged: valid UTF-8
// of characters XML allows, with no carriage return (it normalises those).
func flatValue(v string) bool {
	if plainASCII(v) {
		return strings.IndexByte(v, '\r') < 0
	}
	return utf8.ValidString(v) && strings.IndexFunc(v, func(r rune) bool { return r == '\r' || !xmlSafe(r) }) < 0
}

// readTokens is readFields by the XML tokenizer.
func readTokens(data []byte, set func(name, value string)) (root string, err error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	var name string
	var text []byte
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				if root != "" {
					return "", errors.New("wecom: more than one root element")
				}
				root = t.Name.Local
			case 2:
				name, text = t.Name.Local, text[:0]
			}
		case xml.CharData:
			if depth == 2 {
				text = append(text, t...)
			}
		case xml.EndElement:
			if depth == 2 {
				set(name, string(text))
			}
			depth--
			if depth < 0 {
				return "", errors.New("wecom: unbalanced XML")
			}
		}
	}
	if depth != 0 || root == "" {
		return "", errors.New("wecom: unbalanced XML")
	}
	return root, nil
}

// parseEnvelope returns the POST body's Encrypt, the only part that is
// signed and used. WeCom's own envelope is read by slicing (a token reader
// walks the long base64 byte by byte); anything else is parsed in full.
func parseEnvelope(body []byte) (string, error) {
	const open, end = "<Encrypt><![CDATA[", "]]></Encrypt>"
	trimmed := bytes.TrimSpace(body)
	if bytes.HasPrefix(trimmed, []byte("<xml>")) && bytes.HasSuffix(trimmed, []byte("</xml>")) &&
		bytes.Count(trimmed, []byte(open)) == 1 && bytes.Count(trimmed, []byte(end)) == 1 {
		i, j := bytes.Index(trimmed, []byte(open))+len(open), bytes.Index(trimmed, []byte(end))
		if i <= j { // what is not base64 fails the signature or the decryption
			return string(trimmed[i:j]), nil
		}
	}
	var enc string
	root, err := readFields(body, func(name, value string) {
		if name == "Encrypt" {
			enc = value
		}
	})
	if err == nil && root != "xml" {
		err = errors.New("wecom: the envelope's root is not <xml>")
	}
	return enc, err
}

// parseInbound reads a decrypted message or event.
func parseInbound(plain []byte) (inbound, error) {
	var in inbound
	num := func(v string) float64 { f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64); return f }
	root, err := readFields(plain, func(name, v string) {
		switch name {
		case "ToUserName":
			in.ToUserName = v
		case "FromUserName":
			in.FromUserName = v
		case "CreateTime":
			in.CreateTime, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		case "MsgType":
			in.MsgType = v
		case "MsgId":
			in.MsgID = v
		case "AgentID":
			in.AgentID, _ = strconv.Atoi(strings.TrimSpace(v))
		case "Content":
			in.Content = v
		case "PicUrl":
			in.PicURL = v
		case "MediaId":
			in.MediaID = v
		case "Location_X":
			in.LocationX = num(v)
		case "Location_Y":
			in.LocationY = num(v)
		case "Scale":
			in.Scale = num(v)
		case "Label":
			in.Label = v
		case "Latitude":
			in.Latitude = num(v)
		case "Longitude":
			in.Longitude = num(v)
		case "Precision":
			in.Precision = num(v)
		case "Event":
			in.Event = v
		case "EventKey":
			in.EventKey = v
		case "TaskId":
			in.TaskID = v
		case "CardType":
			in.CardType = v
		case "ResponseCode":
			in.RespCode = v
		case "ChangeType":
			in.ChangeType = v
		}
	})
	if err == nil && root != "xml" {
		err = errors.New("wecom: the message's root is not <xml>")
	}
	return in, err
}

// plainASCII reports printable ASCII (and tab, newline): most of what is
// written, the encrypted reply above all, and checked a byte at a time.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			return false
		}
	}
	return true
}

// xmlSafe reports whether XML 1.0 can carry r.
func xmlSafe(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF && r != utf8.RuneError)
}

// appendCDATA writes s as CDATA, splitting any "]]>" in it, and dropping
// characters XML 1.0 cannot carry (a U+000B would make the reply invalid).
func appendCDATA(b []byte, s string) []byte {
	b = append(b, "<![CDATA["...)
	start := len(b)
	if plainASCII(s) || strings.IndexFunc(s, func(r rune) bool { return !xmlSafe(r) }) < 0 {
		b = append(b, s...)
	} else {
		for _, r := range s {
			if xmlSafe(r) {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	if bytes.Contains(b[start:], []byte("]]>")) {
		escaped := bytes.ReplaceAll(b[start:], []byte("]]>"), []byte("]]]]><![CDATA[>"))
		b = append(b[:start], escaped...)
	}
	return append(b, "]]>"...)
}

// passiveReplyXML is the plaintext of a passive reply: a text, or for a
// template-card click an update_button that relabels the clicked button.
func passiveReplyXML(to, corpID string, now int64, reply bot.Reply) []byte {
	b := make([]byte, 0, 160+len(reply.Text))
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, to)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, corpID)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, now, 10)
	b = append(b, "</CreateTime><MsgType>"...)
	if reply.ReplaceButton != "" {
		b = appendCDATA(b, "update_button")
		b = append(b, "</MsgType><Button><ReplaceName>"...)
		b = appendCDATA(b, reply.ReplaceButton)
		return append(b, "</ReplaceName></Button></xml>"...)
	}
	b = appendCDATA(b, "text")
	b = append(b, "</MsgType><Content>"...)
	b = appendCDATA(b, reply.Text)
	return append(b, "</Content></xml>"...)
}

// replyEnvelopeXML wraps an encrypted passive reply (note WeCom's "TimeStamp").
func replyEnvelopeXML(enc, signature, timestamp, nonce string) []byte {
	b := make([]byte, 0, 256+len(enc)+len(signature)+len(timestamp)+len(nonce))
	b = append(b, "<xml><Encrypt>"...)
	b = appendCDATA(b, enc)
	b = append(b, "</Encrypt><MsgSignature>"...)
	b = appendCDATA(b, signature)
	b = append(b, "</MsgSignature><TimeStamp>"...)
	b = append(b, timestamp...)
	b = append(b, "</TimeStamp><Nonce>"...)
	b = appendCDATA(b, nonce)
	return append(b, "</Nonce></xml>"...)
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
	To, From    string // the member (bare userid) and the corp that answers
	MsgType     string
	Content     string // text replies
	ReplaceName string // update_button replies
}

// ParsePassiveReply reads the decrypted plaintext of a passive reply.
func ParsePassiveReply(plain []byte) (PassiveReply, error) {
	var r passiveReply
	if err := xml.Unmarshal(plain, &r); err != nil {
		return PassiveReply{}, err
	}
	out := PassiveReply{To: r.ToUserName.Value, From: r.FromUserName.Value, MsgType: r.MsgType.Value}
	if r.Content != nil {
		out.Content = r.Content.Value
	}
	if r.Button != nil {
		out.ReplaceName = r.Button.ReplaceName.Value
	}
	return out, nil
}

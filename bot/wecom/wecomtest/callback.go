package wecomtest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/partybot/partybot/bot/wecom"
)

// WeCom posts signed, encrypted callbacks the way WeCom's servers do.
type WeCom struct {
	URL     string // the callback endpoint
	CorpID  string
	AgentID int
	Crypto  *wecom.Crypto
	Now     func() time.Time // nil means time.Now
	Client  *http.Client     // nil means a client with a 10 s timeout
}

// NewWeCom builds a client for one app's credentials.
func NewWeCom(url, token, aesKey, corpID string, agentID int) (*WeCom, error) {
	c, err := wecom.NewCrypto(token, aesKey, corpID)
	if err != nil {
		return nil, err
	}
	return &WeCom{URL: url, CorpID: corpID, AgentID: agentID, Crypto: c}, nil
}

func (w *WeCom) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *WeCom) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Response is the endpoint's answer, with the passive reply opened.
type Response struct {
	Status      int
	Close       bool // the server closes the connection after this answer
	Body        []byte
	ReplyTo     string // set when the body was a passive reply
	ReplyFrom   string // the corp id the passive reply came from
	ReplyType   string // text or update_button
	ReplyText   string
	ReplyButton string // update_button's new label
}

// TextXML is the plaintext of a text message.
func (w *WeCom) TextXML(from, content, msgID string, at time.Time) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>`+
		`<MsgId>%s</MsgId><AgentID>%d</AgentID></xml>`, w.CorpID, from, at.Unix(), content, msgID, w.AgentID)
}

// EventXML is the plaintext of an event with an optional EventKey.
func (w *WeCom) EventXML(from, event, key string, at time.Time) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[%s]]></Event>`+
		`<EventKey><![CDATA[%s]]></EventKey><AgentID>%d</AgentID></xml>`, w.CorpID, from, at.Unix(), event, key, w.AgentID)
}

// SendText posts a text message from a member.
func (w *WeCom) SendText(from, content, msgID string) (Response, error) {
	return w.Post(w.TextXML(from, content, msgID, w.now()))
}

// Post encrypts plaintext, signs it with the current time and posts it.
func (w *WeCom) Post(plaintext string) (Response, error) {
	enc, err := w.Crypto.Encrypt([]byte(plaintext))
	if err != nil {
		return Response{}, err
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	nonce := strconv.FormatInt(w.now().UnixNano()%1_000_000_007, 10)
	return w.PostRaw(w.Crypto.Sign(ts, nonce, enc), ts, nonce, EnvelopeXML(w.CorpID, w.AgentID, enc))
}

// EnvelopeXML is the POST body around an encrypted payload.
func EnvelopeXML(corpID string, agentID int, encrypted string) []byte {
	return fmt.Appendf(nil, `<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt>`+
		`<AgentID><![CDATA[%d]]></AgentID></xml>`, corpID, encrypted, agentID)
}

// PostRaw posts a body with the given query values, for malformed cases.
func (w *WeCom) PostRaw(signature, timestamp, nonce string, body []byte) (Response, error) {
	q := url.Values{"msg_signature": {signature}, "timestamp": {timestamp}, "nonce": {nonce}}
	resp, err := w.client().Post(w.URL+"?"+q.Encode(), "application/xml", bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	out := Response{Status: resp.StatusCode, Close: resp.Close, Body: raw}
	if resp.StatusCode == http.StatusOK && len(raw) > 0 {
		var pr wecom.PassiveReply
		pr, err = w.OpenReply(raw)
		out.ReplyTo, out.ReplyFrom, out.ReplyType, out.ReplyText, out.ReplyButton = pr.To, pr.From, pr.MsgType, pr.Content, pr.ReplaceName
	}
	return out, err
}

// OpenReply verifies and decrypts a passive reply body.
func (w *WeCom) OpenReply(body []byte) (wecom.PassiveReply, error) {
	env, err := wecom.ParseReplyEnvelope(body)
	if err != nil {
		return wecom.PassiveReply{}, fmt.Errorf("reply envelope: %w", err)
	}
	if !w.Crypto.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt) {
		return wecom.PassiveReply{}, fmt.Errorf("reply signature does not verify")
	}
	plain, err := w.Crypto.Decrypt(env.Encrypt)
	if err != nil {
		return wecom.PassiveReply{}, err
	}
	return wecom.ParsePassiveReply(plain)
}

// CardEventXML is the plaintext of a template-card button click; the
// response code comes from FakeAPI.IssueResponseCode.
func (w *WeCom) CardEventXML(from, key, taskID, responseCode string, at time.Time) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>`+
		`<EventKey><![CDATA[%s]]></EventKey><TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>`+
		`<ResponseCode><![CDATA[%s]]></ResponseCode><AgentID>%d</AgentID></xml>`, w.CorpID, from, at.Unix(), key, taskID, responseCode, w.AgentID)
}

// LocationXML is the plaintext of a location message.
func (w *WeCom) LocationXML(from string, lat, lon float64, label, msgID string, at time.Time) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[location]]></MsgType><Location_X>%g</Location_X>`+
		`<Location_Y>%g</Location_Y><Scale>15</Scale><Label><![CDATA[%s]]></Label><MsgId>%s</MsgId>`+
		`<AgentID>%d</AgentID></xml>`, w.CorpID, from, at.Unix(), lat, lon, label, msgID, w.AgentID)
}

// VerifyURL performs the console's GET check and returns the answer body.
func (w *WeCom) VerifyURL(echo string) (int, string, error) {
	enc, err := w.Crypto.Encrypt([]byte(echo))
	if err != nil {
		return 0, "", err
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	nonce := "1372623149"
	q := url.Values{"msg_signature": {w.Crypto.Sign(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {enc}}
	resp, err := w.client().Get(w.URL + "?" + q.Encode())
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), err
}

// ImageXML is the plaintext of an image message.
func (w *WeCom) ImageXML(from, mediaID, msgID string, at time.Time) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
		`<CreateTime>%d</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://wework.qpic.cn/%s]]></PicUrl>`+
		`<MediaId><![CDATA[%s]]></MediaId><MsgId>%s</MsgId><AgentID>%d</AgentID></xml>`, w.CorpID, from, at.Unix(), mediaID, mediaID, msgID, w.AgentID)
}

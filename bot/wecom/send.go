package wecom

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/partybot/partybot/bot"
)

// WeCom's field limits that partybot's messages can reach (doc 90236).
const (
	maxTextBytes   = 2048 // text and markdown content
	maxCardTitle   = 36   // template_card main_title.title, characters
	maxCardDesc    = 44   // template_card main_title.desc, characters
	maxButtonText  = 10   // a button's text, characters
	maxCardSubText = 112  // template_card sub_title_text, characters
	maxButtons     = 6    // button_interaction button_list
	maxRobotText   = 2048 // group robot text content, bytes
	maxAppChatName = 50   // appchat/create name, characters
)

// SendResult is message/send's answer beyond errcode.
type SendResult struct {
	InvalidUser    string `json:"invaliduser"`
	UnlicensedUser string `json:"unlicenseduser"`
	MsgID          string `json:"msgid"`
}

// undelivered lists the userids WeCom accepted but will not deliver to.
func (r SendResult) undelivered() []string {
	var out []string
	for _, list := range []string{r.InvalidUser, r.UnlicensedUser} {
		for _, id := range strings.Split(list, "|") {
			if id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// SendText sends text to one member.
func (c *Client) SendText(ctx context.Context, userID, text string) error {
	_, err := c.Notify(ctx, bot.Notice{To: []string{userID}, Text: text})
	return err
}

// Notify sends a notice: to its members through message/send (in batches
// of at most 1000), to its group chat through appchat/send, or as a card
// update through message/update_template_card. An image is uploaded first.
// The Delivery lists members WeCom accepted the message for but did not
// deliver to (invaliduser, unlicenseduser in an errcode-0 answer).
// Specs: https://developer.work.weixin.qq.com/document/path/90236
func (c *Client) Notify(ctx context.Context, n bot.Notice) (bot.Delivery, error) {
	if n.ButtonUpdate != nil {
		return bot.Delivery{}, c.updateButton(ctx, n.To, *n.ButtonUpdate)
	}
	if c.cfg.PlainText {
		if parts, ok := asPlainText(n); ok {
			return c.notifyEach(ctx, parts)
		}
	}
	if n.Robot != "" {
		return bot.Delivery{}, c.robotSend(ctx, n)
	}
	msgType, body, err := c.content(ctx, n)
	if err != nil && n.File != nil && bot.IsPermanent(err) {
		return bot.Delivery{}, c.fileRefused(ctx, n, err)
	}
	if err != nil {
		return bot.Delivery{}, err
	}
	if n.ChatID != "" {
		// Specs: https://developer.work.weixin.qq.com/document/path/90248
		return bot.Delivery{}, c.post(ctx, "appchat/send", map[string]any{"chatid": n.ChatID, "msgtype": msgType, msgType: body}, nil)
	}
	var d bot.Delivery
	for _, part := range n.Split() {
		if msgType == "template_card" {
			body = withTaskID(body) // a task_id may never be used twice
		}
		var resp SendResult
		req := map[string]any{"touser": strings.Join(part.To, "|"), "msgtype": msgType, "agentid": c.cfg.AgentID, msgType: body}
		err := c.post(ctx, "message/send", req, &resp)
		var apiErr *APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.Code == 81013:
			// Nobody in this batch can be reached: not worth a retry, but
			// the secretaries should hear of it like any invaliduser.
			d.Undelivered = append(d.Undelivered, part.To...)
			continue
		case err != nil:
			return d, err
		}
		d.Undelivered = append(d.Undelivered, resp.undelivered()...)
	}
	return d, nil
}

// content renders a notice's body for message/send and appchat/send.
func (c *Client) content(ctx context.Context, n bot.Notice) (msgType string, body any, err error) {
	switch {
	case n.Card != nil:
		type button struct {
			Text  string `json:"text"`
			Style int    `json:"style"`
			Key   string `json:"key"`
		}
		var buttons []button
		for _, b := range n.Card.ButtonList()[:min(len(n.Card.ButtonList()), maxButtons)] {
			style := 1 // blue
			if b.Secondary {
				style = 2
			}
			buttons = append(buttons, button{Text: truncateRunes(b.Text, maxButtonText), Style: style, Key: b.Key})
		}
		card := map[string]any{
			"card_type":   "button_interaction",
			"main_title":  map[string]string{"title": truncateRunes(n.Card.Title, maxCardTitle), "desc": truncateRunes(n.Card.Description, maxCardDesc)},
			"button_list": buttons,
		}
		if n.Card.Subtitle != "" {
			card["sub_title_text"] = truncateRunes(n.Card.Subtitle, maxCardSubText)
		}
		return "template_card", card, nil
	case n.Media != nil:
		id, err := c.forwardMedia(ctx, *n.Media)
		if err != nil {
			return "", nil, err
		}
		return n.Media.Type, map[string]string{"media_id": id}, nil
	case n.File != nil:
		if c.cfg.Files == nil {
			return "", nil, bot.Permanent(fmt.Errorf("wecom: no file builder for %s", n.File.Name))
		}
		data, err := c.cfg.Files.BuildFile(ctx, *n.File)
		if err != nil {
			return "", nil, fmt.Errorf("wecom: build %s: %w", n.File.Name, err)
		}
		id, err := c.upload(ctx, "file", n.File.Name, "application/octet-stream", data)
		if err != nil {
			return "", nil, err
		}
		return "file", map[string]string{"media_id": id}, nil
	case n.Image != nil:
		data := n.Image.PNG
		if n.Image.Chart != nil {
			if c.cfg.Charts == nil {
				return "", nil, fmt.Errorf("wecom: no chart drawer for %s", n.Image.Name)
			}
			var err error
			if data, err = c.cfg.Charts.DrawWeekChart(*n.Image.Chart); err != nil {
				return "", nil, fmt.Errorf("wecom: draw %s: %w", n.Image.Name, err)
			}
		}
		id, err := c.UploadImage(ctx, n.Image.Name, data)
		if err != nil {
			return "", nil, err
		}
		return "image", map[string]string{"media_id": id}, nil
	case n.Markdown != "":
		return "markdown", map[string]string{"content": truncateBytes(n.Markdown, maxTextBytes)}, nil
	}
	return "text", map[string]string{"content": truncateBytes(n.Text, maxTextBytes)}, nil
}

// fileRefused tells whoever asked for a file that it cannot be sent (over
// WeCom's 20 MB, or not buildable), at once, and returns why: permanent,
// so the outbox archives the notice rather than rebuild it for hours. If
// telling fails, that error is returned and decides the retry.
func (c *Client) fileRefused(ctx context.Context, n bot.Notice, cause error) error {
	text := bot.FileFailedText
	if errors.Is(cause, bot.ErrTooLarge) {
		text = bot.FileTooLargeText
	}
	if _, err := c.Notify(ctx, bot.Notice{To: n.To, ChatID: n.ChatID, Text: text}); err != nil {
		return fmt.Errorf("wecom: tell that %s cannot be sent (%v): %w", n.File.Name, cause, err)
	}
	return cause
}

// withTaskID copies a card body with a fresh task_id: WeCom refuses a
// task_id it has seen before, so every call (each batch of 1000, each
// retry) gets its own. Clicks are matched by the button key instead.
func withTaskID(body any) any {
	card, ok := body.(map[string]any)
	if !ok {
		return body
	}
	out := make(map[string]any, len(card)+1)
	for k, v := range card {
		out[k] = v
	}
	out["task_id"] = NewTaskID()
	return out
}

// NewTaskID draws a template-card task_id: letters, digits and "_" only,
// well under WeCom's 128 bytes.
func NewTaskID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "pb_" + hex.EncodeToString(b[:])
}

// updateButton relabels the button a member clicked.
// Specs: https://developer.work.weixin.qq.com/document/path/94888
func (c *Client) updateButton(ctx context.Context, userIDs []string, u bot.ButtonUpdate) error {
	if u.ResponseCode == "" {
		return fmt.Errorf("wecom: update_template_card: no response_code")
	}
	req := map[string]any{
		"userids": userIDs, "agentid": c.cfg.AgentID, "response_code": u.ResponseCode,
		"button": map[string]string{"replace_name": truncateRunes(u.ReplaceName, maxButtonText)},
	}
	return c.post(ctx, "message/update_template_card", req, nil)
}

// UploadImage uploads a temporary image (kept 3 days) and returns its media_id.
// Specs: https://developer.work.weixin.qq.com/document/path/90253
func (c *Client) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	return c.upload(ctx, "image", name, "image/png", data)
}

// upload puts a temporary file (kept 3 days) on WeCom; the filename is
// what members see. A file over WeCom's limit for its kind is refused
// here, permanently (bot.ErrTooLarge).
func (c *Client) upload(ctx context.Context, kind, name, contentType string, data []byte) (string, error) {
	if limit := uploadLimits[kind]; limit > 0 && int64(len(data)) > limit {
		return "", fmt.Errorf("wecom: media/upload: %s is %d bytes, WeCom takes a %s of at most %d MB: %w", name, len(data), kind, limit>>20, bot.ErrTooLarge)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {fmt.Sprintf(`form-data; name="media"; filename=%q; filelength=%d`, name, len(data))},
		"Content-Type":        {contentType},
	})
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("wecom: build upload: %w", err)
	}
	var resp struct {
		MediaID string `json:"media_id"`
	}
	if err := c.call(ctx, http.MethodPost, "media/upload", url.Values{"type": {kind}}, body.Bytes(), mw.FormDataContentType(), &resp); err != nil {
		return "", err
	}
	return resp.MediaID, nil
}

// robotSend posts a notice's text to a branch group through its group
// robot. The key in the URL is the credential: no access token, and the
// key never appears in logs or errors.
// Specs: https://developer.work.weixin.qq.com/document/path/91770
func (c *Client) robotSend(ctx context.Context, n bot.Notice) error {
	key := c.cfg.RobotKeys[n.Robot]
	if key == "" {
		return fmt.Errorf("wecom: webhook/send: branch %q has no robot_key", n.Robot)
	}
	text := n.Text
	if text == "" {
		text = n.Markdown
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"msgtype": "text", "text": map[string]string{"content": truncateBytes(text, maxRobotText)}}); err != nil {
		return fmt.Errorf("wecom: webhook/send: encode: %w", err)
	}
	raw, err := c.do(ctx, http.MethodPost, "webhook/send", url.Values{"key": {key}}, buf.Bytes(), "application/json; charset=utf-8")
	if err != nil {
		return err
	}
	return decode(raw, "webhook/send", nil)
}

// AppChat is an app group chat as appchat/get describes it.
type AppChat struct {
	ChatID   string   `json:"chatid"`
	Name     string   `json:"name"`
	Owner    string   `json:"owner"`
	UserList []string `json:"userlist"`
}

// AppChat reads an app group chat. WeCom answers only for chats this app
// created through appchat/create; any other chat id is an error, and so
// unusable for appchat/send.
// Specs: https://developer.work.weixin.qq.com/document/path/90247
func (c *Client) AppChat(ctx context.Context, chatID string) (AppChat, error) {
	var resp struct {
		ChatInfo AppChat `json:"chat_info"`
	}
	if err := c.get(ctx, "appchat/get", url.Values{"chatid": {chatID}}, &resp); err != nil {
		return AppChat{}, err
	}
	return resp.ChatInfo, nil
}

// CreateAppChat creates an app group chat of 2 to 2000 members and returns
// its chat id. WeCom shows the chat only after its first message.
// Specs: https://developer.work.weixin.qq.com/document/path/90245
func (c *Client) CreateAppChat(ctx context.Context, name, owner string, userIDs []string) (string, error) {
	if len(userIDs) < 2 || len(userIDs) > 2000 {
		return "", fmt.Errorf("wecom: appchat/create takes 2 to 2000 members, got %d", len(userIDs))
	}
	var resp struct {
		ChatID string `json:"chatid"`
	}
	req := map[string]any{"name": truncateRunes(name, maxAppChatName), "owner": owner, "userlist": userIDs}
	if err := c.post(ctx, "appchat/create", req, &resp); err != nil {
		return "", err
	}
	return resp.ChatID, nil
}

const ellipsis = "…"

// truncateBytes cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// truncateRunes cuts s to at most n characters, marking the cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + ellipsis
}

package wecom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"

	"github.com/partybot/partybot/bot"
)

// DefaultAPIBase is WeCom's public API host. Private deployments and
// 政务微信 use another one (config wecom.api_base).
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// installed remembers what InstallTransport set.
var installed struct {
	sync.Mutex
	done    bool
	base    string
	timeout time.Duration
}

// InstallTransport points silenceper's HTTP layer at apiBase with a client
// that has a timeout. silenceper keeps both in package globals
// (util.SetURIModifier, util.DefaultHTTPClient), so this is called once, from
// main or a test's TestMain, never per request.
func InstallTransport(apiBase string, timeout time.Duration) {
	apiBase = strings.TrimRight(apiBase, "/")
	installed.Lock()
	defer installed.Unlock()
	if installed.done && installed.base == apiBase && installed.timeout == timeout {
		return // installing the same again must not touch globals others read
	}
	installed.done, installed.base, installed.timeout = true, apiBase, timeout
	util.DefaultHTTPClient = &http.Client{Timeout: timeout}
	if apiBase == "" || apiBase == DefaultAPIBase {
		util.SetURIModifier(nil)
		return
	}
	util.SetURIModifier(func(uri string) string {
		if rest, ok := strings.CutPrefix(uri, DefaultAPIBase); ok {
			return apiBase + rest
		}
		return uri
	})
}

// APIError is a non-zero errcode from WeCom (codes: WeCom doc 90313).
type APIError struct {
	API  string
	Code int64
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom: %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Transient reports whether a failed call may succeed if tried again later:
// WeCom busy (-1), rate limits (45009, 45033), and network or HTTP-level
// failures. Other errcodes (81013 no valid recipient, 40003 bad userid …)
// and a missing secret are permanent.
func Transient(err error) bool {
	var apiErr *APIError
	switch {
	case err == nil:
		return false
	case errors.As(err, &apiErr):
		return apiErr.Code == -1 || apiErr.Code == 45009 || apiErr.Code == 45033
	case errors.Is(err, ErrNoSecret):
		return false
	}
	return true
}

// RateLimited reports a 45009 (frequency block): retry after the window.
func RateLimited(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Code == 45009
}

// tokenExpired reports the codes after which a fresh token fixes the call:
// 40014 invalid, 42001 expired, 42009 (same, older name).
func tokenExpired(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && (apiErr.Code == 40014 || apiErr.Code == 42001 || apiErr.Code == 42009)
}

// ClientConfig identifies the app.
type ClientConfig struct {
	CorpID  string
	AgentID int
	Secret  string
	Cache   cache.Cache // where the access token lives (Redis in production)
}

// Client calls WeCom's server API for one self-built app.
type Client struct {
	cfg      ClientConfig
	token    credential.AccessTokenContextHandle
	tokenKey string // the key silenceper caches the token under
}

// NewClient returns a client whose access token is fetched and cached by
// silenceper's WorkAccessToken in cfg.Cache, one token per (corp, agent).
func NewClient(cfg ClientConfig) *Client {
	agent := strconv.Itoa(cfg.AgentID)
	return &Client{
		cfg:   cfg,
		token: credential.NewWorkAccessToken(cfg.CorpID, cfg.Secret, agent, credential.CacheKeyWorkPrefix, cfg.Cache),
		// Must match credential.WorkAccessToken's key format, so that an
		// invalid token can be dropped; TestClientRefreshesExpiredToken guards it.
		tokenKey: fmt.Sprintf("%s_access_token_%s_%s", credential.CacheKeyWorkPrefix, cfg.CorpID, agent),
	}
}

// TokenCacheKey is the cache key of this app's access token.
func (c *Client) TokenCacheKey() string { return c.tokenKey }

// maxTextBytes is message/send's limit for text content (doc 90236).
const maxTextBytes = 2048

// SendText sends text to one member (implements TextSender).
func (c *Client) SendText(ctx context.Context, userID, text string) error {
	_, err := c.SendTextTo(ctx, []string{userID}, text)
	return err
}

// SendResult is message/send's answer beyond errcode.
type SendResult struct {
	InvalidUser    string `json:"invaliduser"`
	UnlicensedUser string `json:"unlicenseduser"`
	MsgID          string `json:"msgid"`
}

// SendTextTo sends one text to up to 1000 members.
// Specs: https://developer.work.weixin.qq.com/document/path/90236
func (c *Client) SendTextTo(ctx context.Context, userIDs []string, text string) (SendResult, error) {
	if len(userIDs) == 0 || len(userIDs) > 1000 {
		return SendResult{}, fmt.Errorf("wecom: message/send takes 1 to 1000 users, got %d", len(userIDs))
	}
	req := struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		AgentID int    `json:"agentid"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}{ToUser: strings.Join(userIDs, "|"), MsgType: "text", AgentID: c.cfg.AgentID}
	req.Text.Content = truncateBytes(text, maxTextBytes)
	var resp struct {
		util.CommonError
		SendResult
	}
	if err := c.post(ctx, "message/send", req, &resp); err != nil {
		return SendResult{}, err
	}
	return resp.SendResult, nil
}

// Notify sends a notice: to its members through message/send (in batches
// of at most 1000) or to its group chat through appchat/send. An image is
// uploaded first.
func (c *Client) Notify(ctx context.Context, n bot.Notice) error {
	msgType, body, err := c.content(ctx, n)
	if err != nil {
		return err
	}
	var resp struct {
		util.CommonError
		SendResult
	}
	if n.ChatID != "" {
		// Specs: https://developer.work.weixin.qq.com/document/path/90248
		return c.post(ctx, "appchat/send", map[string]any{"chatid": n.ChatID, "msgtype": msgType, msgType: body}, &resp)
	}
	for _, part := range n.Split() {
		req := map[string]any{"touser": strings.Join(part.To, "|"), "msgtype": msgType, "agentid": c.cfg.AgentID, msgType: body}
		if err := c.post(ctx, "message/send", req, &resp); err != nil {
			return err
		}
	}
	return nil
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
		return "template_card", map[string]any{
			"card_type":   "button_interaction",
			"main_title":  map[string]string{"title": n.Card.Title, "desc": n.Card.Description},
			"task_id":     n.Card.TaskID,
			"button_list": []button{{Text: n.Card.ButtonText, Style: 1, Key: n.Card.ButtonKey}},
		}, nil
	case n.Image != nil:
		id, err := c.UploadImage(ctx, n.Image.Name, n.Image.PNG)
		if err != nil {
			return "", nil, err
		}
		return "image", map[string]string{"media_id": id}, nil
	case n.Markdown != "":
		return "markdown", map[string]string{"content": truncateBytes(n.Markdown, maxTextBytes)}, nil
	}
	return "text", map[string]string{"content": truncateBytes(n.Text, maxTextBytes)}, nil
}

// UploadImage uploads a temporary image (kept 3 days) and returns its media_id.
// Specs: https://developer.work.weixin.qq.com/document/path/90253
func (c *Client) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {fmt.Sprintf(`form-data; name="media"; filename=%q; filelength=%d`, name, len(data))},
		"Content-Type":        {"image/png"},
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
		util.CommonError
		MediaID string `json:"media_id"`
	}
	header := map[string]string{"Content-Type": mw.FormDataContentType()}
	send := func(uri string) ([]byte, error) { return util.HTTPPostContext(ctx, uri, body.Bytes(), header) }
	if err := c.call(ctx, "media/upload", url.Values{"type": {"image"}}, send, &resp); err != nil {
		return "", err
	}
	return resp.MediaID, nil
}

// post calls POST /cgi-bin/<api> with a JSON body.
func (c *Client) post(ctx context.Context, api string, body, out any) error {
	send := func(uri string) ([]byte, error) { return util.PostJSONContext(ctx, uri, body) }
	return c.call(ctx, api, nil, send, out)
}

// get calls GET /cgi-bin/<api> with query parameters.
func (c *Client) get(ctx context.Context, api string, query url.Values, out any) error {
	send := func(uri string) ([]byte, error) { return util.HTTPGetContext(ctx, uri) }
	return c.call(ctx, api, query, send, out)
}

// call makes a request with a token, and once more with a fresh token when
// WeCom says the cached one is no longer valid. send does the HTTP part.
func (c *Client) call(ctx context.Context, api string, query url.Values, send func(uri string) ([]byte, error), out any) error {
	err := c.callOnce(ctx, api, query, send, out)
	if tokenExpired(err) {
		if derr := cache.DeleteContext(ctx, c.cfg.Cache, c.tokenKey); derr != nil {
			return fmt.Errorf("wecom: %s: drop expired token: %w", api, derr)
		}
		err = c.callOnce(ctx, api, query, send, out)
	}
	return err
}

// ErrNoSecret means the app secret is not configured, so no API call can be made.
var ErrNoSecret = errors.New("wecom.secret is not set, so the API is off")

func (c *Client) callOnce(ctx context.Context, api string, query url.Values, send func(uri string) ([]byte, error), out any) error {
	if c.cfg.Secret == "" {
		return fmt.Errorf("wecom: %s: %w", api, ErrNoSecret)
	}
	token, err := c.token.GetAccessTokenContext(ctx)
	if err != nil {
		return fmt.Errorf("wecom: get access token: %w", redacted{err})
	}
	q := url.Values{"access_token": {token}}
	for k, v := range query {
		q[k] = v
	}
	raw, err := send(DefaultAPIBase + "/cgi-bin/" + api + "?" + q.Encode())
	if err != nil {
		return fmt.Errorf("wecom: %s: %w", api, redacted{err})
	}
	if err := util.DecodeWithError(raw, out, api); err != nil {
		var common *util.CommonError
		if errors.As(err, &common) {
			return &APIError{API: api, Code: common.ErrCode, Msg: common.ErrMsg}
		}
		return fmt.Errorf("wecom: %s: decode: %w", api, err)
	}
	return nil
}

// secretInURL matches credentials that silenceper's errors quote in URLs.
var secretInURL = regexp.MustCompile(`(access_token|corpsecret)=[^&\s"]+`)

// redacted hides tokens and secrets in an error's text, keeping its chain.
type redacted struct{ err error }

func (r redacted) Error() string { return secretInURL.ReplaceAllString(r.err.Error(), "$1=REDACTED") }
func (r redacted) Unwrap() error { return r.err }

// truncateBytes cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

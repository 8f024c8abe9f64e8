package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
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

// InstallTransport points silenceper's HTTP layer at apiBase with a client
// that has a timeout. silenceper keeps both in package globals
// (util.SetURIModifier, util.DefaultHTTPClient), so this is called once, from
// main or a test's TestMain, never per request.
func InstallTransport(apiBase string, timeout time.Duration) {
	apiBase = strings.TrimRight(apiBase, "/")
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

// Notify sends a notice, in batches of at most 1000 recipients per call.
func (c *Client) Notify(ctx context.Context, n bot.Notice) error {
	for start := 0; start < len(n.To); start += maxRecipients {
		batch := n.To[start:min(start+maxRecipients, len(n.To))]
		var err error
		if n.Card != nil {
			err = c.SendCard(ctx, batch, *n.Card)
		} else {
			_, err = c.SendTextTo(ctx, batch, n.Text)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxRecipients is message/send's touser limit.
const maxRecipients = 1000

// SendCard sends a button card (template_card, button_interaction) whose
// click comes back as a template_card_event with the card's task id.
// Specs: https://developer.work.weixin.qq.com/document/path/90236
func (c *Client) SendCard(ctx context.Context, userIDs []string, card bot.Card) error {
	type button struct {
		Text  string `json:"text"`
		Style int    `json:"style"`
		Key   string `json:"key"`
	}
	req := map[string]any{
		"touser": strings.Join(userIDs, "|"), "msgtype": "template_card", "agentid": c.cfg.AgentID,
		"template_card": map[string]any{
			"card_type":   "button_interaction",
			"main_title":  map[string]string{"title": card.Title, "desc": card.Description},
			"task_id":     card.TaskID,
			"button_list": []button{{Text: card.ButtonText, Style: 1, Key: card.ButtonKey}},
		},
	}
	var resp struct {
		util.CommonError
		SendResult
	}
	return c.post(ctx, "message/send", req, &resp)
}

// post calls POST /cgi-bin/<api> with a JSON body.
func (c *Client) post(ctx context.Context, api string, body, out any) error {
	return c.call(ctx, api, nil, body, out)
}

// get calls GET /cgi-bin/<api> with query parameters.
func (c *Client) get(ctx context.Context, api string, query url.Values, out any) error {
	return c.call(ctx, api, query, nil, out)
}

// call makes a request with a token, and once more with a fresh token when
// WeCom says the cached one is no longer valid.
func (c *Client) call(ctx context.Context, api string, query url.Values, body, out any) error {
	err := c.callOnce(ctx, api, query, body, out)
	if tokenExpired(err) {
		if derr := cache.DeleteContext(ctx, c.cfg.Cache, c.tokenKey); derr != nil {
			return fmt.Errorf("wecom: %s: drop expired token: %w", api, derr)
		}
		err = c.callOnce(ctx, api, query, body, out)
	}
	return err
}

func (c *Client) callOnce(ctx context.Context, api string, query url.Values, body, out any) error {
	if c.cfg.Secret == "" {
		return fmt.Errorf("wecom: %s: wecom.secret is not set, so the API is off", api)
	}
	token, err := c.token.GetAccessTokenContext(ctx)
	if err != nil {
		return fmt.Errorf("wecom: get access token: %w", redacted{err})
	}
	q := url.Values{"access_token": {token}}
	for k, v := range query {
		q[k] = v
	}
	uri := DefaultAPIBase + "/cgi-bin/" + api + "?" + q.Encode()
	var raw []byte
	if body == nil {
		raw, err = util.HTTPGetContext(ctx, uri)
	} else {
		raw, err = util.PostJSONContext(ctx, uri, body)
	}
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

package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"

	"github.com/partybot/partybot/bot"
)

// DefaultAPIBase is WeCom's public API host. Private deployments and
// 政务微信 use another one (config wecom.api_base).
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// DefaultAPITimeout bounds one API request when the caller gives no client.
const DefaultAPITimeout = 10 * time.Second

// APIError is a non-zero errcode from WeCom (codes: WeCom doc 90313).
type APIError struct {
	API  string
	Code int64
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom: %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Is lets bot's failure kinds match WeCom's errcodes: a refusal no retry
// fixes is bot.ErrPermanent (not a configuration error, which waits for
// the fix), and a size refusal is bot.ErrTooLarge too.
func (e *APIError) Is(target error) bool {
	switch target {
	case bot.ErrTooLarge:
		return tooLargeCodes[e.Code]
	case bot.ErrPermanent:
		_, config := configFixes[e.Code]
		return !transientCode(e.Code) && !config
	}
	return false
}

// tooLargeCodes are WeCom's answers for a file past a size limit:
// media/upload's 40006 (file), 40009 (image) and 40011 (video), and
// media/get's 830002 (over 20 MB without a Range header).
var tooLargeCodes = map[int64]bool{40006: true, 40009: true, 40011: true, 830002: true}

// transientCode reports WeCom busy (-1) and rate limits (45009, 45033).
func transientCode(code int64) bool { return code == -1 || code == 45009 || code == 45033 }

// configFixes are the errcodes that no retry can fix: the install is
// misconfigured, and an operator must act. Each names the fix.
var configFixes = map[int64]string{
	60020:  "this server's egress IP is not in the app's 企业可信IP: add it in the admin console (应用管理 → the app → 企业可信IP); it takes effect after a minute",
	48002:  "the app may not call this API: check the app's 可见范围 and API permissions (app group chats need the root department in the visible range)",
	40001:  "wecom.secret is wrong or was reset: copy the app's current Secret into the config",
	40013:  "wecom.corp_id is wrong: copy the 企业ID from 我的企业",
	40091:  "wecom.secret is not valid for this corp: copy the app's Secret again",
	40056:  "wecom.agent_id is wrong: copy the app's AgentId",
	301002: "the access token belongs to another app: check wecom.agent_id against wecom.secret",
}

// ConfigFix reports whether err is a configuration error (see configFixes)
// and, if so, what an operator must do about it.
func ConfigFix(err error) (fix string, ok bool) {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return "", false
	}
	fix, ok = configFixes[apiErr.Code]
	if corp, _ := ErrorCorp(err); ok && corp != "" {
		// Another corp's app: its settings are its corps entry's.
		fix = strings.ReplaceAll(fix, "wecom.", "corps["+corp+"].")
	}
	return fix, ok
}

// Transient reports whether a failed call may succeed if tried again later:
// WeCom busy (-1), rate limits (45009, 45033), and network or HTTP-level
// failures. Other errcodes (81013 no valid recipient, 40003 bad userid …),
// a missing secret and a failure marked bot.Permanent (a file over WeCom's
// size limit, a ledger that cannot be built) are permanent. Configuration errors are neither:
// ask ConfigFix first.
func Transient(err error) bool {
	var apiErr *APIError
	switch {
	case err == nil:
		return false
	case errors.As(err, &apiErr):
		return transientCode(apiErr.Code)
	case errors.Is(err, ErrNoSecret), bot.IsPermanent(err):
		return false
	}
	return true
}

// Result names a call's outcome for the metrics: "ok", "errcode_<n>", or
// "error" when WeCom gave no answer.
func Result(err error) string {
	var apiErr *APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("errcode_%d", apiErr.Code)
	}
	return "error"
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

// ClientConfig identifies the app and says how to reach WeCom.
type ClientConfig struct {
	CorpID  string
	AgentID int
	Secret  string
	Cache   cache.Cache // where the access token lives (Redis in production)

	BaseURL string       // "" means DefaultAPIBase
	HTTP    *http.Client // nil means a client with DefaultAPITimeout
	Log     *slog.Logger // nil means slog.Default()
	Now     func() time.Time
	// TokenPause is how long gettoken is not called again after it failed
	// with a configuration error: WeCom bans an IP for an hour after
	// repeated wrong secrets. Default 10 min.
	TokenPause time.Duration
	// RobotKeys maps a branch id to its group robot's webhook key.
	RobotKeys map[string]string
	// Files builds the files notices ask for (ledger workbooks) when they
	// are delivered; nil refuses such notices.
	Files FileBuilder
	// Charts draws the weekly charts image notices carry, when they are
	// delivered; nil refuses such notices.
	Charts ChartDrawer
	// PlainText sends cards and markdown as text, for members who read
	// WeCom inside WeChat (微工作台), which shows neither (config
	// wecom.plain_text; see plain.go).
	PlainText bool
}

// ChartDrawer draws a weekly chart as a PNG.
type ChartDrawer interface {
	DrawWeekChart(w bot.WeekBars) ([]byte, error)
}

// FileBuilder makes a file's bytes.
type FileBuilder interface {
	BuildFile(ctx context.Context, f bot.File) ([]byte, error)
}

// Client calls WeCom's server API for one self-built app. It holds no
// process-wide state: two clients may point at two hosts.
type Client struct {
	cfg      ClientConfig
	tokenKey string // the cache key of this app's token

	tokenMu      sync.Mutex
	tokenBlocked time.Time // no gettoken before this
	tokenErr     error     // why

	// Set by NewCorps for a client among several corps' clients.
	corp    string           // its corps id; "" for the home corp or a lone client
	fetcher bot.MediaFetcher // where a forwarded file comes from (another corp's, perhaps); nil: this client
}

// NewClient returns a client whose access token is cached in cfg.Cache,
// one token per (corp, agent), under silenceper's key format.
func NewClient(cfg ClientConfig) *Client {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultAPIBase
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: DefaultAPITimeout}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenPause <= 0 {
		cfg.TokenPause = 10 * time.Minute
	}
	return &Client{
		cfg:      cfg,
		tokenKey: fmt.Sprintf("%s_access_token_%s_%d", credential.CacheKeyWorkPrefix, cfg.CorpID, cfg.AgentID),
	}
}

// TokenCacheKey is the cache key of this app's access token.
func (c *Client) TokenCacheKey() string { return c.tokenKey }

// ErrNoSecret means the app secret is not configured, so no API call can be made.
var ErrNoSecret = errors.New("wecom.secret is not set, so the API is off")

// accessToken returns the cached token or fetches one. Fetches are
// serialised per client, and after a configuration error none is made for
// TokenPause: the same error is returned instead.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	if token, ok := cache.GetContext(ctx, c.cfg.Cache, c.tokenKey).(string); ok && token != "" {
		return token, nil
	}
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if token, ok := cache.GetContext(ctx, c.cfg.Cache, c.tokenKey).(string); ok && token != "" {
		return token, nil // another caller fetched it meanwhile
	}
	if c.cfg.Now().Before(c.tokenBlocked) {
		return "", c.tokenErr
	}
	q := url.Values{"corpid": {c.cfg.CorpID}, "corpsecret": {c.cfg.Secret}}
	raw, err := c.do(ctx, http.MethodGet, "gettoken", q, nil, "")
	if err != nil {
		return "", err
	}
	var resp credential.ResAccessToken
	if err := decode(raw, "gettoken", &resp); err != nil {
		if fix, ok := ConfigFix(err); ok {
			c.tokenBlocked, c.tokenErr = c.cfg.Now().Add(c.cfg.TokenPause), err
			c.cfg.Log.ErrorContext(ctx, "wecom: cannot get an access token; not asking again for a while",
				slog.Any("error", err), slog.String("fix", fix), slog.Duration("pause", c.cfg.TokenPause))
		}
		return "", err
	}
	if resp.AccessToken == "" {
		return "", errors.New("wecom: gettoken: empty access_token")
	}
	// Refresh well before WeCom's expiry, as silenceper does.
	ttl := time.Duration(max(resp.ExpiresIn-1500, 60)) * time.Second
	if err := cache.SetContext(ctx, c.cfg.Cache, c.tokenKey, resp.AccessToken, ttl); err != nil {
		return "", fmt.Errorf("wecom: cache access token: %w", err)
	}
	return resp.AccessToken, nil
}

// post calls POST /cgi-bin/<api> with a JSON body.
func (c *Client) post(ctx context.Context, api string, body, out any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // WeCom rejects \u003c-escaped text (40033)
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("wecom: %s: encode: %w", api, err)
	}
	return c.call(ctx, http.MethodPost, api, nil, buf.Bytes(), "application/json; charset=utf-8", out)
}

// get calls GET /cgi-bin/<api> with query parameters.
func (c *Client) get(ctx context.Context, api string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, api, query, nil, "", out)
}

// call makes a request with a token, and once more with a fresh token when
// WeCom says the cached one is no longer valid.
func (c *Client) call(ctx context.Context, method, api string, query url.Values, body []byte, contentType string, out any) error {
	err := c.callOnce(ctx, method, api, query, body, contentType, out)
	if tokenExpired(err) {
		if derr := cache.DeleteContext(ctx, c.cfg.Cache, c.tokenKey); derr != nil {
			return fmt.Errorf("wecom: %s: drop expired token: %w", api, derr)
		}
		err = c.callOnce(ctx, method, api, query, body, contentType, out)
	}
	return err
}

func (c *Client) callOnce(ctx context.Context, method, api string, query url.Values, body []byte, contentType string, out any) error {
	if c.cfg.Secret == "" {
		return fmt.Errorf("wecom: %s: %w", api, ErrNoSecret)
	}
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	q := url.Values{"access_token": {token}}
	for k, v := range query {
		q[k] = v
	}
	raw, err := c.do(ctx, method, api, q, body, contentType)
	if err != nil {
		return err
	}
	return decode(raw, api, out)
}

// do sends one HTTP request to /cgi-bin/<api> and returns the body.
func (c *Client) do(ctx context.Context, method, api string, query url.Values, body []byte, contentType string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.BaseURL+"/cgi-bin/"+api+"?"+query.Encode(), rd)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: %w", api, redacted{err})
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: %w", api, redacted{err})
	}
	defer resp.Body.Close()
	raw, err := readAtMost(resp.Body, maxAnswerBytes)
	if err != nil {
		return nil, fmt.Errorf("wecom: %s: read: %w", api, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wecom: %s: HTTP %d", api, resp.StatusCode)
	}
	return raw, nil
}

// maxAnswerBytes bounds a JSON answer (a department's user list is the
// largest). Files have their own limits (FetchMedia).
const maxAnswerBytes = 8 << 20

// readAtMost reads r whole, or fails with bot.ErrTooLarge when it holds
// more than limit bytes: a cut answer or picture is never taken for whole.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("over %d bytes: %w", limit, bot.ErrTooLarge)
	}
	return data, nil
}

// decode reads WeCom's errcode first, then the rest into out.
func decode(raw []byte, api string, out any) error {
	var common struct {
		ErrCode int64  `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(raw, &common); err != nil {
		return fmt.Errorf("wecom: %s: decode: %w", api, err)
	}
	if common.ErrCode != 0 {
		return &APIError{API: api, Code: common.ErrCode, Msg: common.ErrMsg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("wecom: %s: decode: %w", api, err)
	}
	return nil
}

// secretInURL matches credentials that URLs in errors would quote.
var secretInURL = regexp.MustCompile(`(access_token|corpsecret|key)=[^&\s"]+`)

// redacted hides tokens and secrets in an error's text, keeping its chain.
type redacted struct{ err error }

func (r redacted) Error() string { return secretInURL.ReplaceAllString(r.err.Error(), "$1=REDACTED") }
func (r redacted) Unwrap() error { return r.err }

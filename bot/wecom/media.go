package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/cache"

	"github.com/partybot/partybot/bot"
)

// media/upload's limits per type (doc 90253): what WeCom refuses with
// 40006, 40009 or 40011 is refused here before the upload.
var uploadLimits = map[string]int64{"image": 10 << 20, "video": 10 << 20, "voice": 2 << 20, "file": 20 << 20}

// maxWholeMedia is the largest file media/get sends in one answer; beyond
// it WeCom answers 830002 and the file comes in Range requests.
const maxWholeMedia = 20 << 20

// mediaChunk is how much of a file one Range request asks for.
const mediaChunk = 5 << 20

// FetchMedia downloads a file members sent (a picture) by its media_id,
// which WeCom keeps three days: the whole file, in Range requests when it
// is over 20 MB (830002), and never more than maxBytes — a larger file is
// an error wrapping bot.ErrTooLarge, never a truncated one. An id WeCom
// does not hold (40007) is bot.ErrPermanent.
// Specs: https://developer.work.weixin.qq.com/document/path/90254
func (c *Client) FetchMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, error) {
	data, err := c.fetchMedia(ctx, mediaID, maxBytes)
	if tokenExpired(err) {
		if derr := cache.DeleteContext(ctx, c.cfg.Cache, c.tokenKey); derr != nil {
			return nil, fmt.Errorf("wecom: media/get: drop expired token: %w", derr)
		}
		data, err = c.fetchMedia(ctx, mediaID, maxBytes)
	}
	return data, err
}

func (c *Client) fetchMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, error) {
	resp, err := c.mediaGet(ctx, mediaID, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("wecom: media/get: HTTP %d", resp.StatusCode)
	}
	if !jsonAnswer(resp) && resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("wecom: media/get: %d bytes, at most %d: %w", resp.ContentLength, maxBytes, bot.ErrTooLarge)
	}
	data, err := readAtMost(resp.Body, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("wecom: media/get: %w", err)
	}
	err = mediaError(resp, data)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code == 830002 {
		return c.fetchMediaRanges(ctx, mediaID, maxBytes)
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}

// fetchMediaRanges downloads a file over 20 MB a chunk at a time; the
// first answer tells its size, so a file over maxBytes is refused after
// one chunk.
func (c *Client) fetchMediaRanges(ctx context.Context, mediaID string, maxBytes int64) ([]byte, error) {
	var out []byte
	for {
		from := int64(len(out))
		resp, err := c.mediaGet(ctx, mediaID, fmt.Sprintf("bytes=%d-%d", from, from+mediaChunk-1))
		if err != nil {
			return nil, err
		}
		chunk, total, err := readRange(resp, from)
		resp.Body.Close()
		switch {
		case err != nil:
			return nil, err
		case total > maxBytes:
			return nil, fmt.Errorf("wecom: media/get: %d bytes, at most %d: %w", total, maxBytes, bot.ErrTooLarge)
		case len(chunk) == 0 && from < total:
			return nil, fmt.Errorf("wecom: media/get: empty range at %d of %d", from, total)
		}
		out = append(out, chunk...)
		if int64(len(out)) >= total {
			return out[:total], nil
		}
	}
}

// readRange reads a 206 answer that starts at from, and the file's size
// from its Content-Range ("bytes 0-5242879/23068672").
func readRange(resp *http.Response, from int64) (chunk []byte, total int64, err error) {
	data, err := readAtMost(resp.Body, mediaChunk)
	if err != nil {
		return nil, 0, fmt.Errorf("wecom: media/get: %w", err)
	}
	if err := mediaError(resp, data); err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusPartialContent {
		return nil, 0, fmt.Errorf("wecom: media/get: HTTP %d to a Range request", resp.StatusCode)
	}
	var start, end int64
	if _, err := fmt.Sscanf(resp.Header.Get("Content-Range"), "bytes %d-%d/%d", &start, &end, &total); err != nil || start != from {
		return nil, 0, fmt.Errorf("wecom: media/get: Content-Range %q for a range from %d", resp.Header.Get("Content-Range"), from)
	}
	return data, total, nil
}

// mediaGet asks for a file, or the part of it byteRange names.
func (c *Client) mediaGet(ctx context.Context, mediaID, byteRange string) (*http.Response, error) {
	if c.cfg.Secret == "" {
		return nil, fmt.Errorf("wecom: media/get: %w", ErrNoSecret)
	}
	token, err := c.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	q := url.Values{"access_token": {token}, "media_id": {mediaID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.BaseURL+"/cgi-bin/media/get?"+q.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("wecom: media/get: %w", redacted{err})
	}
	if byteRange != "" {
		req.Header.Set("Range", byteRange)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wecom: media/get: %w", redacted{err})
	}
	return resp, nil
}

// jsonAnswer reports an answer that says it is JSON (an error), not a file.
func jsonAnswer(resp *http.Response) bool {
	ct := resp.Header.Get("Content-Type")
	return strings.Contains(ct, "json") || strings.HasPrefix(ct, "text/")
}

// mediaError reads WeCom's JSON error in place of a file (40007 for an
// invalid media_id, 830002 over 20 MB): nil when data is the file.
func mediaError(resp *http.Response, data []byte) error {
	if !jsonAnswer(resp) && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return nil
	}
	var common struct {
		ErrCode *int64 `json:"errcode"`
	}
	if json.Unmarshal(data, &common) != nil || common.ErrCode == nil {
		return nil // a file that happens to start with "{"
	}
	return decode(data, "media/get", nil)
}

// forwardTTL is how long a re-uploaded file's media_id is reused: WeCom
// keeps it three days, and a day of margin covers a retried send.
const forwardTTL = 48 * time.Hour

// forwardMedia re-uploads a file a member sent, so that the message names
// a media_id this app uploaded (WeCom promises only that an inbound id can
// be fetched, not that it can be sent on). The new id is cached, so an
// announcement's picture is uploaded once for all its messages.
func (c *Client) forwardMedia(ctx context.Context, m bot.Media) (string, error) {
	// The uploaded id is this app's: another corp's app (its agent id may
	// be the same number) keeps its own.
	key := fmt.Sprintf("partybot_forward_%d_%s", c.cfg.AgentID, m.ID)
	if c.corp != "" {
		key = fmt.Sprintf("partybot_forward_%s_%d_%s", c.corp, c.cfg.AgentID, m.ID)
	}
	if c.cfg.Cache != nil {
		if id, ok := cache.GetContext(ctx, c.cfg.Cache, key).(string); ok && id != "" {
			return id, nil
		}
	}
	limit, ok := uploadLimits[m.Type]
	if !ok {
		return "", bot.Permanent(fmt.Errorf("wecom: forward media %s: unknown type %q", m.ID, m.Type))
	}
	var from bot.MediaFetcher = c
	if c.fetcher != nil {
		from = c.fetcher // a member of another corp sent it: "partner/MEDIAID"
	}
	data, err := from.FetchMedia(ctx, m.ID, limit)
	if err != nil {
		return "", err
	}
	contentType := http.DetectContentType(data)
	id, err := c.upload(ctx, m.Type, forwardName(m, contentType), contentType, data)
	if err != nil {
		return "", err
	}
	if c.cfg.Cache != nil {
		if err := cache.SetContext(ctx, c.cfg.Cache, key, id, forwardTTL); err != nil {
			c.cfg.Log.WarnContext(ctx, "wecom: remember a forwarded media_id", "error", err)
		}
	}
	return id, nil
}

// forwardName is the file name a forwarded file is uploaded under
// ("image.jpg"): WeCom shows it for files.
func forwardName(m bot.Media, contentType string) string {
	ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "video/mp4": ".mp4"}[contentType]
	if ext == "" {
		ext = ".bin"
	}
	return m.Type + ext
}

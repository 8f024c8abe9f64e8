package wecom

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/partybot/partybot/bot"
)

// MessageHandler is the domain side of the callback: bot.Bot satisfies it.
type MessageHandler interface {
	Handle(ctx context.Context, msg bot.Message) (bot.Reply, error)
}

// CallbackConfig configures the callback endpoint of one corp's app.
type CallbackConfig struct {
	Crypto *Crypto
	CorpID string
	// Corp is the corps entry this endpoint serves ("" the home corp): the
	// sender becomes bot.MemberID(Corp, FromUserName), so that m1 of two
	// corps stays two people, and a MediaId "Corp/id" (fetched through
	// that corp's API).
	Corp    string
	Handler MessageHandler
	Outbox  bot.Outbox // replies that miss the passive-reply deadline go out through it
	Log     *slog.Logger
	Now     func() time.Time

	// TimestampWindow rejects requests whose timestamp is further than this
	// from now: a captured request cannot be replayed later. Default 10 min.
	TimestampWindow time.Duration
	// ReplyDeadline is how long to wait for the bot before answering WeCom
	// (which gives up after 5 s). Default 3 s.
	ReplyDeadline time.Duration
	// HandleTimeout bounds the bot's work on one message. Default 30 s.
	HandleTimeout time.Duration
	// MaxBodyBytes caps the POST body; larger bodies get 413. Default 64 KiB.
	MaxBodyBytes int64
	// Observe hears of every POST: the message kind ("text", "event:click",
	// "unknown" for a rejected request), the result (ok, late, error,
	// rejected) and the time taken. Nil hears nothing.
	Observe func(kind, result string, elapsed time.Duration)
}

// Callback is the http.Handler for the app's callback URL (WeCom doc 90930).
type Callback struct {
	cfg  CallbackConfig
	late sync.WaitGroup // replies still being delivered through the API
}

var _ http.Handler = (*Callback)(nil)

// Callback defaults, also the config file's.
const (
	DefaultCallbackPath    = "/wecom/callback"
	DefaultTimestampWindow = 10 * time.Minute
	DefaultReplyDeadline   = 3 * time.Second // WeCom gives up after 5 s
	DefaultHandleTimeout   = 30 * time.Second
	DefaultMaxBodyBytes    = 64 << 10
)

// NewCallback fills defaults and returns the handler.
func NewCallback(cfg CallbackConfig) (*Callback, error) {
	if cfg.Crypto == nil || cfg.Handler == nil || cfg.CorpID == "" {
		return nil, errors.New("wecom: callback needs Crypto, Handler and CorpID")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TimestampWindow <= 0 {
		cfg.TimestampWindow = DefaultTimestampWindow
	}
	if cfg.ReplyDeadline <= 0 {
		cfg.ReplyDeadline = DefaultReplyDeadline
	}
	if cfg.HandleTimeout <= 0 {
		cfg.HandleTimeout = DefaultHandleTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return &Callback{cfg: cfg}, nil
}

// Wait blocks until late replies have been handed to the message API.
func (h *Callback) Wait() { h.late.Wait() }

// ServeHTTP implements http.Handler: GET verifies the URL, POST delivers.
func (h *Callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.verifyURL(w, r)
	case http.MethodPost:
		h.receive(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// query holds the signed query parameters.
type query struct {
	signature, timestamp, nonce string
}

func readQuery(r *http.Request) (query, error) {
	v := r.URL.Query()
	q := query{v.Get("msg_signature"), v.Get("timestamp"), v.Get("nonce")}
	if q.signature == "" || q.timestamp == "" || q.nonce == "" {
		return q, errors.New("msg_signature, timestamp and nonce are required")
	}
	return q, nil
}

// checkFresh rejects timestamps outside the window, either way.
func (h *Callback) checkFresh(ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	skew := h.cfg.Now().Sub(time.Unix(sec, 0))
	if skew > h.cfg.TimestampWindow || skew < -h.cfg.TimestampWindow {
		return fmt.Errorf("timestamp is %s away from now", skew.Round(time.Second))
	}
	return nil
}

// authenticate verifies the signature over payload, then the timestamp.
func (h *Callback) authenticate(w http.ResponseWriter, r *http.Request, payload string) (ok bool) {
	q, err := readQuery(r)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, err.Error())
		return false
	}
	if payload == "" {
		h.reject(w, r, http.StatusBadRequest, "no encrypted payload")
		return false
	}
	if !h.cfg.Crypto.Verify(q.signature, q.timestamp, q.nonce, payload) {
		h.reject(w, r, http.StatusForbidden, "bad signature")
		return false
	}
	if err := h.checkFresh(q.timestamp); err != nil {
		h.reject(w, r, http.StatusForbidden, "stale request: "+err.Error())
		return false
	}
	return true
}

func (h *Callback) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	h.cfg.Log.WarnContext(r.Context(), "callback rejected",
		slog.String("method", r.Method), slog.Int("status", status), slog.String("reason", reason),
		slog.String("remote", r.RemoteAddr))
	http.Error(w, reason, status)
}

// verifyURL answers the console's URL check with the decrypted echostr.
func (h *Callback) verifyURL(w http.ResponseWriter, r *http.Request) {
	// A literal '+' in an unescaped echostr arrives as a space.
	echo := strings.ReplaceAll(r.URL.Query().Get("echostr"), " ", "+")
	if !h.authenticate(w, r, echo) {
		return
	}
	plain, err := h.cfg.Crypto.Decrypt(echo)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "cannot decrypt echostr")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(plain)
}

func (h *Callback) receive(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	kind, result := "unknown", "rejected"
	var answeredAt time.Time // set when a watchdog answered at the deadline
	defer func() {
		if h.cfg.Observe != nil {
			took := time.Since(start)
			if !answeredAt.IsZero() { // what WeCom waited, not the bot's whole run
				took = answeredAt.Sub(start)
			}
			h.cfg.Observe(kind, result, took)
		}
		if h.cfg.Log.Enabled(r.Context(), slog.LevelDebug) {
			h.cfg.Log.DebugContext(r.Context(), "callback", slog.String("kind", kind), slog.String("result", result),
				slog.Duration("took", time.Since(start)))
		}
	}()
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes), min(max(r.ContentLength, 0), h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", tooBig.Limit))
			return
		}
		h.reject(w, r, http.StatusBadRequest, "cannot read body")
		return
	}
	encrypted, err := parseEnvelope(body)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "body is not a WeCom envelope")
		return
	}
	if !h.authenticate(w, r, encrypted) {
		return
	}
	plain, err := h.cfg.Crypto.Decrypt(encrypted)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "cannot decrypt payload")
		return
	}
	in, err := parseInbound(plain)
	if err != nil || in.FromUserName == "" || in.MsgType == "" {
		h.reject(w, r, http.StatusBadRequest, "payload is not a WeCom message")
		return
	}
	// The receive id inside the encryption is this corp's (Decrypt checked
	// it); the message must say so too. A corp's sender never holds the
	// separator: "home/x" or "partner/x" from one corp must not pass for
	// a member of another.
	if in.ToUserName != h.cfg.CorpID {
		h.reject(w, r, http.StatusForbidden, "message is for another corp")
		return
	}
	if strings.Contains(in.FromUserName, "/") {
		h.reject(w, r, http.StatusBadRequest, "FromUserName is not a WeCom userid")
		return
	}
	msg := in.toMessage()
	if h.cfg.Corp != "" {
		msg.From = bot.MemberID(h.cfg.Corp, in.FromUserName)
		if msg.MediaID != "" {
			msg.MediaID = bot.MemberID(h.cfg.Corp, msg.MediaID)
		}
	}
	kind = in.MsgType
	if msg.Event != "" {
		kind += ":" + msg.Event
	}
	// Built only if something is logged: most messages log nothing.
	log := sync.OnceValue(func() *slog.Logger {
		return h.cfg.Log.With(slog.String("from", msg.From), slog.String("msg_type", in.MsgType),
			slog.String("msg_id", msg.MsgID), slog.String("event", msg.Event))
	})

	var o outcome
	o, answeredAt = h.handle(r.Context(), w, msg, log)
	reply, err := o.reply, o.err
	result = "ok"
	switch {
	case !answeredAt.IsZero(): // answered already; the reply went through the API
		result = "late"
	case err != nil:
		// Nothing may be assumed stored: make WeCom retry.
		result = "error"
		log().WarnContext(r.Context(), "handle message; answered 503 so that WeCom retries", slog.Any("error", err))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
	case reply.Empty():
		w.WriteHeader(http.StatusOK)
	default:
		reply.Text = h.overflow(r.Context(), msg, reply.Text, log)
		h.writePassive(w, r, msg, in.FromUserName, reply, log)
	}
}

// readBody reads a request body into one buffer sized from the request's
// Content-Length (io.ReadAll would grow it two or three times).
func readBody(r io.Reader, sizeHint int64) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, sizeHint+bytes.MinRead))
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// overflow keeps a passive reply within WeCom's 2048 bytes: the first part
// is answered at once, the rest goes out through the message API.
func (h *Callback) overflow(ctx context.Context, msg bot.Message, text string, log func() *slog.Logger) string {
	parts := bot.SplitText(text, bot.MaxMessageBytes)
	if len(parts) < 2 || h.cfg.Outbox == nil {
		return parts[0]
	}
	for i, part := range parts[1:] {
		id := fmt.Sprintf("reply:%s:%d", msg.DedupeKey(), i+1)
		if err := h.cfg.Outbox.Enqueue(ctx, id, bot.Notice{To: []string{msg.From}, Text: part}); err != nil {
			log().ErrorContext(ctx, "enqueue the rest of a long reply", slog.Any("error", err))
			return parts[0] + "\n（后续内容发送失败，请稍后再发一次）"
		}
	}
	return parts[0]
}

type outcome struct {
	reply bot.Reply
	err   error
}

// handle runs the bot on the request's goroutine (no hand-off, its stack
// already grown). If the bot has not answered by the reply deadline, a
// watchdog answers WeCom an empty 200 at once, so that it neither gives up
// nor retries, and the reply goes out through the message API when ready.
func (h *Callback) handle(ctx context.Context, w http.ResponseWriter, msg bot.Message, log func() *slog.Logger) (o outcome, answeredAt time.Time) {
	answered := make(chan struct{})
	watchdog := time.AfterFunc(h.cfg.ReplyDeadline, func() {
		// The request's goroutine is inside the bot and touches w (and
		// answeredAt) only after reading answered: no concurrent use.
		h.late.Add(1)
		w.Header().Set("Content-Length", "0") // a complete answer, though the handler runs on
		// WeCom must not queue its next callback behind this one on a
		// kept-alive connection: the server reads it only when we return.
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusOK)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		answeredAt = time.Now()
		close(answered)
	})
	o = h.run(ctx, msg, log)
	if watchdog.Stop() {
		return o, time.Time{}
	}
	<-answered
	defer h.late.Done()
	log().InfoContext(ctx, "reply late; sending it through the message API")
	h.deliverLate(context.WithoutCancel(ctx), msg, o, log)
	return outcome{}, answeredAt
}

// run calls the bot with its own time limit, detached from the request's
// cancellation: a message being handled is finished even if WeCom hangs up.
func (h *Callback) run(ctx context.Context, msg bot.Message, log func() *slog.Logger) (o outcome) {
	workCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.HandleTimeout)
	defer cancel()
	defer func() {
		// A panic outside the bot's own guard must not end the process
		// or the connection: it is this message's error (503, WeCom retries).
		if p := recover(); p != nil {
			log().ErrorContext(workCtx, "handler panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			o = outcome{err: fmt.Errorf("wecom: handler panicked: %v", p)}
		}
	}()
	reply, err := h.cfg.Handler.Handle(workCtx, msg)
	return outcome{reply, err}
}

// lateFailureText tells a member that a message WeCom will not retry (we
// already answered 200) was not processed, so they can send it again.
const lateFailureText = "抱歉，刚才的消息没有处理成功，请稍后再发一次。"

func (h *Callback) deliverLate(ctx context.Context, msg bot.Message, o outcome, log func() *slog.Logger) {
	n := bot.Notice{To: []string{msg.From}, Text: o.reply.Text}
	switch {
	case o.err != nil:
		log().ErrorContext(ctx, "late message failed", slog.Any("error", o.err))
		n.Text = lateFailureText
	case o.reply.ReplaceButton != "" && msg.ResponseCode != "":
		// Too late for a passive update_button: relabel the clicked button
		// with the click's own response code (single use, valid 72 h).
		n.Text, n.ButtonUpdate = "", &bot.ButtonUpdate{ResponseCode: msg.ResponseCode, ReplaceName: o.reply.ReplaceButton}
	}
	if (n.Text == "" && n.ButtonUpdate == nil) || h.cfg.Outbox == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.HandleTimeout)
	defer cancel()
	if err := h.cfg.Outbox.Enqueue(ctx, "reply:"+msg.DedupeKey(), n); err != nil {
		log().ErrorContext(ctx, "enqueue late reply", slog.Any("error", err))
	}
}

// writePassive answers in the request's body. The reply addresses the
// sender as their corp knows them (the bare userid) from that corp's id.
func (h *Callback) writePassive(w http.ResponseWriter, r *http.Request, msg bot.Message, to string, reply bot.Reply, log func() *slog.Logger) {
	now := h.cfg.Now().Unix()
	enc, err := h.cfg.Crypto.Encrypt(passiveReplyXML(to, h.cfg.CorpID, now, reply))
	if err == nil {
		ts, nonce := strconv.FormatInt(now, 10), randomNonce()
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		_, _ = w.Write(replyEnvelopeXML(enc, h.cfg.Crypto.Sign(ts, nonce, enc), ts, nonce))
		return
	}
	// The effect is stored; only the answer failed. Send it the other way.
	log().ErrorContext(r.Context(), "build passive reply", slog.Any("error", err))
	w.WriteHeader(http.StatusOK)
	h.late.Add(1)
	go func() {
		defer h.late.Done()
		h.deliverLate(context.WithoutCancel(r.Context()), msg, outcome{reply: bot.Reply{Text: reply.Text}}, log)
	}()
}

// randomNonce is a decimal nonce below 10^9, as WeCom's own SDKs send.
func randomNonce() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return strconv.FormatInt(time.Now().UnixNano()%1_000_000_000, 10)
	}
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])%1_000_000_000), 10)
}

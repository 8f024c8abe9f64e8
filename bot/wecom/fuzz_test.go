package wecom_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/wecom"
	"github.com/partybot/partybot/bot/wecom/wecomtest"
)

// FuzzCallback feeds arbitrary bodies and query values to the POST path.
// Whatever arrives, the handler must not panic, must answer 4xx unless the
// request is correctly signed, and must never reach the bot with an
// unsigned payload.
func FuzzCallback(f *testing.F) {
	crypto, err := wecom.NewCrypto(wecomtest.Token, wecomtest.AESKey, wecomtest.CorpID)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_763_800_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	wc := &wecomtest.WeCom{CorpID: wecomtest.CorpID, AgentID: wecomtest.AgentID, Crypto: crypto}
	for _, plain := range []string{
		wc.TextXML("lisi", "签到", "1", now),
		wc.EventXML("lisi", "click", "checkin", now),
		"<xml></xml>",
	} {
		enc, _ := crypto.Encrypt([]byte(plain))
		f.Add(wecomtest.EnvelopeXML(wecomtest.CorpID, wecomtest.AgentID, enc), crypto.Sign(ts, "7", enc), ts)
	}
	f.Add([]byte("<xml><Encrypt>AAAA</Encrypt></xml>"), "", ts)
	f.Add([]byte("garbage"), "deadbeef", "x")

	var reached bool
	cb, err := wecom.NewCallback(wecom.CallbackConfig{
		Crypto: crypto, CorpID: wecomtest.CorpID,
		Handler: handlerFunc(func(_ context.Context, m bot.Message) (bot.Reply, error) {
			reached = true
			return bot.Reply{Text: "ok " + m.Text}, nil
		}),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return now },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, sig, timestamp string) {
		reached = false
		q := url.Values{"msg_signature": {sig}, "timestamp": {timestamp}, "nonce": {"7"}}
		req := httptest.NewRequest(http.MethodPost, "/cb?"+q.Encode(), bytes.NewReader(body))
		rec := httptest.NewRecorder()
		cb.ServeHTTP(rec, req)

		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		signed := xml.Unmarshal(body, &env) == nil && env.Encrypt != "" && crypto.Verify(sig, timestamp, "7", env.Encrypt)
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d for fuzzed input", rec.Code)
		case rec.Code == http.StatusOK && !signed:
			t.Fatalf("200 for an unsigned request")
		case reached && !signed:
			t.Fatalf("unsigned payload reached the bot")
		}
	})
}

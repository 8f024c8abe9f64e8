// Package wecom is one of the bot's channels: the WeCom (企业微信) adapter.
// Inbound, the encrypted callback endpoint (callback.go, wire.go,
// crypto.go) turns a request into a bot.Message and the bot's Reply into a
// passive reply. Outbound, Client (client.go, send.go) delivers bot.Notices
// through the qyapi HTTP API. It depends on package bot, never the reverse,
// and keeps no process-wide state: each Client has its own HTTP client and
// API host.
package wecom

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// Crypto signs, verifies, encrypts and decrypts callback payloads with an
// app's Token and EncodingAESKey, using silenceper's util (WeCom doc 91144).
type Crypto struct {
	token  string
	aesKey string
	corpID string
}

// NewCrypto checks the key and returns a Crypto for one app. corpID is the
// receive id every decrypted payload must carry.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	if token == "" {
		return nil, fmt.Errorf("wecom: token is empty")
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom: encoding_aes_key must be 43 characters, got %d", len(encodingAESKey))
	}
	if key, err := base64.StdEncoding.DecodeString(encodingAESKey + "="); err != nil || len(key) != 32 {
		return nil, fmt.Errorf("wecom: encoding_aes_key is not valid base64 for a 32-byte key")
	}
	if corpID == "" {
		return nil, fmt.Errorf("wecom: corp_id is empty")
	}
	return &Crypto{token: token, aesKey: encodingAESKey, corpID: corpID}, nil
}

// Sign is sha1 over the sorted token, timestamp, nonce and payload.
func (c *Crypto) Sign(timestamp, nonce, encrypted string) string {
	return util.Signature(c.token, timestamp, nonce, encrypted)
}

// Verify compares a signature in constant time.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypted string) bool {
	want := c.Sign(timestamp, nonce, encrypted)
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}

// Decrypt opens a payload and checks that its receive id is our corp.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	_, plain, err := util.DecryptMsg(c.corpID, encrypted, c.aesKey)
	if err != nil {
		return nil, fmt.Errorf("wecom: decrypt: %w", err)
	}
	return plain, nil
}

// Encrypt seals plain for WeCom (passive replies; and tests acting as WeCom).
func (c *Crypto) Encrypt(plain []byte) (string, error) {
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("wecom: random: %w", err)
	}
	out, err := util.EncryptMsg(random, plain, c.corpID, c.aesKey)
	if err != nil {
		return "", fmt.Errorf("wecom: encrypt: %w", err)
	}
	return string(out), nil
}

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
// The key is decoded once; util's EncryptMsg and DecryptMsg would decode it
// again on every message, so the AES step is called directly.
type Crypto struct {
	token  string
	key    []byte // the decoded EncodingAESKey, 32 bytes
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
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("wecom: encoding_aes_key is not valid base64 for a 32-byte key")
	}
	if corpID == "" {
		return nil, fmt.Errorf("wecom: corp_id is empty")
	}
	return &Crypto{token: token, key: key, corpID: corpID}, nil
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
func (c *Crypto) Decrypt(encrypted string) (plain []byte, err error) {
	defer func() {
		if p := recover(); p != nil { // util's AES step panics on what it cannot handle
			plain, err = nil, fmt.Errorf("wecom: decrypt: %v", p)
		}
	}()
	ciphertext, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("wecom: decrypt: %w", err)
	}
	_, plain, receiver, err := util.AESDecryptMsg(ciphertext, c.key)
	if err != nil {
		return nil, fmt.Errorf("wecom: decrypt: %w", err)
	}
	if string(receiver) != c.corpID {
		return nil, fmt.Errorf("wecom: decrypt: payload is for another receiver")
	}
	return plain, nil
}

// Encrypt seals plain for WeCom (passive replies; and tests acting as WeCom).
func (c *Crypto) Encrypt(plain []byte) (string, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("wecom: random: %w", err)
	}
	return base64.StdEncoding.EncodeToString(util.AESEncryptMsg(random[:], plain, c.corpID, c.key)), nil
}

package bot

import (
	"crypto/sha1"
	"encoding/hex"
)

// messageID names what a message creates (a meeting, a draft): the
// message's time plus a digest of the message: readable,
// unique even for two meetings opened in one second, and the same when
// WeCom retries the message (CreateTime and MsgId do not change).
func messageID(req Request) string {
	sum := sha1.Sum([]byte(req.Msg.DedupeKey()))
	at := req.Msg.Time
	if at.IsZero() {
		at = req.Now
	}
	return at.UTC().Format("20060102150405") + "-" + hex.EncodeToString(sum[:3])
}

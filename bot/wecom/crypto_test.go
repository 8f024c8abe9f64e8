package wecom

import (
	"strings"
	"testing"

	"github.com/silenceper/wechat/v2/util"
)

// Vectors published with WeCom's own SDK samples (sbzhu/weworkapi_golang sample.go, sbzhu/weworkapi_python callback/Sample.py).
func TestCryptoPublicVectors(t *testing.T) {
	tests := []struct {
		name, token, key, corp, ts, nonce, sig, encrypted, wantPlain string
	}{
		{
			name: "V1 URL verification", token: "QDG6eK", key: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
			corp: "wx5823bf96d3bd56c7", ts: "1409659589", nonce: "263014780",
			sig:       "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
			encrypted: "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
			wantPlain: "1616140317555161061",
		},
		{
			name: "V2 text message", token: "QDG6eK", key: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
			corp: "wx5823bf96d3bd56c7", ts: "1409659813", nonce: "1372623149",
			sig:       "477715d11cdb4164915debcba66cb864d751f3e6",
			encrypted: "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==",
			wantPlain: "<Content><![CDATA[hello]]></Content>",
		},
		{
			name: "V3 Chinese text", token: "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", key: "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
			corp: "ww1436e0e65a779aee", ts: "1476422779", nonce: "1597212914",
			sig:       "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
			encrypted: "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+",
			wantPlain: "<Content>你好</Content>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCrypto(tc.token, tc.key, tc.corp)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Verify(tc.sig, tc.ts, tc.nonce, tc.encrypted) {
				t.Fatalf("signature does not verify; computed %s", c.Sign(tc.ts, tc.nonce, tc.encrypted))
			}
			if c.Verify(tc.sig, tc.ts, tc.nonce+"1", tc.encrypted) {
				t.Fatal("signature verifies with a changed nonce")
			}
			plain, err := c.Decrypt(tc.encrypted)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(plain), tc.wantPlain) {
				t.Fatalf("plaintext %q does not contain %q", plain, tc.wantPlain)
			}
			other, _ := NewCrypto(tc.token, tc.key, "ww_other_corp")
			if _, err := other.Decrypt(tc.encrypted); err == nil {
				t.Fatal("decrypt accepted a payload for another corp")
			}
		})
	}
}

func TestCryptoRoundTrip(t *testing.T) {
	c, err := NewCrypto("tok", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wwcorp")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"", "x", strings.Repeat("签", 1000)} {
		enc, err := c.Encrypt([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Decrypt(enc)
		if err != nil || string(got) != msg {
			t.Fatalf("round trip of %d bytes: got %d bytes, err %v", len(msg), len(got), err)
		}
		// The key is decoded once here; util's whole-message functions must agree.
		if _, plain, err := util.DecryptMsg("wwcorp", enc, "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"); err != nil || string(plain) != msg {
			t.Fatalf("util.DecryptMsg of our %d bytes: got %d bytes, err %v", len(msg), len(plain), err)
		}
		theirs, err := util.EncryptMsg([]byte("0123456789abcdef"), []byte(msg), "wwcorp", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.Decrypt(string(theirs)); err != nil || string(got) != msg {
			t.Fatalf("decrypt util.EncryptMsg's %d bytes: got %d bytes, err %v", len(msg), len(got), err)
		}
	}
	for _, bad := range []string{"", "not base64!", "AAAA", strings.Repeat("A", 44)} {
		if _, err := c.Decrypt(bad); err == nil {
			t.Fatalf("Decrypt(%q) succeeded", bad)
		}
	}
}

func TestNewCryptoRejectsBadKeys(t *testing.T) {
	for _, key := range []string{"", "short", strings.Repeat("a", 44), strings.Repeat("*", 43)} {
		if _, err := NewCrypto("tok", key, "wwcorp"); err == nil {
			t.Fatalf("NewCrypto accepted key %q", key)
		}
	}
}

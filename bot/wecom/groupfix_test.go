package wecom

import (
	"errors"
	"fmt"
	"testing"
)

// Only a group channel's own refusals pause that channel: 48002 on
// message/send is the whole app's problem (ConfigFix), 93000 only means
// something from the group robot's webhook.
func TestGroupConfigFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"app chats refused", &APIError{API: "appchat/send", Code: 48002}, true},
		{"wrapped", fmt.Errorf("outbox: send: %w", &APIError{API: "appchat/send", Code: 48002}), true},
		{"robot removed", &APIError{API: "webhook/send", Code: 93000}, true},
		{"member send refused", &APIError{API: "message/send", Code: 48002}, false},
		{"robot rate limit", &APIError{API: "webhook/send", Code: 45009}, false},
		{"untrusted IP on a chat", &APIError{API: "appchat/send", Code: 60020}, false},
		{"network", errors.New("connection refused"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fix, ok := GroupConfigFix(tc.err)
			if ok != tc.want || ok && fix == "" {
				t.Fatalf("GroupConfigFix(%v) = %q, %v; want %v with a fix", tc.err, fix, ok, tc.want)
			}
		})
	}
}

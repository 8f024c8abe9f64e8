package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/partybot/partybot/store/redistest"
)

// lockedBuffer is a log the app writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// 民主测评 ballots are anonymous end to end: through signed callbacks, no
// reply, pushed message, log line (debug, JSON), Redis key or value links
// a rater to the grade they gave; one ballot per rater per member, none
// for oneself; a member sees only their own tallies.
func TestReviewBallotsAreAnonymousEndToEnd(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	e := seedBranch(t, startAppLogged(t, newFake(t), redistest.Config(t), &log))
	e.run(t, []step{
		{"zhangsan", "民主评议 开始 截止 12-10", "预览"},
		{"zhangsan", "发送", "已开始"},
		{"lisi", "测评 @lisi 优秀", "自己"},
		{"lisi", "测评 @zhaoliu 不合格", "已"},
		{"lisi", "测评 @zhaoliu 优秀", "已测评过"},
		{"qianqi", "测评 @zhaoliu 合格", "已"},
	})
	e.drain(t)
	// lisi's is the only 不合格: nothing may put lisi (李四) beside it.
	linked := func(where, text string) {
		t.Helper()
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, "不合格") && (strings.Contains(line, "lisi") || strings.Contains(line, "李四")) {
				t.Errorf("%s links the rater to the grade: %.300s", where, line)
			}
		}
	}
	if strings.Count(log.String(), `"msg":"callback"`) < 5 {
		t.Fatalf("the debug log lacks the callbacks' lines; the check below would prove nothing:\n%.1000s", log.String())
	}
	linked("the log", log.String())
	for _, c := range e.fake.Calls("") {
		linked("a message to WeCom ("+c.API+")", fmt.Sprint(c.Body))
	}
	tallied := false
	for k, v := range redisDump(t, e) {
		linked("Redis key "+k, strings.ReplaceAll(k+" "+v, "\n", " "))
		tallied = tallied || strings.Contains(v, "不合格")
	}
	if !tallied {
		t.Fatal("no Redis key holds the 不合格 tally: the scan read nothing")
	}
	// zhaoliu sees their own tallies, privately; lisi cannot see zhaoliu's.
	mine := e.send(t, "zhaoliu", "我的评议", "901").ReplyText
	if !strings.Contains(mine, "不合格 1") || !strings.Contains(mine, "合格 1") {
		t.Errorf("zhaoliu's own result: %q", mine)
	}
	if other := e.send(t, "lisi", "我的评议", "902").ReplyText; strings.Contains(other, "不合格 1") {
		t.Errorf("lisi sees another's tally: %q", other)
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
	"github.com/partybot/partybot/store/redistest"
)

// A 思想汇报 reaches the 培养联系人 and the branch's leaders only: through
// signed callbacks, no other member's messages, no group, no log line (debug,
// JSON), no Redis key but the person's own reports, and no ledger sheet holds
// its text; an applicant reads only their own stage.
func TestThoughtReportStaysPrivateEndToEnd(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	e := seedBranch(t, startAppLogged(t, newFake(t), redistest.Config(t), &log))
	const secret = "本季度重温党章的体会"
	e.run(t, []step{
		{"zhangsan", "发展 申请人 @liuyang 刘洋 2026-11-02", "已登记 刘洋「申请」"},
		{"zhangsan", "发展 谈话 @liuyang 2026-11-10", "已登记 刘洋「谈话」"},
		{"zhangsan", "发展 积极分子 @liuyang 2026-11-16 联系人 @lisi @zhaoliu", "现为：入党积极分子"},
		{"liuyang", "发展 进度", "你目前在发展党员流程中"},
		{"liuyang", "入党进度", "你目前是：入党积极分子"},
		{"liuyang", "思想汇报 " + secret, "已收到你的思想汇报"},
	})
	e.drain(t)
	var readers []string
	for _, c := range e.fake.Calls("") {
		body := strings.ReplaceAll(strings.ReplaceAll(fmtAny(c.Body), "\\n", "\n"), " ", "")
		if !strings.Contains(body, secret) {
			continue
		}
		if c.API != "message/send" {
			t.Fatalf("the report went out through %s: %s", c.API, body)
		}
		to, _ := c.Body["touser"].(string)
		readers = append(readers, strings.Split(to, "|")...)
	}
	slices.Sort(readers)
	// 联系人 lisi and zhaoliu; leaders zhangsan (书记) and wangwu (支委).
	if want := []string{"lisi", "wangwu", "zhangsan", "zhaoliu"}; !slices.Equal(readers, want) {
		t.Fatalf("the report reached %v, want %v", readers, want)
	}
	if strings.Contains(log.String(), secret) {
		t.Fatal("the log holds the report")
	}
	for k, v := range redisDump(t, e) {
		if !strings.Contains(k, ":dev:reports:liuyang") && strings.Contains(v, secret) { // kept only there
			t.Errorf("Redis key %s holds the report", k)
		}
	}
	ctx := t.Context()
	// The ledger of the month: the 发展党员 sheet lists the steps, not the report.
	span := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	dir := t.TempDir()
	c, err := workbook.NewCSV(dir, e.app.Bot.LedgerHeader(span, false))
	if err != nil {
		t.Fatal(err)
	}
	branches, err := e.app.Store.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Bot.EachLedger(context.WithoutCancel(ctx), branches, span, false, c.Add); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	all := readDir(t, dir)
	if strings.Contains(all, secret) || !strings.Contains(all, "积极分子") {
		t.Fatalf("the ledger: holds the report %v, lists the steps %v", strings.Contains(all, secret), strings.Contains(all, "积极分子"))
	}
}

// fmtAny renders a decoded JSON body or stream entry for a text search.
func fmtAny(v any) string { return fmt.Sprint(v) }

// readDir is every file under dir, concatenated.
func readDir(t *testing.T, dir string) string {
	t.Helper()
	var sb strings.Builder
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sb.Write(raw)
	}
	return sb.String()
}

// redisDump is every key under the app's prefix with its values, one line
// per key: for tests that look for what must not be stored.
func redisDump(t *testing.T, e *e2e) map[string]string {
	t.Helper()
	ctx := t.Context()
	rdb := e.app.Store.Client()
	keys, err := rdb.Keys(ctx, e.app.Store.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		var vals []string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f+"="+v)
			}
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "list":
			vals = rdb.LRange(ctx, k, 0, -1).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				vals = append(vals, fmtAny(m.Values))
			}
		}
		out[k] = strings.ReplaceAll(strings.Join(vals, " "), "\n", " ")
	}
	return out
}

package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

// tech's round: sec, com (预备党员), m1, m2, m3.
var techRound = []string{"com", "m1", "m2", "m3", "sec"}

func TestReviewOpenAndRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantIn(t, "before opening", w.say("m1", "测评 @m2 优秀"), "还没有开始")
	wantIn(t, "a member may not open", w.say("m1", "民主评议 开始"), "书记")
	wantIn(t, "bad deadline", w.say("sec", "民主评议 开始 截止 昨天"), "截止日期")
	// Sent to the whole branch: a preview first (nothing sent, nothing
	// stored), then 发送.
	wantIn(t, "preview", w.say("sec", "民主评议 开始 截止 12-10"), "预览：开始 2026 年民主评议", "将私信 5 人", "2026-12-10", "回复“发送”确认")
	if n := len(w.box.withPrefix("cmd:")); n != 0 {
		t.Fatalf("the preview sent %d messages", n)
	}
	wantIn(t, "open", w.say("sec", "发送"), "已开始 2026 年民主评议", "5 人", "2026-12-10")
	var invited []string
	for _, n := range w.box.withPrefix("cmd:") {
		if strings.Contains(n.Text, "民主评议开始了") {
			invited = append(invited, n.To...)
		}
	}
	slices.Sort(invited)
	if !slices.Equal(invited, techRound) {
		t.Fatalf("invited %v, want %v", invited, techRound)
	}
	wantIn(t, "second open", w.say("sec", "民主评议 开始"), "已经开始")

	tests := []struct {
		from, text, want string
	}{
		{"m1", "测评 @m2 优秀", "已记下对 乙 的测评（匿名）"},
		{"m1", "测评 @m2 合格", "已测评过 乙，不能修改"},
		{"m1", "测评 @m1 优秀", "不能测评自己"},
		{"m1", "测评 @ops2 合格", "不在本次民主评议的名单中"},
		{"m1", "测评 @gone 合格", "不在本次民主评议的名单中"},
		{"m1", "测评 @m3 很好", "用法：测评"},
		{"m1", "测评 m3 合格", "用法：测评"},
		{"ops2", "测评 @m1 合格", "还没有开始"}, // ops has no round
		{"com", "测评 @m2 合格", "已记下"},
		{"m1", "自评", "用法：自评"},
		{"m1", "自评 学习不够深入", "已收到你的自评"},
		{"m1", "自评 学习不够深入，改进中", "已收到你的自评"},
		{"m2", "民主评议 进度", "书记"},
		{"sec", "民主评议 评定 @m2 很好", "用法：民主评议 评定"},
		{"sec", "民主评议 评定 @ops2 优秀", "只有对方所在支部"},
		{"sec", "民主评议 评定 @m2 优秀", "已记录 乙 的评定：优秀"},
	}
	for _, tt := range tests {
		wantIn(t, tt.from+" "+tt.text, w.say(tt.from, tt.text), tt.want)
	}
	if !w.audited("review.verdict", "m2", "优秀") {
		t.Fatal("评定 not audited")
	}

	progress := w.say("sec", "民主评议 进度")
	wantIn(t, "progress", progress, "自评 1/5", "测评完成 0/5", "未交自评：支委、乙、丙、书记", "甲（差 3 人）", "乙（差 4 人）")
	for _, g := range bot.Grades {
		if strings.Contains(progress.Text, string(g)) {
			t.Fatalf("进度 shows a grade:\n%s", progress.Text)
		}
	}
	wantIn(t, "results", w.say("com", "民主评议 结果"), "乙：优秀 1 · 合格 1 · 基本合格 0 · 不合格 0（2 票），未交自评，评定：优秀", "甲：优秀 0 · 合格 0 · 基本合格 0 · 不合格 0（0 票），已自评")
	wantIn(t, "my review", w.say("m2", "我的评议"), "仅你可见", "自评：未交", "还需测评 4 人", "优秀 1 · 合格 1", "支部评定：优秀")
	wantIn(t, "ops has none", w.say("ops2", "我的评议"), "还没有开始")
}

func TestReviewReminderOnceBeforeDeadline(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "民主评议 开始 截止 12-10")
	w.say("sec", "发送")
	for _, id := range techRound {
		w.say(id, "自评 已完成")
	}
	// m3 finishes: rates the four others.
	for _, other := range []string{"com", "m1", "m2", "sec"} {
		w.say("m3", "测评 @"+other+" 合格")
	}
	tests := []struct {
		day  time.Time
		want []string
	}{
		{at(2026, 12, 6), nil}, // 4 days before: not yet
		{at(2026, 12, 7), []string{"com", "m1", "m2", "sec"}},
		{at(2026, 12, 8), nil}, // once
		{at(2026, 12, 11), nil},
	}
	for _, tt := range tests {
		w.now = tt.day
		var to []string
		for _, o := range w.job(bot.JobReview) {
			if !strings.Contains(o.Notice.Text, "民主评议 2026-12-10 截止") {
				t.Fatalf("reminder text %q", o.Notice.Text)
			}
			to = append(to, o.Notice.To...)
		}
		if !slices.Equal(to, tt.want) {
			t.Fatalf("%s: reminded %v, want %v", tt.day.Format(time.DateOnly), to, tt.want)
		}
	}
}

// TestBallotsAreAnonymous casts ballots, then looks everywhere a link
// could hide — every Redis key and value, the audit trail, the replies and
// the exported ledger — for m1's only 不合格 (given to m2) tied to m1.
func TestBallotsAreAnonymous(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "民主评议 开始")
	w.say("sec", "发送")
	var replies []bot.Reply
	ballots := []struct{ from, text string }{
		{"m1", "测评 @m2 不合格"}, // the only 不合格
		{"m1", "测评 @m3 优秀"},
		{"m2", "测评 @m1 合格"},
		{"m3", "测评 @m2 合格"},
		{"com", "测评 @m2 基本合格"},
		{"m1", "测评 @m2 优秀"}, // refused: the first stands
	}
	for _, b := range ballots {
		replies = append(replies, w.say(b.from, b.text))
	}
	w.say("sec", "民主评议 评定 @m2 合格")
	for _, r := range replies {
		for _, g := range bot.Grades {
			if strings.Contains(r.Text, string(g)) {
				t.Fatalf("a 测评 reply names a grade: %q", r.Text)
			}
		}
	}
	wantIn(t, "the tally counts it", w.say("sec", "民主评议 结果"), "乙：优秀 0 · 合格 1 · 基本合格 1 · 不合格 1（3 票）")

	ctx := t.Context()
	rdb := w.s.Client()
	keys, err := rdb.Keys(ctx, w.s.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		blob := k
		switch rdb.Type(ctx, k).Val() {
		case "string":
			blob += " " + rdb.Get(ctx, k).Val()
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				blob += " " + f + "=" + v
			}
		case "set":
			blob += " " + strings.Join(rdb.SMembers(ctx, k).Val(), " ")
		case "list":
			blob += " " + strings.Join(rdb.LRange(ctx, k, 0, -1).Val(), " ")
		case "zset":
			blob += " " + strings.Join(rdb.ZRange(ctx, k, 0, -1).Val(), " ")
		}
		if strings.Contains(blob, "m1") && strings.Contains(blob, "不合格") {
			t.Fatalf("Redis links m1 to 不合格: %s", blob)
		}
		if strings.Contains(blob, "不合格") && !strings.HasSuffix(k, ":tally:m2") {
			t.Fatalf("a grade outside m2's tally: %s", blob)
		}
	}
	entries, err := w.s.AuditEntries(ctx, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "review.") && e.Action != "review.open" && e.Action != "review.verdict" {
			t.Fatalf("a ballot reached the audit trail: %+v", e)
		}
		if strings.Contains(e.Detail, "不合格") {
			t.Fatalf("audit entry names a ballot's grade: %+v", e)
		}
	}

	// The export: per rated member only.
	tech := []bot.Branch{{ID: "tech", Name: "技术党支部"}}
	span := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	raw := w.ledgerCSV(tech, span, workbook.SheetReview)
	lines := strings.Split(strings.TrimSpace(raw), "\n")
	want := map[string]string{
		"m1": "技术党支部,2026,甲,m1,0,1,0,0,1,未交,",
		"m2": "技术党支部,2026,乙,m2,0,1,1,1,3,未交,合格",
	}
	for id, row := range want {
		if !slices.Contains(lines, row) {
			t.Fatalf("export lacks %s's row %q:\n%s", id, row, raw)
		}
	}
	for _, line := range lines[1:] {
		if strings.Contains(line, "不合格") {
			t.Fatalf("export row names a grade: %q", line)
		}
	}
}

func TestReviewVerdictByAdmin(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantIn(t, "no round", w.say("boss", "民主评议 评定 @ops2 合格"), "所在支部 2026 年的民主评议还没有开始")
	w.say("ops1", "民主评议 开始")
	w.say("ops1", "发送")
	wantIn(t, "admin records", w.say("boss", "民主评议 评定 @ops2 合格"), "已记录 丁 的评定：合格")
	wantIn(t, "the member sees it", w.say("ops2", "我的评议"), "支部评定：合格")
}

// A previewed broadcast is dropped by 取消 and expires with the draft;
// nothing was sent or stored.
func TestReviewPreviewCancelled(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantIn(t, "preview", w.say("sec", "民主评议 开始"), "预览：开始 2026 年民主评议")
	wantIn(t, "cancel", w.say("sec", "取消"), "已取消，未发送")
	wantIn(t, "nothing opened", w.say("sec", "发送"), "没有待发送")
	wantIn(t, "still not open", w.say("m1", "测评 @m2 优秀"), "还没有开始")
	if n := len(w.box.withPrefix("cmd:")); n != 0 {
		t.Fatalf("%d messages went out", n)
	}
}

package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// A material reaches members with its link and a 已学 button; 已学 counts
// once (typed, clicked or retried), credits 学时 × 45 minutes, and the
// status names who has not studied, those on leave apart.
func TestMaterialStudiedOnceAndStatus(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	ctx := t.Context()
	preview := w.say("sec", "学习材料 纪律处分条例 https://example.cn/rules 必学 截止 11-30 学时 2")
	if !strings.Contains(preview.Text, "学习材料预览") || !strings.Contains(preview.Text, "必学") {
		t.Fatalf("preview: %q", preview.Text)
	}
	w.say("sec", "发送")
	cards := w.box.withPrefix("ann:tech:1:deliver:0")
	if len(cards) != 1 || cards[0].Card == nil || !slices.Equal(cards[0].To, techTo) {
		t.Fatalf("delivery: %+v", cards)
	}
	card := cards[0].Card
	if !strings.Contains(card.Subtitle, "https://example.cn/rules") || card.Buttons[0].Text != "已学" {
		t.Fatalf("card: %+v", card)
	}
	// wecom.plain_text: the card as text names the link and the typed twin.
	if plain := card.PlainText(); !strings.Contains(plain, "https://example.cn/rules") || !strings.Contains(plain, "回复“已学”") {
		t.Fatalf("plain text: %q", plain)
	}
	today := bot.Date{Year: 2026, Month: 11, Day: 20}
	if err := w.s.PutLeave(ctx, bot.Leave{ID: "l-m3", BranchID: "tech", UserID: "m3", From: today, To: today.AddDays(2), Reason: "出差", By: "m3", At: friday}); err != nil {
		t.Fatal(err)
	}

	if r := w.say("m1", "已学 条例很重要"); !strings.Contains(r.Text, "计 2 学时") {
		t.Fatalf("已学: %q", r.Text)
	}
	w.seq-- // the same MsgId again: a WeCom retry
	w.say("m1", "已学 条例很重要")
	if r := w.click("m1", card.Buttons[0].Key); r.ReplaceButton != "已学" {
		t.Fatalf("click: %+v", r)
	}
	if r := w.say("m1", "已学"); r.Text != "你已学完全部学习材料，谢谢！" {
		t.Fatalf("again: %q", r.Text)
	}
	w.click("com", card.Buttons[0].Key)
	if r := w.say("m2", "收到"); r.Text != "现在没有需要确认的公告。" {
		t.Fatalf("收到 answers a material: %q", r.Text)
	}

	for _, tc := range []struct {
		user string
		want int
	}{{"m1", 90}, {"com", 90}, {"m2", 0}} {
		got, err := w.b.MaterialMinutes(ctx, "tech", tc.user, 2026)
		if err != nil || got != tc.want {
			t.Errorf("MaterialMinutes(%s) = %d, %v; want %d", tc.user, got, err, tc.want)
		}
	}
	if got, _ := w.b.MaterialMinutes(ctx, "tech", "m1", 2025); got != 0 {
		t.Errorf("credited to 2025: %d", got)
	}
	studies, err := w.s.MaterialStudies(ctx, "tech", 1)
	if err != nil || studies["m1"].Note != "条例很重要" || len(studies) != 2 {
		t.Fatalf("studies: %+v %v", studies, err)
	}

	status := w.say("sec", "学习材料 状态")
	if !strings.Contains(status.Text, "已学 2/4") || !strings.Contains(status.Text, "未学：乙") || strings.Contains(status.Text, "丙") || !strings.Contains(status.Text, "请假中 1 人") {
		t.Fatalf("status: %q", status.Text)
	}
	if r := w.say("sec", "学习材料 列表"); !strings.Contains(r.Text, "#1") || !strings.Contains(r.Text, "已学 2/4") {
		t.Fatalf("list: %q", r.Text)
	}
	if r := w.say("m1", "学习材料 状态"); strings.Contains(r.Text, "已学") {
		t.Fatalf("a member read the status: %q", r.Text)
	}

	// Two days before the deadline, once: to who has not studied, not on leave.
	w.now = friday.AddDate(0, 0, 8)
	outs := w.job(bot.JobAnnounceReminder)
	var reminded []bot.Notice
	for _, o := range outs {
		if strings.Contains(o.Key, ":material") {
			reminded = append(reminded, o.Notice)
		}
	}
	if len(reminded) != 1 || !slices.Equal(reminded[0].To, []string{"m2", "m3"}) || !strings.Contains(reminded[0].Text, "https://example.cn/rules") {
		t.Fatalf("reminder: %+v", reminded)
	}
	w.now = w.now.Add(30 * time.Minute) // the next run of the job
	for _, o := range w.job(bot.JobAnnounceReminder) {
		if strings.Contains(o.Key, ":material") {
			t.Fatalf("reminded twice: %v", o.Key)
		}
	}
}

// Links must be http(s); anything else gets the usage line.
func TestMaterialLinkRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	for _, text := range []string{
		"学习材料 标题 javascript:alert(1)",
		"学习材料 标题 ftp://example.cn/a",
		"学习材料 标题 example.cn/a",
		"学习材料 标题",
		"学习材料 标题 https://example.cn/a 学时 99",
	} {
		if r := w.say("sec", text); strings.Contains(r.Text, "预览") {
			t.Errorf("%q accepted: %q", text, r.Text)
		}
	}
	if r := w.say("sec", "学习材料 标题 javascript:alert(1)"); !strings.Contains(r.Text, "http") || !strings.Contains(r.Text, "用法") {
		t.Errorf("refusal: %q", r.Text)
	}
	if r := w.say("m1", "学习材料 标题 https://example.cn/a"); strings.Contains(r.Text, "预览") {
		t.Errorf("a member sent a material: %q", r.Text)
	}
}

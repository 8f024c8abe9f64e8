package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

func TestLifeMeetingChecklist(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	wantIn(t, "nothing yet", w.say("sec", "组织生活会 进度"), "方案：✗ 未制定", "学习：✗", "征求意见：✗ 0 条", "检查材料：✗ 0/5", "召开会议：✗ 未召开")

	tests := []struct{ from, text, want string }{
		{"m1", "意见 多开展谈心", "还没有制定方案，暂不征求意见"},
		{"m1", "检查材料 对照检查", "还没有制定方案"},
		{"m1", "组织生活会 方案 对照党章", "书记"},
		{"sec", "组织生活会 方案", "用法：组织生活会 方案"},
		{"sec", "组织生活会 方案 对照党章党规找差距 12-25", "预览：制定 2026 年组织生活会方案：对照党章党规找差距（2026-12-25），将私信 5 人"},
		{"sec", "发送", "已制定 2026 年组织生活会方案：对照党章党规找差距（2026-12-25），已通知 5 人"},
		{"sec", "组织生活会 方案 另一个", "方案已有：对照党章党规找差距"},
		{"m1", "意见", "用法：意见"},
		{"m1", "意见 支委要多联系年轻党员", "意见已匿名收下"},
		{"m2", "意见 学习形式可以更灵活", "意见已匿名收下"},
		{"m1", "检查材料", "用法：检查材料"},
		{"m1", "检查材料 理论学习不够系统", "已收到你的检查材料"},
		{"m2", "检查材料 联系群众不够", "已收到你的检查材料"},
		{"m2", "检查材料 联系群众不够，已改", "已收到你的检查材料"},
		{"m1", "组织生活会 进度", "书记"},
	}
	for _, tt := range tests {
		wantIn(t, tt.from+" "+tt.text, w.say(tt.from, tt.text), tt.want)
	}
	// A picture within 10 minutes goes with the 检查材料 (a handwritten page);
	// later it does not.
	wantIn(t, "picture", w.picture("m1", "page-1"), "图片已附在你的检查材料后（共 1 张）")
	wantIn(t, "the same picture again", w.picture("m1", "page-1"), "共 1 张")
	w.now = w.now.Add(11 * time.Minute)
	if r := w.picture("m1", "page-2"); strings.Contains(r.Text, "检查材料") {
		t.Errorf("a picture 11 minutes later joined the 检查材料: %q", r.Text)
	}
	w.now = w.now.Add(-11 * time.Minute)
	mats, err := w.s.Materials(t.Context(), "tech", 2026)
	if err != nil || len(mats["m1"].Media) != 1 || mats["m1"].Media[0].ID != "page-1" {
		t.Fatalf("m1's 检查材料 %+v (%v)", mats["m1"], err)
	}
	wantIn(t, "prepared", w.say("com", "组织生活会 进度"), "方案：✓ 对照党章党规找差距（2026-12-25）", "学习：✗", "征求意见：✓ 2 条", "检查材料：✗ 2/5", "民主评议：✗ 0/0", "召开会议：✗ 未召开")

	// 民主评议 counts raters who rated everyone.
	w.say("sec", "民主评议 开始")
	w.say("sec", "发送")
	for _, other := range []string{"com", "m1", "m2", "sec"} {
		w.say("m3", "测评 @"+other+" 合格")
	}
	wantIn(t, "raters", w.say("sec", "组织生活会 进度"), "民主评议：✗ 1/5")

	// 谈心谈话 coverage and 整改 come from their own records (talk.go,
	// rectify.go): two of the five talked with by a 支委, one item of two done.
	w.say("sec", "谈心 @m1 聊聊学习计划")
	w.say("com", "谈心 @m2")
	w.say("sec", "整改 @m1 补齐学习笔记 截止 12-20")
	w.say("sec", "整改 @m2 联系年轻党员 截止 12-20")
	w.say("m1", "整改 完成 #1 已补齐")
	wantIn(t, "talks and 整改", w.say("sec", "组织生活会 进度"), "谈心谈话：✗ 2/5", "整改：✗ 1/2")

	// Study by note, then the meeting itself, held and closed.
	wantIn(t, "study", w.say("sec", "组织生活会 学习 集中学习党章"), "已记录会前学习")
	w.say("sec", "会议 组织生活会")
	w.say("sec", "结束会议")
	wantIn(t, "held", w.say("sec", "组织生活会 进度"), "学习：✓", "召开会议：✓ 已召开")

	// 意见 are kept without their author.
	ctx := t.Context()
	rdb := w.s.Client()
	keys, err := rdb.Keys(ctx, w.s.Prefix()+"*life*opinions*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("opinion keys %v (%v)", keys, err)
	}
	stored := strings.Join(rdb.LRange(ctx, keys[0], 0, -1).Val(), " ")
	if !strings.Contains(stored, "支委要多联系年轻党员") || strings.Contains(stored, "m1") || strings.Contains(stored, "甲") {
		t.Fatalf("opinions stored as %s", stored)
	}

	// The ledger's sheet: checklist, 检查材料 by member, 意见 without author.
	span := bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}
	raw := w.ledgerCSV([]bot.Branch{{ID: "tech", Name: "技术党支部"}}, span, workbook.SheetLife)
	for _, want := range []string{
		"技术党支部,2026,方案,,,✓ 对照党章党规找差距（2026-12-25）",
		"技术党支部,2026,检查材料,,,✗ 2/5",
		"技术党支部,2026,检查材料,甲,2026-11-20,理论学习不够系统",
		"技术党支部,2026,检查材料,乙,2026-11-20,联系群众不够，已改",
		"技术党支部,2026,意见,,2026-11-20,支委要多联系年轻党员",
		"技术党支部,2026,召开会议,,,✓ 已召开",
	} {
		if !strings.Contains(raw, want+"\n") {
			t.Fatalf("sheet lacks %q:\n%s", want, raw)
		}
	}
}

package main

import (
	"strings"
	"testing"
)

// 补学 and 学习材料 through signed callbacks: the absent member is told of
// the meeting privately and makes it up once; a material reaches members
// with its link and 已学 counts once, in 我的's 学时.
func TestMakeupAndMaterialEndToEnd(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	code, _ := e.open(t, "党课", "纪律教育")
	e.run(t, []step{
		{"lisi", "签到 " + code, "会议签到成功"},
		{"zhangsan", "结束会议", "缺席"},
	})
	waitFor(t, "the 补学 message to an absent member", func() bool {
		return strings.Contains(strings.Join(e.textsOf("zhaoliu"), "\n"), "补学")
	})
	if got := strings.Join(e.textsOf("lisi"), "\n"); strings.Contains(got, "补学 心得") {
		t.Fatalf("a member who came got a 补学 message: %s", got)
	}
	e.run(t, []step{
		{"zhaoliu", "补学 看了纪要", "补学"},
		{"zhaoliu", "补学", "没有"},
		{"zhangsan", "学习材料 纪律处分条例 https://example.cn/rules 必学 学时 2", "学习材料预览"},
		{"zhangsan", "发送", "已发送"},
		{"lisi", "已学 条例很重要", "计 2 学时"},
		{"lisi", "已学", "你已学完全部学习材料"},
		{"zhangsan", "学习材料 状态", "已学 1/"},
		{"zhangsan", "学习材料 ftp://x 必学", "http"},
	})
	if me := e.send(t, "lisi", "我的", "990").ReplyText; !strings.Contains(me, "本年学时") {
		t.Fatalf("我的 lacks 学时: %q", me)
	}
}

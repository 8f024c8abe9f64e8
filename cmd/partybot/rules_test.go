package main

import (
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
)

// 党小组 end to end: the config sets up the groups and a cadence override,
// the roster import's group column places members, and signed callbacks
// show 名单 by group, a 党小组会 for its group alone, 进度 per group; an
// election at a 党员大会 needs more than four fifths.
func TestGroupsAndElectionsEndToEnd(t *testing.T) {
	e := startBranch(t, func(c *Config) {
		c.Org.Branches[0].Groups = []GroupConfig{{Name: "第一党小组", Members: []string{"zhangsan", "lisi"}}, {Name: "第二党小组"}}
		c.Org.Branches[0].Cadence = map[string]string{"committee": "none"}
	})
	cfgPath := writeConfig(t, e.app.Config)
	roster := "userid,name,branch,role,status,group\n" +
		"wangwu,王五,tech,支委,预备党员,第二党小组\n" +
		"zhaoliu,赵六,tech,党员,正式党员,第二党小组\n" +
		"qianqi,钱七,tech,党员,正式党员,\n"
	if code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "r.csv", roster)); code != 0 {
		t.Fatalf("import: %d %s", code, out)
	}
	if code, out := cli(t, "roster", "import", "-config", cfgPath, writeFile(t, "bad.csv", "userid,name,branch,role,group\nqianqi,钱七,tech,党员,第三党小组\n")); code == 0 || !strings.Contains(out, `line 2: group "第三党小组" is not one of branch tech's groups`) {
		t.Fatalf("import of an unknown group: %d %s", code, out)
	}
	if code, out := cli(t, "roster", "list", "-config", cfgPath, "-branch", "tech"); code != 0 || !strings.Contains(out, "GROUP") || !strings.Contains(out, "第二党小组") {
		t.Fatalf("list: %d\n%s", code, out)
	}

	e.run(t, []step{{"zhangsan", "名单", "技术党支部 共 5 人，2 个党小组：\n第一党小组（2 人）：李四、张三（书记）\n第二党小组（2 人）：王五（支委）［预备］、赵六\n未编入党小组（1 人）：钱七"}})

	code, _ := e.open(t, "党小组会", "第二党小组 学习党章")
	waitFor(t, "the meeting card", func() bool { return len(e.sent("template_card")) > 0 })
	if to := e.sent("template_card")[0]["touser"]; to != "wangwu|zhaoliu" {
		t.Fatalf("the 党小组会's card went to %v, want the group", to)
	}
	e.run(t, []step{
		{"wangwu", "签到 " + code, "会议签到成功 ✅ 党小组会（第二党小组）「学习党章」"},
		{"zhangsan", "结束会议", "到会 2 人：王五、张三（主持）\n请假 0 人：无\n缺席 1 人：赵六\n第二党小组应到 2 人，实到 1 人"},
		{"zhangsan", "进度", "本月：党小组会（第一党小组） ⏳待开（11月30日前）；党小组会（第二党小组） ✅1次；主题党日 ⏳待开（11月30日前）"},
	})
	if !strings.Contains(e.last, "支委会：按本支部设置，不需召开") || strings.Contains(e.last, "上月支委会") {
		t.Fatalf("进度 ignores the branch's cadence override:\n%s", e.last)
	}

	// Voters: zhangsan, lisi, zhaoliu, qianqi (wangwu is probationary).
	code, _ = e.open(t, "党员大会", "支部委员会换届选举")
	e.run(t, []step{
		{"lisi", "签到 " + code, "会议签到成功"},
		{"zhaoliu", "签到 " + code, "会议签到成功"},
		{"zhangsan", "结束会议", "有表决权的党员应到 4 人，实到 3 人：⚠️ 未超过五分之四，选举无效"},
	})
	m, found, err := e.app.Store.LatestMeeting(t.Context(), "tech")
	if err != nil || !found || !m.IsElection() || m.Type != bot.MeetingGeneral {
		t.Fatalf("latest meeting %+v %v %v", m, found, err)
	}
}

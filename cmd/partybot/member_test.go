package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
)

// memberRecords gives wangwu (a committee member) one of every kind of
// record, through signed callbacks.
func memberRecords(t *testing.T, e *e2e) {
	t.Helper()
	post := func(xml, want string) {
		t.Helper()
		resp, err := e.wc.Post(xml)
		if err != nil || !strings.Contains(resp.ReplyText, want) {
			t.Fatalf("%v %q, want %q", err, resp.ReplyText, want)
		}
	}
	e.fake.PutMedia("evidence-1", []byte("\xff\xd8\xff\xe0 a study photo"))
	e.fake.PutMedia("meeting-1", []byte("\xff\xd8\xff\xe0 a meeting photo"))
	e.run(t, []step{
		{"wangwu", "签到", "签到成功"},
		{"wangwu", "学习 党章第一章 30分钟 对初心的体会", "已记录"},
	})
	post(e.wc.LocationXML("wangwu", 39.9, 116.4, "北京市某小区", "loc-1", e.clock.Now()), "位置")
	post(e.wc.ImageXML("wangwu", "evidence-1", "img-1", e.clock.Now()), "")
	e.open(t, "党员大会", "十一月党员大会")
	post(e.wc.ImageXML("wangwu", "meeting-1", "img-2", e.clock.Now()), "会议照片")
	e.run(t, []step{
		{"wangwu", "请假 母亲住院", "请假"},
		{"zhangsan", "结束会议", "到会"},
		{"zhangsan", "更正 @wangwu 请假 母亲住院需陪护", "已更正"},
		{"wangwu", "请假 11-23 到 11-25 做手术", "已登记"},
		{"zhangsan", "党费 设置 @wangwu 5", "已设置"},
		{"wangwu", "党费 已交", "已登记"},
		{"zhangsan", "公告 周五交心得", "公告预览"},
		{"zhangsan", "发送", "已发送"},
		{"wangwu", "收到", "已确认收到"},
		{"zhangsan", "活动 志愿服务 11-28 14:00 阳光社区", "预览"},
		{"zhangsan", "发送", "已发送"},
		{"wangwu", "报名", "报名成功"},
	})
}

// personalContent is what wangwu typed or sent that an erase must remove.
var personalContent = []string{"对初心的体会", "党章第一章", "北京市某小区", "evidence-1", "meeting-1", "母亲住院", "做手术"}

func readExport(t *testing.T, cfgPath string) (store.PersonalData, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "wangwu.json")
	if code, msg := cli(t, "member", "export", "-config", cfgPath, "-user", "WangWu", "-o", out); code != 0 {
		t.Fatalf("member export: %d %s", code, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var d store.PersonalData
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d, string(raw)
}

func TestMemberExportAndErase(t *testing.T) {
	e := startBranch(t)
	memberRecords(t, e)
	cfgPath := writeConfig(t, e.app.Config)

	d, raw := readExport(t, cfgPath)
	for _, want := range personalContent {
		if !strings.Contains(raw, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
	kinds := []struct {
		kind string
		n    int
	}{
		{"check-ins", len(d.Checkins)}, {"study reports", len(d.Study)}, {"leaves", len(d.Leaves)},
		{"dues", len(d.Dues)}, {"dues amounts", len(d.DuesAmounts)}, {"acknowledgements", len(d.Acknowledgements)},
		{"sign-ups", len(d.SignUps)}, {"meetings", len(d.Meetings)}, {"meeting photos", len(d.MeetingPhotos)},
	}
	for _, k := range kinds {
		if k.n == 0 {
			t.Errorf("the export has no %s", k.kind)
		}
	}
	if d.Member.Name != "王五" || d.Checkins[0].Location == nil || len(d.Study[0].Evidence) != 1 || d.Meetings[0].Attendance == nil || d.Meetings[0].Record == nil || len(d.Meetings[0].Corrections) != 1 {
		t.Fatalf("export %s", raw)
	}
	if t.Failed() {
		t.FailNow()
	}

	if code, msg := cli(t, "member", "erase", "-config", cfgPath, "-user", "wangwu"); code != 1 || !strings.Contains(msg, "still active") {
		t.Fatalf("erase of an active member: %d %s", code, msg)
	}
	m := d.Member
	m.Active = false
	if err := e.app.Store.SaveMembers(t.Context(), []bot.Member{m}); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot(t)
	code, msg := cli(t, "member", "erase", "-config", cfgPath, "-user", "wangwu", "-dry-run")
	if code != 0 || !strings.Contains(msg, "dry run") || !strings.Contains(msg, "locations 1") {
		t.Fatalf("dry run: %d %s", code, msg)
	}
	e.assertUnchanged(t, before)

	if code, msg := cli(t, "member", "erase", "-config", cfgPath, "-user", "wangwu", "-actor", "cli:dpo"); code != 0 || !strings.Contains(msg, "removed:") {
		t.Fatalf("erase: %d %s", code, msg)
	}
	after, raw := readExport(t, cfgPath)
	for _, gone := range personalContent {
		if strings.Contains(raw, gone) {
			t.Errorf("%q is still stored", gone)
		}
	}
	// The branch's records stay: name, check-in days, study days and
	// minutes, leave dates, attendance, dues, answers.
	kept := []struct {
		what string
		ok   bool
	}{
		{"name", after.Member.Name == "王五"},
		{"check-in days", len(after.Checkins) == len(d.Checkins) && after.Checkins[0].Day == d.Checkins[0].Day && after.Checkins[0].Location == nil},
		{"study minutes", len(after.Study) == 1 && after.Study[0].Minutes == 30 && after.Study[0].Day == d.Study[0].Day && after.Study[0].Content == store.ErasedText && after.Study[0].Reflection == "" && after.Study[0].Evidence == nil},
		{"leave dates", len(after.Leaves) == len(d.Leaves) && after.Leaves[0].From == d.Leaves[0].From && after.Leaves[0].Reason == ""},
		{"attendance", after.Meetings[0].Attendance.Status == d.Meetings[0].Attendance.Status && after.Meetings[0].Attendance.Reason == "" &&
			after.Meetings[0].Record.Status == d.Meetings[0].Record.Status && after.Meetings[0].Record.Reason == ""},
		{"corrections", len(after.Meetings[0].Corrections) == 1 && after.Meetings[0].Corrections[0].Status == bot.Excused && after.Meetings[0].Corrections[0].Reason == ""},
		{"dues", slices.Equal(duesMonthsOf(after), duesMonthsOf(d)) && after.Dues[0].Amount == 500},
		{"answers", len(after.Acknowledgements) == len(d.Acknowledgements) && len(after.SignUps) == len(d.SignUps)},
		{"meeting photos gone", len(after.MeetingPhotos) == 0},
	}
	for _, k := range kept {
		if !k.ok {
			t.Errorf("after the erase: %s wrong", k.what)
		}
	}
	entries, err := e.app.Store.AuditEntries(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(entries, func(a bot.AuditEntry) bool { return a.Action == "member.erase" })
	if i < 0 || entries[i].Actor != "cli:dpo" || entries[i].Target != "wangwu" {
		t.Fatalf("no member.erase audit entry: %+v", entries)
	}
	for _, gone := range personalContent {
		if strings.Contains(entries[i].Detail, gone) {
			t.Errorf("the audit entry holds %q", gone)
		}
	}

	before = e.snapshot(t)
	if code, msg := cli(t, "member", "erase", "-config", cfgPath, "-user", "wangwu"); code != 0 || !strings.Contains(msg, "already erased") {
		t.Fatalf("second erase: %d %s", code, msg)
	}
	e.assertUnchanged(t, before)
}

func duesMonthsOf(d store.PersonalData) []string {
	var out []string
	for _, p := range d.Dues {
		out = append(out, p.Month)
	}
	return out
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/store"
)

// org.admins is authoritative on every start: an admin taken out of it is
// demoted (retired, with no branch), audited, and can no longer act as one.
func TestAdminsFollowTheConfig(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.run(t, []step{{"admin1", "支部", "共 1 个支部"}})

	e.app.Config.Org.Admins = []string{"lisi"} // admin1 leaves the committee; lisi joins it
	if err := e.app.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{
		{"admin1", "支部", "还不在党建助手的党员名册中"},
		{"lisi", "支部", "共 1 个支部"},
	})
	var revoked, granted int
	for _, a := range mustAudit(t, e) {
		switch {
		case a.Action == "admin.revoke" && a.Target == "admin1":
			revoked++
		case a.Action == "roster.seed.admins":
			granted++
		}
	}
	if revoked != 1 || granted == 0 {
		t.Fatalf("audit: %d admin.revoke for admin1, %d roster.seed.admins; want both", revoked, granted)
	}
	// A second start changes nothing more.
	entries := len(mustAudit(t, e))
	if err := e.app.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(mustAudit(t, e)); n != entries {
		t.Fatalf("a second start wrote %d audit entries", n-entries)
	}
}

// A row with active 否 retires anyone, a branchless former admin included.
func TestImportRetiresWithTheActiveColumn(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.app.Config.Org.Admins = nil
	cfgPath := writeConfig(t, e.app.Config)
	file := writeFile(t, "retire.csv", "userid,name,branch,role,active\nqianqi,钱七,tech,党员,否\nadmin1,管理员,,管理员,离开\n")
	if code, out := cli(t, "roster", "import", "-config", cfgPath, file); code != 0 {
		t.Fatalf("import: %d\n%s", code, out)
	}
	e.run(t, []step{
		{"qianqi", "签到", "还不在党建助手的党员名册中"},
		{"admin1", "支部", "还不在党建助手的党员名册中"},
	})
	bad := writeFile(t, "bad.csv", "userid,name,branch,role,active\n@all,所有人,tech,党员,\nzhou,周,tech,党员,maybe\n")
	code, out := cli(t, "roster", "import", "-config", cfgPath, bad)
	if code == 0 || !strings.Contains(out, `userid "@all"`) || !strings.Contains(out, `active "maybe"`) {
		t.Fatalf("import of bad rows: %d\n%s", code, out)
	}
}

// "@all" means everyone to message/send: no userid may start with "@".
func TestUserIDsMayNotStartWithAt(t *testing.T) {
	t.Parallel()
	cfg := testConfig(store.Config{Addr: "127.0.0.1:6379", KeyPrefix: "unused:"}, "http://127.0.0.1:1")
	cfg.Org.Branches[0].Members = append(cfg.Org.Branches[0].Members, "@all")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `"@all" is not a WeCom userid`) {
		t.Fatalf("Validate = %v, want @all refused", err)
	}
	cfg = testConfig(store.Config{Addr: "127.0.0.1:6379", KeyPrefix: "unused:"}, "http://127.0.0.1:1")
	cfg.Org.Admins = []string{"@admin"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "org.admins") {
		t.Fatalf("Validate = %v, want @admin refused", err)
	}
}

// A branch taken out of the config is retired: its records stay, it gets
// no jobs.
func TestBranchRemovedFromConfigIsRetired(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.app.Config.Org.Branches[0].ID, e.app.Config.Org.Branches[0].Name = "ops", "运维党支部"
	if err := e.app.Seed(t.Context()); err != nil {
		t.Fatal(err)
	}
	br, found, err := e.app.Store.Branch(t.Context(), "tech")
	if err != nil || !found || !br.Retired {
		t.Fatalf("branch tech = %+v %v %v, want it kept and retired", br, found, err)
	}
	outs, err := e.app.Bot.Job(t.Context(), bot.JobCheckinReminder, time.Date(2026, 11, 20, 9, 30, 0, 0, cst))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		for _, u := range o.Notice.To {
			if u == "lisi" {
				t.Fatalf("a retired branch's member was reminded: %v", o.Notice.To)
			}
		}
	}
}

// roster list and jobs list read; they write nothing to Redis.
func TestReadOnlyCommandsWriteNothing(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	cfg := e.app.Config
	cfg.Org.Branches[0].Name = "改了名的支部" // a seed would write this
	cfgPath := writeConfig(t, cfg)
	before := e.snapshot(t)
	for _, args := range [][]string{
		{"roster", "list", "-config", cfgPath},
		{"jobs", "list", "-config", cfgPath},
		{"chat", "check", "-config", cfgPath},
	} {
		if code, out := cli(t, args...); code != 0 {
			t.Fatalf("%v: %d\n%s", args, code, out)
		}
	}
	e.assertUnchanged(t, before)
}

// A member's text reaches the secretary inert: no live link, no markup, no
// control characters (U+000B would make the passive reply's XML invalid).
func TestMemberTextReachesOthersInert(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.open(t, "党员大会", "")
	e.run(t, []step{
		{"lisi", `请假 <a href="https://evil.example/login">【重要】请书记点此登录</a>`, "已登记 李四 本次党员大会请假"},
		{"qianqi", "请假 [点此](https://evil.example) 家中有事", "已登记 钱七"},
		{"zhangsan", "结束会议", "请假 2 人"},
	})
	record := e.lastReply(t)
	for _, bad := range []string{"<a", "</a>", "]("} {
		if strings.Contains(record, bad) {
			t.Fatalf("the record carries %q to the secretary:\n%s", bad, record)
		}
	}
	if !strings.Contains(record, "【重要】请书记点此登录") {
		t.Fatalf("the reason's words were lost:\n%s", record)
	}
	// The stored record keeps what was typed.
	m, _, _ := e.app.Store.LatestMeeting(t.Context(), "tech")
	att, _ := e.app.Store.Attendance(t.Context(), "tech", m.ID)
	kept := false
	for _, a := range att {
		kept = kept || strings.HasPrefix(a.Reason, `<a href=`)
	}
	if !kept {
		t.Fatalf("attendance %+v: the reason as typed is gone", att)
	}

	cfgPath := writeConfig(t, e.app.Config)
	file := writeFile(t, "names.csv", "userid,name,branch,role\nzhou,周\v伟,tech,党员\n")
	if code, out := cli(t, "roster", "import", "-config", cfgPath, file); code == 0 || !strings.Contains(out, "control or invisible characters") {
		t.Fatalf("import of a name with U+000B: %d\n%s", code, out)
	}
}

// Closed years leave Redis through an archive file: a dry run changes
// nothing; a real run writes the file first, then deletes exactly what it
// wrote, and this year's records stay.
func TestArchiveMovesClosedYearsOut(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	ctx := t.Context()
	old := time.Date(2024, 3, 5, 10, 0, 0, 0, cst)
	oldDay := bot.DateOf(old, cst)
	if _, _, err := e.app.Store.CheckIn(ctx, bot.Checkin{BranchID: "tech", UserID: "lisi", Day: oldDay, At: old, Source: "msg:old"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Store.RecordStudy(ctx, bot.StudyReport{ID: "msg:oldstudy", BranchID: "tech", UserID: "lisi", Day: oldDay, Minutes: 30, Content: "党章", At: old}); err != nil {
		t.Fatal(err)
	}
	m := bot.Meeting{ID: "20240305020000-abc", BranchID: "tech", Type: bot.MeetingGeneral, Code: "1234", OpenedBy: "zhangsan", OpenedAt: old, ExpiresAt: old.Add(2 * time.Hour)}
	if _, _, err := e.app.Store.OpenMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.Store.RecordAttendance(ctx, "tech", m.ID, bot.Attendance{UserID: "lisi", Status: bot.Present, At: old, Via: "code"}); err != nil {
		t.Fatal(err)
	}
	m.ClosedAt, m.ClosedBy = old.Add(time.Hour), "zhangsan"
	if _, err := e.app.Store.CloseMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	// Its minutes and photo go with it: left behind they would be unreachable.
	if _, err := e.app.Store.AddMinutes(ctx, "tech", m.ID, bot.Minutes{ID: "msg:oldminutes", By: "zhangsan", At: old, Content: "学习党章"}); err != nil {
		t.Fatal(err)
	}
	photo := []byte("\xff\xd8\xff\xe0 the 2024 meeting")
	if _, err := e.app.Store.AddPhoto(ctx, "tech", m.ID, bot.Photo{MediaID: "oldphoto", By: "zhangsan", At: old, Bytes: len(photo)}, photo); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.PutLeave(ctx, bot.Leave{ID: "msg:oldleave", BranchID: "tech", UserID: "wangwu", From: oldDay, To: oldDay.AddDays(3), At: old}); err != nil {
		t.Fatal(err)
	}
	e.run(t, []step{{"lisi", "签到", "签到成功"}, {"lisi", "学习 党史 1小时", "已记录学习"}}) // 2026: stays
	cfgPath := writeConfig(t, e.app.Config)

	before := e.snapshot(t)
	code, out := cli(t, "archive", "-config", cfgPath, "-before", "2025-01-01", "-dry-run")
	if code != 0 || !strings.Contains(out, "would archive 1 check-ins, 1 study reports, 1 meetings (1 minutes, 1 photos), 1 leaves") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	e.assertUnchanged(t, before)
	if code, out := cli(t, "archive", "-config", cfgPath, "-before", "2025-06-01", "-o", "x"); code == 0 {
		t.Fatalf("a date inside a year was accepted:\n%s", out)
	}

	file := filepath.Join(t.TempDir(), "2024.jsonl")
	if code, out := cli(t, "archive", "-config", cfgPath, "-before", "2025-01-01", "-o", file); code != 0 {
		t.Fatalf("archive: %d\n%s", code, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var archived store.ArchivedPhoto
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var l store.ArchiveLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("archive line %q: %v", line, err)
		}
		kinds[l.Kind]++
		if l.Kind == "photo" {
			if err := json.Unmarshal(l.Record, &archived); err != nil {
				t.Fatalf("photo line %q: %v", line, err)
			}
		}
	}
	if kinds["checkin"] != 1 || kinds["study"] != 1 || kinds["meeting"] != 1 || kinds["minutes"] != 1 || kinds["photo"] != 1 || kinds["leave"] != 1 {
		t.Fatalf("archive holds %v", kinds)
	}
	if !bytes.Equal(archived.Data, photo) || !strings.Contains(string(archived.Photo), "oldphoto") {
		t.Fatalf("archived photo %s with %q, want its description and bytes", archived.Photo, archived.Data)
	}
	if days, _ := e.app.Store.CheckinDays(ctx, "tech", "lisi", oldDay, oldDay); len(days) != 0 {
		t.Fatalf("the 2024 check-in is still in Redis: %v", days)
	}
	if ms, _ := e.app.Store.Meetings(ctx, "tech", old.Add(-time.Hour), old.Add(time.Hour)); len(ms) != 0 {
		t.Fatalf("the 2024 meeting is still in Redis: %v", ms)
	}
	rest := e.snapshot(t)
	for k := range rest {
		if strings.Contains(k, "2024") || strings.Contains(k, m.ID) {
			t.Errorf("key %s left behind", k)
		}
	}
	e.run(t, []step{{"lisi", "我的", "本周学习 60"}}) // this year's records are all there
}

// A year is archived only once the week holding its last days is over:
// study may still be reported for them until then.
func TestArchiveWaitsForTheWeekAfterTheCut(t *testing.T) {
	t.Parallel()
	tests := []struct{ cut, want string }{
		{"2026-01-01", "2026-01-05"}, // a Thursday: the week ends on Sunday the 4th
		{"2024-01-01", "2024-01-08"}, // a Monday
		{"2023-01-01", "2023-01-02"}, // a Sunday
	}
	for _, tc := range tests {
		cut, _ := time.ParseInLocation(time.DateOnly, tc.cut, cst)
		if got := weekAfter(cut).Format(time.DateOnly); got != tc.want {
			t.Errorf("weekAfter(%s) = %s, want %s", tc.cut, got, tc.want)
		}
	}
}

package bot_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// 谈心谈话 coverage: a member counts once a 支委 (not themself) has talked
// with them this year; 党员-党员 talks count for nothing here; 支委 pairs are
// counted apart.
func TestTalkCoverage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	for _, tc := range []struct{ from, text, want string }{
		{"sec", "谈心 @m1 家里有困难，需要关心", "已记录：你与甲的谈心谈话（2026-11-20）。要点只有你们二人和支部书记可见。"},
		{"com", "谈心 @m2", "已记录：你与乙的谈心谈话（2026-11-20）。"},
		{"sec", "谈心 @com 分工", "已记录：你与支委的谈心谈话"},
		{"m2", "谈心 @m3 互相提醒学习", "已记录：你与丙的谈心谈话"},
		{"m1", "谈心 @m1", "谈心谈话要和另一位同志进行。"},
		{"m1", "谈心 @ops2", "只能记录和本支部同志的谈心谈话。"},
		{"m1", "谈心 @nobody", "找不到党员“nobody”"},
		{"m1", "谈心", "用法：谈心 @userid [谈话要点]"},
		{"m1", "谈心 覆盖", "只有支部书记、支委或党委管理员可以使用"},
	} {
		wantHas(t, w.say(tc.from, tc.text), tc.want)
	}
	talked, members, err := w.b.TalkCoverage(t.Context(), "tech", 2026)
	if err != nil {
		t.Fatal(err)
	}
	if talked != 4 || members != 5 {
		t.Fatalf("coverage %d/%d, want 4/5 (丙 only talked with a member)", talked, members)
	}
	if talked, members, _ := w.b.TalkCoverage(t.Context(), "tech", 2025); talked != 0 || members != 5 {
		t.Fatalf("2025 coverage %d/%d, want 0/5", talked, members)
	}
	r := w.say("com", "谈心 覆盖")
	wantHas(t, r, "2026 年谈心谈话：支委已谈 4/5 人；支委之间 1/1 对。", "支委尚未谈过：丙")
	if strings.Contains(r.Text, "困难") || strings.Contains(r.Text, "互相提醒") {
		t.Fatalf("coverage shows notes:\n%s", r.Text)
	}
}

// The notes stay with the two and the secretary: no reply to a third
// member and no audit entry carries them; the leaders' ledger does.
func TestTalkNotesArePrivate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	const notes = "家里有困难需要关心"
	wantHas(t, w.say("com", "谈心 @m1 "+notes), "要点只有你们二人和支部书记可见")
	for _, text := range []string{"谈心 覆盖", "谈心", "我的", "整改", "约谈心"} {
		if r := w.say("m3", text); strings.Contains(r.Text, notes) {
			t.Fatalf("m3's %q shows the notes:\n%s", text, r.Text)
		}
	}
	if !w.audited("谈心", "m1", "2026-11-20") {
		t.Fatal("the talk is not in the audit trail")
	}
	if w.audited("谈心", "m1", "困难") {
		t.Fatal("the audit trail carries the notes")
	}
	l, err := w.b.Ledger(t.Context(), []bot.Branch{orgBranches[0]}, bot.Span{From: bot.Date{Year: 2026, Month: 11, Day: 1}, To: bot.Date{Year: 2026, Month: 11, Day: 30}}, false)
	if err != nil {
		t.Fatal(err)
	}
	talks := l.Branches[0].Talks
	if len(talks) != 1 || talks[0].A != "com" || talks[0].B != "m1" || talks[0].Notes != notes {
		t.Fatalf("ledger talks %+v", talks)
	}
}

// 约谈心 tells only the 支委 asked for (or the secretary), privately.
func TestRequestTalk(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	for _, tc := range []struct {
		from, text, want string
		to               []string
	}{
		{"m1", "约谈心", "已转告书记，会尽快和你约时间谈心。", []string{"sec"}},
		{"m1", "约谈心 @com", "已转告支委", []string{"com"}},
		{"m1", "约谈心 @m2", "“m2”不是本支部的支委", nil},
		{"m1", "约谈心 @ops1", "“ops1”不是本支部的支委", nil},
	} {
		r := w.say(tc.from, tc.text)
		wantHas(t, r, tc.want)
		var to []string
		for _, n := range r.Notices {
			to = append(to, n.To...)
			if !strings.Contains(n.Text, "甲 希望和你谈心谈话") {
				t.Fatalf("%q notice: %q", tc.text, n.Text)
			}
		}
		if !slices.Equal(to, tc.to) {
			t.Fatalf("%q told %v, want %v", tc.text, to, tc.to)
		}
	}
}

// The monthly nudge: once a month, at most three pairs, a member newly on
// the 预警 list first (丙 paid no dues), then the new member.
func TestTalkNudge(t *testing.T) {
	t.Parallel()
	w := newWorld(t, time.Date(2026, 12, 1, 9, 25, 0, 0, beijing))
	newcomer := bot.Member{UserID: "new1", Name: "新人", BranchID: "tech", Role: bot.RoleMember, Status: bot.StatusProbationary, Joined: bot.Date{Year: 2026, Month: 10, Day: 15}, Active: true}
	if err := w.s.SaveMembers(t.Context(), []bot.Member{newcomer}); err != nil {
		t.Fatal(err)
	}
	// Everyone but 丙 has paid November's dues.
	for _, id := range []string{"sec", "com", "m1", "m2", "new1"} {
		wantHas(t, w.say(id, "党费 已交 2026-11"), "11月")
	}
	var nudges []bot.Notice
	for _, o := range w.job(bot.JobYearCycle) {
		if strings.HasPrefix(o.Key, "talk:tech:") {
			nudges = append(nudges, o.Notice)
		}
	}
	if len(nudges) != 1 || !slices.Equal(nudges[0].To, []string{"sec"}) {
		t.Fatalf("nudges %+v", nudges)
	}
	lines := strings.Split(nudges[0].Text, "\n")
	if n := strings.Count(nudges[0].Text, "· "); n != 3 {
		t.Fatalf("%d pairs suggested, want 3:\n%s", n, nudges[0].Text)
	}
	if !strings.Contains(lines[1], "丙（新列入预警）") || !strings.Contains(lines[2], "新人（新入党或新转入）") {
		t.Fatalf("the newcomer is not first:\n%s", nudges[0].Text)
	}
	w.now = w.now.Add(24 * time.Hour)
	for _, o := range w.job(bot.JobYearCycle) {
		if strings.HasPrefix(o.Key, "talk:") {
			t.Fatalf("a second nudge in one month: %+v", o)
		}
	}
	w.now = time.Date(2027, 1, 4, 9, 25, 0, 0, beijing)
	if !slices.ContainsFunc(w.job(bot.JobYearCycle), func(o bot.Outbound) bool { return strings.HasPrefix(o.Key, "talk:tech:") }) {
		t.Fatal("no nudge in the new month")
	}
}

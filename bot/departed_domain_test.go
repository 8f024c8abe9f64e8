package bot_test

// Members who leave after an announcement went out are no longer its
// recipients: not nudged, not listed as 未确认, not counted; an author who
// left gets no tally; a departed sign-up gets no eve reminder.

import (
	"slices"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// leaves marks members as no longer active, as a roster import does.
func (w *world) leaves(ids ...string) {
	w.t.Helper()
	var ms []bot.Member
	for _, id := range ids {
		m, found, err := w.s.Member(w.t.Context(), id)
		if err != nil || !found {
			w.t.Fatalf("member %s: %v %v", id, found, err)
		}
		m.Active = false
		ms = append(ms, m)
	}
	if err := w.s.SaveMembers(w.t.Context(), ms); err != nil {
		w.t.Fatal(err)
	}
}

func TestDepartedMembersAreNoLongerRecipients(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		left    []string
		nudged  []string
		tallied bool
		asker   string // who asks 公告状态
		status  string
	}{
		{name: "nobody left", asker: "sec", nudged: []string{"com", "m2", "m3"}, tallied: true,
			status: "公告 #1《交党费》\n11-20 10:00 发出 · 已确认 1/4\n未确认 3：支委、乙、丙"},
		{name: "a recipient left", asker: "sec", left: []string{"m2"}, nudged: []string{"com", "m3"}, tallied: true,
			status: "公告 #1《交党费》\n11-20 10:00 发出 · 已确认 1/3\n未确认 2：支委、丙"},
		{name: "the author left", asker: "com", left: []string{"sec"}, nudged: []string{"com", "m2", "m3"},
			status: "公告 #1《交党费》\n11-20 10:00 发出 · 已确认 1/4\n未确认 3：支委、乙、丙"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, friday)
			w.say("sec", "公告 交党费\n本周内交齐")
			w.say("sec", "发送")
			w.say("m1", "收到")
			w.leaves(tc.left...)
			wantText(t, w.say(tc.asker, "公告状态"), tc.status)
			w.now = friday.Add(4*time.Hour + 10*time.Minute)
			outs := w.job(bot.JobAnnounceReminder)
			if nudge := keyed(t, outs, "ann:tech:1:nudge:0"); !slices.Equal(nudge.To, tc.nudged) {
				t.Fatalf("nudged %v, want %v", nudge.To, tc.nudged)
			}
			if got := slices.Contains(keysOf(outs), "ann:tech:1:tally:0"); got != tc.tallied {
				t.Fatalf("tally sent %v, want %v (outbounds %v)", got, tc.tallied, keysOf(outs))
			}
		})
	}
}

func TestDepartedSignUpGetsNoEveReminder(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "活动 志愿服务 11-28 14:00 阳光社区")
	w.say("sec", "发送")
	w.say("m1", "报名")
	w.say("m2", "报名")
	w.leaves("m1")
	wantHas(t, w.say("sec", "活动状态"), "未回复 2：支委、丙")
	w.now = time.Date(2026, 11, 27, 9, 10, 0, 0, beijing)
	eve := keyed(t, w.job(bot.JobAnnounceReminder), "act:tech:1:eve:0")
	if !slices.Equal(eve.To, []string{"m2"}) {
		t.Fatalf("eve reminder to %v, want only m2", eve.To)
	}
}

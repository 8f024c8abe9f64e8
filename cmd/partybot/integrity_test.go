package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// A 签到 racing 结束会议 either lands before the close, and is in the
// record, or is refused: a member told "签到成功" is always in the record.
func TestSignInRacingCloseNeverLandsInAClosedMeeting(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	signers := []string{"lisi", "wangwu", "zhaoliu", "qianqi"}
	for trial := range 15 {
		e.clock.Set(e.clock.Now().Add(time.Minute)) // meetings are ordered by opening time
		code, _ := e.open(t, "党课", fmt.Sprint("第", trial, "次"))
		var wg sync.WaitGroup
		told := make([]bool, len(signers))
		var closeReply string
		start := make(chan struct{})
		for i, u := range signers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, err := e.wc.SendText(u, "签到 "+code, fmt.Sprintf("race-%d-%s", trial, u))
				if err != nil {
					t.Error(err)
					return
				}
				told[i] = strings.Contains(resp.ReplyText, "会议签到成功")
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := e.wc.SendText("zhangsan", "结束会议", fmt.Sprintf("race-%d-close", trial))
			if err != nil {
				t.Error(err)
				return
			}
			closeReply = resp.ReplyText
		}()
		close(start)
		wg.Wait()
		m, _, err := e.app.Store.LatestMeeting(t.Context(), "tech")
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.app.Bot.MeetingRecord(t.Context(), m)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range signers {
			present := false
			for _, p := range r.Present {
				present = present || p.UserID == u
			}
			if told[i] && !present {
				t.Fatalf("trial %d: %s was told 签到成功 but the record says otherwise:\n%s", trial, u, closeReply)
			}
		}
		if !strings.Contains(closeReply, fmt.Sprintf("到会 %d 人", len(r.Present))) {
			t.Fatalf("trial %d: the record sent at closing differs from the stored one (%d present):\n%s", trial, len(r.Present), closeReply)
		}
	}
}

// Two leaders closing the same meeting at once: one closes it, the other is
// told it is closed; one audit entry, one record.
func TestConcurrentCloseClosesOnce(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.open(t, "支委会", "")
	replies := make([]string, 2)
	var wg sync.WaitGroup
	for i, u := range []string{"zhangsan", "wangwu"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.wc.SendText(u, "结束会议", "close-"+u)
			if err != nil {
				t.Error(err)
				return
			}
			replies[i] = resp.ReplyText
		}()
	}
	wg.Wait()
	records, already := 0, 0
	for _, r := range replies {
		switch {
		case strings.Contains(r, "到会"):
			records++
		case strings.Contains(r, "无需再次结束"):
			already++
		}
	}
	if records != 1 || already != 1 {
		t.Fatalf("replies %q: want one record and one 'already closed'", replies)
	}
	closes := 0
	for _, a := range mustAudit(t, e) {
		if a.Action == "meeting.close" {
			closes++
		}
	}
	if closes != 1 {
		t.Fatalf("%d meeting.close audit entries, want 1", closes)
	}
}

// The secretary who opens a 支委会 chairs it and is not listed 缺席 in its
// own record.
func TestOpenerChairsTheMeeting(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	code, _ := e.open(t, "支委会", "")
	e.run(t, []step{
		{"wangwu", "签到 " + code, "会议签到成功"},
		{"zhangsan", "结束会议", "到会 2 人：王五、张三（主持）"},
	})
	if r := e.lastReply(t); !strings.Contains(r, "缺席 0 人") || !strings.Contains(r, "实到 2 人") {
		t.Fatalf("record:\n%s", r)
	}
}

// A 党员大会 without its quorum is held but does not fulfil the obligation,
// and 进度 says why.
func TestMeetingWithoutQuorumDoesNotCount(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.open(t, "党员大会", "")
	e.run(t, []step{
		{"zhangsan", "结束会议", "未达法定人数，本次不计入三会一课完成情况"},
		{"zhangsan", "进度", "党员大会 ⏳待开"},
	})
	if r := e.lastReply(t); !strings.Contains(r, "不计入：11月20日党员大会（未达法定人数）") {
		t.Fatalf("进度 does not say why the meeting does not count:\n%s", r)
	}
	// A correction that brings the quorum makes it count.
	e.run(t, []step{
		{"zhangsan", "更正 @lisi 到会 签到机故障", "已更正"},
		{"zhangsan", "更正 @zhaoliu 到会 签到机故障", "已更正"},
		{"zhangsan", "进度", "党员大会 ✅1次"},
	})
}

func TestSelfExcuseOnlyWhileSignInIsOpen(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.open(t, "党员大会", "")
	e.clock.Set(e.clock.Now().Add(3 * time.Hour)) // the sign-in window (2 h) has passed
	e.run(t, []step{
		{"lisi", "请假 临时有事", "签到已于 16:00 截止，不能再为本次会议请假"},
		{"zhangsan", "请假 @lisi 会前已报备", "已登记 李四 本次党员大会请假"}, // a leader may still record it
	})
}

// A member's own leave of more than three days is told to the branch's
// leaders; a short one is not.
func TestLongSelfLeaveIsToldToLeaders(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.run(t, []step{
		{"lisi", "请假 今天 体检", "已登记"},
		{"lisi", "请假 11-23 到 11-30 出差", "已登记"},
	})
	waitFor(t, "the leaders' notice", func() bool { return len(e.sent("text")) > 0 })
	e.drain(t)
	texts := e.sent("text")
	if len(texts) != 1 || texts[0]["touser"] != "wangwu|zhangsan" {
		t.Fatalf("notices %v, want one to the leaders", texts)
	}
	content := texts[0]["text"].(map[string]any)["content"].(string)
	if !strings.Contains(content, "李四") || !strings.Contains(content, "11月23日–11月30日") || !strings.Contains(content, "8 天") {
		t.Fatalf("notice %q", content)
	}
}

// Someone not in the roster is told so when they write or tap a menu, but
// not for entering the app, location reports or link views.
func TestNonMembersAreAnsweredOnlyWhenTheyAsk(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	at := e.clock.Now()
	tests := []struct {
		name, plain string
		answered    bool
	}{
		{"text", e.wc.TextXML("stranger", "签到", "s-1", at), true},
		{"menu click", e.wc.EventXML("stranger", "click", "checkin", at), true},
		{"enter_agent", e.wc.EventXML("stranger", "enter_agent", "", at), false},
		{"view", e.wc.EventXML("stranger", "view", "https://example.com", at), false},
		{"LOCATION", e.wc.EventXML("stranger", "LOCATION", "", at.Add(time.Second)), false},
		{"location message", e.wc.LocationXML("stranger", 40, 116, "北京", "s-2", at), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.wc.Post(tc.plain)
			if err != nil || resp.Status != 200 {
				t.Fatalf("%v %d", err, resp.Status)
			}
			if got := strings.Contains(resp.ReplyText, "还不在党建助手的党员名册中"); got != tc.answered {
				t.Fatalf("answered %v (%q), want %v", got, resp.ReplyText, tc.answered)
			}
		})
	}
}

// Two members named 王芳: "@王芳" is refused with both userids, never guessed.
func TestAmbiguousNameIsRefused(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	err := e.app.Store.SaveMembers(t.Context(), []bot.Member{
		{UserID: "wangfang1", Name: "王芳", BranchID: "tech", Role: bot.RoleMember, Active: true},
		{UserID: "wangfang2", Name: "王芳", BranchID: "tech", Role: bot.RoleMember, Active: true},
		{UserID: "liming", Name: "李明", BranchID: "tech", Role: bot.RoleMember, Active: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.open(t, "党员大会", "")
	e.run(t, []step{
		{"zhangsan", "请假 @王芳 出差", "本支部有 2 位“王芳”，请改用 userid：@wangfang1、@wangfang2"},
		{"zhangsan", "更正 @王芳 到会", "请改用 userid"},
		{"zhangsan", "请假 @李明 出差", "已登记 李明 本次党员大会请假"}, // one of that name: found
		{"zhangsan", "请假 @wangfang2 出差", "已登记 王芳 本次党员大会请假"},
	})
}

func TestStudyIsCappedPerDay(t *testing.T) {
	t.Parallel()
	e := startBranch(t)
	e.run(t, []step{
		{"lisi", "学习 党史 12小时", "已记录学习"},
		{"lisi", "学习 党章 3小时", "已记录学习"},
		{"lisi", "学习 党课 2小时", "11月20日已记录 15 小时 学习，再加 2 小时 会超过每日 16 小时的上限"},
		{"lisi", "学习 党课 1小时", "已记录学习"}, // exactly 16 hours is allowed
	})
	for range 20 {
		e.run(t, []step{{"wangwu", "学习 读报 1分钟", "已记录学习"}})
	}
	twentieth := fmt.Sprint(e.msgSeq)
	e.run(t, []step{{"wangwu", "学习 读报 1分钟", "已记录 20 次学习，达到每日上限"}})
	// A retry of the twentieth report whose first run died before it was
	// marked done is not refused by the cap it filled.
	e.forget(t, twentieth)
	resp := e.send(t, "wangwu", "学习 读报 1分钟", twentieth)
	if !strings.Contains(resp.ReplyText, "已记录学习") {
		t.Fatalf("retry of the twentieth report answered %q", resp.ReplyText)
	}
}

package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

// A secretary asks for 导出 while sending is paused (60020). The workbook
// waits; if meanwhile they are removed from the post or leave, it is never
// built for them or sent; if they still lead the branch it arrives.
func TestExportWaitingInThePauseFollowsTheRequestersRights(t *testing.T) {
	cases := []struct {
		name   string
		change func(m *bot.Member) // what happens to zhangsan meanwhile; nil: nothing
		sent   bool
	}{
		{name: "still the secretary", sent: true},
		{name: "removed from the post", change: func(m *bot.Member) { m.Role = bot.RoleMember }},
		{name: "left", change: func(m *bot.Member) { m.Active = false }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := startBranch(t)
			e.fake.SetUntrustedIP(true)
			e.run(t, []step{{"zhangsan", "导出 本月", "正在生成技术党支部"}})
			waitFor(t, "sending to pause", func() bool {
				status, body := e.getBody(t, "/readyz")
				return status == http.StatusOK && strings.Contains(body, "degraded")
			})
			if tc.change != nil {
				m, _, err := e.app.Store.Member(t.Context(), "zhangsan")
				if err != nil {
					t.Fatal(err)
				}
				tc.change(&m)
				if err := e.app.Store.SaveMembers(t.Context(), []bot.Member{m}); err != nil {
					t.Fatal(err)
				}
				waitFor(t, "the member cache to see the change", func() bool {
					now, _, _ := e.app.Members.Member(t.Context(), "zhangsan")
					return now.Role == m.Role && now.Active == m.Active
				})
			}
			_, mark := e.fake.CallsSince(0)
			e.fake.SetUntrustedIP(false) // the operator fixes the IP
			if tc.sent {
				waitFor(t, "the workbook", func() bool { _, _, ok := e.fake.FileSentTo("zhangsan"); return ok })
				return
			}
			waitFor(t, "the refused export to be given up", func() bool {
				dead, err := e.app.Outbox.DeadLetters(t.Context())
				return err == nil && len(dead) == 1
			})
			time.Sleep(200 * time.Millisecond) // nothing else is on its way
			if _, _, ok := e.fake.FileSentTo("zhangsan"); ok {
				t.Fatal("the workbook went to a member who may no longer have it")
			}
			since, _ := e.fake.CallsSince(mark)
			for _, c := range since {
				if c.API == "media/upload" {
					t.Fatal("the workbook was uploaded after the pause")
				}
			}
		})
	}
}

package bot_test

import (
	"testing"
	"time"

	"github.com/partybot/partybot/bot"
)

func TestYearHoursTargetsAndPace(t *testing.T) {
	t.Parallel()
	jul2 := bot.Date{Year: 2026, Month: time.July, Day: 2} // day 183 of 365
	tests := []struct {
		name        string
		role        bot.Role
		minutes     int
		target, due int // 学时; due in minutes
		behind      bool
	}{
		{"member on pace", bot.RoleMember, 17 * bot.MinutesPerHour, 32, 32 * 45 * 183 / 365, false},
		{"member behind", bot.RoleMember, 15 * bot.MinutesPerHour, 32, 32 * 45 * 183 / 365, true},
		{"secretary needs 56", bot.RoleSecretary, 16 * bot.MinutesPerHour, 56, 56 * 45 * 183 / 365, true},
		{"committee on pace", bot.RoleCommittee, 29 * bot.MinutesPerHour, 56, 56 * 45 * 183 / 365, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := bot.YearHours{Member: bot.Member{Role: tt.role}, Collective: tt.minutes / 2, Self: tt.minutes - tt.minutes/2}
			behind, due := h.BehindPace(jul2)
			if h.Target() != tt.target || due != tt.due || behind != tt.behind || h.Minutes() != tt.minutes {
				t.Fatalf("target %d due %d behind %v, want %d %d %v", h.Target(), due, behind, tt.target, tt.due, tt.behind)
			}
		})
	}
}

func TestYearHoursFromMeetingsStudyAndMakeup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, friday)
	w.say("sec", "会议 党课 第一课")
	w.say("m1", "签到 2468")
	w.now = friday.Add(50 * time.Minute)
	w.say("sec", "结束会议")
	w.say("m1", "学习 党章 90分钟")
	w.say("m2", "补学")
	tests := []struct{ who, want string }{
		{"m1", "本年学时 3.1/32（集中 1.1、自学 2；1 学时 = 45 分钟）"},
		{"m2", "本年学时 1.1/32（集中 1.1、自学 0；1 学时 = 45 分钟）"},
		{"sec", "本年学时 1.1/56（集中 1.1、自学 0；1 学时 = 45 分钟）"},
		{"com", "本年学时 0/56（集中 0、自学 0；1 学时 = 45 分钟）\n待补学 1 项，发“补学”查看"},
	}
	for _, tt := range tests {
		wantHas(t, w.say(tt.who, "我的"), tt.want)
	}
}

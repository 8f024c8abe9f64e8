// Package bot is partybot's domain: members, commands and their rules. It
// knows nothing of HTTP, WeCom's wire format or Redis; adapters translate
// into Message and implement the interfaces in service.go.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Deps are what a Bot needs from the outside world.
type Deps struct {
	Roster   Roster
	Dedupe   Deduper
	Checkins CheckinStore
	Leaves   LeaveStore
	Audit    AuditLog
	Location *time.Location   // the org's time zone; days start at its midnight
	Calendar Calendar         // nil means Monday to Friday
	Now      func() time.Time // nil means time.Now
	Log      *slog.Logger     // nil means slog.Default()
}

// Bot answers members' messages.
type Bot struct {
	Deps
	router *Router
}

// streakLookback bounds how far back a streak is counted (and read).
const streakLookback = 400

// New wires a Bot and its command table.
func New(d Deps) (*Bot, error) {
	if d.Roster == nil || d.Dedupe == nil || d.Checkins == nil || d.Leaves == nil || d.Audit == nil || d.Location == nil {
		return nil, errors.New("bot: Roster, Dedupe, Checkins, Leaves, Audit and Location are required")
	}
	if d.Calendar == nil {
		d.Calendar = WeekdayCalendar{}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	b := &Bot{Deps: d}
	router, err := NewRouter(b.commands()...)
	if err != nil {
		return nil, err
	}
	b.router = router
	return b, nil
}

// Reply texts shared by several paths.
const (
	replyNotRegistered = "你好！你还不在党建助手的党员名册中，请联系所在党支部书记登记后再使用。"
)

// Handle answers one message. Unknown senders get a polite reply and nothing
// is stored. A retried delivery of a processed message gets the first reply
// again and has no second effect. An error means nothing may be assumed
// stored; the caller should make WeCom retry.
func (b *Bot) Handle(ctx context.Context, msg Message) (Reply, error) {
	member, found, err := b.Roster.Member(ctx, msg.From)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: look up member %s: %w", msg.From, err)
	}
	if !found || !member.Active {
		return Reply{Text: replyNotRegistered}, nil
	}
	text, actionable := commandText(msg)
	if !actionable {
		return Reply{}, nil
	}

	key := msg.DedupeKey()
	status, earlier, err := b.Dedupe.Claim(ctx, key)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: claim %s: %w", key, err)
	}
	switch status {
	case DedupeDone:
		return earlier, nil
	case DedupeInFlight:
		// The first delivery is still running and will answer.
		return Reply{}, nil
	}

	reply, err := b.dispatch(ctx, msg, member, text)
	if err != nil {
		if rerr := b.Dedupe.Release(ctx, key); rerr != nil {
			b.Log.WarnContext(ctx, "release dedupe claim", slog.String("key", key), slog.Any("error", rerr))
		}
		return Reply{}, err
	}
	if err := b.Dedupe.Complete(ctx, key, reply); err != nil {
		// The effect is stored and idempotent: a retry finds it and answers the same.
		return Reply{}, fmt.Errorf("bot: complete %s: %w", key, err)
	}
	return reply, nil
}

// commandText is the text to route: a text message's content, or a menu
// click's key (menu keys are command names, e.g. "checkin").
func commandText(msg Message) (string, bool) {
	switch {
	case msg.Kind == KindText:
		return msg.Text, true
	case msg.Kind == KindEvent && msg.Event == "click" && msg.EventKey != "":
		return msg.EventKey, true
	}
	return "", false
}

func (b *Bot) dispatch(ctx context.Context, msg Message, member Member, text string) (Reply, error) {
	cmd, args, ok := b.router.Lookup(text)
	if !ok {
		return Reply{Text: unknownCommandReply(text)}, nil
	}
	if refusal := cmd.Access.refusal(member, cmd.Name); refusal != "" {
		return Reply{Text: refusal}, nil
	}
	return cmd.Run(ctx, Request{Msg: msg, Member: member, Name: cmd.Name, Args: args, Now: b.Now()})
}

func (b *Bot) commands() []Command {
	return []Command{
		{
			Name: "帮助", Aliases: []string{"help", "菜单", "?"},
			Usage: "帮助", Summary: "查看可用命令",
			Run: b.help,
		},
		{
			Name: "签到", Aliases: []string{"打卡", "checkin", "check-in"},
			Usage: "签到", Summary: "每日签到",
			Run: b.checkin,
		},
		{
			Name: "请假", Aliases: []string{"leave"},
			Usage: "请假 11-20 到 11-30 原因", Summary: "登记请假，期间不提醒、不计缺勤",
			Run: b.leave,
		},
		{
			Name: "销假", Aliases: []string{"back"},
			Usage: "销假", Summary: "提前结束请假",
			Run: b.endLeave,
		},
		{
			Name: "名单", Aliases: []string{"roster", "members"},
			Usage: "名单", Summary: "本支部党员名单", Access: AccessBranch,
			Run: b.roster,
		},
		{
			Name: "支部", Aliases: []string{"branches"},
			Usage: "支部", Summary: "全部支部及人数", Access: AccessAdmin,
			Run: b.branches,
		},
	}
}

// Package bot is partybot's domain: members and branches, check-ins,
// meetings, study, leave, the scheduled jobs and their rules. It imports no
// adapter. Each aggregate has one file holding its type, its port (the
// interface an adapter implements) and its command handlers: checkin.go,
// meeting.go, study.go, leave.go, roster.go; dedupe.go and access.go hold the
// rules every command shares.
//
// Its channels are the sub-packages wecom (callbacks in, messages out),
// outbox (reliable delivery, job runs) and schedule (cron fires); its memory
// is package store (Redis). They depend on bot, never the reverse.
// docs/architecture.md follows one callback and one job fire through them.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Deps are what a Bot needs from the outside world.
type Deps struct {
	Roster   Roster
	Dedupe   Deduper
	Checkins CheckinStore
	Leaves   LeaveStore
	Audit    AuditLog
	Meetings MeetingStore
	Studies  StudyStore
	// Announcements keeps 公告 and 活动 with their answers.
	Announcements AnnounceStore
	// Minutes keeps meetings' 纪要 and photos.
	Minutes MinutesStore
	// Dues keeps 党费 amounts and payments.
	Dues DuesStore
	// Steps remembers jobs' one-time steps (a reminder sent once).
	Steps Steps
	// Media fetches meeting photos from WeCom; nil keeps only their ids.
	Media  MediaFetcher
	Outbox Outbox
	// Metrics counts retried deliveries answered from memory; nil counts nothing.
	Metrics interface{ DedupeHit() }
	// Deliveries tells who WeCom did not reach lately; nil leaves that out
	// of the weekly summary.
	Deliveries DeliveryLog
	Location   *time.Location   // the org's time zone; days start at its midnight
	Calendar   Calendar         // nil means Monday to Friday
	Now        func() time.Time // nil means time.Now
	Log        *slog.Logger     // nil means slog.Default()

	SignInWindow time.Duration           // how long a meeting's code is valid; 0 means 2 h
	NewCode      func() string           // draws sign-in codes; nil means 4 random digits
	Cadence      map[MeetingType]Cadence // obligations per meeting type; nil means DefaultCadence
	Targets      StudyTargets            // weekly study goals
	Leaderboard  bool                    // allow 排行 (off by default)
	// PoliticalBirthday greets members on the anniversary of joining.
	PoliticalBirthday bool
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
	if d.Roster == nil || d.Dedupe == nil || d.Checkins == nil || d.Leaves == nil || d.Audit == nil || d.Meetings == nil || d.Studies == nil || d.Announcements == nil || d.Minutes == nil || d.Dues == nil || d.Steps == nil || d.Outbox == nil || d.Location == nil {
		return nil, errors.New("bot: Roster, Dedupe, Checkins, Leaves, Audit, Meetings, Studies, Announcements, Minutes, Dues, Steps, Outbox and Location are required")
	}
	if d.SignInWindow <= 0 {
		d.SignInWindow = DefaultSignInWindow
	}
	if d.NewCode == nil {
		d.NewCode = newCode
	}
	if d.Cadence == nil {
		d.Cadence = DefaultCadence()
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
	if err := checkJobs(Jobs); err != nil {
		return nil, err
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
	msg.From = NormalizeUserID(msg.From)
	member, found, err := b.Roster.Member(ctx, msg.From)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: look up member %s: %w", msg.From, err)
	}
	if !found || !member.Active {
		// Only what a person typed or tapped deserves an answer: entering the
		// app, location reports every few seconds and link views do not.
		if msg.Kind == KindText || (msg.Kind == KindEvent && msg.Event == "click") {
			return Reply{Text: replyNotRegistered}, nil
		}
		return Reply{}, nil
	}
	act, claim := b.action(msg)
	if act == nil {
		return Reply{}, nil
	}
	req := Request{Msg: msg, Member: member, Now: b.Now()}
	key := msg.DedupeKey()
	if claim != ClaimMessage {
		// Reads need no claim, and 签到 dedupes inside its one script.
		reply, err := b.run(ctx, act, req)
		if err == nil {
			err = b.enqueueNotices(ctx, key, reply.Notices)
		}
		return reply, err
	}

	status, earlier, err := b.Dedupe.Claim(ctx, key)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: claim %s: %w", key, err)
	}
	switch status {
	case DedupeDone:
		if b.Metrics != nil {
			b.Metrics.DedupeHit()
		}
		return earlier, nil // without notices: those went out the first time
	case DedupeInFlight:
		// The first delivery is still running, or died mid-way; its claim
		// expires soon. Not 200: WeCom must retry until one delivery is stored.
		return Reply{}, ErrInFlight
	}

	reply, err := b.run(ctx, act, req)
	if err == nil {
		err = b.enqueueNotices(ctx, key, reply.Notices)
	}
	if err != nil {
		if rerr := b.Dedupe.Release(ctx, key); rerr != nil {
			b.Log.WarnContext(ctx, "release dedupe claim", slog.String("key", key), slog.Any("error", rerr))
		}
		return Reply{}, err
	}
	if err := b.Dedupe.Complete(ctx, key, reply); err != nil {
		// The effect is stored and idempotent: a retry runs the command again,
		// finds it, and answers the same. Free the claim so the retry may.
		if rerr := b.Dedupe.Release(ctx, key); rerr != nil {
			b.Log.WarnContext(ctx, "release dedupe claim", slog.String("key", key), slog.Any("error", rerr))
		}
		return Reply{}, fmt.Errorf("bot: complete %s: %w", key, err)
	}
	return reply, nil
}

// run calls a handler; a panic becomes an error for this message (logged
// with its stack), so the claim is released and WeCom retries, instead of
// the process dying.
func (b *Bot) run(ctx context.Context, act HandlerFunc, req Request) (reply Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			b.Log.ErrorContext(ctx, "handler panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			reply, err = Reply{}, fmt.Errorf("bot: handler panicked: %v", p)
		}
	}()
	return act(ctx, req)
}

// enqueueNotices stores a command's notices before the command counts as
// done; their ids derive from the message, so a retry enqueues nothing new.
func (b *Bot) enqueueNotices(ctx context.Context, key string, notices []Notice) error {
	for i, n := range notices {
		for j, part := range n.Split() {
			id := fmt.Sprintf("cmd:%s:%d:%d", key, i, j)
			if err := b.Outbox.Enqueue(ctx, id, part); err != nil {
				return fmt.Errorf("bot: enqueue notice: %w", err)
			}
		}
	}
	return nil
}

// action picks what a message asks for, or nil when it asks for nothing:
// a text is a command, a menu click's key is a command name (e.g.
// "checkin"), a location goes with today's check-in, a card click signs
// in; and how it is guarded against WeCom's retries.
func (b *Bot) action(msg Message) (HandlerFunc, Claim) {
	switch {
	case msg.Kind == KindText:
		return b.command(msg.Text)
	case msg.Kind == KindEvent && msg.Event == "click" && msg.EventKey != "":
		return b.command(msg.EventKey)
	case msg.Kind == KindLocation && msg.Location != nil:
		// Only a location the member sends goes with the check-in; the
		// periodic LOCATION events of the app's location reporting are
		// sensitive personal information and are not kept (PIPL).
		return b.location, ClaimMessage
	case msg.Kind == KindImage:
		return b.image, ClaimMessage
	case msg.Kind == KindEvent && msg.Event == "template_card_event":
		if act := b.cardClick(msg.EventKey); act != nil {
			return act, ClaimMessage
		}
	}
	return nil, ClaimMessage
}

// command routes text through the command table, checking access.
func (b *Bot) command(text string) (HandlerFunc, Claim) {
	cmd, args, ok := b.router.Lookup(text)
	if !ok {
		return func(context.Context, Request) (Reply, error) {
			return Reply{Text: unknownCommandReply(text)}, nil
		}, ClaimNone
	}
	claim := ClaimMessage
	if cmd.Claim != nil {
		claim = cmd.Claim(args)
	}
	return func(ctx context.Context, req Request) (Reply, error) {
		if refusal := cmd.Access.refusal(req.Member, cmd.Name); refusal != "" {
			return Reply{Text: refusal}, nil
		}
		req.Name, req.Args = cmd.Name, args
		return cmd.Run(ctx, req)
	}, claim
}

// image goes with a draft announcement waiting for 发送, or with a meeting
// (a leader's picture while it is open or just after 纪要), or else with the
// sender's latest study report as its evidence.
func (b *Bot) image(ctx context.Context, req Request) (Reply, error) {
	reply, attached, err := b.attachToDraft(ctx, req)
	if err != nil || attached {
		return reply, err
	}
	if reply, err := b.meetingPhoto(ctx, req); !errors.Is(err, errNoPhoto) {
		return reply, err
	}
	return b.evidence(ctx, req)
}

func (b *Bot) commands() []Command {
	return append([]Command{
		{
			Name: "帮助", Aliases: []string{"help", "菜单", "?"},
			Usage: "帮助", Summary: "查看可用命令",
			Claim: readOnly, Run: b.help,
		},
		{
			Name: "签到", Aliases: []string{"打卡", "checkin", "check-in"},
			Usage: "签到", Summary: "每日签到",
			Claim: checkinClaim, Run: b.checkin,
		},
		{
			Name: "学习", Aliases: []string{"study"},
			Usage: "学习 内容 30分钟 [心得]", Summary: "记录一次学习（可补记本周）",
			Run: b.study,
		},
		{
			Name: "撤回", Aliases: []string{"undo"},
			Usage: "撤回", Summary: "撤回 24 小时内最近一条学习记录",
			Run: b.withdraw,
		},
		{
			Name: "我的", Aliases: []string{"me", "我"},
			Usage: "我的", Summary: "本周、本月签到和学习，目标进度",
			Claim: readOnly, Run: b.me,
		},
		{
			Name: "本周", Aliases: []string{"week"},
			Usage: "本周", Summary: "本支部本周签到与学习一览", Access: AccessBranch, Claim: readOnly,
			Run: b.week,
		},
		{
			Name: "排行", Aliases: []string{"rank"},
			Usage: "排行", Summary: "本支部学习时长排行（需开启）", Claim: readOnly,
			Run: b.leaderboard,
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
			Name: "会议", Aliases: []string{"meeting"},
			Usage: "会议 党员大会 [标题]", Summary: "开启会议，发签到码并通知本支部", Access: AccessBranch,
			Run: b.openMeeting,
		},
		{
			Name: "结束会议", Aliases: []string{"endmeeting"},
			Usage: "结束会议", Summary: "结束会议，查看到会、请假、缺席和法定人数", Access: AccessBranch,
			Run: b.closeMeeting,
		},
		{
			Name: "更正", Aliases: []string{"correct"},
			Usage: "更正 @userid 到会|请假|缺席 [说明]", Summary: "更正最近一次会议的记录（留痕）", Access: AccessBranch,
			Run: b.correct,
		},
		{
			Name: "纪要", Aliases: []string{"minutes"},
			Usage: "纪要 内容", Summary: "给进行中或一周内结束的会议记纪要（可写 地点：… 等），随后 10 分钟内的照片存为会议照片", Access: AccessBranch,
			Run: b.minutes,
		},
		{
			Name: "党费", Aliases: []string{"dues"},
			Usage: "党费 [已交 月份]", Summary: "看自己的党费；交了发“党费 已交”。书记：设置、补交、状态、年度",
			Run: b.dues,
		},
		{
			Name: "预警", Aliases: []string{"warnings", "risk"},
			Usage: "预警", Summary: "连续 2 个月以上未参加组织生活或未交党费的党员（仅自己可见）", Access: AccessBranch,
			Claim: readOnly, Run: b.warnings,
		},
		{
			Name: "导出", Aliases: []string{"export"},
			Usage: "导出 [本月|上季度|2026-10-01 2026-12-31]", Summary: "本支部台账 Excel（签到、学习、会议纪要、公告、请假）", Access: AccessBranch,
			Claim: readOnly, Run: b.export,
		},
		{
			Name: "进度", Aliases: []string{"progress"},
			Usage: "进度", Summary: "三会一课本月、本季度、本年完成情况", Access: AccessBranch, Claim: readOnly,
			Run: b.progress,
		},
		{
			Name: "名单", Aliases: []string{"roster", "members"},
			Usage: "名单", Summary: "本支部党员名单", Access: AccessBranch, Claim: readOnly,
			Run: b.roster,
		},
		{
			Name: "支部", Aliases: []string{"branches"},
			Usage: "支部", Summary: "全部支部及人数", Access: AccessAdmin, Claim: readOnly,
			Run: b.branches,
		},
	}, b.announceCommands()...)
}

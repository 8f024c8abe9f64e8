// Package bot is partybot's domain: members and branches, check-ins,
// meetings, study, leave, announcements and activities, minutes, dues, the
// scheduled jobs and the rules they follow. It imports no adapter (a test
// holds it to the standard library and x/text).
//
// Where things are:
//   - routes.go: every way in — the command table (with 帮助's groups and
//     subcommands), the card buttons by key prefix, the job table.
//   - one file per feature, holding its types, its port (the interface an
//     adapter implements) and its handlers: checkin.go, meeting.go,
//     minutes.go, study.go, leave.go, dues.go, lifecycle.go, roster.go,
//     announce.go with announce_compose.go, announce_answer.go,
//     announce_status.go, announce_remind.go, announce_activity.go.
//   - helpers by kind: date.go, month.go, span.go (dates), text.go, ids.go,
//     steps.go (one-time job steps), access.go (who may do what),
//     dedupe.go (WeCom's retries), message.go (messages in and out).
//
// Its channels are the sub-packages wecom (callbacks in, messages out),
// outbox (reliable delivery, job runs) and schedule (cron fires); its memory
// is package store (Redis). They depend on bot, never the reverse.
// docs/architecture.md follows a callback, a card click and a job fire
// through them.
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
	Roster   RosterStore // read by every command; written by 确认, 转出 and 转入
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
	// Development keeps the 发展党员 path: applicants, their steps, 思想汇报.
	Development DevelopmentStore
	// Talks keeps 谈心谈话; Rectify keeps 整改 and 议定 items.
	Talks   TalkStore
	Rectify RectifyStore
	// Reviews keeps 民主评议 rounds: tallies, never a grade with its rater.
	Reviews ReviewStore
	// LifeMeetings keeps the 组织生活会 checklist: 方案, 意见, 检查材料.
	LifeMeetings LifeMeetingStore
	// Makeups keeps 补学: who missed a meeting and whether they made it up.
	Makeups MakeupStore
	// Materials keeps who studied which 学习材料; ThemeDays the 主题党日 plans.
	Materials MaterialStore
	ThemeDays ThemeDayStore
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
	// CheckinReminder names the branches reminded daily to 签到; the zero
	// value reminds none.
	CheckinReminder CheckinReminder
	// DuesPrepayMonths is how many months ahead 党费 may be paid (the
	// config's rules.dues_prepay_months); 0 allows none.
	DuesPrepayMonths int
	// PoliticalBirthday greets members on the anniversary of joining.
	PoliticalBirthday bool
	// Companies are the corps the org spans, the home corp (ID "") first,
	// named for the 成绩单; none means one home company (本企业).
	Companies []Company
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
	if d.Roster == nil || d.Dedupe == nil || d.Checkins == nil || d.Leaves == nil || d.Audit == nil || d.Meetings == nil || d.Studies == nil || d.Announcements == nil || d.Minutes == nil || d.Dues == nil || d.Steps == nil || d.Development == nil || d.Talks == nil || d.Reviews == nil || d.LifeMeetings == nil || d.Makeups == nil || d.Materials == nil || d.ThemeDays == nil || d.Rectify == nil || d.Outbox == nil || d.Location == nil {
		return nil, errors.New("bot: Roster, Dedupe, Checkins, Leaves, Audit, Meetings, Studies, Announcements, Minutes, Dues, Steps, Development, Talks, Rectify, Reviews, LifeMeetings, Makeups, Materials, ThemeDays, Outbox and Location are required")
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
	if err := checkCardRoutes(cardRoutes); err != nil {
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
	replyApplicantOnly = "你目前在发展党员流程中，可以发送：入党进度、思想汇报 内容、帮助。"
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
	applicant := false
	// Someone the address book sync found is not a member until confirmed.
	if !found || !member.Active || member.Status == StatusPending {
		// Someone a leader registered on the 发展 path may use a few
		// commands; anyone else is a stranger and nothing is stored.
		a, onPath, err := b.Development.Applicant(ctx, msg.From)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: look up applicant %s: %w", msg.From, err)
		}
		if !onPath || !a.OnPath() {
			// Only what a person typed or tapped deserves an answer: entering the
			// app, location reports every few seconds and link views do not.
			if msg.Kind == KindText || (msg.Kind == KindEvent && msg.Event == "click") {
				return Reply{Text: replyNotRegistered}, nil
			}
			return Reply{}, nil
		}
		member, applicant = applicantMember(a), true
	}
	act, claim := b.action(msg, applicant)
	if act == nil {
		return Reply{}, nil
	}
	req := Request{Msg: msg, Member: member, Now: b.Now(), Applicant: applicant}
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
func (b *Bot) action(msg Message, applicant bool) (HandlerFunc, Claim) {
	switch {
	case msg.Kind == KindText:
		return b.command(msg.Text)
	case msg.Kind == KindEvent && msg.Event == "click" && msg.EventKey != "":
		return b.command(msg.EventKey)
	case applicant && msg.Kind == KindImage:
		return b.applicantImage, ClaimMessage
	case applicant:
		return nil, ClaimMessage // no check-in, no cards: not a member yet
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

// command routes text through the command table, checking access: the
// command's, then its subcommand's.
func (b *Bot) command(text string) (HandlerFunc, Claim) {
	cmd, args, ok := b.router.Lookup(text)
	if !ok {
		return func(context.Context, Request) (Reply, error) {
			return Reply{Text: unknownCommandReply(text)}, nil
		}, ClaimNone
	}
	name, access, run, claimOf := cmd.Name, cmd.Access, cmd.Run, cmd.Claim
	if sc, ok := cmd.sub(args); ok {
		name, access, run, args = cmd.Name+" "+args[0], sc.Access, sc.Run, args[1:]
		if sc.Claim != nil {
			claimOf = sc.Claim
		}
	}
	claim := ClaimMessage
	if claimOf != nil {
		claim = claimOf(args)
	}
	return func(ctx context.Context, req Request) (Reply, error) {
		if req.Applicant && !cmd.Applicants {
			return Reply{Text: replyApplicantOnly}, nil
		}
		for _, a := range []Access{cmd.Access, access} {
			if refusal := a.refusal(req.Member, name); refusal != "" {
				return Reply{Text: refusal}, nil
			}
		}
		req.Name, req.Args = cmd.Name, args
		return run(ctx, req)
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
	if req.Member.Status == StatusProbationary {
		if reply, attached, err := b.attachToThoughtReport(ctx, req); err != nil || attached {
			return reply, err
		}
	}
	if reply, attached, err := b.attachToMaterial(ctx, req); err != nil || attached {
		return reply, err
	}
	if reply, err := b.meetingPhoto(ctx, req); !errors.Is(err, errNoPhoto) {
		return reply, err
	}
	return b.evidence(ctx, req)
}

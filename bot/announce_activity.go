package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Activities (主题党日, 志愿服务, 实践活动) are announcements with a sign-up:
// 报名 until the places are taken, then a waiting list that moves up when
// someone cancels.

const activityUsage = "用法：活动 标题 [日期] [时间] [地点] [名额 N] [截止 日期]\n例如：活动 社区志愿服务 11-28 14:00 阳光社区 名额 10 截止 11-27"

var clockWord = regexp.MustCompile(`^([01]?\d|2[0-3])[:：]([0-5]\d)$`)

// parseActivity reads "标题 [日期] [时间] [地点] [名额 N] [截止 日期 [时间]]".
func parseActivity(args []string, today Date, loc *time.Location) (title string, act ActivityPlan, problem string) {
	if len(args) == 0 {
		return "", act, activityUsage
	}
	title = Plain(args[0])
	var place []string
	for i := 1; i < len(args); i++ {
		word := Normalize(args[i])
		switch {
		case strings.HasPrefix(word, "名额"):
			n := strings.TrimLeft(strings.TrimPrefix(word, "名额"), ":：")
			if n == "" && i+1 < len(args) {
				i++
				n = Normalize(args[i])
			}
			places, err := strconv.Atoi(strings.TrimSuffix(n, "人"))
			if err != nil || places <= 0 || places > 10000 {
				return "", act, "名额要写正整数，例如“名额 20”。"
			}
			act.Capacity = places
		case word == "截止" || word == "报名截止":
			if i+1 >= len(args) {
				return "", act, "截止后面写日期，例如“截止 11-27”。"
			}
			i++
			day, ok := parseDay(args[i], today)
			if !ok {
				return "", act, "截止日期看不懂：“" + Plain(args[i]) + "”。" + "请写 11-27 这样的日期。"
			}
			clock := "23:59"
			if i+1 < len(args) && clockWord.MatchString(Normalize(args[i+1])) {
				i++
				clock = Normalize(args[i])
			}
			act.Deadline = at(day, clock, loc)
		case act.Day.IsZero() && isDayWord(word, today):
			act.Day, _ = parseDay(word, today)
		case act.Start == "" && clockWord.MatchString(word):
			m := clockWord.FindStringSubmatch(word)
			h, _ := strconv.Atoi(m[1])
			act.Start = fmt.Sprintf("%02d:%s", h, m[2])
		default:
			place = append(place, Plain(args[i]))
		}
	}
	act.Place = strings.Join(place, " ")
	switch {
	case title == "":
		return "", act, activityUsage
	case !act.Day.IsZero() && act.Day.Before(today):
		return "", act, "活动日期已经过去了，请检查日期。"
	case !act.Deadline.IsZero() && !act.Day.IsZero() && act.Day.Before(DateOf(act.Deadline, loc)):
		return "", act, "报名截止不能晚于活动日期。"
	}
	return title, act, ""
}

func isDayWord(word string, today Date) bool {
	_, ok := parseDay(word, today)
	return ok
}

// at is the moment of a day and an "HH:MM" clock in loc.
func at(d Date, clock string, loc *time.Location) time.Time {
	h, m := 0, 0
	if parts := clockWord.FindStringSubmatch(clock); parts != nil {
		h, _ = strconv.Atoi(parts[1])
		m, _ = strconv.Atoi(parts[2])
	}
	return time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, loc)
}

// describe is one line: when, where, how many, until when.
func (a ActivityPlan) describe() string {
	var parts []string
	if !a.Day.IsZero() {
		parts = append(parts, strings.TrimSpace(fmtDay(a.Day)+" "+a.Start))
	}
	if a.Place != "" {
		parts = append(parts, a.Place)
	}
	if a.Capacity > 0 {
		parts = append(parts, fmt.Sprintf("名额 %d", a.Capacity))
	}
	if !a.Deadline.IsZero() {
		parts = append(parts, a.Deadline.Format("1月2日 15:04")+"截止")
	}
	if len(parts) == 0 {
		return "点“报名”参加"
	}
	return strings.Join(parts, " · ")
}

// What an activity's card and reminders can carry (WeCom's field limits).
const (
	maxActivityTitle = 30
	maxActivityPlace = 30
)

// activity handles "活动 …": a draft with a preview, as for 公告.
func (b *Bot) activity(ctx context.Context, req Request) (Reply, error) {
	if req.Member.BranchID == "" {
		return Reply{Text: "活动由支部发起：请书记或支委发送。"}, nil
	}
	title, act, problem := parseActivity(req.Args, DateOf(req.Now, b.Location), b.Location)
	switch {
	case problem != "":
		return Reply{Text: problem}, nil
	case !act.Deadline.IsZero() && !act.Deadline.After(req.Now):
		return Reply{Text: "报名截止时间已经过了，请写以后的时间。"}, nil
	case utf8.RuneCountInString(title) > maxActivityTitle:
		return Reply{Text: fmt.Sprintf("活动标题最长 %d 字，详细内容请另发公告。", maxActivityTitle)}, nil
	case utf8.RuneCountInString(act.Place) > maxActivityPlace:
		return Reply{Text: fmt.Sprintf("地点最长 %d 字。", maxActivityPlace)}, nil
	}
	draft := Announcement{ID: messageID(req), Scope: req.Member.BranchID, Title: title, Author: req.Member.UserID, Activity: &act}
	return b.previewDraft(ctx, req, draft)
}

// signUp handles "报名": the newest open activity addressed to the sender.
func (b *Bot) signUp(ctx context.Context, req Request) (Reply, error) {
	open, err := b.openFor(ctx, req.Member, req.Now, true, false)
	if err != nil {
		return Reply{}, err
	}
	if len(open) == 0 {
		return Reply{Text: "现在没有可以报名的活动。"}, nil
	}
	a := open[0]
	o, err := b.Announcements.Respond(ctx, a.Scope, a.No, signUpOf(req, SignUpJoin, a))
	if err != nil {
		return Reply{}, fmt.Errorf("bot: sign up: %w", err)
	}
	return Reply{Text: signUpText(a, o)}, nil
}

func signUpText(a Announcement, o SignUpOutcome) string {
	name := "《" + a.Title + "》"
	switch {
	case o.Now == SignUpJoined && o.Was == SignUpJoined:
		return "你已报名" + name + "。不能参加请发“取消报名”。"
	case o.Now == SignUpJoined:
		return "报名成功 ✅ " + name + " " + a.Activity.describe() + "\n不能参加请发“取消报名”。"
	case o.Was == SignUpWaiting:
		return fmt.Sprintf("你已在%s候补第 %d 位，有人取消时自动递补并通知你。", name, o.Position)
	}
	return fmt.Sprintf("%s名额已满，已排在候补第 %d 位；有人取消时自动递补并通知你。", name, o.Position)
}

// cancelSignUp handles "取消报名": the newest open activity the sender is
// signed up or waiting for; the first on the waiting list moves up.
func (b *Bot) cancelSignUp(ctx context.Context, req Request) (Reply, error) {
	open, err := b.openFor(ctx, req.Member, req.Now, true, true)
	if err != nil {
		return Reply{}, err
	}
	for _, a := range open {
		o, err := b.Announcements.Respond(ctx, a.Scope, a.No, signUpOf(req, SignUpCancel, a))
		if err != nil {
			return Reply{}, fmt.Errorf("bot: cancel sign-up: %w", err)
		}
		if o.Was == SignUpNone {
			continue
		}
		return Reply{Text: "已取消报名《" + a.Title + "》。", Notices: promotedNotice(a, o)}, nil
	}
	return Reply{Text: "你没有报名进行中的活动。"}, nil
}

// declineActivity handles "不参加": the typed twin of the activity card's
// 不参加 button, for the newest open activity addressed to the sender (a
// place they held goes to the first on the waiting list).
func (b *Bot) declineActivity(ctx context.Context, req Request) (Reply, error) {
	open, err := b.openFor(ctx, req.Member, req.Now, true, false)
	if err != nil {
		return Reply{}, err
	}
	if len(open) == 0 {
		return Reply{Text: "现在没有需要回复的活动。"}, nil
	}
	a := open[0]
	o, err := b.Announcements.Respond(ctx, a.Scope, a.No, signUpOf(req, SignUpDecline, a))
	if err != nil {
		return Reply{}, fmt.Errorf("bot: decline: %w", err)
	}
	text := "已登记：不参加《" + a.Title + "》。想参加请发“报名”。"
	if o.Was == SignUpJoined || o.Was == SignUpWaiting {
		text = "已取消报名，登记为不参加《" + a.Title + "》。想参加请再发“报名”。"
	}
	return Reply{Text: text, Notices: promotedNotice(a, o)}, nil
}

// signUpOf is the member's answer to a, named by the message it came in.
func signUpOf(req Request, action SignUpAction, a Announcement) SignUp {
	return SignUp{Op: req.Msg.DedupeKey(), Action: action, UserID: req.Member.UserID, At: req.Now, Capacity: a.Activity.Capacity}
}

// promotedNotice tells whoever moved up from the waiting list.
func promotedNotice(a Announcement, o SignUpOutcome) []Notice {
	if o.Promoted == "" {
		return nil
	}
	return []Notice{{To: []string{o.Promoted}, Text: "候补成功 ✅ 你已递补报名《" + a.Title + "》" + a.Activity.describe() + "。不能参加请发“取消报名”。"}}
}

// respondByCard records 报名 or 不参加 from the activity card.
func (b *Bot) respondByCard(ctx context.Context, req Request, key string, action SignUpAction) (Reply, error) {
	a, label, err := b.clickable(ctx, req, key)
	switch {
	case errors.Is(err, errFinished):
		return Reply{ReplaceButton: "报名已截止"}, nil
	case err != nil:
		return Reply{}, err
	case label != "":
		return Reply{ReplaceButton: label}, nil
	case a.Activity == nil:
		return Reply{ReplaceButton: "公告已失效"}, nil
	}
	o, err := b.Announcements.Respond(ctx, a.Scope, a.No, signUpOf(req, action, a))
	if err != nil {
		return Reply{}, fmt.Errorf("bot: respond: %w", err)
	}
	reply := Reply{Notices: promotedNotice(a, o)}
	switch o.Now {
	case SignUpJoined:
		reply.ReplaceButton = "已报名"
	case SignUpWaiting:
		reply.ReplaceButton = fmt.Sprintf("候补第%d位", o.Position)
	default:
		reply.ReplaceButton = "不参加"
	}
	return reply, nil
}

// activityEve reminds those signed up, the day before, once.
func (b *Bot) activityEve(ctx context.Context, a Announcement, token string) ([]Outbound, error) {
	mine, err := b.Steps.Once(ctx, a.Scope, AnnouncementStep(a.No, "eve"), token)
	if err != nil || !mine {
		return nil, err
	}
	r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
	if err != nil {
		return nil, fmt.Errorf("bot: read responses: %w", err)
	}
	joined, err := b.current(ctx, a.Scope, r.Joined) // not those who left since
	if err != nil {
		return nil, err
	}
	text := "明天的活动《" + a.Title + "》：" + a.Activity.describe() + "。请准时参加；不能参加请发“取消报名”。"
	return uniform("act:"+a.key()+":eve", joined, Notice{Text: text}), nil
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Announcements (公告) and activities (活动): a secretary composes, sees a
// preview, confirms; every member gets a card with 收到 (or 报名/不参加), the
// branch group gets the text; acknowledgements and sign-ups are kept for
// the ledger, and the unacknowledged are nudged once.

// OrgScope is the scope of an announcement to the whole org (an admin's
// `公告 全体 …`). It cannot be a branch id, which starts with [a-z0-9].
const OrgScope = "!org"

// Announcement is one sent announcement or activity. Records only grow:
// acknowledgements and sign-ups are kept beside it.
type Announcement struct {
	ID     string    `json:"id"`    // the draft's id: a retried 发送 publishes it once
	Scope  string    `json:"scope"` // a branch id, or OrgScope
	No     int       `json:"no"`    // numbered per scope: #12
	Title  string    `json:"title"`
	Body   string    `json:"body,omitempty"` // the lines after the title
	Media  []Media   `json:"media,omitempty"`
	Author string    `json:"author"`
	SentAt time.Time `json:"sent_at,omitzero"`
	To     []string  `json:"to,omitempty"` // recipients when sent, sorted
	// Activity is set for an activity (报名 / 不参加 instead of 收到).
	Activity *ActivityPlan `json:"activity,omitempty"`
}

// ActivityPlan is what an activity adds: when, where, how many may come.
type ActivityPlan struct {
	Day      Date      `json:"day,omitzero"`
	Start    string    `json:"start,omitempty"` // "14:00", when given
	Place    string    `json:"place,omitempty"`
	Capacity int       `json:"capacity,omitempty"` // 0: no limit
	Deadline time.Time `json:"deadline,omitzero"`  // sign-ups close
}

// Label is the announcement's short number as members see it.
func (a Announcement) Label() string {
	if a.Scope == OrgScope {
		return "全体#" + strconv.Itoa(a.No)
	}
	return "#" + strconv.Itoa(a.No)
}

// short is the title as a reminder quotes it.
func (a Announcement) short() string { return cutRunes(a.Title, 30) }

// noun is 公告 or 活动.
func (a Announcement) noun() string {
	if a.Activity != nil {
		return "活动"
	}
	return "公告"
}

// AnnounceOpenFor is how long an announcement takes acknowledgements.
const AnnounceOpenFor = 7 * 24 * time.Hour

// DraftTTL is how long a preview waits for 发送.
const DraftTTL = 10 * time.Minute

// announceNudgeAfter is when the unacknowledged are nudged.
const announceNudgeAfter = 4 * time.Hour

// maxAnnounceRunes bounds what one announcement may carry.
const maxAnnounceRunes = 4000

// Open reports whether the announcement still takes answers at now: an
// activity until its deadline (or its day), any announcement for a week.
func (a Announcement) Open(now time.Time, loc *time.Location) bool {
	if act := a.Activity; act != nil {
		switch {
		case !act.Deadline.IsZero():
			return now.Before(act.Deadline)
		case !act.Day.IsZero():
			return DateOf(now, loc).Number() <= act.Day.Number()
		}
	}
	return now.Before(a.SentAt.Add(AnnounceOpenFor))
}

// Cancellable reports whether a sign-up may still be cancelled: until the
// activity's day, even after sign-ups closed (the place goes to the next).
func (a Announcement) Cancellable(now time.Time, loc *time.Location) bool {
	if act := a.Activity; act != nil && !act.Day.IsZero() {
		return DateOf(now, loc).Number() <= act.Day.Number()
	}
	return a.Open(now, loc)
}

// Responses are the answers to one announcement.
type Responses struct {
	Acked    map[string]time.Time // 收到, or any answer to an activity
	Joined   []string             // signed up, in order
	Waiting  []string             // on the waiting list, in order
	Declined map[string]bool      // 不参加
}

// SignUpOutcome is what a 报名, 不参加 or 取消报名 did.
type SignUpOutcome struct {
	Was      string // before: "joined", "waiting" or "" (none)
	Now      string // after: "joined", "waiting", "declined" or ""
	Position int    // on the waiting list, from 1
	Promoted string // who moved up from the waiting list
}

// AnnounceStore keeps drafts, announcements and their answers.
type AnnounceStore interface {
	// SaveDraft keeps a's draft for its author for ttl, replacing theirs.
	SaveDraft(ctx context.Context, a Announcement, ttl time.Duration) error
	// Draft returns the author's draft with its media.
	Draft(ctx context.Context, author string) (a Announcement, found bool, err error)
	// AttachToDraft adds media to the author's draft, if there is one.
	AttachToDraft(ctx context.Context, author string, m Media) (count int, found bool, err error)
	// DropDraft removes the author's draft if it is still draftID.
	DropDraft(ctx context.Context, author, draftID string) error
	// Publish numbers and stores a; publishing one ID again returns the first.
	Publish(ctx context.Context, a Announcement) (Announcement, error)
	Announcement(ctx context.Context, scope string, no int) (a Announcement, found bool, err error)
	// RecentAnnouncements lists a scope's announcements sent since, newest first.
	RecentAnnouncements(ctx context.Context, scope string, since time.Time, limit int) ([]Announcement, error)
	// Acknowledge records userID's 收到 once; first is false for a repeat.
	Acknowledge(ctx context.Context, scope string, no int, userID string, at time.Time) (first bool, err error)
	Responses(ctx context.Context, scope string, no int) (Responses, error)
	// AckCounts counts acknowledgements of several announcements at once.
	AckCounts(ctx context.Context, scope string, nos []int) ([]int, error)
	// Respond applies "join", "decline" or "cancel" to an activity. op names
	// the message: the same op again returns the first outcome and changes
	// nothing (a WeCom retry after the claim was released).
	Respond(ctx context.Context, scope string, no int, op, action, userID string, at time.Time, capacity int) (SignUpOutcome, error)
	// MarkStep claims a one-time step (a nudge, a tally) for a job run:
	// true for the run that took it first, and for that run's retries.
	MarkStep(ctx context.Context, scope string, no int, step, run string) (mine bool, err error)
}

// Button keys of announcement cards: "<prefix><scope>:<no>" or "<prefix><draft id>".
const (
	keyAnnounceSend   = "ann_send:"
	keyAnnounceCancel = "ann_cancel:"
	keyAnnounceAck    = "ann_ack:"
	keyActivityJoin   = "act_join:"
	keyActivityNo     = "act_no:"
)

const announceUsage = "用法：公告 内容（第一行是标题，可以多行）。党委管理员：公告 <支部id|全体> 内容"

// announce handles "公告 …": it keeps a draft and answers with a preview.
func (b *Bot) announce(ctx context.Context, req Request) (Reply, error) {
	scope, content, refusal, err := b.announceScope(ctx, req, announceUsage)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	title, body := splitTitle(content)
	if title == "" {
		return Reply{Text: announceUsage}, nil
	}
	if n := utf8.RuneCountInString(content); n > maxAnnounceRunes {
		return Reply{Text: fmt.Sprintf("公告太长（%d 字），最多 %d 字。请精简或分两次发。", n, maxAnnounceRunes)}, nil
	}
	draft := Announcement{ID: meetingID(req), Scope: scope, Title: title, Body: body, Author: req.Member.UserID}
	return b.preview(ctx, req, draft)
}

// announceScope reads who an announcement is for: the sender's branch, or
// for an admin the branch or 全体 named first. It returns the rest of the
// message as typed, lines and all.
func (b *Bot) announceScope(ctx context.Context, req Request, usage string) (scope, content, refusal string, err error) {
	content = argText(req.Msg.Text)
	if req.Member.Role != RoleAdmin {
		if req.Member.BranchID == "" {
			return "", "", "你不属于任何支部。", nil
		}
		if content == "" {
			return "", "", usage, nil
		}
		return req.Member.BranchID, content, "", nil
	}
	first, rest, _ := strings.Cut(content, " ")
	if i := strings.IndexAny(first, "\n"); i >= 0 {
		first, rest = first[:i], first[i+1:]+" "+rest
	}
	switch word := Normalize(first); {
	case word == "全体" || word == "all":
		scope = OrgScope
	case ValidBranchID(word):
		_, found, err := b.Roster.Branch(ctx, word)
		if err != nil {
			return "", "", "", fmt.Errorf("bot: read branch %s: %w", word, err)
		}
		if !found {
			refusal, err := b.unknownBranch(ctx, word)
			return "", "", refusal, err
		}
		scope = word
	default:
		return "", "", usage, nil
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return "", "", usage, nil
	}
	return scope, rest, "", nil
}

// unknownBranch names the branches there are.
func (b *Bot) unknownBranch(ctx context.Context, id string) (string, error) {
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return "", err
	}
	ids := make([]string, len(branches))
	for i, br := range branches {
		ids[i] = br.ID
	}
	return fmt.Sprintf("没有支部“%s”。现有：%s，或“全体”。", id, strings.Join(ids, "、")), nil
}

// argText is the message after its command word, with its lines.
func argText(text string) string {
	text = strings.TrimSpace(text)
	i := strings.IndexFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\u3000' })
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(text[i:])
}

// splitTitle takes the first non-empty line as the title; each line is made
// inert (no markup or hidden characters) as it will be shown to many.
func splitTitle(content string) (title, body string) {
	var lines []string
	for _, line := range strings.Split(content, "\n") {
		if line = Plain(line); line != "" || len(lines) > 0 {
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return "", ""
	}
	return lines[0], strings.TrimSpace(strings.Join(lines[1:], "\n"))
}

// audience is who an announcement reaches: the active members of its
// branch or of the org, not its author; and who of them is on leave today
// (they receive it but are not chased).
type audience struct {
	members  []Member
	onLeave  map[string]bool
	branches []Branch // whose groups get the text
}

func (b *Bot) audience(ctx context.Context, scope, author string, today Date) (audience, error) {
	var out audience
	if scope == OrgScope {
		branches, err := b.activeBranches(ctx)
		if err != nil {
			return out, err
		}
		out.branches = branches
	} else {
		br, found, err := b.Roster.Branch(ctx, scope)
		if err != nil {
			return out, fmt.Errorf("bot: read branch %s: %w", scope, err)
		}
		if found {
			out.branches = []Branch{br}
		}
	}
	out.onLeave = map[string]bool{}
	for _, br := range out.branches {
		members, err := b.Roster.BranchMembers(ctx, br.ID)
		if err != nil {
			return out, fmt.Errorf("bot: list branch %s: %w", br.ID, err)
		}
		away, err := b.OnLeave(ctx, br.ID, today)
		if err != nil {
			return out, err
		}
		for _, m := range members {
			if m.UserID != author {
				out.members = append(out.members, m)
				out.onLeave[m.UserID] = away[m.UserID]
			}
		}
	}
	slices.SortFunc(out.members, func(x, y Member) int { return strings.Compare(x.UserID, y.UserID) })
	return out, nil
}

// groups says which group channels an audience's branches have.
func (au audience) groups() (chats, robots int) {
	for _, br := range au.branches {
		if br.ChatID != "" {
			chats++
		}
		if br.Robot {
			robots++
		}
	}
	return chats, robots
}

func (au audience) awayCount() int {
	n := 0
	for _, m := range au.members {
		if au.onLeave[m.UserID] {
			n++
		}
	}
	return n
}

// preview keeps the draft and shows the sender what would go out.
func (b *Bot) preview(ctx context.Context, req Request, draft Announcement) (Reply, error) {
	au, err := b.audience(ctx, draft.Scope, req.Member.UserID, DateOf(req.Now, b.Location))
	if err != nil {
		return Reply{}, err
	}
	if len(au.members) == 0 {
		return Reply{Text: "没有可以接收的党员，未保存。"}, nil
	}
	if err := b.Announcements.SaveDraft(ctx, draft, DraftTTL); err != nil {
		return Reply{}, fmt.Errorf("bot: save draft: %w", err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "📢 %s预览\n【%s】", draft.noun(), draft.Title)
	if act := draft.Activity; act != nil {
		sb.WriteString("\n" + act.describe())
	}
	if draft.Body != "" {
		sb.WriteString("\n" + cutRunes(draft.Body, 60))
	}
	who := "本支部"
	if draft.Scope == OrgScope {
		who = fmt.Sprintf("全体 %d 个支部", len(au.branches))
	} else if draft.Scope != req.Member.BranchID {
		who = "支部 " + draft.Scope
	}
	fmt.Fprintf(&sb, "\n将发给%s %d 名党员", who, len(au.members))
	if away := au.awayCount(); away > 0 {
		fmt.Fprintf(&sb, "（%d 人请假中，不催）", away)
	}
	if chats, robots := au.groups(); chats+robots > 0 {
		sb.WriteString("，并发到支部群")
	}
	sb.WriteString("。\n10 分钟内回复“发送”确认，“取消”放弃；图片请在发送前发来。")
	card := Notice{To: []string{req.Member.UserID}, Card: &Card{
		Title: "确认发送" + draft.noun() + "？", Description: draft.Title,
		Buttons: []Button{{Text: "发送", Key: keyAnnounceSend + draft.ID}, {Text: "取消", Key: keyAnnounceCancel + draft.ID, Secondary: true}},
	}}
	return Reply{Text: sb.String(), Notices: []Notice{card}}, nil
}

// cutRunes shortens s to n characters, marking the cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// attachToDraft adds a picture a leader sends while a draft waits.
func (b *Bot) attachToDraft(ctx context.Context, req Request) (reply Reply, attached bool, err error) {
	if !req.Member.Role.Leads() && req.Member.Role != RoleAdmin {
		return Reply{}, false, nil
	}
	n, found, err := b.Announcements.AttachToDraft(ctx, req.Member.UserID, Media{Type: "image", ID: req.Msg.MediaID})
	if err != nil || !found {
		return Reply{}, false, err
	}
	return Reply{Text: fmt.Sprintf("📎 已附上图片（共 %d 张），回复“发送”一并发出。", n)}, true, nil
}

// confirm handles "发送": the sender's draft goes out.
func (b *Bot) confirm(ctx context.Context, req Request) (Reply, error) {
	return b.send(ctx, req, "")
}

// send publishes the sender's draft (only draftID, when a card names it).
func (b *Bot) send(ctx context.Context, req Request, draftID string) (Reply, error) {
	draft, found, err := b.Announcements.Draft(ctx, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read draft: %w", err)
	}
	if !found || (draftID != "" && draft.ID != draftID) {
		return byCard(draftID, "没有待发送的公告或活动（草稿 10 分钟内有效），请重新编写。", "已失效"), nil
	}
	au, err := b.audience(ctx, draft.Scope, req.Member.UserID, DateOf(req.Now, b.Location))
	if err != nil {
		return Reply{}, err
	}
	draft.SentAt = req.Now
	draft.To = make([]string, len(au.members))
	for i, m := range au.members {
		draft.To[i] = m.UserID
	}
	a, err := b.Announcements.Publish(ctx, draft)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: publish: %w", err)
	}
	target := Member{UserID: "", BranchID: a.Scope}
	if err := b.audit(ctx, req, "announce.send", target, a.Label()+" "+a.noun()+" "+a.Title+fmt.Sprintf("（%d 人）", len(a.To))); err != nil {
		return Reply{}, err
	}
	// Queued under ids of the announcement, before the draft goes: a retried
	// 发送 (or a 发送 typed while the card's button is pressed) queues the
	// same ids again, which the outbox takes once.
	for i, n := range b.deliveries(a, au) {
		for j, part := range n.Split() {
			if err := b.Outbox.Enqueue(ctx, fmt.Sprintf("ann:%s:%d:deliver:%d:%d", a.Scope, a.No, i, j), part); err != nil {
				return Reply{}, fmt.Errorf("bot: enqueue announcement: %w", err)
			}
		}
	}
	if err := b.Announcements.DropDraft(ctx, req.Member.UserID, a.ID); err != nil {
		return Reply{}, fmt.Errorf("bot: drop draft: %w", err)
	}
	text := fmt.Sprintf("✅ 已发送%s %s 给 %d 名党员。发“%s状态”查看确认情况。", a.noun(), a.Label(), len(a.To), a.noun())
	reply := byCard(draftID, text, "已发送")
	if draftID != "" { // a card click's passive reply can only relabel the button
		reply.Notices = append(reply.Notices, Notice{To: []string{req.Member.UserID}, Text: text})
	}
	return reply, nil
}

// byCard answers a typed command with text, a card click (draftID set) by
// relabelling the clicked button.
func byCard(draftID, text, button string) Reply {
	if draftID != "" {
		return Reply{ReplaceButton: button}
	}
	return Reply{Text: text}
}

// deliveries are the messages an announcement goes out as: a card to
// every member, the full text too when the card cannot hold it, its
// pictures, and the text to each branch group (app chat and robot).
func (b *Bot) deliveries(a Announcement, au audience) []Notice {
	card := &Card{Title: a.Title, Description: a.cardDescription(au), Subtitle: a.Body}
	if act := a.Activity; act != nil {
		card.Title, card.Subtitle = "活动："+a.Title, act.describe() // the details fit 112 characters, not 44
		card.Buttons = []Button{{Text: "报名", Key: keyActivityJoin + a.key()}, {Text: "不参加", Key: keyActivityNo + a.key(), Secondary: true}}
	} else {
		card.Buttons = []Button{{Text: "收到", Key: keyAnnounceAck + a.key()}}
	}
	out := []Notice{{To: a.To, Card: card}}
	full := a.fullText()
	if utf8.RuneCountInString(card.Title) > cardTitleRunes || utf8.RuneCountInString(a.Body) > cardSubtitleRunes {
		for _, part := range numberedParts(full) {
			out = append(out, Notice{To: a.To, Text: part})
		}
	}
	for _, m := range a.Media {
		out = append(out, Notice{To: a.To, Media: &Media{Type: m.Type, ID: m.ID}})
	}
	group := full + "\n（请在“党建助手”应用里点“" + card.Buttons[0].Text + "”）"
	for _, br := range au.branches {
		for _, part := range numberedParts(group) {
			// An app chat is a group the bot created; a robot sits in a group
			// people made. With both configured they are two groups: both get it.
			if br.ChatID != "" {
				out = append(out, Notice{ChatID: br.ChatID, Text: part})
			}
			if br.Robot {
				out = append(out, Notice{Robot: br.ID, Text: part})
			}
		}
		for _, m := range a.Media {
			if br.ChatID != "" { // a robot cannot send the app's media
				out = append(out, Notice{ChatID: br.ChatID, Media: &Media{Type: m.Type, ID: m.ID}})
			}
		}
	}
	return out
}

// numberedParts splits a text WeCom would cut into messages marked
// "（1/3）": the outbox delivers them concurrently, so they may arrive in
// any order, and the marks let a reader put them back.
func numberedParts(text string) []string {
	const mark = len("（99/99）")
	parts := SplitText(text, MaxMessageBytes-mark)
	if len(parts) == 1 {
		return parts
	}
	for i := range parts {
		parts[i] = fmt.Sprintf("（%d/%d）", i+1, len(parts)) + parts[i]
	}
	return parts
}

// What a card shows (WeCom's limits; the adapter cuts to them too).
const (
	cardTitleRunes    = 36
	cardSubtitleRunes = 112
)

// key is what button keys carry to name the announcement.
func (a Announcement) key() string { return a.Scope + ":" + strconv.Itoa(a.No) }

func (a Announcement) cardDescription(au audience) string {
	if a.Activity != nil {
		return "活动 " + a.Label() + "，点“报名”参加"
	}
	if a.Scope == OrgScope {
		return "党委公告 " + a.Label()
	}
	if len(au.branches) == 1 {
		return au.branches[0].Name + " " + a.Label()
	}
	return "支部公告 " + a.Label()
}

// fullText is the announcement as one text message.
func (a Announcement) fullText() string {
	text := "【" + a.noun() + " " + a.Label() + "】" + a.Title
	if act := a.Activity; act != nil {
		text += "\n" + act.describe()
	}
	if a.Body != "" {
		text += "\n" + a.Body
	}
	return text
}

// cancelDraft handles "取消": the draft is dropped. A member who is not a
// leader most likely means the sign-up.
func (b *Bot) cancelDraft(ctx context.Context, req Request) (Reply, error) {
	if !req.Member.Role.Leads() && req.Member.Role != RoleAdmin {
		return Reply{Text: "要取消活动报名，请发“取消报名”。"}, nil
	}
	return b.dropDraft(ctx, req, "")
}

func (b *Bot) dropDraft(ctx context.Context, req Request, draftID string) (Reply, error) {
	draft, found, err := b.Announcements.Draft(ctx, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read draft: %w", err)
	}
	if !found || (draftID != "" && draft.ID != draftID) {
		return byCard(draftID, "没有待发送的公告或活动。", "已失效"), nil
	}
	if err := b.Announcements.DropDraft(ctx, req.Member.UserID, draft.ID); err != nil {
		return Reply{}, fmt.Errorf("bot: drop draft: %w", err)
	}
	return byCard(draftID, "已取消，未发送。", "已取消"), nil
}

// scopesOf are the scopes a member receives announcements from.
func scopesOf(m Member) []string {
	if m.BranchID == "" {
		return []string{OrgScope}
	}
	return []string{m.BranchID, OrgScope}
}

// lookBack is how far back an announcement may have been sent and still be
// answered: an activity may be announced up to half a year ahead.
const lookBack = 190 * 24 * time.Hour

// openFor lists the announcements addressed to m that still take answers
// (or, with cancel, whose activity may still be cancelled), newest first.
func (b *Bot) openFor(ctx context.Context, m Member, now time.Time, activities, cancel bool) ([]Announcement, error) {
	var out []Announcement
	for _, scope := range scopesOf(m) {
		recent, err := b.Announcements.RecentAnnouncements(ctx, scope, now.Add(-lookBack), 50)
		if err != nil {
			return nil, fmt.Errorf("bot: recent announcements: %w", err)
		}
		for _, a := range recent {
			open := a.Open(now, b.Location)
			if cancel {
				open = a.Cancellable(now, b.Location)
			}
			if (a.Activity != nil) == activities && open && slices.Contains(a.To, m.UserID) {
				out = append(out, a)
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Announcement) int { return y.SentAt.Compare(x.SentAt) })
	return out, nil
}

// acknowledge handles the text "收到": the newest open announcement the
// sender has not acknowledged yet.
func (b *Bot) acknowledge(ctx context.Context, req Request) (Reply, error) {
	open, err := b.openFor(ctx, req.Member, req.Now, false, false)
	if err != nil {
		return Reply{}, err
	}
	for _, a := range open {
		first, err := b.Announcements.Acknowledge(ctx, a.Scope, a.No, req.Member.UserID, req.Now)
		if err != nil {
			return Reply{}, fmt.Errorf("bot: acknowledge: %w", err)
		}
		if first {
			return Reply{Text: fmt.Sprintf("已确认收到 %s《%s》，谢谢！", a.Label(), a.short())}, nil
		}
	}
	if len(open) > 0 {
		return Reply{Text: "你已确认过全部公告，谢谢！"}, nil
	}
	return Reply{Text: "现在没有需要确认的公告。"}, nil
}

// clickedAnnouncement reads "<scope>:<no>" from a button key.
func (b *Bot) clickedAnnouncement(ctx context.Context, key string) (Announcement, bool, error) {
	scope, no, ok := strings.Cut(key, ":")
	n, err := strconv.Atoi(no)
	if !ok || err != nil || (scope != OrgScope && !ValidBranchID(scope)) {
		return Announcement{}, false, nil
	}
	a, found, err := b.Announcements.Announcement(ctx, scope, n)
	if err != nil {
		return Announcement{}, false, fmt.Errorf("bot: read announcement: %w", err)
	}
	return a, found, nil
}

// cardClick routes a template-card button by its key's prefix.
func (b *Bot) cardClick(key string) HandlerFunc {
	switch {
	case key == signInButtonKey || strings.HasPrefix(key, signInButtonKey+":"):
		return b.signInByCard
	case strings.HasPrefix(key, duesButtonKey):
		return func(ctx context.Context, req Request) (Reply, error) {
			return b.duesByCard(ctx, req, strings.TrimPrefix(key, duesButtonKey))
		}
	case strings.HasPrefix(key, keyAnnounceSend):
		return func(ctx context.Context, req Request) (Reply, error) {
			if !req.Member.Role.Leads() && req.Member.Role != RoleAdmin {
				return Reply{ReplaceButton: "无权发送"}, nil
			}
			return b.send(ctx, req, strings.TrimPrefix(key, keyAnnounceSend))
		}
	case strings.HasPrefix(key, keyAnnounceCancel):
		return func(ctx context.Context, req Request) (Reply, error) {
			return b.dropDraft(ctx, req, strings.TrimPrefix(key, keyAnnounceCancel))
		}
	case strings.HasPrefix(key, keyAnnounceAck):
		return func(ctx context.Context, req Request) (Reply, error) {
			return b.ackByCard(ctx, req, strings.TrimPrefix(key, keyAnnounceAck))
		}
	case strings.HasPrefix(key, keyActivityJoin):
		return func(ctx context.Context, req Request) (Reply, error) {
			return b.respondByCard(ctx, req, strings.TrimPrefix(key, keyActivityJoin), "join")
		}
	case strings.HasPrefix(key, keyActivityNo):
		return func(ctx context.Context, req Request) (Reply, error) {
			return b.respondByCard(ctx, req, strings.TrimPrefix(key, keyActivityNo), "decline")
		}
	}
	return nil
}

// errFinished is a click on an announcement that takes no more answers.
var errFinished = errors.New("finished")

// clickable finds a clicked announcement the sender may still answer; the
// label, when set, relabels the button instead.
func (b *Bot) clickable(ctx context.Context, req Request, key string) (a Announcement, label string, err error) {
	a, found, err := b.clickedAnnouncement(ctx, key)
	switch {
	case err != nil:
		return a, "", err
	case !found:
		return a, "公告已失效", nil
	case !slices.Contains(a.To, req.Member.UserID):
		return a, "无需确认", nil
	case !a.Open(req.Now, b.Location):
		return a, "已结束", errFinished
	}
	return a, "", nil
}

// ackByCard records a click on 收到 and relabels the button.
func (b *Bot) ackByCard(ctx context.Context, req Request, key string) (Reply, error) {
	a, label, err := b.clickable(ctx, req, key)
	switch {
	case errors.Is(err, errFinished):
		return Reply{ReplaceButton: label}, nil
	case err != nil:
		return Reply{}, err
	case label != "":
		return Reply{ReplaceButton: label}, nil
	}
	if _, err := b.Announcements.Acknowledge(ctx, a.Scope, a.No, req.Member.UserID, req.Now); err != nil {
		return Reply{}, fmt.Errorf("bot: acknowledge: %w", err)
	}
	return Reply{ReplaceButton: "已收到"}, nil
}

// statusUsage is the usage line of 公告状态 and 活动状态.
const statusUsage = "用法：公告状态 [#编号]；党委管理员：公告状态 <支部id|全体> [#编号]"

// announceStatus handles "公告状态 [#编号]" and "活动状态 [#编号]".
func (b *Bot) announceStatus(ctx context.Context, req Request) (Reply, error) {
	activities := req.Name == "活动状态"
	scope, no, refusal, err := b.statusTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	var a Announcement
	found := false
	if no > 0 {
		a, found, err = b.Announcements.Announcement(ctx, scope, no)
	} else {
		var recent []Announcement
		recent, err = b.Announcements.RecentAnnouncements(ctx, scope, time.Time{}, 50)
		if i := slices.IndexFunc(recent, func(a Announcement) bool { return (a.Activity != nil) == activities }); i >= 0 {
			a, found = recent[i], true
		}
	}
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read announcement: %w", err)
	}
	if !found {
		return Reply{Text: "没有找到这条公告或活动。发“公告列表”查看编号。"}, nil
	}
	text, err := b.statusText(ctx, a, req.Now)
	return Reply{Text: text}, err
}

// statusTarget reads "[支部id|全体] [#编号]".
func (b *Bot) statusTarget(ctx context.Context, req Request) (scope string, no int, refusal string, err error) {
	scope = req.Member.BranchID
	for _, arg := range req.Args {
		word := Normalize(arg)
		if n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(word, "全体"), "#")); err == nil && n > 0 {
			no = n
			if strings.HasPrefix(word, "全体") {
				scope = OrgScope
			}
			continue
		}
		switch {
		case word == "全体" || word == "all":
			scope = OrgScope
		case ValidBranchID(word):
			scope = word
		default:
			return "", 0, statusUsage, nil
		}
	}
	switch {
	case scope == "":
		return "", 0, statusUsage, nil
	case scope == OrgScope && req.Member.Role != RoleAdmin:
		return "", 0, "全体公告的情况由党委管理员查看。", nil
	case scope != OrgScope && !req.Member.Leads(scope):
		return "", 0, "你只能查看本支部。", nil
	}
	return scope, no, "", nil
}

// names maps userids to display names for the members of the scope.
func (b *Bot) names(ctx context.Context, scope string) (map[string]string, error) {
	var members []Member
	var err error
	if scope == OrgScope {
		members, err = b.Roster.AllMembers(ctx)
	} else {
		members, err = b.Roster.BranchMembers(ctx, scope)
	}
	if err != nil {
		return nil, fmt.Errorf("bot: list members: %w", err)
	}
	out := make(map[string]string, len(members))
	for _, m := range members {
		out[m.UserID] = m.DisplayName()
	}
	return out, nil
}

// pending lists who has not answered, and apart from them who is on leave.
func (b *Bot) pending(ctx context.Context, a Announcement, r Responses, today Date) (waiting, away []string, err error) {
	leave := map[string]bool{}
	scopes := []string{a.Scope}
	if a.Scope == OrgScope {
		branches, err := b.activeBranches(ctx)
		if err != nil {
			return nil, nil, err
		}
		scopes = scopes[:0]
		for _, br := range branches {
			scopes = append(scopes, br.ID)
		}
	}
	for _, s := range scopes {
		on, err := b.OnLeave(ctx, s, today)
		if err != nil {
			return nil, nil, err
		}
		for id := range on {
			leave[id] = true
		}
	}
	for _, id := range a.To {
		switch {
		case !r.Acked[id].IsZero():
		case leave[id]:
			away = append(away, id)
		default:
			waiting = append(waiting, id)
		}
	}
	return waiting, away, nil
}

// statusText is an announcement's answers, names included.
func (b *Bot) statusText(ctx context.Context, a Announcement, now time.Time) (string, error) {
	r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
	if err != nil {
		return "", fmt.Errorf("bot: read responses: %w", err)
	}
	waiting, away, err := b.pending(ctx, a, r, DateOf(now, b.Location))
	if err != nil {
		return "", err
	}
	names, err := b.names(ctx, a.Scope)
	if err != nil {
		return "", err
	}
	list := func(ids []string) string {
		const shown = 30
		out := make([]string, 0, min(len(ids), shown))
		for _, id := range ids[:min(len(ids), shown)] {
			out = append(out, cmpOr(names[id], id))
		}
		s := strings.Join(out, "、")
		if len(ids) > shown {
			s += fmt.Sprintf(" 等 %d 人", len(ids))
		}
		return s
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s《%s》\n%s 发出", a.noun(), a.Label(), a.short(), a.SentAt.In(b.Location).Format("01-02 15:04"))
	if act := a.Activity; act != nil {
		fmt.Fprintf(&sb, " · %s", act.describe())
		capacity := "不限"
		if act.Capacity > 0 {
			capacity = strconv.Itoa(act.Capacity)
		}
		fmt.Fprintf(&sb, "\n报名 %d/%s：%s", len(r.Joined), capacity, list(r.Joined))
		if len(r.Waiting) > 0 {
			fmt.Fprintf(&sb, "\n候补 %d：%s", len(r.Waiting), list(r.Waiting))
		}
		var declined []string
		for _, id := range a.To {
			if r.Declined[id] {
				declined = append(declined, id)
			}
		}
		if len(declined) > 0 {
			fmt.Fprintf(&sb, "\n不参加 %d：%s", len(declined), list(declined))
		}
		if len(waiting) > 0 {
			fmt.Fprintf(&sb, "\n未回复 %d：%s", len(waiting), list(waiting))
		}
	} else {
		fmt.Fprintf(&sb, " · 已确认 %d/%d", len(a.To)-len(waiting)-len(away), len(a.To))
		if len(waiting) > 0 {
			fmt.Fprintf(&sb, "\n未确认 %d：%s", len(waiting), list(waiting))
		} else {
			sb.WriteString("\n全部已确认 👍")
		}
	}
	if len(away) > 0 {
		fmt.Fprintf(&sb, "\n请假中 %d（不催）：%s", len(away), list(away))
	}
	return sb.String(), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// announceList handles "公告列表": the scope's recent announcements.
func (b *Bot) announceList(ctx context.Context, req Request) (Reply, error) {
	scope, _, refusal, err := b.statusTarget(ctx, req)
	if err != nil || refusal != "" {
		return Reply{Text: refusal}, err
	}
	recent, err := b.Announcements.RecentAnnouncements(ctx, scope, time.Time{}, 10)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: recent announcements: %w", err)
	}
	if len(recent) == 0 {
		return Reply{Text: "还没有发过公告。发“公告 内容”试试。"}, nil
	}
	nos := make([]int, len(recent))
	for i, a := range recent {
		nos[i] = a.No
	}
	counts, err := b.Announcements.AckCounts(ctx, scope, nos)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: count acknowledgements: %w", err)
	}
	var sb strings.Builder
	sb.WriteString("最近的公告和活动：")
	for i, a := range recent {
		fmt.Fprintf(&sb, "\n%s %s %s《%s》%d/%d", a.Label(), a.SentAt.In(b.Location).Format("01-02"), a.noun(), cutRunes(a.Title, 14), counts[i], len(a.To))
	}
	sb.WriteString("\n发“公告状态 #编号”看名单。")
	return Reply{Text: sb.String()}, nil
}

// announceReminder is the announce-reminder job: four hours after an
// announcement (or activity) went out, its unanswered members not on leave
// get one nudge and its author the tally; the day before an activity, those
// signed up get one reminder. A manual run nudges every open announcement
// now, whatever its age.
func (b *Bot) announceReminder(ctx context.Context, run JobRun) ([]Outbound, error) {
	branches, err := b.activeBranches(ctx)
	if err != nil {
		return nil, err
	}
	scopes := []string{OrgScope}
	for _, br := range branches {
		scopes = append(scopes, br.ID)
	}
	token := JobRunToken(run)
	today := DateOf(run.Fire, b.Location)
	workday := b.Calendar.IsWorkday(today)
	var out []Outbound
	for _, scope := range scopes {
		recent, err := b.Announcements.RecentAnnouncements(ctx, scope, run.Fire.Add(-lookBack), 200)
		if err != nil {
			return nil, fmt.Errorf("bot: recent announcements: %w", err)
		}
		for _, a := range recent {
			// The eve reminder is owed even when sign-ups have closed.
			if act := a.Activity; act != nil && act.Day == today.AddDays(1) {
				msgs, err := b.activityEve(ctx, a, token)
				if err != nil {
					return nil, err
				}
				out = append(out, msgs...)
			}
			if !a.Open(run.Fire, b.Location) {
				continue
			}
			due := run.Manual || (workday && !run.Fire.Before(a.SentAt.Add(announceNudgeAfter)))
			if due {
				msgs, err := b.nudge(ctx, a, run, token, today)
				if err != nil {
					return nil, err
				}
				out = append(out, msgs...)
			}
		}
	}
	return out, nil
}

// JobRunToken names a run for one-time steps: the same for its retries.
func JobRunToken(run JobRun) string {
	token := run.Name + "@" + strconv.FormatInt(run.Fire.Unix(), 10)
	if run.Manual {
		token += "!"
	}
	return token
}

// nudge reminds an announcement's unanswered members once (a manual run
// again), and tells its author the tally.
func (b *Bot) nudge(ctx context.Context, a Announcement, run JobRun, token string, today Date) ([]Outbound, error) {
	mine, err := b.Announcements.MarkStep(ctx, a.Scope, a.No, "nudge", token)
	if err != nil {
		return nil, fmt.Errorf("bot: mark nudge: %w", err)
	}
	if !mine && !run.Manual {
		return nil, nil
	}
	r, err := b.Announcements.Responses(ctx, a.Scope, a.No)
	if err != nil {
		return nil, fmt.Errorf("bot: read responses: %w", err)
	}
	waiting, _, err := b.pending(ctx, a, r, today)
	if err != nil {
		return nil, err
	}
	key := "ann:" + a.key()
	action := "点卡片上的“收到”，或回复“收到”"
	if a.Activity != nil {
		action = "点卡片上的“报名”或“不参加”，或回复“报名”"
	}
	out := uniform(key+":nudge", waiting, Notice{Text: fmt.Sprintf("提醒：请确认%s %s《%s》——%s。", a.noun(), a.Label(), a.short(), action)})
	tally, err := b.statusText(ctx, a, run.Fire)
	if err != nil {
		return nil, err
	}
	for i, part := range numberedParts(fmt.Sprintf("已提醒 %d 人。\n%s", len(waiting), tally)) {
		out = append(out, Outbound{Key: fmt.Sprintf("%s:tally:%d", key, i), Notice: Notice{To: []string{a.Author}, Text: part}})
	}
	return out, nil
}

// announce commands in the table, beside the others.
func (b *Bot) announceCommands() []Command {
	return []Command{
		{
			Name: "公告", Aliases: []string{"announce", "通知"},
			Usage: "公告 内容", Summary: "向本支部发公告（先预览，成员点“收到”）", Access: AccessBranch,
			Run: b.announce,
		},
		{
			Name: "活动", Aliases: []string{"activity", "event"},
			Usage: "活动 标题 [11-28] [14:00] [地点] [名额 20] [截止 11-27]", Summary: "发起活动报名（主题党日、志愿服务等）", Access: AccessBranch,
			Run: b.activity,
		},
		{
			Name: "发送", Aliases: []string{"send", "确认发送"},
			Usage: "发送", Summary: "发出预览中的公告或活动", Access: AccessBranch,
			Run: b.confirm,
		},
		{
			Name: "取消", Aliases: []string{"cancel"},
			Usage: "取消", Summary: "放弃预览中的公告或活动",
			Run: b.cancelDraft,
		},
		{
			Name: "收到", Aliases: []string{"ack", "已阅", "已收到"},
			Usage: "收到", Summary: "确认收到最新的公告",
			Run: b.acknowledge,
		},
		{
			Name: "报名", Aliases: []string{"join", "signup"},
			Usage: "报名", Summary: "报名最新的活动",
			Run: b.signUp,
		},
		{
			Name: "取消报名", Aliases: []string{"unjoin"},
			Usage: "取消报名", Summary: "取消活动报名（候补自动递补）",
			Run: b.cancelSignUp,
		},
		{
			Name: "公告状态", Aliases: []string{"ackstatus"},
			Usage: "公告状态 [#编号]", Summary: "谁已确认、谁未确认", Access: AccessBranch, Claim: readOnly,
			Run: b.announceStatus,
		},
		{
			Name: "活动状态", Aliases: []string{"eventstatus"},
			Usage: "活动状态 [#编号]", Summary: "报名、候补和未回复名单", Access: AccessBranch, Claim: readOnly,
			Run: b.announceStatus,
		},
		{
			Name: "公告列表", Aliases: []string{"announcements"},
			Usage: "公告列表", Summary: "本支部最近的公告和活动", Access: AccessBranch, Claim: readOnly,
			Run: b.announceList,
		},
	}
}

package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
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
	draft := Announcement{ID: messageID(req), Scope: scope, Title: title, Body: body, Author: req.Member.UserID}
	return b.previewDraft(ctx, req, draft)
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
func (b *Bot) previewDraft(ctx context.Context, req Request, draft Announcement) (Reply, error) {
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
	if m := draft.Material; m != nil {
		sb.WriteString("\n" + m.describe())
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

// attachToDraft adds a picture a leader sends while a draft waits.
func (b *Bot) attachToDraft(ctx context.Context, req Request) (reply Reply, attached bool, err error) {
	if !req.Member.leaderOrAdmin() {
		return Reply{}, false, nil
	}
	n, found, err := b.Announcements.AttachToDraft(ctx, req.Member.UserID, Media{Type: "image", ID: req.Msg.MediaID})
	if err != nil || !found {
		return Reply{}, false, err
	}
	return Reply{Text: fmt.Sprintf("📎 已附上图片（共 %d 张），回复“发送”一并发出。", n)}, true, nil
}

// sendDraft handles "发送": the sender's draft goes out.
func (b *Bot) sendDraft(ctx context.Context, req Request) (Reply, error) {
	return b.publishDraft(ctx, req, "")
}

// publishDraft publishes the sender's draft (only draftID, when a card's
// 发送 names it).
func (b *Bot) publishDraft(ctx context.Context, req Request, draftID string) (Reply, error) {
	draft, found, err := b.Announcements.Draft(ctx, req.Member.UserID)
	if err != nil {
		return Reply{}, fmt.Errorf("bot: read draft: %w", err)
	}
	if !found || (draftID != "" && draft.ID != draftID) {
		return byCard(draftID, "没有待发送的公告或活动（草稿 10 分钟内有效），请重新编写。", "已失效"), nil
	}
	if draft.Action != nil {
		return b.runDraftAction(ctx, req, draft, draftID)
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
	} else if m := a.Material; m != nil {
		card.Title, card.Subtitle = "学习材料："+a.Title, a.Body+"\n"+m.describe()
		card.Buttons = []Button{{Text: "已学", Key: keyMaterialDone + a.key()}}
	} else {
		card.Buttons = []Button{{Text: "收到", Key: keyAnnounceAck + a.key()}}
	}
	out := []Notice{{To: a.To, Card: card}}
	full := a.fullText()
	if utf8.RuneCountInString(card.Title) > cardTitleRunes || utf8.RuneCountInString(a.Body) > cardSubtitleRunes {
		for _, part := range NumberedParts(full) {
			out = append(out, Notice{To: a.To, Text: part})
		}
	}
	for _, m := range a.Media {
		out = append(out, Notice{To: a.To, Media: &Media{Type: m.Type, ID: m.ID}})
	}
	group := full + "\n（请在“党建助手”应用里点“" + card.Buttons[0].Text + "”）"
	for _, br := range au.branches {
		for _, part := range NumberedParts(group) {
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

// NumberedParts splits a text WeCom would cut into messages marked
// "（1/3）": the outbox delivers them concurrently, so they may arrive in
// any order, and the marks let a reader put them back.
func NumberedParts(text string) []string {
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
	cardTitleRunes       = 36
	cardDescriptionRunes = 44
	cardSubtitleRunes    = 112
)

func (a Announcement) cardDescription(au audience) string {
	if a.Activity != nil {
		return "活动 " + a.Label() + "，点“报名”参加"
	}
	if a.Material != nil {
		return "学习材料 " + a.Label() + "，" + materialHint
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
	if m := a.Material; m != nil && m.describe() != "" {
		text += "\n" + m.describe()
	}
	if a.Body != "" {
		text += "\n" + a.Body
	}
	return text
}

// cancelDraft handles "取消": the draft is dropped. A member who is not a
// leader most likely means the sign-up.
func (b *Bot) cancelDraft(ctx context.Context, req Request) (Reply, error) {
	if !req.Member.leaderOrAdmin() {
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

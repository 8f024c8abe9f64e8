package bot

import (
	"context"
	"fmt"
)

// A leader's command that messages a whole branch (民主评议 开始, 组织生活会
// 方案) goes out after a preview, as 公告 do: the first time it keeps
// itself as the sender's draft and shows what it will send to how many;
// 发送 runs it again, confirmed; 取消 drops it. The draft lives DraftTTL.

// DraftAction is a command waiting for 发送: its words as typed.
type DraftAction struct {
	Text string `json:"text"`
}

// previewBroadcast keeps the command as the sender's draft and answers
// with what 发送 will do: what, to how many, the message itself.
func (b *Bot) previewBroadcast(ctx context.Context, req Request, what string, to []string, text string) (Reply, error) {
	draft := Announcement{ID: messageID(req), Scope: req.Member.BranchID, Title: what, Author: req.Member.UserID,
		Action: &DraftAction{Text: req.Msg.Text}}
	if err := b.Announcements.SaveDraft(ctx, draft, DraftTTL); err != nil {
		return Reply{}, fmt.Errorf("bot: save draft: %w", err)
	}
	return Reply{Text: fmt.Sprintf("预览：%s，将私信 %d 人：\n%s\n——\n回复“发送”确认，“取消”放弃（%d 分钟内有效）。",
		what, len(to), text, int(DraftTTL.Minutes()))}, nil
}

// runDraftAction is 发送 of a command draft: the command runs again, with
// the access checks of a typed command, confirmed; then the draft goes.
func (b *Bot) runDraftAction(ctx context.Context, req Request, draft Announcement, draftID string) (Reply, error) {
	act, _ := b.command(draft.Action.Text)
	req.Msg.Text, req.Confirmed = draft.Action.Text, true
	reply, err := act(ctx, req)
	if err != nil {
		return Reply{}, err
	}
	if err := b.Announcements.DropDraft(ctx, req.Member.UserID, draft.ID); err != nil {
		return Reply{}, fmt.Errorf("bot: drop draft: %w", err)
	}
	if draftID != "" { // a card click's passive reply can only relabel the button
		reply.Notices = append(reply.Notices, Notice{To: []string{req.Member.UserID}, Text: reply.Text})
		reply.Text, reply.ReplaceButton = "", "已发送"
	}
	return reply, nil
}

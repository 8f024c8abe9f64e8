package bot

import (
	"context"
	"strings"
	"unicode/utf8"
)

// help lists the commands the sender may use, one line each.
func (b *Bot) help(_ context.Context, req Request) (Reply, error) {
	var sb strings.Builder
	sb.WriteString("党建助手可以帮你：")
	for _, c := range b.router.Commands() {
		leader := req.Member.Role.Leads() || req.Member.Role == RoleAdmin
		if c.Access.refusal(req.Member, c.Name) != "" || (c.Name == "排行" && !b.Leaderboard) || (c.Name == "取消" && !leader) {
			continue
		}
		sb.WriteString("\n· ")
		sb.WriteString(c.Usage)
		sb.WriteString(" — ")
		sb.WriteString(c.Summary)
		if len(c.Aliases) > 0 {
			sb.WriteString("（也可以发 ")
			sb.WriteString(c.Aliases[0])
			sb.WriteString("）")
		}
	}
	return Reply{Text: sb.String()}, nil
}

// unknownCommandReply keeps the echo short: phones show little.
func unknownCommandReply(text string) string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > 12 {
		text = string([]rune(text)[:12]) + "…"
	}
	return "没看懂“" + text + "”。发送“帮助”查看可用命令，例如“签到”。"
}

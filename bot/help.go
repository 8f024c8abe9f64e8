package bot

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// helpFlatMax is how many commands 帮助 lists one per line; a leader has
// three phone screens of them, so beyond this it shows the groups and
// "帮助 会议" gives one group's details.
const helpFlatMax = 12

// help lists the commands the sender may use: all of them, one per line,
// when they fit a phone screen; else one line per group. "帮助 公告" (a group,
// or a word of it, or a command) shows that group's commands with usage.
func (b *Bot) help(_ context.Context, req Request) (Reply, error) {
	visible := b.visibleCommands(req.Member, req.Applicant)
	if len(req.Args) > 0 {
		group, ok := findGroup(visible, Normalize(strings.Join(req.Args, "")))
		if !ok {
			return Reply{Text: "没有“" + cutRunes(strings.Join(req.Args, " "), 12) + "”这一类命令。" + groupsHint(visible)}, nil
		}
		return Reply{Text: "【" + string(group) + "】" + detailLines(visible, group)}, nil
	}
	var sb strings.Builder
	sb.WriteString("党建助手可以帮你：")
	if len(visible) <= helpFlatMax {
		sb.WriteString(detailLines(visible, ""))
		return Reply{Text: sb.String()}, nil
	}
	for _, g := range helpGroups {
		var names []string
		for _, c := range visible {
			if c.Group == g {
				names = append(names, c.Name)
			}
		}
		if len(names) > 0 {
			sb.WriteString("\n【" + string(g) + "】" + strings.Join(names, "、"))
		}
	}
	sb.WriteString("\n" + groupsHint(visible))
	return Reply{Text: sb.String()}, nil
}

// visibleCommands are the table's rows m may use and should be shown.
func (b *Bot) visibleCommands(m Member, applicant bool) []Command {
	var out []Command
	for _, c := range b.router.Commands() {
		switch {
		case applicant:
			if !c.Applicants {
				continue
			}
		case c.Access.refusal(m, c.Name) != "" || (c.Shown != nil && !c.Shown(b, m)):
			continue
		}
		out = append(out, c)
	}
	return out
}

// findGroup picks the group a word names: a group's name or part of it
// ("公告" → 公告与活动), or any of its commands' words.
func findGroup(cmds []Command, word string) (HelpGroup, bool) {
	if word == "" {
		return "", false
	}
	for _, c := range cmds {
		if strings.Contains(string(c.Group), word) {
			return c.Group, true
		}
	}
	for _, c := range cmds {
		words := append([]string{c.Name}, c.Aliases...)
		if slices.ContainsFunc(words, func(w string) bool { return Normalize(w) == word }) {
			return c.Group, true
		}
	}
	return "", false
}

// detailLines are "· usage — summary" lines for a group's commands ("" is
// every group), with the subcommands the sender may use.
func detailLines(cmds []Command, group HelpGroup) string {
	var sb strings.Builder
	for _, c := range cmds {
		if group != "" && c.Group != group {
			continue
		}
		sb.WriteString("\n· " + c.Usage + " — " + c.Summary)
		if len(c.Aliases) > 0 {
			sb.WriteString("（也可以发 " + c.Aliases[0] + "）")
		}
		if group == "" {
			continue // the flat list stays short; 帮助 <group> has the rest
		}
		for _, sc := range c.Subcommands {
			if sc.Summary != "" {
				sb.WriteString("\n  · " + sc.Usage + " — " + sc.Summary)
			}
		}
	}
	return sb.String()
}

// groupsHint says how to see one group.
func groupsHint(cmds []Command) string {
	var first HelpGroup
	for _, g := range helpGroups {
		if g != GroupDaily && slices.ContainsFunc(cmds, func(c Command) bool { return c.Group == g }) {
			first = g
			break
		}
	}
	if first == "" {
		return "发“帮助 日常”看用法。"
	}
	return "发“帮助 " + string([]rune(string(first))[:2]) + "”看一类命令的用法。"
}

// unknownCommandReply keeps the echo short: phones show little.
func unknownCommandReply(text string) string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > 12 {
		text = string([]rune(text)[:12]) + "…"
	}
	return "没看懂“" + text + "”。发送“帮助”查看可用命令，例如“签到”。"
}

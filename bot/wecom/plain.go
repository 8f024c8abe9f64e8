package wecom

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/partybot/partybot/bot"
)

// WeChat's 微工作台 (members reading WeCom inside WeChat) shows neither
// template cards nor markdown (WeCom doc 90236). With ClientConfig.PlainText
// every card and markdown notice goes out as text instead; the domain keeps
// composing cards, and the typed twin of each button (bot.Card.PlainText)
// does what the button does.

// asPlainText turns a card or markdown notice into the text notices that
// carry it, each within WeCom's 2,048 bytes; ok is false for any other
// notice, which is sent as it is.
func asPlainText(n bot.Notice) (parts []bot.Notice, ok bool) {
	var text string
	switch {
	case n.Card != nil:
		text = n.Card.PlainText()
	case n.Markdown != "":
		text = markdownToText(n.Markdown)
	default:
		return nil, false
	}
	for _, part := range bot.NumberedParts(text) {
		p := n
		p.Card, p.Markdown, p.Text = nil, "", part
		parts = append(parts, p)
	}
	return parts, true
}

var (
	fontTag      = regexp.MustCompile(`</?font[^>]*>`)
	headingMark  = regexp.MustCompile(`^#{1,6}\s+`)
	quoteMark    = regexp.MustCompile(`^>\s?`)
	markdownLink = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]*)\)`)
)

// markdownToText renders WeCom's markdown subset as plain text: no bold,
// quote, code or heading marks, no <font> colours, links as "text (url)",
// line breaks kept. What members typed was made inert before it became
// markdown (bot.Plain), so every mark left is the bot's own.
func markdownToText(md string) string {
	lines := strings.Split(md, "\n")
	for i, line := range lines {
		line = fontTag.ReplaceAllString(line, "")
		line = headingMark.ReplaceAllString(line, "")
		line = quoteMark.ReplaceAllString(line, "")
		line = markdownLink.ReplaceAllString(line, "$1 ($2)")
		line = strings.NewReplacer("**", "", "`", "").Replace(line)
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// notifyEach sends the parts one after another and gathers who WeCom did
// not reach.
func (c *Client) notifyEach(ctx context.Context, parts []bot.Notice) (bot.Delivery, error) {
	var d bot.Delivery
	for _, p := range parts {
		got, err := c.Notify(ctx, p)
		for _, u := range got.Undelivered {
			if !slices.Contains(d.Undelivered, u) {
				d.Undelivered = append(d.Undelivered, u)
			}
		}
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that members or the address book supply is shown to others: in a
// meeting's record, a notice to the secretaries, a summary, a card. WeCom
// renders <a href> in text and [text](url) in markdown, so a reason like
// `<a href="https://evil.example">请书记点此登录</a>` would reach a secretary
// as a live link. Plain neutralises such text where it is shown; records
// keep what was typed.

// plainReplacer swaps markup characters for their full-width forms, which
// read the same on a phone and mean nothing to WeCom's renderers.
var plainReplacer = strings.NewReplacer(
	"<", "＜", ">", "＞", "[", "［", "]", "］", "`", "｀", "*", "＊", "&", "＆",
)

// Plain makes member- or directory-supplied text inert for a text, markdown
// or card field: no markup, no link syntax, no heading, no control or
// direction-changing characters, one line.
func Plain(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case isHiddenRune(r):
			return -1
		}
		return r
	}, s)
	s = plainReplacer.Replace(strings.TrimSpace(s))
	if strings.HasPrefix(s, "#") {
		s = "＃" + s[1:] // a markdown heading (">" quotes are already ＞)
	}
	return s
}

// isHiddenRune reports control and format characters: invisible, able to
// break the passive reply's XML (U+000B) or to reorder what a reader sees
// (U+202E).
func isHiddenRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// dropHidden is a strings.Map function that removes hidden runes.
func dropHidden(r rune) rune {
	if isHiddenRune(r) {
		return -1
	}
	return r
}

// HasHiddenRunes reports whether s has control or format characters: such a
// name is refused on import and sync.
func HasHiddenRunes(s string) bool {
	return strings.IndexFunc(s, isHiddenRune) >= 0
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

// cutRunes shortens s to n characters, marking the cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

package bot

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"
)

// Request is one command invocation handed to a handler.
type Request struct {
	Msg    Message
	Member Member
	Name   string   // the command's canonical name
	Args   []string // words after the command word
	Now    time.Time
	// Applicant: the sender is on the 发展 path, not a member; Member is
	// then applicantMember.
	Applicant bool
	// Confirmed: 发送 runs a previewed command (broadcast.go).
	Confirmed bool
}

// HandlerFunc runs a command. Handlers return the reply and never send it
// themselves, which keeps them easy to test. An error means the command's
// effect may not have been stored: the adapter will ask WeCom to retry.
type HandlerFunc func(ctx context.Context, req Request) (Reply, error)

// Command is one row of the command table (routes.go).
type Command struct {
	Name    string    // canonical name, shown in help
	Aliases []string  // other Chinese words and English aliases
	Group   HelpGroup // the heading 帮助 files it under
	Usage   string    // one line: how to call it
	Summary string    // a few words: what it does
	Access  Access    // who may run it; the zero value is every member
	// Shown hides the command from 帮助 when it returns false (a switched-off
	// feature, a word only leaders need); nil shows it to whoever Access allows.
	Shown func(b *Bot, m Member) bool
	// Claim says how a call with these arguments is guarded against
	// WeCom's retries; nil means ClaimMessage.
	Claim func(args []string) Claim
	Run   HandlerFunc
	// Applicants marks the few commands people on the 发展 path (not yet
	// members) may use: 帮助, 入党进度, 思想汇报.
	Applicants bool
	// Subcommands are picked by the first argument ("党费 设置 …"); other
	// arguments, or none, go to Run.
	Subcommands []Subcommand
}

// Subcommand is a row of a command's own table, guarded like a command.
type Subcommand struct {
	Words   []string // the first argument that picks it, Chinese and English
	Usage   string
	Summary string
	Access  Access
	Claim   func(args []string) Claim // nil means the command's Claim
	Run     HandlerFunc               // gets the arguments after the word
}

// sub finds the subcommand the first argument names.
func (c *Command) sub(args []string) (*Subcommand, bool) {
	if len(args) == 0 {
		return nil, false
	}
	word := Normalize(args[0])
	for i := range c.Subcommands {
		for _, w := range c.Subcommands[i].Words {
			if Normalize(w) == word {
				return &c.Subcommands[i], true
			}
		}
	}
	return nil, false
}

// Claim is how Handle guards a command against WeCom's retries.
type Claim int

// Claims.
const (
	ClaimMessage Claim = iota // claim the message and remember the reply (the default)
	ClaimNone                 // the command only reads: a retry simply answers again
	ClaimSelf                 // the handler's one store call is atomic and idempotent per message
)

// readOnly is the Claim of commands that change nothing.
func readOnly([]string) Claim { return ClaimNone }

// Router maps the first word of a message to a command.
type Router struct {
	commands []Command
	byWord   map[string]*Command
}

// NewRouter builds the table. Duplicate names or aliases are a programming
// error reported here, at start-up, rather than at the first message.
func NewRouter(cmds ...Command) (*Router, error) {
	r := &Router{commands: cmds, byWord: map[string]*Command{}}
	for i := range r.commands {
		c := &r.commands[i]
		if c.Run == nil {
			return nil, fmt.Errorf("bot: command %q has no handler", c.Name)
		}
		for _, sc := range c.Subcommands {
			if sc.Run == nil || len(sc.Words) == 0 {
				return nil, fmt.Errorf("bot: a subcommand of %q has no words or no handler", c.Name)
			}
		}
		for _, w := range append([]string{c.Name}, c.Aliases...) {
			key := Normalize(w)
			if other, dup := r.byWord[key]; dup {
				return nil, fmt.Errorf("bot: word %q is used by both %q and %q", w, other.Name, c.Name)
			}
			r.byWord[key] = c
		}
	}
	return r, nil
}

// Lookup splits text into a command and its arguments. Only the command
// word is normalised for matching; the arguments are kept as the member
// typed them (study content, reasons and titles are stored verbatim), and
// a handler normalises the words it parses (dates, durations, keywords).
func (r *Router) Lookup(text string) (cmd *Command, args []string, ok bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil, false
	}
	word, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		word, rest = text[:i], text[i:]
	}
	// Most messages are typed as the table has them: skip the folding then.
	if cmd, ok = r.byWord[word]; !ok {
		cmd, ok = r.byWord[Normalize(word)]
	}
	return cmd, strings.Fields(rest), ok
}

// Commands lists the table in registration order (for help).
func (r *Router) Commands() []Command { return r.commands }

// Normalize prepares a word for matching: full-width forms (letters,
// digits, punctuation, the ideographic space) become half-width, case is
// folded, a leading slash is dropped and surrounding space trimmed. Phones
// switch input methods mid-word, so "ＣｈｅｃｋＩｎ" and "/checkin" must match.
func Normalize(s string) string {
	return strings.TrimPrefix(strings.TrimSpace(strings.ToLower(width.Fold.String(s))), "/")
}

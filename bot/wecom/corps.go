package wecom

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/partybot/partybot/bot"
)

// Corps sends through each corp's own app: a 联合党委 spans companies that
// each run their own WeCom, and a member of one ("partner/m1") can only be
// reached through that corp's app, with its token, agent and API host.
// Each corp keeps its own Client (token cache key, gettoken pause); this
// routes by the corp in member, chat and media ids and strips it before
// WeCom sees them. Building it does no I/O: a token is fetched when a corp
// first sends.
type Corps struct {
	clients map[string]*Client
	ids     []string // home ("") first, then sorted
}

var _ bot.MediaFetcher = (*Corps)(nil)

// NewCorps makes one client per corp: apps maps a corps id ("" for the
// home corp, which is required) to its app's settings. Group robots are
// the home client's (their keys are per branch, whatever the corp).
func NewCorps(apps map[string]ClientConfig) (*Corps, error) {
	if _, ok := apps[""]; !ok {
		return nil, errors.New("wecom: corps: no home corp")
	}
	cs := &Corps{clients: make(map[string]*Client, len(apps))}
	for id, cfg := range apps {
		c := NewClient(cfg)
		c.corp, c.fetcher = id, cs
		cs.clients[id] = c
		cs.ids = append(cs.ids, id)
	}
	slices.Sort(cs.ids) // "" sorts first
	return cs, nil
}

// Home is the home corp's client.
func (cs *Corps) Home() *Client { return cs.clients[""] }

// Client is corp's client ("" for the home corp).
func (cs *Corps) Client(corp string) (*Client, bool) {
	c, ok := cs.clients[corp]
	return c, ok
}

// IDs lists the corps, the home corp ("") first.
func (cs *Corps) IDs() []string { return slices.Clone(cs.ids) }

// CorpError is a failure of one corp's app: the outbox pauses that corp
// alone for a configuration error (ErrorCorp). The home corp's errors read
// as before.
type CorpError struct {
	Corp string
	Err  error
}

func (e *CorpError) Error() string {
	if e.Corp == "" {
		return e.Err.Error()
	}
	return "wecom: corp " + e.Corp + ": " + e.Err.Error()
}

func (e *CorpError) Unwrap() error { return e.Err }

// ErrorCorp names the corp whose app failed, for an error from Corps.
func ErrorCorp(err error) (corp string, ok bool) {
	var ce *CorpError
	if errors.As(err, &ce) {
		return ce.Corp, true
	}
	return "", false
}

// client is corp's client, or a permanent error: a member of a corp no
// longer configured cannot be reached by any retry.
func (cs *Corps) client(corp string) (*Client, error) {
	if c, ok := cs.clients[corp]; ok {
		return c, nil
	}
	return nil, &CorpError{Corp: corp, Err: bot.Permanent(fmt.Errorf("wecom: no app configured for corp %q", corp))}
}

func wrapCorp(corp string, err error) error {
	if err == nil {
		return nil
	}
	return &CorpError{Corp: corp, Err: err}
}

// Notify implements outbox.Deliverer: a group chat's notice through its
// corp's app, a robot's through the home client (webhooks need no app), and
// members' through their own corps' apps, one corp at a time, with the
// userids WeCom did not reach named as member ids again. The outbox splits
// a notice by corp before it gets here, so that a retry repeats one corp's
// send only; a mixed notice is still sent correctly.
func (cs *Corps) Notify(ctx context.Context, n bot.Notice) (bot.Delivery, error) {
	switch {
	case n.Robot != "":
		d, err := cs.Home().Notify(ctx, n)
		return d, wrapCorp("", err)
	case n.ChatID != "":
		corp, chat := bot.SplitMemberID(n.ChatID)
		c, err := cs.client(corp)
		if err != nil {
			return bot.Delivery{}, err
		}
		n.ChatID, n.To = chat, userIDsIn(corp, n.To)
		d, err := c.Notify(ctx, n)
		return qualified(corp, d), wrapCorp(corp, err)
	}
	var out bot.Delivery
	for _, corp := range CorpsOf(n.To) {
		c, err := cs.client(corp)
		if err != nil {
			return out, err
		}
		part := n
		part.To = userIDsIn(corp, n.To)
		d, err := c.Notify(ctx, part)
		out.Undelivered = append(out.Undelivered, qualified(corp, d).Undelivered...)
		if err != nil {
			return out, wrapCorp(corp, err)
		}
	}
	return out, nil
}

// CorpsOf lists the corps of member ids, in order of first appearance.
func CorpsOf(memberIDs []string) []string {
	var out []string
	for _, id := range memberIDs {
		if corp := bot.CorpOf(id); !slices.Contains(out, corp) {
			out = append(out, corp)
		}
	}
	return out
}

// userIDsIn is the WeCom userids of corp's members among memberIDs.
func userIDsIn(corp string, memberIDs []string) []string {
	var out []string
	for _, id := range memberIDs {
		if c, u := bot.SplitMemberID(id); c == corp {
			out = append(out, u)
		}
	}
	return out
}

// qualified names corp's undelivered userids as member ids.
func qualified(corp string, d bot.Delivery) bot.Delivery {
	if corp == "" || len(d.Undelivered) == 0 {
		return d
	}
	out := make([]string, len(d.Undelivered))
	for i, u := range d.Undelivered {
		out[i] = bot.MemberID(corp, u)
	}
	return bot.Delivery{Undelivered: out}
}

// FetchMedia implements bot.MediaFetcher: a file a member of another corp
// sent ("partner/MEDIAID") comes from that corp's app.
func (cs *Corps) FetchMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, error) {
	corp, id := bot.SplitMemberID(mediaID)
	c, err := cs.client(corp)
	if err != nil {
		return nil, err
	}
	data, err := c.FetchMedia(ctx, id, maxBytes)
	return data, wrapCorp(corp, err)
}

// AppChat reads an app group chat ("partner/wrX" is partner's app's
// chat); its ids come back as the bot's.
func (cs *Corps) AppChat(ctx context.Context, chatID string) (AppChat, error) {
	corp, chat := bot.SplitMemberID(chatID)
	c, err := cs.client(corp)
	if err != nil {
		return AppChat{}, err
	}
	info, err := c.AppChat(ctx, chat)
	if err != nil {
		return AppChat{}, wrapCorp(corp, err)
	}
	info.ChatID = bot.MemberID(corp, info.ChatID)
	info.Owner = bot.MemberID(corp, info.Owner)
	for i, u := range info.UserList {
		info.UserList[i] = bot.MemberID(corp, u)
	}
	return info, nil
}

// CreateAppChat creates an app group chat in the owner's corp: an app
// chat belongs to one corp's app and takes only that corp's members. It
// returns the chat's id as the bot names it ("partner/wrX").
func (cs *Corps) CreateAppChat(ctx context.Context, name, owner string, memberIDs []string) (string, error) {
	corp, ownerID := bot.SplitMemberID(owner)
	if others := slices.DeleteFunc(CorpsOf(memberIDs), func(c string) bool { return c == corp }); len(others) > 0 {
		return "", fmt.Errorf("wecom: an app chat of corp %q cannot hold members of corps %q", corp, others)
	}
	c, err := cs.client(corp)
	if err != nil {
		return "", err
	}
	chat, err := c.CreateAppChat(ctx, name, ownerID, userIDsIn(corp, memberIDs))
	if err != nil {
		return "", wrapCorp(corp, err)
	}
	return bot.MemberID(corp, chat), nil
}

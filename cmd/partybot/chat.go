package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/partybot/partybot/bot"
)

const chatUsage = `Usage:
  partybot chat create -config F -branch ID -owner USERID   create the branch's app group chat, print its chat_id
  partybot chat check -config F                              check every branch's chat_id with WeCom

appchat/send reaches only chats this app created through appchat/create (a chat
made in the WeCom client cannot be used). Put the printed chat_id in the branch's
chat_id in the config.
`

func chatCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub, fs, err := subcommand("chat", args, chatUsage, stderr)
	if err != nil {
		return err
	}
	branchID := fs.String("branch", "", "branch id (create)")
	owner := fs.String("owner", "", "userid of the chat's owner, usually the secretary (create)")
	app, pos, err := cliApp(ctx, fs, args[1:], stderr, getenv, sub == "create")
	if err != nil {
		return err
	}
	defer app.Store.Close()
	switch {
	case sub == "create" && len(pos) == 0 && *branchID != "" && *owner != "":
		return createChat(ctx, app, *branchID, bot.NormalizeUserID(*owner), stdout)
	case sub == "check" && len(pos) == 0:
		if err := app.CheckChats(ctx, app.Config.org().Branches); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "every configured chat_id is an app chat of this app")
		return nil
	}
	fmt.Fprint(stderr, chatUsage)
	return flag.ErrHelp
}

// createChat makes the branch's app chat with its active members and sends
// it a first message: WeCom shows a new chat only once it has one.
func createChat(ctx context.Context, app *App, branchID, owner string, stdout io.Writer) error {
	br, found, err := app.Store.Branch(ctx, branchID)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no branch %q in the config", branchID)
	}
	members, err := app.Store.BranchMembers(ctx, branchID)
	if err != nil {
		return err
	}
	// An app chat is one corp's app's and holds only that corp's members:
	// the branch's company's (the home corp's when it has none).
	owner = bot.Qualify(br.Company, owner)
	ids := make([]string, 0, len(members))
	others := 0
	for _, m := range members {
		if bot.CorpOf(m.UserID) != br.Company {
			others++
			continue
		}
		ids = append(ids, m.UserID)
	}
	if !slices.Contains(ids, owner) {
		return fmt.Errorf("owner %q is not an active member of %s", owner, branchID)
	}
	chatID, err := app.Corps.CreateAppChat(ctx, br.Name, owner, ids)
	if err != nil {
		return err
	}
	_, wecomID := bot.SplitMemberID(chatID)
	if _, err := app.Corps.Notify(ctx, bot.Notice{ChatID: chatID, Text: br.Name + "群已由党建助手创建，用于支部通知和周报。"}); err != nil {
		return fmt.Errorf("chat %s created, but its first message failed (WeCom shows it only after one): %w", wecomID, err)
	}
	fmt.Fprintf(stdout, "created %s with %d members\nput this in the config under branch %s:\n  chat_id: %s\n", wecomID, len(ids), branchID, wecomID)
	if others > 0 {
		fmt.Fprintf(stdout, "%d members of other companies cannot join another corp's app chat: give the branch a robot_key (a group robot's group takes anyone)\n", others)
	}
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/partybot/partybot/bot"
)

const memberUsage = `Usage:
  partybot member export -config F -user ID -o FILE.json   everything stored about one member (PIPL access request);
                                                           ID is the userid, corp/userid for another corp's member (partner/m1)
  partybot member erase  -config F -user ID [-dry-run]     remove a departed member's personal content (README: Personal data)
`

// memberCmd runs the member subcommands: a person's data under PIPL.
func memberCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub, fs, err := subcommand("member", args, memberUsage, stderr)
	if err != nil {
		return err
	}
	user := fs.String("user", "", "the member's userid; corp/userid for a member of a corps entry (partner/m1)")
	out := fs.String("o", "", "write the export here (export)")
	dry := fs.Bool("dry-run", false, "count what would be removed, change nothing (erase)")
	actor := fs.String("actor", "cli:"+getenv("USER"), "who is acting, for the audit trail (erase)")
	app, pos, err := cliApp(ctx, fs, args[1:], stderr, getenv, false)
	if err != nil {
		return err
	}
	defer app.Store.Close()
	if *user == "" || len(pos) != 0 {
		fmt.Fprint(stderr, memberUsage)
		return flag.ErrHelp
	}
	// As the bot stores them: m1 is the home corp's, partner/m1 the partner's.
	*user = bot.Qualify("", *user)
	switch sub {
	case "export":
		if *out == "" {
			fmt.Fprint(stderr, memberUsage)
			return flag.ErrHelp
		}
		data, err := app.Store.PersonalData(ctx, *user, app.Now())
		if err != nil {
			return err
		}
		raw, err := json.MarshalIndent(data, "", "  ")
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		// Personal data: readable by the operator only.
		if err := writeAtomically(*out, false, func(tmp string) error { return os.WriteFile(tmp, append(raw, '\n'), 0o600) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d check-ins, %d study reports, %d leaves, %d dues payments, %d acknowledgements, %d sign-ups, %d meetings, %d meeting photos\n",
			*out, len(data.Checkins), len(data.Study), len(data.Leaves), len(data.Dues), len(data.Acknowledgements), len(data.SignUps), len(data.Meetings), len(data.MeetingPhotos))
		return nil
	case "erase":
		rep, err := app.Store.EraseMember(ctx, *user, *actor, app.Now(), *dry)
		if err != nil {
			return err
		}
		switch {
		case *dry:
			fmt.Fprintf(stdout, "dry run, nothing changed; would remove: %s\n", rep.Summary())
		case rep.Total() == 0:
			fmt.Fprintln(stdout, "nothing to remove: already erased")
		default:
			fmt.Fprintf(stdout, "removed: %s (audited)\n", rep.Summary())
		}
		return nil
	}
	fmt.Fprint(stderr, memberUsage)
	return flag.ErrHelp
}

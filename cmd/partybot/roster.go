package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/partybot/partybot/bot"
)

const rosterUsage = `Usage:
  partybot roster import -config F FILE   import members from CSV or YAML (all or nothing)
  partybot roster list   -config F [-branch ID]
  partybot roster sync   -config F        pull WeCom's address book for branches with department_ids
                                          (new people are 待确认; people gone are 待转出, never removed)
`

// cliApp parses a one-shot command's flags (plus -config) wherever they
// stand among its arguments, loads the config and builds an App, for
// commands that work on Redis and exit. With seed, the config's org is
// written to Redis first (commands that change or send); read-only
// commands pass false and write nothing. It returns the positional
// arguments. The caller closes app.Store.
func cliApp(ctx context.Context, fs *flag.FlagSet, args []string, stderr io.Writer, getenv func(string) string, seed bool) (*App, []string, error) {
	fs.Init(fs.Name(), flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "configuration file (YAML)")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		// flag stops at the first non-flag: keep it and read on, so that
		// "jobs run NAME -config F" works as well as "jobs run -config F NAME".
		positional, args = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	cfg, err := LoadConfig(*path, getenv)
	if err != nil {
		return nil, nil, err
	}
	app, err := NewApp(cfg, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, nil, err
	}
	if !seed {
		return app, positional, nil
	}
	if err := app.Seed(ctx); err != nil {
		_ = app.Store.Close()
		return nil, nil, fmt.Errorf("redis at %s: %w", cfg.Redis.Addr, err)
	}
	return app, positional, nil
}

// subcommand reads a command group's subcommand word and makes its flag
// set; with no word it prints the group's usage.
func subcommand(group string, args []string, usage string, stderr io.Writer) (string, *flag.FlagSet, error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return "", nil, flag.ErrHelp
	}
	return args[0], flag.NewFlagSet(group+" "+args[0], flag.ContinueOnError), nil
}

// rosterCmd runs the roster subcommands against the configured Redis.
func rosterCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub, fs, err := subcommand("roster", args, rosterUsage, stderr)
	if err != nil {
		return err
	}
	branch := fs.String("branch", "", "only this branch (list)")
	actor := fs.String("actor", "cli:"+getenv("USER"), "who is acting, for the audit trail")
	app, pos, err := cliApp(ctx, fs, args[1:], stderr, getenv, sub != "list")
	if err != nil {
		return err
	}
	defer app.Store.Close()

	switch {
	case sub == "import" && len(pos) == 1:
		rows, err := readRosterFile(pos[0])
		if err != nil {
			return err
		}
		if err := checkRowCorps(rows, app.Config); err != nil {
			return err
		}
		change, err := bot.ImportRoster(ctx, app.Store, app.Store, *actor, time.Now(), rows)
		if err != nil {
			return err
		}
		if err := bot.ImportDues(ctx, app.Store, rows); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d rows: %s\n", len(rows), change.Summary())
		return nil
	case sub == "list" && len(pos) == 0:
		return listRoster(ctx, app, *branch, stdout)
	case sub == "sync" && len(pos) == 0:
		change, err := bot.SyncRoster(ctx, app.Store, app.directories(), app.Store, *actor, time.Now())
		var partial *bot.SyncError
		if err != nil && !errors.As(err, &partial) {
			return err
		}
		// A corp whose address book could not be read is told after what
		// the others' sync did.
		fmt.Fprintln(stdout, change.Summary())
		printChanges(stdout, change)
		return err
	}
	fmt.Fprint(stderr, rosterUsage)
	return flag.ErrHelp
}

// directories are every corp's address book, each read through that
// corp's own app (its secret, its API base): department ids are per corp.
func (a *App) directories() bot.Directories {
	dirs := bot.Directories{}
	for _, id := range a.Corps.IDs() {
		dirs[id], _ = a.Corps.Client(id)
	}
	return dirs
}

func printChanges(w io.Writer, c bot.RosterChange) {
	for _, group := range []struct {
		label   string
		members []bot.Member
	}{{"added", c.Added}, {"moved", c.Moved}, {"updated", c.Updated}, {"departed", c.Departed}, {"leaving", c.Leaving}} {
		for _, m := range group.members {
			fmt.Fprintf(w, "  %-8s %s %s → %s (%s)\n", group.label, m.UserID, m.DisplayName(), m.BranchID, m.Status.Label())
		}
	}
	if len(c.Added)+len(c.Leaving) > 0 {
		fmt.Fprintln(w, "待确认 members count only once a leader sends 确认 @userid 正式党员|预备党员 (or an import gives their status);")
		fmt.Fprintln(w, "待转出 members stay on their branch until 转出 完成 @userid; the secretary is told by the transfers job.")
	}
}

func listRoster(ctx context.Context, app *App, branch string, w io.Writer) error {
	var members []bot.Member
	var err error
	if branch != "" {
		members, err = app.Store.BranchMembers(ctx, branch)
		if err == nil { // and those who do not count yet or any more: 待确认, 待转出
			var apart []bot.Member
			apart, err = app.Store.BranchPending(ctx, branch)
			members = append(members, apart...)
		}
	} else {
		members, err = app.Store.AllMembers(ctx)
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERID\tNAME\tBRANCH\tGROUP\tROLE\tSTATUS\tJOINED\tACTIVE")
	for _, m := range members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\n", m.UserID, m.DisplayName(), dash(m.BranchID), dash(m.Group),
			m.Role, m.Status.Label(), dash(m.Joined.String()), m.Active)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d members\n", len(members))
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// readRosterFile reads CSV (by default) or YAML (.yaml/.yml) rows.
func readRosterFile(path string) ([]bot.RosterRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return parseRosterYAML(f)
	default:
		return parseRosterCSV(f)
	}
}

// rosterColumns are the CSV header names; the first four are required.
var rosterColumns = []string{"userid", "name", "branch", "role", "status", "joined", "active", "dues", "group", "corp"}

// checkRowCorps refuses rows whose member is of a corp the config does not
// list: the corp column ("" or home: the home corp), or a "corp/userid".
func checkRowCorps(rows []bot.RosterRow, cfg Config) error {
	known := map[string]bool{}
	for _, c := range cfg.apps() {
		known[c.ID] = true
	}
	var bad []bot.RowError
	for _, r := range rows {
		if corp := bot.CorpOf(bot.Qualify(bot.NormalizeUserID(r.Corp), r.UserID)); !known[corp] {
			bad = append(bad, bot.RowError{Line: r.Line, Reason: fmt.Sprintf("corp %q is not the id of a corps entry in the config (leave it empty for the home corp)", corp)})
		}
	}
	if len(bad) > 0 {
		return &bot.ImportError{Rows: bad}
	}
	return nil
}

func parseRosterCSV(r io.Reader) ([]bot.RosterRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("roster: read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range rosterColumns[:4] {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("roster: header must be userid,name,branch,role[,status,joined,active,dues,group,corp]; %q is missing", need)
		}
	}
	var rows []bot.RosterRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("roster: %w", err)
		}
		line, _ := cr.FieldPos(0)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue // blank line
		}
		rows = append(rows, bot.RosterRow{Line: line, UserID: get("userid"), Name: get("name"),
			Branch: get("branch"), Role: get("role"), Status: get("status"), Joined: get("joined"), Active: get("active"), Dues: get("dues"), Group: get("group"), Corp: get("corp")})
	}
}

func parseRosterYAML(r io.Reader) ([]bot.RosterRow, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("roster: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode {
		return nil, errors.New("roster: the YAML file must be a list of members (- userid: … name: … branch: … role: …)")
	}
	var rows []bot.RosterRow
	for _, item := range doc.Content[0].Content {
		var v struct {
			UserID string `yaml:"userid"`
			Name   string `yaml:"name"`
			Branch string `yaml:"branch"`
			Role   string `yaml:"role"`
			Status string `yaml:"status"`
			Joined string `yaml:"joined"`
			Active string `yaml:"active"`
			Dues   string `yaml:"dues"`
			Group  string `yaml:"group"`
			Corp   string `yaml:"corp"`
		}
		if err := item.Decode(&v); err != nil {
			return nil, fmt.Errorf("roster: line %d: %w", item.Line, err)
		}
		rows = append(rows, bot.RosterRow{Line: item.Line, UserID: v.UserID, Name: v.Name,
			Branch: v.Branch, Role: v.Role, Status: v.Status, Joined: v.Joined, Active: v.Active, Dues: v.Dues, Group: v.Group, Corp: v.Corp})
	}
	return rows, nil
}

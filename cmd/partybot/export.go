package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/partybot/partybot/bot"
	"github.com/partybot/partybot/bot/workbook"
)

const exportUsage = `Usage:
  partybot export -config F [-branch ID | -all] -from 2026-10-01 -to 2026-12-31 -o FILE.xlsx [-format xlsx|csv]

Writes the ledger (台账) for the days from -from to -to: sheets 汇总, 党员名册,
签到记录, 学习记录, 会议记录 (with minutes, attendance, quorum, corrections),
公告与活动 and 请假记录. Meeting photos go into a 照片/ folder next to FILE.
-format csv writes one UTF-8 CSV per sheet (with a BOM, so Excel opens it)
into the directory -o names. Nothing is left behind if it fails.
`

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	branchID := fs.String("branch", "", "one branch")
	all := fs.Bool("all", false, "every branch")
	fromFlag := fs.String("from", "", "first day, YYYY-MM-DD")
	toFlag := fs.String("to", "", "last day, YYYY-MM-DD")
	out := fs.String("o", "", "the workbook to write (or the directory, with -format csv)")
	format := fs.String("format", "xlsx", "xlsx or csv")
	app, pos, err := cliApp(ctx, fs, args, stderr, getenv, false)
	if err != nil {
		return err
	}
	defer app.Store.Close()
	from, ferr := bot.ParseDate(*fromFlag)
	to, terr := bot.ParseDate(*toFlag)
	switch {
	case len(pos) > 0 || *out == "" || (*branchID == "") == !*all:
		fmt.Fprint(stderr, exportUsage)
		return flag.ErrHelp
	case ferr != nil || terr != nil:
		return fmt.Errorf("-from %q -to %q: dates are YYYY-MM-DD, e.g. -from 2026-10-01 -to 2026-12-31", *fromFlag, *toFlag)
	case to.Before(from):
		return fmt.Errorf("-from %s is after -to %s", from, to)
	case *format != "xlsx" && *format != "csv":
		return fmt.Errorf("-format %q: xlsx or csv", *format)
	}
	// Fail on an unwritable place before any work.
	dir := filepath.Dir(*out)
	if *format == "csv" {
		dir = *out
	}
	if err := checkWritable(dir); err != nil {
		return fmt.Errorf("-o %s: %w", *out, err)
	}
	branches, err := app.exportBranches(ctx, *branchID)
	if err != nil {
		return err
	}
	span := bot.Span{From: from, To: to}
	// Photos go inside the CSV directory, or beside the workbook; either
	// way they are written under a temporary name first.
	photoRoot := filepath.Dir(*out)
	if *format == "csv" {
		photoRoot = *out
	}
	photoTmp := filepath.Join(filepath.Dir(filepath.Clean(*out)), "."+filepath.Base(*out)+".photos.partial")
	defer os.RemoveAll(photoTmp)
	photos := 0
	err = writeAtomically(*out, *format == "csv", func(tmp string) error {
		var sink ledgerSink
		var file *os.File
		if *format == "csv" {
			c, err := workbook.NewCSV(tmp, app.Bot.LedgerHeader(span, false))
			if err != nil {
				return err
			}
			sink = c
		} else {
			if file, err = os.Create(tmp); err != nil {
				return err
			}
			x, err := workbook.NewXLSX(file, app.Bot.LedgerHeader(span, false))
			if err != nil {
				return errors.Join(err, file.Close())
			}
			sink = x
		}
		err := app.Bot.EachLedger(ctx, branches, span, false, func(b bot.BranchLedger) error {
			if err := sink.Add(b); err != nil {
				return err
			}
			n, err := workbook.WritePhotos(ctx, photoTmp, b, app.Store.PhotoData)
			photos += n
			return err
		})
		if err == nil {
			err = sink.Close()
		}
		if file != nil {
			err = errors.Join(err, file.Close())
		}
		return err
	})
	if err != nil {
		return err
	}
	if photos > 0 {
		if err := movePhotos(filepath.Join(photoTmp, workbook.PhotoDir), filepath.Join(photoRoot, workbook.PhotoDir)); err != nil {
			return fmt.Errorf("%s is written, but its photos are not: %w", *out, err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s: %d branches, %s", *out, len(branches), span)
	if photos > 0 {
		fmt.Fprintf(stdout, ", %d photos in %s", photos, filepath.Join(photoRoot, workbook.PhotoDir))
	}
	fmt.Fprintln(stdout)
	return nil
}

// ledgerSink takes a ledger branch by branch (workbook.XLSX, workbook.CSV).
type ledgerSink interface {
	Add(bot.BranchLedger) error
	Close() error
}

// exportBranches is the branch asked for, or every active one.
func (a *App) exportBranches(ctx context.Context, id string) ([]bot.Branch, error) {
	branches, err := a.Store.Branches(ctx)
	if err != nil {
		return nil, err
	}
	branches = slices.DeleteFunc(branches, func(b bot.Branch) bool { return b.Retired && b.ID != id })
	slices.SortFunc(branches, func(x, y bot.Branch) int { return strings.Compare(x.ID, y.ID) })
	if id == "" {
		return branches, nil
	}
	i := slices.IndexFunc(branches, func(b bot.Branch) bool { return b.ID == id })
	if i < 0 {
		ids := make([]string, len(branches))
		for j, b := range branches {
			ids[j] = b.ID
		}
		return nil, fmt.Errorf("no branch %q; known: %s", id, strings.Join(ids, ", "))
	}
	return branches[i : i+1], nil
}

// movePhotos moves the files of from into to, creating it.
func movePhotos(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// checkWritable makes sure a file can be created in dir.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".partybot-check-*")
	if err != nil {
		return err
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// writeAtomically writes through a temporary name beside path and renames
// it into place, so a failure leaves nothing partial behind.
func writeAtomically(path string, isDir bool, write func(tmp string) error) error {
	tmp := filepath.Join(filepath.Dir(filepath.Clean(path)), "."+filepath.Base(path)+".partial")
	_ = os.RemoveAll(tmp)
	if err := write(tmp); err != nil {
		return errors.Join(fmt.Errorf("export %s: %w", path, err), os.RemoveAll(tmp))
	}
	if isDir {
		_ = os.RemoveAll(path) // a directory is replaced whole
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("export %s: %w", path, err), os.RemoveAll(tmp))
	}
	return nil
}

// ledgerFiles builds the workbooks 导出 and the org digest ask for.
type ledgerFiles struct{ app *App }

// BuildFile implements wecom.FileBuilder. The requester's rights are
// checked before the workbook is built and again just before it is handed
// over to be sent: a refusal sends nothing, and the log names the branch,
// not the person.
func (lf ledgerFiles) BuildFile(ctx context.Context, f bot.File) ([]byte, error) {
	if f.Export == nil {
		return nil, fmt.Errorf("file %s: nothing to build", f.Name)
	}
	if err := lf.check(ctx, *f.Export); err != nil {
		return nil, err
	}
	data, err := lf.build(ctx, *f.Export)
	if err != nil {
		return nil, err
	}
	if err := lf.check(ctx, *f.Export); err != nil {
		return nil, err
	}
	return data, nil
}

// check asks the bot whether the requester may still have the ledger.
func (lf ledgerFiles) check(ctx context.Context, r bot.ExportRequest) error {
	err := lf.app.Bot.CheckExport(ctx, r)
	if errors.Is(err, bot.ErrExportRefused) {
		lf.app.Log.WarnContext(ctx, "ledger export not sent: the member who asked may no longer have it (left, or no longer leads the branch)",
			slog.String("branch", cmp.Or(r.Branch, "all")))
	}
	return err
}

// build writes the requested workbook.
func (lf ledgerFiles) build(ctx context.Context, exp bot.ExportRequest) ([]byte, error) {
	f := bot.File{Export: &exp}
	branches, err := lf.app.exportBranches(ctx, f.Export.Branch)
	if err != nil {
		return nil, err
	}
	span := bot.Span{From: f.Export.From, To: f.Export.To}
	var buf bytes.Buffer
	x, err := workbook.NewXLSX(&buf, lf.app.Bot.LedgerHeader(span, f.Export.SummaryOnly))
	if err != nil {
		return nil, err
	}
	if err := lf.app.Bot.EachLedger(ctx, branches, span, f.Export.SummaryOnly, x.Add); err != nil {
		return nil, err
	}
	if err := x.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
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
into the folder -o names, which must be new or empty (nothing of yours is
ever deleted). Files are written readable by you only (0600, folders 0700).
Nothing is left behind if it fails.
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
	isCSV := *format == "csv"
	// Fail on an unwritable place, or one holding the user's files, before any work.
	if err := checkTarget(*out, isCSV); err != nil {
		return fmt.Errorf("-o %s: %w", *out, err)
	}
	branches, err := app.exportBranches(ctx, *branchID)
	if err != nil {
		return err
	}
	span := bot.Span{From: from, To: to}
	// Photos travel inside the CSV folder; beside a workbook they are
	// written under a temporary folder of this run's own first.
	parent := filepath.Dir(filepath.Clean(*out))
	photoRoot := parent
	if isCSV {
		photoRoot = *out
	}
	photoTmp := ""
	defer func() {
		if photoTmp != "" {
			_ = os.RemoveAll(photoTmp) // this run's temporary folder, nothing else
		}
	}()
	photos := 0
	err = writeAtomically(*out, isCSV, func(tmp string) error {
		var sink ledgerSink
		var file *os.File
		photoDir := tmp
		if isCSV {
			c, err := workbook.NewCSV(tmp, app.Bot.LedgerHeader(span, false))
			if err != nil {
				return err
			}
			sink = c
		} else {
			if photoTmp, err = os.MkdirTemp(parent, "."+filepath.Base(*out)+".photos.*.partial"); err != nil {
				return err
			}
			photoDir = photoTmp
			if file, err = os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0o600); err != nil {
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
			n, err := workbook.WritePhotos(ctx, photoDir, b, app.Store.PhotoData)
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
	if photos > 0 && !isCSV {
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
		return nil, &unknownBranchError{id: id, known: ids}
	}
	return branches[i : i+1], nil
}

// unknownBranchError names a branch that is not in the roster.
type unknownBranchError struct {
	id    string
	known []string
}

func (e *unknownBranchError) Error() string {
	return fmt.Sprintf("no branch %q; known: %s", e.id, strings.Join(e.known, ", "))
}

// movePhotos moves the files of from into to, creating it. A photo of an
// earlier export of the same meeting (the same name) is replaced.
func movePhotos(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// checkTarget makes sure the export can be written to path without
// deleting anything of the user's: a workbook replaces a file but not a
// folder; CSV needs a new or empty folder (never one with files in it:
// "-o ~" must not wipe a home folder).
func checkTarget(path string, isDir bool) error {
	if err := checkWritable(filepath.Dir(filepath.Clean(path))); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !isDir && fi.IsDir():
		return errors.New("is a folder; name the workbook file, e.g. -o 台账.xlsx")
	case isDir && !fi.IsDir():
		return errors.New("exists and is not a folder; -format csv writes a new folder")
	case isDir:
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return errNotEmpty
		}
	}
	return nil
}

// errNotEmpty refuses a CSV export into a folder that holds anything.
var errNotEmpty = errors.New("is a folder that is not empty; nothing in it was touched: name a new or empty folder")

// checkWritable makes sure a file can be created in dir.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".partybot-check-*")
	if err != nil {
		return err
	}
	return errors.Join(f.Close(), os.Remove(f.Name()))
}

// writeAtomically writes through a temporary name of this run's own beside
// path (os.CreateTemp, os.MkdirTemp: concurrent exports never share one,
// and the file is 0600, the folder 0700) and renames it into place, so a
// failure leaves nothing partial behind. It deletes nothing it did not
// create: a folder takes the place of a missing or an empty one only.
func writeAtomically(path string, isDir bool, write func(tmp string) error) error {
	parent, pattern := filepath.Dir(filepath.Clean(path)), "."+filepath.Base(path)+".*.partial"
	var tmp string
	if isDir {
		dir, err := os.MkdirTemp(parent, pattern)
		if err != nil {
			return fmt.Errorf("export %s: %w", path, err)
		}
		tmp = dir
	} else {
		f, err := os.CreateTemp(parent, pattern)
		if err != nil {
			return fmt.Errorf("export %s: %w", path, err)
		}
		tmp = f.Name()
		if err := f.Close(); err != nil {
			return errors.Join(fmt.Errorf("export %s: %w", path, err), os.Remove(tmp))
		}
	}
	if err := write(tmp); err != nil {
		return errors.Join(fmt.Errorf("export %s: %w", path, err), os.RemoveAll(tmp))
	}
	if isDir {
		// os.Remove takes an empty folder only; anything else is the user's.
		if fi, err := os.Lstat(path); err == nil && (!fi.IsDir() || os.Remove(path) != nil) {
			return errors.Join(fmt.Errorf("export %s: %w", path, errNotEmpty), os.RemoveAll(tmp))
		}
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
		return nil, bot.Permanent(fmt.Errorf("file %s: nothing to build", f.Name))
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
	if exp.Scorecard {
		sc, err := lf.app.Bot.Scorecard(ctx, bot.Span{From: exp.From, To: exp.To})
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := workbook.WriteScorecard(&buf, sc); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	f := bot.File{Export: &exp}
	branches, err := lf.app.exportBranches(ctx, f.Export.Branch)
	var unknown *unknownBranchError
	if errors.As(err, &unknown) {
		return nil, bot.Permanent(err) // no retry brings the branch back: tell the requester
	}
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

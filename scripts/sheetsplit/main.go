// Command sheetsplit writes each sheet of a workbook as a workbook of its
// own (NN-<sheet>.xlsx in a directory), so scripts/print-check.sh can have
// LibreOffice print one sheet at a time and count its pages.
//
//	go run ./scripts/sheetsplit ledger.xlsx outdir
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sheetsplit WORKBOOK.xlsx OUTDIR")
		os.Exit(2)
	}
	if err := split(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "sheetsplit:", err)
		os.Exit(1)
	}
}

func split(path, dir string) error {
	list, err := sheetList(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, keep := range list {
		if err := writeOne(path, filepath.Join(dir, fmt.Sprintf("%02d-%s.xlsx", i+1, keep)), keep); err != nil {
			return fmt.Errorf("%s: %w", keep, err)
		}
	}
	return nil
}

func sheetList(path string) ([]string, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.GetSheetList(), nil
}

// writeOne saves a copy of the workbook with every sheet but keep deleted;
// excelize moves the sheet-scoped names (print titles) along.
func writeOne(path, out, keep string) error {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return err
	}
	for _, name := range f.GetSheetList() {
		if name != keep {
			if err := f.DeleteSheet(name); err != nil {
				return errors.Join(err, f.Close())
			}
		}
	}
	return errors.Join(f.SaveAs(out), f.Close())
}

#!/usr/bin/env bash
# Prints the ledger (台账) the way a secretary would, with LibreOffice, and
# counts the pages of each sheet: the export of the end-to-end ledger test
# (one branch of five members, November 2026), one sheet at a time, to PDF.
#
#   scripts/print-check.sh [WORKBOOK.xlsx]   # default: a fresh export
#   KEEP=dir scripts/print-check.sh          # keep the PDFs (and page-1 PNGs) in dir
#
# Needs soffice (apt-get install libreoffice-calc-nogui), pdfinfo and
# pdftoppm (poppler-utils), a CJK font (fonts-noto-cjk), Carlito for
# Calibri's metrics (fonts-crosextra-carlito), and redis-server
# for the fresh export. CI need not install any of it: this is a manual check.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in soffice pdfinfo; do
  command -v "$tool" >/dev/null || { echo "print-check: $tool is required (apt-get install libreoffice-calc-nogui poppler-utils fonts-noto-cjk)"; exit 1; }
done
# The workbook's font is Calibri: without it (or Carlito, which has its
# metrics) LibreOffice lays the columns out wider than Excel does.
if command -v fc-match >/dev/null && ! fc-match Calibri | grep -qiE 'carlito|calibri'; then
  echo "print-check: no Calibri-compatible font (apt-get install fonts-crosextra-carlito): pages will not match Excel's"
fi
dir=${KEEP:-$(mktemp -d)}
mkdir -p "$dir"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT

book=${1:-}
if [ -z "$book" ]; then
  book="$dir/ledger.xlsx"
  PARTYBOT_LEDGER_XLSX="$book" go test -count=1 -run '^TestLedgerExportInChat$' ./cmd/partybot/ >/dev/null
fi
go run ./scripts/sheetsplit "$book" "$dir/sheets"
# A profile of its own: a desktop LibreOffice left open does not block it.
soffice -env:UserInstallation="file://$dir/profile" --headless --convert-to pdf --outdir "$dir/pdf" "$dir"/sheets/*.xlsx >"$dir/soffice.log" 2>&1 || true
if [ "$(ls "$dir"/pdf/*.pdf 2>/dev/null | wc -l)" -ne "$(ls "$dir"/sheets/*.xlsx | wc -l)" ]; then
  echo "print-check: LibreOffice did not convert every sheet:"; cat "$dir/soffice.log"; exit 1
fi

total=0
echo 'pages  sheet (page size of page 1)'
for pdf in "$dir"/pdf/*.pdf; do
  name=$(basename "$pdf" .pdf)
  pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
  size=$(pdfinfo "$pdf" | awk -F': *' '/^Page size:/ {print $2}')
  total=$((total + pages))
  printf '%5s  %s (%s)\n' "$pages" "${name#*-}" "$size"
  if [ -n "${KEEP:-}" ] && command -v pdftoppm >/dev/null; then
    pdftoppm -png -r 60 -f 1 -l 1 "$pdf" "$dir/pdf/$name"
  fi
done
echo "total: $total pages, $(ls "$dir"/pdf/*.pdf | wc -l) sheets"

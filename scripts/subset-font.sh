#!/bin/sh
# subset-font.sh regenerates the weekly chart's embedded fonts: Noto Sans
# CJK SC (Regular and Bold, SIL OFL 1.1) cut down to the characters in
# bot/weekchart/font/chars.txt, so that the binary carries tens of KB, not
# the 20 MB collection. Run it (or `go generate ./bot/weekchart/`) after
# changing chars.txt; the output is byte-for-byte the same on every run.
#
# Needs Debian's fonts-noto-cjk and python3-fonttools:
#   apt-get install fonts-noto-cjk python3-fonttools
set -eu

cd "$(dirname "$0")/.."
out=bot/weekchart/font
src=${NOTO_CJK_DIR:-/usr/share/fonts/opentype/noto}
# Debian's python: a pyenv or venv python on PATH lacks Debian's fontTools.
python=${PYTHON:-/usr/bin/python3}
sc=2 # Noto Sans CJK SC's index in the .ttc collections

for weight in Regular Bold; do
	# No hinting (the chart is drawn at 2× and hints are ignored by
	# x/image's rasterizer), no layout features (labels are set glyph by
	# glyph), and no timestamp update, so that the file is reproducible.
	"$python" -m fontTools.subset "$src/NotoSansCJK-$weight.ttc" \
		--font-number=$sc \
		--text-file="$out/chars.txt" \
		--layout-features='' \
		--no-hinting \
		--desubroutinize \
		--name-IDs='0,1,2,3,4,5,6,7,11,13,14' \
		--output-file="$out/NotoSansSC-$weight.subset.otf"
done

# The OFL asks every copy to carry the copyright notice and the licence.
# Upstream's notice names 'Source' (Source Han Sans) as a Reserved Font
# Name; the subset keeps the family name Noto Sans CJK SC, which is not.
{
	"$python" - "$src/NotoSansCJK-Regular.ttc" $sc <<'PY'
import sys
from fontTools.ttLib import TTCollection
font = TTCollection(sys.argv[1]).fonts[int(sys.argv[2])]
notice = font["name"].getDebugName(0).rstrip(".")
print(f"{notice}, with Reserved Font Name 'Source'.")
print(font["name"].getDebugName(7))
print()
print("This Font Software (bot/weekchart/font/NotoSansSC-*.subset.otf, subsets of")
version = font["name"].getDebugName(5).split(";")[0]
print(f"{font['name'].getDebugName(4)} {version}) is licensed under the")
print("SIL Open Font License, Version 1.1, reproduced below.")
print()
PY
	# The licence text as Debian ships it: the body of the SIL-1.1 stanza.
	awk '/^License: SIL-1.1$/ { n++; next }
	     n == 2 && /^[^ ]/ { exit }
	     n == 2 { sub(/^ /, ""); if ($0 == ".") $0 = ""; print }' /usr/share/doc/fonts-noto-cjk/copyright
} >"$out/OFL.txt"

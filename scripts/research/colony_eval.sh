#!/usr/bin/env bash
# Runs the colony research prototype on every dataset with the SAME defaults (only the pixel size, which
# sets the cell width in px, and the polarity change) and scores it with ../shared/reference/seg_score.py.
# usage: scripts/research/colony_eval.sh [OUT_DIR]     (needs /work/shared; ~1 min on 2 cores)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED:-/work/shared}
PY=${PY:-$("$SHARED/reference/setup.sh")}
OUT=${1:-/tmp/colony-eval}
mkdir -p "$OUT"
SCORE="$SHARED/reference/seg_score.py"
PROTO="$HERE/colony_prototype.py"

echo "== ecoli-trpL (phase contrast colony, 0.065 um/px, GT)"
"$PY" "$PROTO" --in "$SHARED/data/ecoli-trpL/img.tif" --out "$OUT/trpL" --pixel-size 0.065
"$PY" "$SCORE" "$SHARED/data/ecoli-trpL/gt_masks.tif" "$OUT/trpL"

echo "== psc-phc (pancreatic stem cells, bright in phase contrast; silver truth)"
echo "   cells are ~8 px wide: pixel size 0.125 makes w = 1.0 um / 0.125 = 8 px (the real pixel is 1.6 um"
echo "   and the real cells ~13 um wide: --set width_um=12.8 --pixel-size 1.6 is the same run)"
"$PY" "$PROTO" --in "$SHARED/data/psc-phc/02" --out "$OUT/psc" --pixel-size 0.125 --polarity bright
"$PY" "$SCORE" "$SHARED/data/psc-phc/02_ST/SEG" "$OUT/psc"

echo "== mothermachine-delta Position01 Channel01 (0.1297 um/px from the TIFF XResolution) vs DeLTA labels"
MM="$SHARED/data/mothermachine-delta/tests/data/movie_mothermachine_tif"
mkdir -p "$OUT/mm_in"
for i in $(seq 1 10); do ln -sf "$MM/Position01Channel01Frames$(printf %06d "$i").tif" "$OUT/mm_in/f$(printf %03d "$i").tif"; done
"$PY" "$HERE/relabel_components.py" "$OUT/mm_delta" "$MM"/expected_results/labels_00?.tif
"$PY" "$PROTO" --in "$OUT/mm_in" --out "$OUT/mm" --pixel-size 0.1297
"$PY" "$SCORE" "$OUT/mm_delta" "$OUT/mm"

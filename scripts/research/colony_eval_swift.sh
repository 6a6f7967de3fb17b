#!/usr/bin/env bash
# The Swift `celltrack segment` on every dataset with the SAME defaults, scored with
# ../shared/reference/seg_score.py: --method colony, auto (the default) and recipe.
# usage: scripts/research/colony_eval_swift.sh [OUT_DIR]      (needs /work/shared; ~1 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-/work/shared}
PY=${PY:-$("$SHARED/reference/setup.sh")}
OUT=${1:-/tmp/colony-eval-swift}
SCORE="$SHARED/reference/seg_score.py"
mkdir -p "$OUT"
swift build -c release --product celltrack >/dev/null
BIN=$(swift build -c release --show-bin-path)/celltrack
run() {   # name input truth method extra-args...
    local name=$1 input=$2 truth=$3 method=$4; shift 4
    rm -rf "$OUT/$name-$method"
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN" segment "$input" --method "$method" --out "$OUT/$name-$method" "$@"
    t1=$(date +%s.%N)
    printf '%-10s %-7s %6.2f s  ' "$name" "$method" "$(echo "$t1 - $t0" | bc)"
    "$PY" "$SCORE" "$truth" "$OUT/$name-$method"
}
for m in colony auto recipe; do
    run trpL "$SHARED/data/ecoli-trpL/img.tif" "$SHARED/data/ecoli-trpL/gt_masks.tif" $m --pixel-size 0.065
    run synthetic Samples/synthetic/01 Samples/synthetic/01_GT/SEG $m --pixel-size 0.065
    run trpL-crop Samples/ecoli-trpL-crop/img.tif Samples/ecoli-trpL-crop/gt_masks.tif $m --pixel-size 0.065
done
# psc-phc: cells bright in phase contrast, ~8 px wide (see colony-method.md §3)
run psc "$SHARED/data/psc-phc/02" "$SHARED/data/psc-phc/02_ST/SEG" colony --pixel-size 0.125 --polarity bright
run psc "$SHARED/data/psc-phc/02" "$SHARED/data/psc-phc/02_ST/SEG" auto --pixel-size 0.125
run psc "$SHARED/data/psc-phc/02" "$SHARED/data/psc-phc/02_ST/SEG" recipe --pixel-size 0.125

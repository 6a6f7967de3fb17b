#!/usr/bin/env bash
# Swift `--method colony` against the Python prototype on ecoli-trpL (same defaults, pixel size 0.065):
# both are scored against the GT with ../shared/reference/seg_score.py, then the Swift masks are scored
# with the prototype's masks as "truth" (SEG 1.000 / F1 1.000 = the same objects up to edge pixels).
# Also times both (the Swift figure includes reading the stack and writing the masks).
# usage: scripts/research/compare_colony.sh [OUT_DIR]        (needs /work/shared)
set -euo pipefail
cd "$(dirname "$0")/../.."
SHARED=${SHARED:-/work/shared}
PY=${PY:-$("$SHARED/reference/setup.sh")}
OUT=${1:-/tmp/colony-compare}
DATA="$SHARED/data/ecoli-trpL"
SCORE="$SHARED/reference/seg_score.py"
mkdir -p "$OUT"
swift build -c release --product celltrack >/dev/null
BIN=$(swift build -c release --show-bin-path)/celltrack

echo "== Swift: celltrack segment --method colony --pixel-size 0.065"
start=$(date +%s.%N)
"$BIN" segment "$DATA/img.tif" --method colony --pixel-size 0.065 --threads 1 --out "$OUT/swift"
end=$(date +%s.%N)
echo "   wall $(echo "$end - $start" | bc) s for 20 frames, one thread (read + segment + write)"
"$PY" "$SCORE" "$DATA/gt_masks.tif" "$OUT/swift"

echo "== Python prototype (scripts/research/colony_prototype.py --pixel-size 0.065)"
"$PY" scripts/research/colony_prototype.py --in "$DATA/img.tif" --out "$OUT/python" --pixel-size 0.065
"$PY" "$SCORE" "$DATA/gt_masks.tif" "$OUT/python"

echo "== Swift vs prototype (prototype masks as truth)"
"$PY" "$SCORE" "$OUT/python" "$OUT/swift"

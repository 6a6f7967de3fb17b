#!/usr/bin/env bash
# Grades the linker on ground-truth masks relabelled at random per frame (no identity leaks),
# with the Cell Tracking Challenge's own measures (../shared/reference/evaluate.py).
#
#   scripts/eval-tracking.sh [fluo] [synth] [delta]      (default: all three)
#
#   fluo   ../shared/data/fluo-sim-ctc (simulated nuclei, 65 frames): TRA and division F1.
#          Nuclei do not touch after mitosis and are not rods, so the nuclei preset
#          scripts/eval/fluo-sim-linking.json relaxes the daughter rules (no adjacency, no
#          overlap minimum, size prior 0.6–1.5); the default run is printed too.
#   synth  `celltrack synth` movies (seeds 1–3, one with stage drift): TRA, division F1 and the
#          growth-rate error on complete cell cycles against the true rates (gt_cells.csv).
#   delta  ../shared/data/mothermachine-delta: our divisions vs DeLTA's mother/daughter pairs
#          (scripts/compare_delta.py), with the mother-machine preset (DeLTA's masks leave 3–4 px
#          between daughters, which are pushed down the channel).
# Environment: EVAL_DIR (default /tmp/celltrack-eval-tracking).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product celltrack >/dev/null
BIN=$PWD/.build/release/celltrack
SHARED=${SHARED:-$(cd .. && pwd)/shared}
PY=$("$SHARED/reference/setup.sh")
EVAL_DIR=${EVAL_DIR:-/tmp/celltrack-eval-tracking}
SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(fluo synth delta)
want() { local s; for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
grade() {  # grade GT_DIR RES_DIR: the lines that matter
    "$PY" "$SHARED/reference/evaluate.py" --gt "$1" --res "$2" 2>&1 \
        | grep -E "^(SEG|AOGM|divisions \(\+-0|  strict +growth_rate_length|GT tracks)" || true
}
rm -rf "$EVAL_DIR"; mkdir -p "$EVAL_DIR"

if want fluo; then
    echo "== fluo-sim-ctc (GT masks relabelled at random per frame)"
    FLUO=$SHARED/data/fluo-sim-ctc/01_GT
    # evaluate.py wants a SEG folder: the TRA masks are full masks here.
    mkdir -p "$EVAL_DIR/fluo-gt/01_GT/SEG"
    cp -r "$FLUO/TRA" "$EVAL_DIR/fluo-gt/01_GT/TRA"
    for f in "$FLUO"/TRA/man_track*.tif; do
        cp "$f" "$EVAL_DIR/fluo-gt/01_GT/SEG/$(basename "$f" | sed 's/man_track/man_seg/')"
    done
    "$PY" scripts/relabel_masks.py "$FLUO/TRA" "$EVAL_DIR/fluo-masks" --seed 1
    echo "-- default parameters"
    "$BIN" track --masks "$EVAL_DIR/fluo-masks" --db "$EVAL_DIR/fluo-default.sqlite" --interval 1 --quiet --ctc-out "$EVAL_DIR/fluo-default"
    grade "$EVAL_DIR/fluo-gt/01_GT" "$EVAL_DIR/fluo-default"
    echo "-- nuclei preset (scripts/eval/fluo-sim-linking.json)"
    "$BIN" track --masks "$EVAL_DIR/fluo-masks" --db "$EVAL_DIR/fluo-res.sqlite" --interval 1 --quiet --ctc-out "$EVAL_DIR/fluo-res" --config scripts/eval/fluo-sim-linking.json
    grade "$EVAL_DIR/fluo-gt/01_GT" "$EVAL_DIR/fluo-res"
fi

if want synth; then
    for spec in "1 0" "2 0" "3 0.3"; do
        set -- $spec
        seed=$1; drift=$2
        echo
        echo "== synth seed $seed, drift $drift µm/frame (384x384, 60 frames, GT masks relabelled)"
        out="$EVAL_DIR/synth$seed"
        "$BIN" synth --out "$out" --frames 60 --size 384x384 --cells 4 --seed "$seed" --drift "$drift" --quiet
        "$PY" scripts/relabel_masks.py "$out/01_GT/TRA" "$out-masks" --seed "$seed"
        "$BIN" track --masks "$out-masks" --db "$out-res.sqlite" --quiet --ctc-out "$out-res" --interval 3 --pixel-size 0.065
        grade "$out" "$out-res"
    done
fi

if want delta; then
    echo
    echo "== mothermachine-delta: divisions vs DeLTA's mother/daughter pairs"
    echo "-- default parameters"
    "$PY" scripts/compare_delta.py "$BIN" "$SHARED/data/mothermachine-delta" "$EVAL_DIR/delta-default"
    echo "-- mother-machine preset (scripts/eval/mothermachine-linking.json)"
    "$PY" scripts/compare_delta.py "$BIN" "$SHARED/data/mothermachine-delta" "$EVAL_DIR/delta" \
        --config "$PWD/scripts/eval/mothermachine-linking.json"
fi

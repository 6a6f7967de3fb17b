#!/usr/bin/env bash
# Accuracy of celltrack against references nobody on the team wrote: ground truth in
# ../shared/data, graded by ../shared/reference (seg_score.py, evaluate.py = the Cell Tracking
# Challenge's own measures). Release build. Needs ../shared beside the repository.
#
#   scripts/eval.sh [SECTION...]        (default: all)
#
#   seg        segmentation (SEG, detection F1) with default parameters: ecoli-trpL (20 frames,
#              --pixel-size 0.065), Samples/ecoli-trpL-crop, psc-phc (50 frames, silver truth;
#              --method colony --pixel-size 0.125 --polarity bright), Samples/synthetic.
#   noise      SEG of the recipe, the default method and the scikit-image baseline on synthetic
#              movies of well-separated rods (256x256, 30 frames, 3 cells) at noise 0, 0.5, 1, 2.
#   run        the whole pipeline on synthetic movies (Samples/synthetic and three 384x384x60
#              `celltrack synth` movies), graded from `export ctc` + the track table:
#              TRA, division F1, growth-rate error against the true rates.
#   track      linking of given masks (scripts/eval-tracking.sh: fluo-sim-ctc, synth GT, DeLTA).
#   delta      `run --method mothermachine` on the mother machine with the fluorescence channel:
#              cells per frame and growth rates beside DeLTA's; SEG against DeLTA's labels.
#   trpl       `run` on ecoli-trpL end to end: the lineage tree as text, to inspect.
#   scale      `segment` with no pixel size (the scale chosen on the cells, docs/colony-method.md
#              §16.1): ecoli-trpL, psc-phc (its files' 1.6 µm/px set aside, §16.2), the trpL
#              crop, five Omnipose test frames against the model's
#              masks (a second opinion), caulo_15 (no truth: width, polarity, dark objects), and synthetic movies (dark, bright, 8-bit, RGB; 0.04 to
#              0.2 µm/px) with and without their pixel size; `run` on the run section's
#              synthetic movies written without a pixel size.
# Environment: EVAL_DIR (default /tmp/celltrack-eval).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$(cd .. && pwd)/shared}
[ -d "$SHARED/data" ] || { echo "eval.sh: $SHARED/data not found (put shared/ beside the repository)" >&2; exit 1; }
bash scripts/ensure-deps.sh
swift build -c release --product celltrack >/dev/null
BIN=$PWD/.build/release/celltrack
PY=$("$SHARED/reference/setup.sh")
EVAL_DIR=${EVAL_DIR:-/tmp/celltrack-eval}
SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(seg noise run track delta trpl scale)
want() { local s; for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
mkdir -p "$EVAL_DIR"
DELTA=$SHARED/data/mothermachine-delta/tests/data/movie_mothermachine_tif

score() { # score NAME GT RESULT_DIR
    printf "%-44s " "$1"
    "$PY" "$SHARED/reference/seg_score.py" "$2" "$3"
}

if want seg; then
    echo "== segmentation, default parameters (seg_score.py: SEG, detection F1 at IoU > 0.5)"
    rm -rf "$EVAL_DIR/seg"; mkdir -p "$EVAL_DIR/seg"
    "$BIN" segment "$SHARED/data/ecoli-trpL/img.tif" --pixel-size 0.065 --out "$EVAL_DIR/seg/trpl" >/dev/null
    score "ecoli-trpL (20 frames, 0.065 µm/px)" "$SHARED/data/ecoli-trpL/gt_masks.tif" "$EVAL_DIR/seg/trpl"
    "$BIN" segment Samples/ecoli-trpL-crop/img.tif --pixel-size 0.065 --out "$EVAL_DIR/seg/trpl-crop" >/dev/null
    score "Samples/ecoli-trpL-crop (8 frames 256x256)" Samples/ecoli-trpL-crop/gt_masks.tif "$EVAL_DIR/seg/trpl-crop"
    # bright cells in phase contrast: auto takes them for dark (SEG 0) and auto + bright runs the recipe,
    # so the colony method is named (docs/colony-method.md §8)
    "$BIN" segment "$SHARED/data/psc-phc/02" --method colony --pixel-size 0.125 --polarity bright --out "$EVAL_DIR/seg/psc" >/dev/null
    score "psc-phc (50 fr., silver; colony, bright)" "$SHARED/data/psc-phc/02_ST/SEG" "$EVAL_DIR/seg/psc"
    "$BIN" segment Samples/synthetic/stack.tif --out "$EVAL_DIR/seg/synthetic" >/dev/null
    score "Samples/synthetic (40 frames)" Samples/synthetic/01_GT/SEG "$EVAL_DIR/seg/synthetic"
fi

if want noise; then
    echo
    echo "== SEG / detection F1 on well-separated synthetic rods by noise level (synth 256x256, 30 frames, 3 cells, seed 4)"
    rm -rf "$EVAL_DIR/noise"; mkdir -p "$EVAL_DIR/noise"
    for noise in 0 0.5 1 2; do
        movie="$EVAL_DIR/noise/n$noise"
        "$BIN" synth --out "$movie" --frames 30 --size 256x256 --cells 3 --seed 4 --noise "$noise" --quiet
        "$BIN" segment "$movie/stack.tif" --method recipe --out "$movie-recipe" >/dev/null
        score "noise $noise: recipe" "$movie/01_GT/SEG" "$movie-recipe"
        "$BIN" segment "$movie/stack.tif" --out "$movie-auto" >/dev/null
        score "noise $noise: default (auto)" "$movie/01_GT/SEG" "$movie-auto"
        "$PY" "$SHARED/reference/pipeline.py" --in "$movie/stack.tif" --out "$movie-base" --px-um 0.065 --dt-min 3 --quiet >/dev/null
        score "noise $noise: baseline pipeline.py" "$movie/01_GT/SEG" "$movie-base"
    done
fi

grade() { # grade GT_DIR RES_DIR
    "$PY" "$SHARED/reference/evaluate.py" --gt "$1" --res "$2" 2>&1 \
        | grep -E "^(GT tracks|SEG|divisions \(\+-1|  strict +growth_rate_length|  lenient +growth_rate_length)" || true
}

if want run; then
    rm -rf "$EVAL_DIR/run"; mkdir -p "$EVAL_DIR/run"
    echo
    echo "== run on Samples/synthetic (40 frames 256x256), graded by evaluate.py"
    "$BIN" run Samples/synthetic/stack.tif --db "$EVAL_DIR/run/samples.sqlite" --quiet | sed -n 2,3p
    "$BIN" export ctc --db "$EVAL_DIR/run/samples.sqlite" --out "$EVAL_DIR/run/samples-res" >/dev/null
    grade Samples/synthetic "$EVAL_DIR/run/samples-res"
    for spec in "1 0" "2 0" "3 0.3"; do
        set -- $spec
        echo
        echo "== run on synth seed $1, drift $2 µm/frame (384x384, 60 frames)"
        movie="$EVAL_DIR/run/synth$1"
        "$BIN" synth --out "$movie" --frames 60 --size 384x384 --cells 4 --seed "$1" --drift "$2" --quiet
        "$BIN" run "$movie/stack.tif" --db "$movie.sqlite" --quiet | sed -n 2,3p
        "$BIN" export ctc --db "$movie.sqlite" --out "$movie-res" >/dev/null
        grade "$movie" "$movie-res"
    done
fi

if want track; then
    echo
    EVAL_DIR="$EVAL_DIR/track" bash scripts/eval-tracking.sh
fi

if want delta; then
    echo
    echo "== mothermachine-delta: run with the fluorescence channel (Channel02) measured per cell"
    db="$EVAL_DIR/delta.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
    "$BIN" run "$DELTA/Position01Channel01Frames*.tif" "$DELTA/Position02Channel01Frames*.tif" \
        --method mothermachine --measure-channel Channel01=Channel02 --db "$db" --quiet | sed -n 1,3p
    "$BIN" export csv --db "$db" --out "$EVAL_DIR/delta-counts.csv" --query \
        "SELECT m.name AS movie, f.frame_index, f.cell_count FROM frame f JOIN movie m USING (movie_id) ORDER BY 1, 2"
    "$BIN" export csv --db "$db" --out "$EVAL_DIR/delta-fluo.csv" --query \
        "SELECT m.name AS movie, count(*) AS cells, avg(cc.mean_intensity) AS mean_fluo, avg(cc.background_corrected_mean_intensity) AS mean_fluo_bg_corrected
         FROM cell c JOIN movie m USING (movie_id) JOIN cell_channel cc ON cc.cell_id = c.cell_id AND cc.channel_index = 1 GROUP BY m.name"
    "$BIN" export csv --db "$db" --out "$EVAL_DIR/delta-growth.csv" --query \
        "SELECT m.name AS movie, t.growth_rate_length_per_h FROM track t JOIN movie m USING (movie_id)
         WHERE t.growth_rate_length_per_h IS NOT NULL AND t.growth_fit_points >= 5"
    "$PY" - "$SHARED/data/mothermachine-delta/derived" "$EVAL_DIR" <<'PYEOF'
import csv, sys, os, statistics as st
derived, out = sys.argv[1], sys.argv[2]
ours = {}
for r in csv.DictReader(open(os.path.join(out, "delta-counts.csv"))):
    ours.setdefault(r["movie"], []).append(int(r["cell_count"]))
rates = {}
for r in csv.DictReader(open(os.path.join(out, "delta-growth.csv"))):
    rates.setdefault(r["movie"], []).append(float(r["growth_rate_length_per_h"]))
for p, movie in (("1", "Position01Channel01Frames"), ("2", "Position02Channel01Frames")):
    rows = list(csv.DictReader(open(os.path.join(derived, f"movie_mothermachine_tif_Position00000{p}_cells.csv"))))
    per_frame = [sum(1 for r in rows if int(r["frame"]) == f) for f in range(1, 11)]
    # DeLTA's growthrate_length is per frame (5 min): x 12 per hour; one value per cell (track).
    delta_rates = sorted({(r["roi"], r["cell"]): 12 * float(r["growthrate_length"]) for r in rows
                          if int(r["last_frame"]) - int(r["first_frame"]) >= 4}.values())
    o = ours.get(movie, [])
    print(f"position {p}: cells per frame  DeLTA {per_frame}")
    print(f"            celltrack {o}")
    if rates.get(movie) and delta_rates:
        print(f"            growth (tracks with >= 5 points), median 1/h: DeLTA {st.median(delta_rates):.3f} (n {len(delta_rates)}), "
              f"celltrack {st.median(rates[movie]):.3f} (n {len(rates[movie])})")
for r in csv.DictReader(open(os.path.join(out, "delta-fluo.csv"))):
    print(f"fluorescence (Channel02) per cell, {r['movie']}: {r['cells']} cells, mean {float(r['mean_fluo']):.1f}, "
          f"background-corrected {float(r['mean_fluo_bg_corrected']):.1f}")
PYEOF
    # DeLTA's own full-frame labels of position 1 (values reused across chambers: one object per
    # connected piece of each value) as a second opinion on the segmentation
    "$PY" - "$DELTA/expected_results" "$EVAL_DIR/delta-labels" <<'PYEOF'
import os, sys
import numpy as np, tifffile
from scipy import ndimage as ndi
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for t in range(10):
    l = tifffile.imread(os.path.join(src, f"labels_{t:03d}.tif"))
    res = np.zeros(l.shape, np.uint16); n = 0
    for v in np.unique(l)[1:]:
        comp, k = ndi.label(l == v)
        for c in range(1, k + 1): n += 1; res[comp == c] = n
    tifffile.imwrite(os.path.join(out, f"mask{t:03d}.tif"), res)
PYEOF
    rm -rf "$EVAL_DIR/delta-seg"
    "$BIN" segment "$DELTA/Position01Channel01Frames*.tif" --method mothermachine --out "$EVAL_DIR/delta-seg" >/dev/null
    score "position 1 vs DeLTA's labels (mothermachine)" "$EVAL_DIR/delta-labels" "$EVAL_DIR/delta-seg"
    # the default method recognises the chip (docs/mother-machine.md): the same masks
    rm -rf "$EVAL_DIR/delta-auto"
    "$BIN" segment "$DELTA/Position01Channel01Frames*.tif" --out "$EVAL_DIR/delta-auto" 2>&1 >/dev/null | grep "method auto" || true
    if diff -rq "$EVAL_DIR/delta-seg" "$EVAL_DIR/delta-auto" >/dev/null; then echo "position 1 with --method auto: the same masks"
    else echo "position 1 with --method auto: DIFFERENT masks"; fi
fi

if want trpl; then
    echo
    echo "== ecoli-trpL end to end (20 frames; interval unknown in the data: --interval 1, so rates are per minute x 60)"
    db="$EVAL_DIR/trpl.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
    "$BIN" run "$SHARED/data/ecoli-trpL/img.tif" --pixel-size 0.065 --interval 1 --db "$db" --quiet | sed -n 1,3p
    echo "cells per frame (GT: 2 -> 17):"
    "$BIN" export csv --db "$db" --out - --query "SELECT group_concat(cell_count, ' ') AS cells FROM (SELECT cell_count FROM frame ORDER BY frame_index)" | tail -1
    echo "lineage (track: frames first-last, fate; children indented):"
    "$BIN" export csv --db "$db" --out "$EVAL_DIR/trpl-tracks.csv" --query \
        "SELECT track_id, coalesce(parent_track_id, 0) AS parent, first_frame_index, last_frame_index, fate FROM track ORDER BY track_id"
    "$PY" - "$EVAL_DIR/trpl-tracks.csv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
kids = {}
for r in rows: kids.setdefault(r["parent"], []).append(r)
def show(r, depth):
    print(f"{'  ' * depth}{r['track_id']}: {r['first_frame_index']}-{r['last_frame_index']} {r['fate']}")
    for k in kids.get(r["track_id"], []): show(k, depth + 1)
for r in kids.get("0", []): show(r, 0)
PYEOF
fi

if want scale; then
    echo
    echo "== no pixel size: the scale chosen on the cells (segment; the chosen width is on stderr)"
    rm -rf "$EVAL_DIR/scale"; mkdir -p "$EVAL_DIR/scale"
    unscaled() { # unscaled NAME INPUT GT [segment options]
        local name=$1 input=$2 gt=$3 out="$EVAL_DIR/scale/$1" width
        shift 3
        width=$("$BIN" segment "$input" "$@" --out "$out" 2>&1 >/dev/null | grep -o 'measured [0-9.]* px' || echo "no estimate")
        score "$name ($width)" "$gt" "$out"
    }
    unscaled ecoli-trpL "$SHARED/data/ecoli-trpL/img.tif" "$SHARED/data/ecoli-trpL/gt_masks.tif"
    # the files say 1.6 um per pixel (0.6 px for 1-um cells): set aside, §16.2
    unscaled "psc-phc (colony, bright; files' 1.6 um)" "$SHARED/data/psc-phc/02" "$SHARED/data/psc-phc/02_ST/SEG" --method colony --polarity bright
    unscaled trpL-crop Samples/ecoli-trpL-crop/img.tif Samples/ecoli-trpL-crop/gt_masks.tif
    OMNI=$SHARED/data/odd-inputs/omnipose/docs/test_files
    for f in ec_5I_t141xy5c1.tif e1t1_crop.tif Sample000252.png Sample000193.png Sample000033.png; do
        base=${f%.*}
        # one grey TIFF per frame and its model masks (PNG renderings: RGB averaged)
        "$PY" - "$OMNI/$f" "$OMNI/masks/${base}_cp_masks.tif" "$EVAL_DIR/scale/$base" <<'PYEOF'
import os, sys, numpy as np, tifffile
from PIL import Image
src, masks, out = sys.argv[1:4]
a = tifffile.imread(src) if src.endswith('.tif') else np.array(Image.open(src))
if a.ndim == 3:
    a = a[..., :3].mean(-1).astype(a.dtype)
os.makedirs(out + '-gt', exist_ok=True)
tifffile.imwrite(out + '.tif', a)
tifffile.imwrite(out + '-gt/man_seg000.tif', tifffile.imread(masks).astype(np.uint16))
PYEOF
        unscaled "$base (model masks)" "$EVAL_DIR/scale/$base.tif" "$EVAL_DIR/scale/$base-gt"
    done
    # Caulobacter in broad halos (docs/colony-method.md §18): its model masks outline the stalks, so
    # no score; the width chosen, the polarity, and how many objects are darker than the frame's median
    "$PY" -c "import sys, tifffile; tifffile.imwrite(sys.argv[2], tifffile.imread(sys.argv[1]))" "$OMNI/caulo_15.tif" "$EVAL_DIR/scale/caulo_15.tif"
    note=$("$BIN" segment "$EVAL_DIR/scale/caulo_15.tif" --out "$EVAL_DIR/scale/caulo_15" 2>&1 >/dev/null | grep -o '[a-z]* *cells measured [0-9.]* px' || echo "no estimate")
    printf "%-44s %s; " "caulo_15 (no truth)" "$note"
    "$PY" -c "import sys, numpy as np, tifffile; a = tifffile.imread(sys.argv[1]).astype(float); l = tifffile.imread(sys.argv[2]); m = np.median(a); ids = [k for k in np.unique(l) if k]; print(f'{len(ids)} objects, {sum(a[l == k].mean() < m for k in ids)} darker than the median')" "$EVAL_DIR/scale/caulo_15.tif" "$EVAL_DIR/scale/caulo_15/mask000.tif"
    # synthetic movies: the same frames with their pixel size and written again without it
    while read -r name args; do
        dir="$EVAL_DIR/scale/synth-$name"
        # shellcheck disable=SC2086
        "$BIN" synth --out "$dir" --frames 20 --size 384x384 --cells 6 --quiet $args
        "$PY" -c "import glob, sys, numpy as np, tifffile; fs = sorted(glob.glob(sys.argv[1] + '/01/*.tif')); tifffile.imwrite(sys.argv[1] + '/unscaled.tif', np.stack([tifffile.imread(f) for f in fs]))" "$dir"
        "$BIN" segment "$dir/01" --out "$dir/known" >/dev/null
        score "synth $name, pixel size known" "$dir/01_GT/SEG" "$dir/known"
        unscaled "synth-$name/unscaled" "$dir/unscaled.tif" "$dir/01_GT/SEG"
    done <<'LIST'
dark-0.065 --seed 3
bright-0.065 --seed 3 --polarity bright
rgb-0.065 --seed 4 --rgb
8bit-0.065 --seed 8 --bit-depth 8
8bit-0.2 --seed 8 --bit-depth 8 --pixel-size 0.2
dark-0.04 --seed 6 --pixel-size 0.04
dark-0.1 --seed 5 --pixel-size 0.1
bright-0.1 --seed 7 --pixel-size 0.1 --polarity bright
dark-0.15 --seed 9 --pixel-size 0.15
LIST
    # the whole pipeline without a pixel size: the run section's movies written without metadata
    for seed in 1 2 3; do
        drift=0; [ "$seed" = 3 ] && drift=0.3
        movie="$EVAL_DIR/scale/run-synth$seed"
        "$BIN" synth --out "$movie" --frames 60 --size 384x384 --cells 4 --seed "$seed" --drift "$drift" --quiet
        "$PY" -c "import sys, tifffile; tifffile.imwrite(sys.argv[2], tifffile.imread(sys.argv[1]))" "$movie/stack.tif" "$movie-unscaled.tif"
        echo "== run on synth seed $seed (drift $drift) written without a pixel size or interval (--interval 3)"
        "$BIN" run "$movie-unscaled.tif" --interval 3 --db "$movie.sqlite" --quiet | grep -E "divisions|measured"
        "$BIN" export ctc --db "$movie.sqlite" --out "$movie-res" >/dev/null
        grade "$movie" "$movie-res"
    done
fi

#!/usr/bin/env bash
# Benchmarks, release build. Usage: scripts/bench.sh [SECTION...]   (default: all sections)
#
# Sections:
#   io   read throughput (MB/s of decoded uint16) of `celltrack info --read-all` on 2048x2048
#        uint16 stacks (uncompressed, Deflate, ZSTD), beside the reference floor
#        (../shared/reference/bench_floor.py: tifffile page.asarray()) on the same files;
#        peak RSS while streaming a ~1 GB stack vs a ~0.27 GB one (must not grow).
#   segment ns/pixel per stage (CPU time) of the recipe (`--method recipe`) and of `--method colony`
#        on a synthetic 4056x3040 (12.3 MP) uint16-like frame (`celltrack bench-segment`, hidden),
#        and frames/s with one frame per core.
#   synth `celltrack synth` 512x512 x 60 frames (simulation, rendering, noise, TIFF writing of the
#        whole output layout); BENCH_BIG=1 adds a 3040x4056 x 8-frame uint16 movie.
#   store rows/s, database size per 1,000 cells and store time per frame (scripts/bench-store.sh)
#   scale (not in the default set; about 15 min) `run` on 50 and on 500 frames of 3040x4056: a
#        50-frame `celltrack synth` colony (300 -> 4,000 cells) as a folder of frames, and the
#        same 50 frames ten times (symbolic links); wall time per frame and peak RSS of each.
#        SCALE_SIZE (default 3040x4056) and SCALE_FRAMES (default 50) shrink it for a quick look.
#   link `celltrack bench-link`: frame-to-frame linking (overlaps, drift, assignment, divisions)
#        per frame for dense synthetic colonies of 100, 1,000 and 10,000 rods, beside the cost of
#        measuring regions (RegionMeasurer) on the same frames; best of RUNS.
# Environment: BENCH_DIR (default /tmp/celltrack-bench) holds the generated stacks;
#              RUNS (default 3): best of RUNS for our reader.
# Needs the reference Python (../shared/reference/setup.sh) to generate stacks and run the floor.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product celltrack >/dev/null
BIN=$PWD/.build/release/celltrack
BENCH_DIR=${BENCH_DIR:-/tmp/celltrack-bench}
RUNS=${RUNS:-3}
REFERENCE=${REFERENCE:-$(cd .. && pwd)/shared/reference}
SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(io segment synth link store)

want() { local s; for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

if want io; then
    PY=$("$REFERENCE/setup.sh")
    echo "== io: generating stacks in $BENCH_DIR (skipped when present)"
    "$PY" scripts/make_bench_stacks.py --out "$BENCH_DIR"
    echo
    echo "== io: read throughput, MB/s of decoded uint16 (best of $RUNS; files in the page cache)"
    printf "%-20s %10s %16s %22s\n" file "file MB" "celltrack MB/s" "tifffile floor MB/s"
    for name in stack_none stack_deflate stack_zstd; do
        file="$BENCH_DIR/$name.tif"
        best=0
        for _ in $(seq "$RUNS"); do
            rate=$("$BIN" info "$file" --read-all --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["readThroughput"]["mbPerSecond"])')
            best=$("$PY" -c "print(max($best, $rate))")
        done
        # bench_floor prints "read  mean-ms  median-ms  MP/s"; uint16 = 2 bytes per pixel.
        floor=$("$PY" "$REFERENCE/bench_floor.py" --stack "$file" 2>/dev/null | awk '$1 == "read" { printf "%.0f", $4 * 2 }')
        size=$("$PY" -c "import os; print(round(os.path.getsize('$file') / 1e6))")
        printf "%-20s %10s %16.0f %22s\n" "$name.tif" "$size" "$best" "$floor"
    done
    echo
    echo "== io: peak RSS while streaming every frame (/usr/bin/time -v)"
    for name in quarter_none big_none; do
        file="$BENCH_DIR/$name.tif"
        /usr/bin/time -v "$BIN" info "$file" --read-all 2>"$BENCH_DIR/time_$name.txt" >/dev/null
        rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$BENCH_DIR/time_$name.txt")
        size=$("$PY" -c "import os; print(round(os.path.getsize('$file') / 1e6))")
        printf "%-20s %8s MB stack   peak RSS %6.1f MB\n" "$name.tif" "$size" "$("$PY" -c "print($rss / 1024)")"
    done
fi

if want synth; then
    SYNTH_DIR=$(mktemp -d)
    echo
    echo "== synth: celltrack synth, wall and CPU (user+sys) seconds, peak RSS"
    for run in $(seq "$RUNS"); do
        rm -rf "$SYNTH_DIR/m512"
        /usr/bin/time -f "%e %U %S %M" -o "$SYNTH_DIR/time" "$BIN" synth --out "$SYNTH_DIR/m512" --frames 60 \
            --size 512x512 --cells 4 --seed 1 --quiet
        read -r wall user sys rss < "$SYNTH_DIR/time"
        printf "512x512 x 60 frames (run %d): wall %6.2f s  cpu %6.2f s  peak RSS %5d MB\n" "$run" "$wall" \
            "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
    done
    if [ "${BENCH_BIG:-0}" = 1 ]; then
        rm -rf "$SYNTH_DIR/big"
        /usr/bin/time -f "%e %U %S %M" -o "$SYNTH_DIR/time" "$BIN" synth --out "$SYNTH_DIR/big" --frames 8 \
            --size 3040x4056 --cells 300 --seed 2 --quiet
        read -r wall user sys rss < "$SYNTH_DIR/time"
        printf "3040x4056 x 8 uint16 Deflate: wall %6.2f s  cpu %6.2f s  peak RSS %5d MB\n" "$wall" \
            "$(echo "$user + $sys" | bc)" "$((rss / 1024))"
    else
        echo "(BENCH_BIG=1 also times a 3040x4056 x 8-frame uint16 movie)"
    fi
    rm -rf "$SYNTH_DIR"
fi

if want segment; then
    echo "== segment: the recipe on a synthetic 4056x3040 uint16-like frame (release)"
    "$BIN" bench-segment --repeats "$RUNS"
    echo "== segment: same frame, --markers peak (the tutorial's markers)"
    "$BIN" bench-segment --repeats 1 --markers peak | sed -n '/total/p'
    echo "== segment: same frame, --method colony (issue 5; budget: at most 2x the recipe's CPU per frame)"
    "$BIN" bench-segment --repeats "$RUNS" --method colony
fi

if want link; then
    echo
    echo "== link: ms per frame (12-frame movies; frame 0 not counted for linking); best of $RUNS runs"
    for run in $(seq "$RUNS"); do
        "$BIN" bench-link --cells 100,1000,10000 --frames 12 | sed "s/^link:/run $run:/"
    done
fi

if want store; then
    echo
    bash scripts/bench-store.sh "$BIN"
fi

if want scale; then
    SIZE=${SCALE_SIZE:-3040x4056}
    FRAMES=${SCALE_FRAMES:-50}
    MOVIE="$BENCH_DIR/scale-$SIZE-$FRAMES"
    echo
    echo "== scale: run on $FRAMES vs $((10 * FRAMES)) frames of $SIZE (movie in $MOVIE, made once)"
    [ -f "$MOVIE/params.json" ] || "$BIN" synth --out "$MOVIE" --frames "$FRAMES" --size "$SIZE" --cells 300 --seed 2 >/dev/null
    for n in "$FRAMES" $((10 * FRAMES)); do
        dir="$BENCH_DIR/scale-$SIZE-x$n"
        rm -rf "$dir"; mkdir -p "$dir"
        for i in $(seq 0 $((n - 1))); do
            ln -s "$MOVIE/01/t$(printf %03d $((i % FRAMES))).tif" "$dir/t$(printf %04d "$i").tif"
        done
        rm -f "$dir.sqlite" "$dir.sqlite-wal" "$dir.sqlite-shm"
        # wall time and the child's peak RSS (getrusage; no /usr/bin/time needed)
        python3 - "$n" "$BIN" run "$dir" --db "$dir.sqlite" --pixel-size 0.065 --interval 3 --quiet <<'PY'
import resource, subprocess, sys, time
n, command = int(sys.argv[1]), sys.argv[2:]
start = time.monotonic()
subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
seconds = time.monotonic() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{n} frames: {seconds / n:.3f} s/frame, peak RSS {peak_mb:.0f} MB")
PY
    done
fi

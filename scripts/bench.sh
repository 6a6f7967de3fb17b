#!/usr/bin/env bash
# Benchmarks, release build. Usage: scripts/bench.sh [SECTION...]   (default: all sections)
#
# Sections:
#   io   read throughput (MB/s of decoded uint16) of `celltrack info --read-all` on 2048x2048
#        uint16 stacks (uncompressed, Deflate, ZSTD), beside the reference floor
#        (../shared/reference/bench_floor.py: tifffile page.asarray()) on the same files;
#        peak RSS while streaming a ~1 GB stack vs a ~0.27 GB one (must not grow).
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
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(io)

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

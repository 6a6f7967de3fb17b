#!/usr/bin/env bash
# Store benchmark (release): writes a synthetic movie of ~1000 rod cells per frame with masks through
# the Store exactly as the pipeline does (one transaction per frame, lineage at the end) and prints
# rows/s, time in the store per frame, and database size per 1,000 cells.
# Usage: bash scripts/bench-store.sh [BINARY]   (called by scripts/bench.sh, section "store")
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-}
if [ -z "$BIN" ]; then
  swift build -c release --product celltrack >&2
  BIN=.build/release/celltrack
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== store: 700 founders growing to ~1300 cells, 20 frames, 1 channel, masks as RLE"
echo "   (wall times grow when other processes load the machine; the CPU figures do not)"
"$BIN" bench-store --db "$tmp/store.db" --roots 700 --frames 20 --interval-min 2 --seed 1 --calibrate-rows 1000000 \
  | grep -v "committed frame"

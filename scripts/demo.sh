#!/usr/bin/env bash
# The README's first command: install what is missing, build in release, run the whole pipeline
# on the bundled synthetic sample, and show the summary and a query's answer.
# Results go to out/ (ignored by git). Usage: scripts/demo.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "== building celltrack (release)"
swift build -c release --product celltrack 2>&1 | tail -1
BIN=.build/release/celltrack
OUT=${1:-out}
mkdir -p "$OUT"
DB="$OUT/demo.sqlite"
rm -f "$DB" "$DB-wal" "$DB-shm"

echo
echo "== celltrack info Samples/synthetic/stack.tif"
"$BIN" info Samples/synthetic/stack.tif

echo
echo "== celltrack run Samples/synthetic/stack.tif --db $DB"
"$BIN" run Samples/synthetic/stack.tif --db "$DB"

echo
echo "== growth per movie (SQL view movie_growth)"
"$BIN" export csv --db "$DB" --out - --query \
  "SELECT movie_name, n_cycles, round(median_growth_rate_length_per_h, 3) AS median_rate_per_h,
          round(sd_growth_rate_length_per_h, 3) AS sd_rate_per_h,
          round(60 * doubling_time_of_mean_rate_h, 1) AS doubling_min, round(mean_cycle_duration_min, 1) AS cycle_min
   FROM movie_growth"

echo
echo "== Cell Tracking Challenge export: $OUT/demo-ctc"
"$BIN" export ctc --db "$DB" --out "$OUT/demo-ctc"
echo
echo "Truth for this movie: Samples/README.md (55 tracks, 27 divisions, 24 complete cycles)."
echo "Query it yourself: sqlite3 $DB 'SELECT * FROM movie_growth'"

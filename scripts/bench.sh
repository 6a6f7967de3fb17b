#!/usr/bin/env bash
# Benchmarks, on a release build. Each section is independent and prints its own figures.
#   bash scripts/bench.sh            all sections
#   bash scripts/bench.sh synth      only the named sections
# Wall times on a shared machine vary; the user+sys CPU time is printed beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release --product celltrack >&2
BIN="$PWD/.build/release/celltrack"
SECTIONS=("$@")
want() { [ ${#SECTIONS[@]} -eq 0 ] || [[ " ${SECTIONS[*]} " == *" $1 "* ]]; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---- section: synth (celltrack synth: simulation + rendering + noise + TIFF writing) ----
if want synth; then
  echo "== synth"
  best=""
  for run in 1 2 3; do
    rm -rf "$TMP/synth512"
    /usr/bin/time -f "%e %U %S %M" -o "$TMP/time" "$BIN" synth --out "$TMP/synth512" --frames 60 --size 512x512 \
      --cells 4 --seed 1 --quiet
    read -r wall user sys rss < "$TMP/time"
    echo "synth 512x512 x 60 frames (run $run): wall ${wall} s, cpu $(echo "$user + $sys" | bc) s, peak RSS $((rss / 1024)) MB"
    if [ -z "$best" ] || (( $(echo "$wall < $best" | bc) )); then best=$wall; fi
  done
  echo "synth 512x512 x 60: best wall ${best} s = $(echo "scale=1; 60 * 512 * 512 / 1000000 / $best" | bc) MP/s written"
  if [ "${BENCH_BIG:-0}" = 1 ]; then
    rm -rf "$TMP/synthbig"
    /usr/bin/time -f "%e %U %S %M" -o "$TMP/time" "$BIN" synth --out "$TMP/synthbig" --frames 8 --size 3040x4056 \
      --cells 300 --seed 2 --quiet
    read -r wall user sys rss < "$TMP/time"
    echo "synth 3040x4056 x 8 (uint16, Deflate): wall ${wall} s, cpu $(echo "$user + $sys" | bc) s, peak RSS $((rss / 1024)) MB"
  else
    echo "(BENCH_BIG=1 also times a 3040x4056 x 8-frame uint16 movie)"
  fi
fi
# ---- end section: synth ----

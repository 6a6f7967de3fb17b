#!/usr/bin/env bash
# Release benchmarks. Each section is independent: `bash scripts/bench.sh [SECTION...]`
# (no argument: every section). Sections print their own figures.
set -euo pipefail
cd "$(dirname "$0")/.."
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(segment)
swift build -c release --product celltrack >/dev/null
BIN=.build/release/celltrack
for section in "${sections[@]}"; do
  case "$section" in
    segment)
      # ns/pixel per stage on a synthetic 4056x3040 (12.3 MP) uint16-like frame, default recipe
      "$BIN" bench-segment --repeats 3
      "$BIN" bench-segment --repeats 1 --markers peak | sed -n '1p;/total/p'
      ;;
    *) echo "bench.sh: no section '$section' here" >&2 ;;
  esac
done

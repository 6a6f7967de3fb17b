#!/usr/bin/env bash
# Release benchmarks, one section per stage. Usage: bash scripts/bench.sh [SECTION...]
# (no argument = every section). Each section is independent and prints its own figures.
set -euo pipefail
cd "$(dirname "$0")/.."
sections=("$@")
want() { [ ${#sections[@]} -eq 0 ] || printf '%s\n' "${sections[@]}" | grep -qx "$1"; }
swift build -c release --product celltrack >&2
BIN=.build/release/celltrack

# --- section: store ---
if want store; then bash scripts/bench-store.sh "$BIN"; fi

#!/usr/bin/env bash
# Regenerates Samples/ (deterministic):
#   Samples/toy/ and Samples/ecoli-trpL-crop/  by scripts/make_samples.py (needs the reference
#       Python and ../shared/data/ecoli-trpL; pass another data folder as $1)
#   Samples/synthetic/                         by `celltrack synth` (seed 1, 8-bit to stay small)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-$(/work/shared/reference/setup.sh)}
"$PY" scripts/make_samples.py "${1:-/work/shared/data/ecoli-trpL}"
swift build -c release --product celltrack >&2
rm -rf Samples/synthetic
.build/release/celltrack synth --out Samples/synthetic --frames 40 --size 256x256 --cells 3 --seed 1 \
  --bit-depth 8 --drift 0.03
du -sh Samples

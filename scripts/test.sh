#!/usr/bin/env bash
# Runs every test. Installs missing system libraries first.
# Tests are built in release with -enable-testing: image kernels are 100-500x slower in debug.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
swift build -c release -Xswiftc -enable-testing --product celltrack
swift test -c release -Xswiftc -enable-testing --disable-swift-testing "$@"

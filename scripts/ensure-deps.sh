#!/usr/bin/env bash
# Installs the system libraries celltrack links against, when they are missing.
# Sourced by demo.sh and test.sh; safe to run again.
set -euo pipefail
missing=()
for pkg in libtiff-dev libsqlite3-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "celltrack: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi
command -v swift >/dev/null 2>&1 || { echo "celltrack: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }

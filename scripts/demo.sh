#!/usr/bin/env bash
# The main job on the shipped sample: installs missing system packages, builds pertitle, runs
# `pertitle optimize` with default settings on samples/sample_720p25.mp4 and prints the ladder.
# Usage: ./scripts/demo.sh [OUTDIR]   (default: out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --locked
out="${1:-out/demo}"
./target/release/pertitle optimize samples/sample_720p25.mp4 -o "$out"
echo
echo "The manifest: $out/ladder.json (schema in README.md)."

#!/usr/bin/env bash
# The main job on the shipped sample: installs missing system packages, builds pertitle, runs
# `pertitle optimize` with default settings on samples/sample_720p25.mp4, prints the ladder,
# then encodes and packages its rungs for HLS and DASH and writes the HTML report.
# Usage: ./scripts/demo.sh [OUTDIR]   (default: out/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --locked
out="${1:-out/demo}"
./target/release/pertitle optimize samples/sample_720p25.mp4 -o "$out" --package --report
echo
echo "The manifest: $out/ladder.json (fields in docs/manifest.md)."
echo "HLS: $out/stream/master.m3u8, DASH: $out/stream/manifest.mpd (play with: ffplay $out/stream/master.m3u8)."
echo "The report: $out/report.html"

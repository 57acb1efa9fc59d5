#!/usr/bin/env bash
# Adaptive search against a dense grid, clip by clip: on every clip in ../shared/clips (or the
# clips given as arguments), `pertitle optimize` with a dense grid (6 heights x 10 CRFs,
# 16..43 in steps of 3; heights above the source are replaced by its own) and with
# `--search adaptive` over the same heights and CRF range, the same preset, metric and ladder
# constraints. Prints per clip: encodes and encoder CPU seconds of each, their ratio, and the
# BD-rate (PCHIP, on the hull metric) of the adaptive ladder against the dense grid's ladder
# (`pertitle compare`; positive: the adaptive ladder needs more bits). Goal: at most 30% of
# the dense grid's encoder CPU and at most 1% BD-rate loss.
# Environment: PRESET (default medium), METRIC (default vmaf), EXTRA (more optimize options).
# Needs jq.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jq >/dev/null || { echo "installing jq"; ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y -qq jq >/dev/null; }
cargo build --release --locked --quiet
bin=$PWD/target/release/pertitle
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
preset=${PRESET:-medium}
metric=${METRIC:-vmaf}
read -r -a extra <<< "${EXTRA:-}"
heights=1080,720,540,360,270,216
dense_crfs=16,19,22,25,28,31,34,37,40,43
if [ $# -gt 0 ]; then clips=("$@"); else clips=(../shared/clips/*.mp4); fi
printf '%-34s %8s %8s %8s %8s %7s %9s\n' clip "dense n" "dense s" "adapt n" "adapt s" "CPU %" "BD-rate"
for clip in "${clips[@]}"; do
  name=$(basename "$clip" .mp4)
  common=(--quiet --preset "$preset" --metric "$metric" --resolutions "$heights" "${extra[@]}")
  "$bin" optimize "$clip" -o "$dir/$name/dense" "${common[@]}" --crf "$dense_crfs" >/dev/null
  "$bin" optimize "$clip" -o "$dir/$name/adaptive" "${common[@]}" --crf 16,43 --search adaptive >/dev/null
  d="$dir/$name/dense/ladder.json" a="$dir/$name/adaptive/ladder.json"
  dn=$(jq .search.encodes "$d") ds=$(jq .timing.encode_cpu_s "$d")
  an=$(jq .search.encodes "$a") as=$(jq .timing.encode_cpu_s "$a")
  bd=$("$bin" compare "$d" "$a" --json | jq .bd_rate_percent)
  printf '%-34s %8d %8.1f %8d %8.1f %6.1f%% %+8.2f%%\n' "$name" "$dn" "$ds" "$an" "$as" \
    "$(awk -v a="$as" -v d="$ds" 'BEGIN { print 100 * a / d }')" "$bd"
done

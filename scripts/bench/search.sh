#!/usr/bin/env bash
# Adaptive search against a dense grid, clip by clip: on every clip in ../shared/clips (or the
# clips given as arguments), `pertitle optimize` with a dense grid (6 heights x 10 CRFs,
# 16..43 in steps of 3; the heights are the source's divided by 1, 1.5, 2, 3, 4 and 6, the
# downscale ratios of AOM's common test conditions for adaptive streaming) and with the
# default search (adaptive, at the default proxy preset, with its rungs encoded at PRESET)
# over the same heights and CRF range, the same preset, metric and ladder constraints.
# Prints per clip: encodes and encoder CPU seconds of each (proxy and final preset
# together), their ratio, the wall times, and the BD-rate (PCHIP, on the hull metric) of the
# adaptive ladder against the dense grid's ladder (`pertitle compare`; positive: the
# adaptive ladder needs more bits). Goal: at most 30% of the dense grid's encoder CPU and at
# most 1% BD-rate loss on every clip.
#
# Environment:
#   PRESET    final x264 preset (default medium)
#   METRIC    hull metric (default vmaf)
#   ADAPTIVE  options of the adaptive run (default: none, i.e. the defaults under test;
#             e.g. "--proxy-preset veryfast" or "--no-proxy")
#   EXTRA     more options for both runs
#   OUT       keep the runs in this directory (default: a temporary one, removed)
#   REUSE_DENSE=1  with OUT: reuse a dense run already there (same options) instead of
#             running it again
#   DENSE_ONLY=1   run the dense grids only (to reuse later)
# Needs jq.
source "$(dirname "$0")/common.sh"
need_jq
build
if [ -n "${OUT:-}" ]; then
  dir=$OUT
  mkdir -p "$dir"
else
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
# A copy, so a rebuild while the benchmark runs does not change the program under test.
bin=$dir/pertitle
cp target/release/pertitle "$bin"
preset=${PRESET:-medium}
metric=${METRIC:-vmaf}
read -r -a extra <<< "${EXTRA:-}"
read -r -a adaptive <<< "${ADAPTIVE:-}"
dense_crfs=16,19,22,25,28,31,34,37,40,43
if [ $# -gt 0 ]; then clips=("$@"); else clips=(../shared/clips/*.mp4); fi
echo "final preset $preset, metric $metric, adaptive options: ${ADAPTIVE:-(defaults)} ${EXTRA:-}"
printf '%-28s %7s %8s %7s %8s %7s %8s %8s %9s\n' clip "dense n" "dense s" "adapt n" "adapt s" "CPU %" "dense w" "adapt w" "BD-rate"
for clip in "${clips[@]}"; do
  name=$(basename "$clip" .mp4)
  h=$("$bin" probe "$clip" | jq .height)
  heights=$(awk -v h="$h" 'BEGIN { n = split("1 1.5 2 3 4 6", r, " ");
    for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? "," : ""), 2 * int(h / r[i] / 2 + 0.5) }')
  common=(--quiet --preset "$preset" --metric "$metric" --resolutions "$heights" "${extra[@]}")
  key="${common[*]} --crf $dense_crfs --search grid"
  d="$dir/$name/dense/ladder.json" a="$dir/$name/adaptive/ladder.json"
  if [ "${REUSE_DENSE:-0}" = 1 ] && [ -f "$d" ] && [ "$(cat "$dir/$name/dense/options" 2>/dev/null)" = "$key" ]; then
    :
  else
    "$bin" optimize "$clip" -o "$dir/$name/dense" "${common[@]}" --crf "$dense_crfs" --search grid >/dev/null
    echo "$key" > "$dir/$name/dense/options"
  fi
  if [ "${DENSE_ONLY:-0}" = 1 ]; then
    echo "$name: dense grid in $dir/$name/dense"
    continue
  fi
  "$bin" optimize "$clip" -o "$dir/$name/adaptive" "${common[@]}" --crf 16,43 "${adaptive[@]}" >/dev/null
  dn=$(jq ".ladders[0].search.encodes" "$d") ds=$(jq .timing.encode_cpu_s "$d") dw=$(jq .timing.wall_s "$d")
  an=$(jq ".ladders[0].search.encodes" "$a") as=$(jq .timing.encode_cpu_s "$a") aw=$(jq .timing.wall_s "$a")
  bd=$("$bin" compare "$d" "$a" --json | jq .bd_rate_percent)
  printf '%-28s %7d %8.1f %7d %8.1f %6.1f%% %8.1f %8.1f %+8.2f%%\n' "$name" "$dn" "$ds" "$an" "$as" \
    "$(awk -v a="$as" -v d="$ds" 'BEGIN { print 100 * a / d }')" "$dw" "$aw" "$bd"
done

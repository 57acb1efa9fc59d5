#!/usr/bin/env bash
# How much a sampled grid (`optimize --sample SHARE`) costs in accuracy on long titles: on
# ../shared/clips/montage_720p25.mp4 (30 s, 12 shots) and on that title looped LOOPS times
# (default 4: 2 min), `pertitle optimize` (the default grid at x264 veryfast, 4 s segments)
# on the whole title and with --sample 1/2, 1/4 and 1/8. For each share: its windows, its
# CPU time against the whole title's, how far its points' estimates stray from the whole
# title's (mean |VMAF difference|, mean |bitrate difference| in %), and the BD-rate of the
# ladder chosen on the sample against the one chosen on the whole title, each rung valued on
# the whole title's measurements (a rung between two measured CRFs as the ladder interpolates
# it: CRF linear in log bitrate, quality linear in bitrate), so the BD-rate measures the
# rungs chosen, not the sample's estimates.
# Usage: scripts/bench/sample.sh [TITLE...]   (default: the montage and its loop).
# Environment: LOOPS (default 4), SHARES (default "0.5 0.25 0.125"), KEEP=DIR (keep every
# run under DIR). Needs jq and ffmpeg.
source "$(dirname "$0")/common.sh"
need_jq
build
if [ -n "${KEEP:-}" ]; then
  dir=$KEEP
  mkdir -p "$dir"
else
  temp_dir
fi
titles=("$@")
if [ ${#titles[@]} -eq 0 ]; then
  montage=../shared/clips/montage_720p25.mp4
  [ -f "$montage" ] || { echo "SKIP: $montage is absent (the shared clips sit beside the repository)"; exit 0; }
  loops=${LOOPS:-4}
  looped="$dir/montage_x$loops.mp4"
  # The lossless title played LOOPS times, stream-copied.
  [ -f "$looped" ] || ffmpeg -v error -stream_loop $((loops - 1)) -i "$montage" -c copy "$looped"
  titles=("$montage" "$looped")
fi
# The rungs of ladder $2 valued on the points of ladder $1, as [[kbps, VMAF], ...].
value() {
  jq -n --slurpfile a "$1" --slurpfile m "$2" '
    def at($pts; $h; $c):
      ([$pts[] | select(.height == $h)] | sort_by(.crf)) as $p
      | ([$p[] | select(.crf <= $c)] | last) as $lo
      | ([$p[] | select(.crf >= $c)] | first) as $hi
      | if $lo.crf == $hi.crf then [$lo.bitrate_kbps, $lo.vmaf]
        else (($c - $lo.crf) / ($hi.crf - $lo.crf)) as $t
          | (($lo.bitrate_kbps | log) + $t * (($hi.bitrate_kbps | log) - ($lo.bitrate_kbps | log))
             | exp) as $k
          | [$k, $lo.vmaf + ($k - $lo.bitrate_kbps) / ($hi.bitrate_kbps - $lo.bitrate_kbps)
                 * ($hi.vmaf - $lo.vmaf)]
        end;
    [$m[0].ladders[0].rungs[] | at($a[0].ladders[0].points; .height; .crf)]'
}
printf '%-18s %6s %8s %8s %6s %12s %12s %9s\n' title share windows frames "CPU x" "mean |dVMAF|" "mean |dkbps|" BD-rate
for title in "${titles[@]}"; do
  name=$(basename "$title" .mp4)
  read -r -a shares <<<"${SHARES:-0.5 0.25 0.125}"
  for share in 1 "${shares[@]}"; do
    run="$dir/$name/$share"
    if [ ! -f "$run/ladder.json" ]; then
      rm -rf "$run"
      /usr/bin/time -f "%U %S" -o "$dir/$name.$share.time" \
        "$bin" optimize "$title" -o "$run" --preset veryfast --no-proxy --search grid \
        --sample "$share" --quiet >/dev/null
    fi
  done
  full="$dir/$name/1"
  read -r fu fs <"$dir/$name.1.time"
  value "$full/ladder.json" "$full/ladder.json" >"$full/curve.json"
  for share in "${shares[@]}"; do
    run="$dir/$name/$share"
    read -r u s <"$dir/$name.$share.time"
    windows=$(jq '.ladders[0].search.sample | length' "$run/ladder.json")
    frames=$(jq '[.ladders[0].search.sample[].frames] | add // 0' "$run/ladder.json")
    # Point by point: the same (height, CRF) measured on the sample and on the whole title.
    read -r dvmaf dkbps < <(jq -rn --slurpfile a "$full/ladder.json" --slurpfile b "$run/ladder.json" '
      [$a[0].ladders[0].points, $b[0].ladders[0].points] | transpose
      | [map((.[0].vmaf - .[1].vmaf) | fabs), map((.[1].bitrate_kbps / .[0].bitrate_kbps - 1) * 100 | fabs)]
      | "\(.[0] | add / length) \(.[1] | add / length)"')
    value "$full/ladder.json" "$run/ladder.json" >"$run/curve.json"
    bd=$("$bin" compare "$full/curve.json" "$run/curve.json" --json 2>/dev/null |
      jq -r '.bd_rate_percent // "n/a" | if type == "number" then "\(. * 100 | round / 100)%" else . end' ||
      echo n/a)
    cpu=$(awk -v a="$u" -v b="$s" -v c="$fu" -v d="$fs" 'BEGIN { printf "%.2f", (a + b) / (c + d) }')
    printf '%-18s %6s %8s %8s %6s %12.3f %11.2f%% %9s\n' "$name" "$share" "$windows" "$frames" "$cpu" "$dvmaf" "$dkbps" "$bd"
  done
done

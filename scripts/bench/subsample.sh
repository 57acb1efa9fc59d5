#!/usr/bin/env bash
# How much VMAF subsampling costs in accuracy: on each shared clip, `pertitle optimize` (the
# default grid at x264 veryfast) with --vmaf-subsample 1, 2, 3 and 5. For each N against N = 1:
# the mean and the worst |VMAF difference| over the grid's points (same encodes, so only the
# frames scored differ), and the BD-rate of the ladder chosen with N against the one chosen
# with N = 1, both among measured points (`ladder --measured-only`), each rung valued at its
# N = 1 quality (its true quality), so the BD-rate measures the rungs chosen, not the scores.
# Usage: scripts/bench/subsample.sh [CLIP...]   (default: every clip in ../shared/clips but
# the montage). Needs jq. KEEP=DIR keeps the runs.
source "$(dirname "$0")/common.sh"
need_jq
build
if [ -n "${KEEP:-}" ]; then
  dir=$KEEP   # every run kept under DIR
  mkdir -p "$dir"
else
  temp_dir
fi
clips=("$@")
if [ ${#clips[@]} -eq 0 ]; then
  [ -d ../shared/clips ] || { echo "SKIP: ../shared/clips is absent"; exit 0; }
  for c in ../shared/clips/*.mp4; do
    case "$c" in *montage*) ;; *) clips+=("$c") ;; esac
  done
fi
printf '%-36s %3s %12s %12s %10s\n' clip N "mean |dVMAF|" "worst |dVMAF|" "BD-rate"
for clip in "${clips[@]}"; do
  name=$(basename "$clip" .mp4)
  for n in 1 2 3 5; do
    "$bin" optimize "$clip" -o "$dir/$name/$n" --preset veryfast --no-proxy --search grid \
      --vmaf-subsample "$n" --quiet >/dev/null
    "$bin" ladder "$dir/$name/$n/ladder.json" -o "$dir/$name/$n/measured.json" --measured-only \
      >/dev/null
  done
  base="$dir/$name/1/ladder.json"
  for n in 2 3 5; do
    run="$dir/$name/$n/ladder.json"
    # Point by point: the same (height, CRF) in both runs.
    read -r mean worst < <(jq -rn --slurpfile a "$base" --slurpfile b "$run" '
      [$a[0].ladders[0].points, $b[0].ladders[0].points] | transpose
      | map((.[0].vmaf - .[1].vmaf) | fabs)
      | "\(add / length) \(max)"')
    # The N ladder's rungs at their N = 1 quality: a curve file for `compare`.
    jq -n --slurpfile a "$base" --slurpfile m "$dir/$name/$n/measured.json" '
      [$m[0].ladders[0].rungs[] as $r
       | $a[0].ladders[0].points[] | select(.height == $r.height and .crf == $r.crf)
       | [.bitrate_kbps, .vmaf]]' >"$dir/$name/$n/curve.json"
    jq -n --slurpfile a "$dir/$name/1/measured.json" \
      '[$a[0].ladders[0].rungs[] | [.bitrate_kbps, .vmaf]]' >"$dir/$name/1/curve.json"
    bd=$("$bin" compare "$dir/$name/1/curve.json" "$dir/$name/$n/curve.json" --json 2>/dev/null |
      jq -r '.bd_rate_percent // "n/a" | if type == "number" then "\(. * 100 | round / 100)%" else . end' ||
      echo n/a)
    printf '%-36s %3s %12.4f %12.4f %10s\n' "$name" "$n" "$mean" "$worst" "$bd"
  done
done

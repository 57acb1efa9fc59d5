#!/usr/bin/env bash
# The cost of measuring a grid: `pertitle optimize` on ../shared/clips/coffee_pour_720p30.mp4
# (heights 720/540/360/240 x CRF 18..42 step 4 = 28 points, x264 veryfast, 2 jobs), run one
# after another with each measurement setting below; prints wall time, CPU time (user + system)
# and peak RSS of each, and the rungs each chose.
# Usage: scripts/bench/grid.sh [NAME=OPTIONS ...]
#   default runs: vmaf (the default engine), psnr (--metric psnr).
#   e.g. scripts/bench/grid.sh vmaf= "sub5=--vmaf-subsample 5"
# Environment: CLIP (another source), KEEP=DIR (keep every run's ladder.json under DIR).
source "$(dirname "$0")/common.sh"
need_jq
build
clip=${CLIP:-../shared/clips/coffee_pour_720p30.mp4}
[ -f "$clip" ] || { echo "SKIP: $clip is absent (the shared clips sit beside the repository)"; exit 0; }
temp_dir
out=${KEEP:-$dir}
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=("vmaf=" "psnr=--metric psnr")
grid=(--resolutions 720,540,360,240 --crf 18,22,26,30,34,38,42 --preset veryfast --no-proxy
  --search grid --jobs 2 --quiet)
echo "grid: $clip, 28 points (720/540/360/240 x CRF 18..42 step 4), x264 veryfast, 2 jobs"
printf '%-10s %8s %8s %10s  %s\n' run "wall s" "CPU s" "peak MB" "rungs (height@CRF)"
for run in "${runs[@]}"; do
  name=${run%%=*}
  read -r -a extra <<<"${run#*=}"
  rm -rf "$out/$name"
  /usr/bin/time -f "%e %U %S %M" -o "$dir/$name.time" \
    "$bin" optimize "$clip" -o "$out/$name" "${grid[@]}" "${extra[@]}" >/dev/null
  read -r wall user sys kb <"$dir/$name.time"
  rungs=$(jq -r '[.ladders[0].rungs[] | "\(.height)@\(.crf)"] | join(" ")' "$out/$name/ladder.json")
  awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v k="$kb" -v r="$rungs" \
    'BEGIN { printf "%-10s %8.1f %8.1f %10.0f  %s\n", n, w, u + s, k / 1024, r }'
done

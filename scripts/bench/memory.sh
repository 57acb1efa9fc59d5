#!/usr/bin/env bash
# Peak memory of `pertitle optimize` on a 5 s and a 60 s 1080p source made by the same
# generator: with streaming, the two peaks should differ by a small margin only.
# Prints both peak RSS values and their ratio. Needs the ffmpeg CLI (scripts/setup.sh).
# Usage: ./scripts/bench/memory.sh [extra optimize options]   (default grid below)
source "$(dirname "$0")/common.sh"
build
temp_dir
grid=(--resolutions 1080,540 --crf 23,33 --preset ultrafast)
[ $# -gt 0 ] && grid=("$@")
declare -A rss
for secs in 5 60; do
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30,noise=alls=8:allf=t" -t "$secs" \
    -pix_fmt yuv420p -c:v libx264 -preset ultrafast -crf 16 "$dir/src_$secs.mp4"
  /usr/bin/time -f "%M %e" -o "$dir/time_$secs" \
    "$bin" optimize "$dir/src_$secs.mp4" -o "$dir/out_$secs" "${grid[@]}" --quiet >/dev/null
  read -r kb wall < "$dir/time_$secs"
  rss[$secs]=$kb
  printf '%3ss source: peak RSS %8d KB, wall %6.1f s\n' "$secs" "$kb" "$wall"
done
awk -v a="${rss[5]}" -v b="${rss[60]}" \
  'BEGIN { printf "60 s / 5 s peak RSS: %.3f (difference %d KB)\n", b / a, b - a }'

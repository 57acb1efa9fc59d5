#!/usr/bin/env bash
# Speed of `pertitle score` (PSNR Y/U/V + SSIM Y, both files decoded) against the FFmpeg CLI
# doing the same work with its psnr and ssim filters, on every clip in ../shared/clips
# against an x264 encode of it. Prints both times (best of 3) and the ratio per clip.
# Needs the ffmpeg CLI (scripts/setup.sh).
source "$(dirname "$0")/common.sh"
clips=../shared/clips
if [ ! -d "$clips" ]; then echo "SKIP: $clips is absent"; exit 0; fi
build
temp_dir
printf '%-36s %7s %10s %10s %7s\n' clip frames pertitle ffmpeg ratio
for ref in "$clips"/*.mp4; do
  name=$(basename "$ref" .mp4)
  dist="$dir/$name.mp4"
  ffmpeg -hide_banner -loglevel error -y -i "$ref" -c:v libx264 -preset ultrafast -crf 30 "$dist"
  frames=$("$bin" probe "$ref" | awk -F': ' '/frame_count/ {gsub(",","",$2); print $2}')
  ours=$(best_of 3 "$bin" score "$ref" "$dist" --json)
  theirs=$(best_of 3 ffmpeg -hide_banner -nostdin -loglevel error -i "$ref" -i "$dist" \
    -filter_complex "[0:v]split[r1][r2];[1:v]split[d1][d2];[d1][r1]psnr[o1];[d2][r2]ssim[o2]" \
    -map "[o1]" -f null - -map "[o2]" -f null -)
  printf '%-36s %7s %9.2fs %9.2fs %6.2fx\n' "$name" "$frames" "$ours" "$theirs" \
    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN{print b/a}')"
done
echo "ratio = ffmpeg time / pertitle time (above 1: pertitle is faster)"

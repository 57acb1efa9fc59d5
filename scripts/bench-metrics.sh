#!/usr/bin/env bash
# Metric speed against the FFmpeg CLI, measured in one run on the same 1080p pairs: a 1080p
# source (5 s of FFmpeg's testsrc2; "clean" at CRF 16, and "noisy" with film-like noise at
# CRF 10, which is far costlier to decode) and an x264 encode of it at 540p.
# For each pair it times (best of 5) `pertitle score --metrics psnr,ssim`, the FFmpeg CLI doing
# the same work (decode both, bicubic upscale of the encode, psnr and ssim filters), and the
# FFmpeg CLI only decoding both files (a floor neither can beat), then prints the ratio.
# Last, VMAF on the clean pair: `pertitle score --metrics vmaf` against libvmaf alone on the
# same frames already decoded and resized in memory (examples/vmaf_alone.rs). Needs the
# ffmpeg CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example vmaf_alone
bin=$PWD/target/release/pertitle
alone=$PWD/target/release/examples/vmaf_alone
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
q=(-hide_banner -nostdin -loglevel error)
ffmpeg "${q[@]}" -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -t 5 \
  -pix_fmt yuv420p -c:v libx264 -preset veryfast -crf 16 "$dir/clean.mp4"
ffmpeg "${q[@]}" -y -f lavfi -i "testsrc2=size=1920x1080:rate=30,noise=alls=6:allf=t" -t 5 \
  -pix_fmt yuv420p -c:v libx264 -preset ultrafast -crf 10 "$dir/noisy.mp4"
for s in clean noisy; do
  ffmpeg "${q[@]}" -y -i "$dir/$s.mp4" -vf scale=960:540:flags=lanczos \
    -c:v libx264 -preset veryfast -crf 28 "$dir/${s}_540p.mp4"
done
best() { # best wall time, in seconds, of 5 runs of the command
  local b="" s e t
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
    b=$(awk -v b="$b" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$b"
}
printf '%-6s %10s %10s %12s %8s\n' pair pertitle ffmpeg "decode only" ratio
for s in clean noisy; do
  ref="$dir/$s.mp4"; dist="$dir/${s}_540p.mp4"
  ours=$(best "$bin" score "$ref" "$dist" --metrics psnr,ssim)
  theirs=$(best ffmpeg "${q[@]}" -i "$dist" -i "$ref" \
    -lavfi "[0:v]scale=1920:1080:flags=bicubic,split[d1][d2];[1:v]split[r1][r2];[d1][r1]psnr[o1];[d2][r2]ssim[o2]" \
    -map "[o1]" -f null - -map "[o2]" -f null -)
  floor=$(best ffmpeg "${q[@]}" -i "$dist" -i "$ref" -map 0:v -f null - -map 1:v -f null -)
  printf '%-6s %9.2fs %9.2fs %11.2fs %7.2fx\n' "$s" "$ours" "$theirs" "$floor" \
    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { print b / a }')"
done
echo "ratio = ffmpeg / pertitle for PSNR+SSIM of 150 frames at 1080p (above 1: pertitle is faster)"
vmaf=$(best "$bin" score "$dir/clean.mp4" "$dir/clean_540p.mp4" --metrics vmaf)
lib=""
for _ in 1 2 3 4 5; do
  t=$("$alone" "$dir/clean.mp4" "$dir/clean_540p.mp4" 2>/dev/null)
  lib=$(awk -v b="$lib" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
done
printf 'VMAF v0.6.1 on the clean pair: pertitle score %.2fs, libvmaf alone %.2fs, ratio %.2fx\n' \
  "$vmaf" "$lib" "$(awk -v a="$vmaf" -v b="$lib" 'BEGIN { print a / b }')"

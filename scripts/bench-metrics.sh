#!/usr/bin/env bash
# Metric speed against the FFmpeg CLI, measured in one run on the same 1080p pair: a 1080p
# source (5 s of FFmpeg's testsrc2 with noise, near-lossless) and an x264 encode of it at 540p.
# Times (best of 3) `pertitle score --metrics psnr,ssim` and the FFmpeg CLI doing the same work
# (decode both, bicubic upscale of the encode, psnr and ssim filters), and prints the ratio.
# Needs the ffmpeg CLI (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=$PWD/target/release/pertitle
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ffmpeg -hide_banner -loglevel error -y -f lavfi \
  -i "testsrc2=size=1920x1080:rate=30,noise=alls=6:allf=t" -t 5 \
  -pix_fmt yuv420p -c:v libx264 -preset ultrafast -crf 10 "$dir/ref.mp4"
ffmpeg -hide_banner -loglevel error -y -i "$dir/ref.mp4" -vf scale=960:540:flags=lanczos \
  -c:v libx264 -preset veryfast -crf 28 "$dir/dist.mp4"
best() { # best wall time, in seconds, of 3 runs of the command
  local b="" s e t
  for _ in 1 2 3; do
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')
    b=$(awk -v b="$b" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$b"
}
ours=$(best "$bin" score "$dir/ref.mp4" "$dir/dist.mp4" --metrics psnr,ssim)
theirs=$(best ffmpeg -hide_banner -nostdin -loglevel error -i "$dir/dist.mp4" -i "$dir/ref.mp4" \
  -lavfi "[0:v]scale=1920:1080:flags=bicubic,split[d1][d2];[1:v]split[r1][r2];[d1][r1]psnr[o1];[d2][r2]ssim[o2]" \
  -map "[o1]" -f null - -map "[o2]" -f null -)
printf 'PSNR+SSIM, 150 frames 1080p (540p encode upscaled): pertitle %.2f s, ffmpeg CLI %.2f s, ratio %.2fx\n' \
  "$ours" "$theirs" "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { print b / a }')"
vmaf=$(best "$bin" score "$dir/ref.mp4" "$dir/dist.mp4" --metrics vmaf)
printf 'VMAF v0.6.1, same pair: pertitle %.2f s\n' "$vmaf"

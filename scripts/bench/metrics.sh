#!/usr/bin/env bash
# Metric speed against the FFmpeg CLI, measured in one run on the same 1080p pairs: a 1080p
# source (5 s of FFmpeg's testsrc2; "clean" at CRF 16, and "noisy" with film-like noise at
# CRF 10, which is far costlier to decode) and an x264 encode of it at 540p. A third pair,
# "raw", is the clean encode against the clean source stored uncompressed (.y4m, as a
# mezzanine often is): there decoding costs little and the metrics themselves show.
# For each pair it times `pertitle score --metrics psnr,ssim`, the FFmpeg CLI doing the same
# work (decode both, bicubic upscale of the encode, psnr and ssim filters), and the FFmpeg CLI
# only decoding both files (a floor for the CLI), in 7 interleaved rounds (so that a burst of
# load from elsewhere hits all three), and prints the best time of each and the ratio.
# Last, VMAF on the clean pair: `pertitle score --metrics vmaf` against libvmaf alone on the
# same frames already decoded and resized in memory (examples/vmaf_alone.rs). Needs the
# ffmpeg CLI.
source "$(dirname "$0")/common.sh"
build
cargo build --release --locked --quiet --example vmaf_alone
alone=$PWD/target/release/examples/vmaf_alone
temp_dir
q=(-hide_banner -nostdin -loglevel error)
ffmpeg "${q[@]}" -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -t 5 \
  -pix_fmt yuv420p -c:v libx264 -preset veryfast -crf 16 "$dir/clean.mp4"
ffmpeg "${q[@]}" -y -f lavfi -i "testsrc2=size=1920x1080:rate=30,noise=alls=6:allf=t" -t 5 \
  -pix_fmt yuv420p -c:v libx264 -preset ultrafast -crf 10 "$dir/noisy.mp4"
for s in clean noisy; do
  ffmpeg "${q[@]}" -y -i "$dir/$s.mp4" -vf scale=960:540:flags=lanczos \
    -c:v libx264 -preset veryfast -crf 28 "$dir/${s}_540p.mp4"
done
ffmpeg "${q[@]}" -y -i "$dir/clean.mp4" -f yuv4mpegpipe "$dir/raw.y4m"
cp "$dir/clean_540p.mp4" "$dir/raw_540p.mp4"
reference() { if [ "$1" = raw ]; then echo "$dir/raw.y4m"; else echo "$dir/$1.mp4"; fi; }
runs=7
echo "PSNR+SSIM: best of $runs rounds, each round running the three commands in turn"
printf '%-6s %10s %10s %12s %8s\n' pair pertitle ffmpeg "decode only" ratio
for s in raw clean noisy; do
  ref=$(reference "$s"); dist="$dir/${s}_540p.mp4"
  ours=""; theirs=""; floor=""
  for _ in $(seq "$runs"); do
    ours=$(min "$ours" "$(seconds "$bin" score "$ref" "$dist" --metrics psnr,ssim)")
    theirs=$(min "$theirs" "$(seconds ffmpeg "${q[@]}" -i "$dist" -i "$ref" \
      -lavfi "[0:v]scale=1920:1080:flags=bicubic,split[d1][d2];[1:v]split[r1][r2];[d1][r1]psnr[o1];[d2][r2]ssim[o2]" \
      -map "[o1]" -f null - -map "[o2]" -f null -)")
    floor=$(min "$floor" "$(seconds ffmpeg "${q[@]}" -i "$dist" -i "$ref" -map 0:v -f null - -map 1:v -f null -)")
  done
  printf '%-6s %9.2fs %9.2fs %11.2fs %7.2fx\n' "$s" "$ours" "$theirs" "$floor" \
    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { print b / a }')"
done
echo "ratio = ffmpeg / pertitle for PSNR+SSIM of 150 frames at 1080p (above 1: pertitle is faster)"
printf 'start-up alone (both load FFmpeg'"'"'s shared libraries): pertitle %.3fs, ffmpeg %.3fs\n' \
  "$(best_of 5 "$bin" --version)" "$(best_of 5 ffmpeg -version)"
vmaf=""; lib=""
for _ in $(seq "$runs"); do
  vmaf=$(min "$vmaf" "$(seconds "$bin" score "$dir/clean.mp4" "$dir/clean_540p.mp4" --metrics vmaf)")
  lib=$(min "$lib" "$("$alone" "$dir/clean.mp4" "$dir/clean_540p.mp4" 2>/dev/null)")
done
printf 'VMAF v0.6.1 on the clean pair: pertitle score %.2fs, libvmaf alone %.2fs, ratio %.2fx\n' \
  "$vmaf" "$lib" "$(awk -v a="$vmaf" -v b="$lib" 'BEGIN { print a / b }')"

#!/usr/bin/env bash
# VMAF cost per point-frame when points share a pass: the native engine against libvmaf 3.2.0,
# one thread each, on the first 60 frames of ../shared/clips/coffee_pour_720p30.mp4 against 8
# x264 encodes of them (heights 720/540/360/240 x CRF 23/33, upscaled bicubic to 720p), all in
# memory (examples/vmaf_points.rs). Prints ms per point-frame for each and the ratio.
# Usage: scripts/bench/vmaf.sh [CLIP] [FRAMES]
source "$(dirname "$0")/common.sh"
clip=${1:-../shared/clips/coffee_pour_720p30.mp4}
frames=${2:-60}
[ -f "$clip" ] || { echo "SKIP: $clip is absent (the shared clips sit beside the repository)"; exit 0; }
cargo build --release --locked --quiet --example vmaf_points
temp_dir
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$clip" -frames:v "$frames" -c:v ffv1 "$dir/ref.mkv"
enc=()
for h in 720 540 360 240; do
  for crf in 23 33; do
    ffmpeg -hide_banner -loglevel error -nostdin -y -i "$dir/ref.mkv" -vf "scale=-2:$h:flags=lanczos" \
      -c:v libx264 -preset veryfast -crf "$crf" "$dir/${h}_$crf.mp4"
    enc+=("$dir/${h}_$crf.mp4")
  done
done
target/release/examples/vmaf_points "$dir/ref.mkv" "${enc[@]}"

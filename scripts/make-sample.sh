#!/usr/bin/env bash
# Regenerates samples/sample_720p25.mp4, the clip the demo runs on, from FFmpeg's synthetic
# sources: 3 s of moving test-pattern graphics, then 3 s of a zoom into the Mandelbrot set
# (fine detail everywhere), so the clip has an easy part, a hard part and a scene cut.
# Encoded near-transparently (x264 CRF 17) to stay a few MB. Needs the ffmpeg CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
out=samples/sample_720p25.mp4
mkdir -p samples
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=3" \
  -f lavfi -i "mandelbrot=size=1280x720:rate=25:start_scale=3:end_scale=0.3,trim=duration=3,setpts=PTS-STARTPTS" \
  -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]" -map "[v]" \
  -c:v libx264 -preset slow -crf 17 -g 50 -bitexact -movflags +faststart "$out"
ls -l "$out"

#!/usr/bin/env bash
# Frame pictures against the FFmpeg CLI, measured in one run: `pertitle frames` (one decode of
# the span around the frame's segment, a Lanczos downscale and an encode per rung at its CRF,
# each decoded back, the frame upscaled bicubic to the display size, PNGs and the strip) and
# the FFmpeg CLI doing the same work (one command encoding the same frames at every rung with
# one thread per encoder, then one command per rung decoding its encode and writing the frame,
# upscaled, as a PNG), in 3 interleaved rounds; prints the best wall time of each and the ratio.
# Usage: scripts/bench/frames.sh [LADDER.json]   (default: a ladder of the shipped sample, made
# first with `pertitle optimize --metric psnr`). x264 ladders only. Needs the ffmpeg CLI and jq.
source "$(dirname "$0")/common.sh"
need_jq
build
temp_dir
ladder_or_default "${1:-}"
[ "$(jq -r '.ladders[0].codec' "$ladder")" = x264 ] || { echo "an x264 ladder, please" >&2; exit 1; }
ladder_settings
display=$(jq -r '"\(.settings.display.width):\(.settings.display.height)"' "$ladder")
"$bin" frames "$ladder" -o "$dir/probe" --json >"$dir/frames.json"
frame=$(jq .frame "$dir/frames.json")
from=$(jq .encoded_from_frame "$dir/frames.json")
to=$(jq .encoded_end_frame "$dir/frames.json")
echo "ladder: $ladder ($n rungs, preset $preset), frame $frame, encoded frames $from..$((to - 1))"

cli_encode() { # one FFmpeg CLI command encoding frames from..to at every rung into $1
  local graph="[0:v]trim=start_frame=$from:end_frame=$to,setpts=PTS-STARTPTS,split=$n" i outs=()
  for ((i = 0; i < n; i++)); do graph+="[s$i]"; done
  for ((i = 0; i < n; i++)); do
    local w h crf
    w=$(jq ".ladders[0].rungs[$i].width" "$ladder"); h=$(jq ".ladders[0].rungs[$i].height" "$ladder")
    crf=$(jq ".ladders[0].rungs[$i].crf" "$ladder")
    graph+=";[s$i]scale=$w:$h:flags=lanczos[v$i]"
    outs+=(-map "[v$i]" -c:v libx264 -preset "$preset" -crf "$crf" -threads 1
      -force_key_frames "expr:gte(t,n_forced*$seg)" -x264-params "keyint=$keyint:forced-idr=1"
      "$1/r$i.mkv")
  done
  ffmpeg -hide_banner -nostdin -loglevel error -y -i "$src" -filter_complex "$graph" "${outs[@]}"
}
run_cli() {
  rm -rf "$dir/c"; mkdir -p "$dir/c"
  cli_encode "$dir/c"
  local i
  for ((i = 0; i < n; i++)); do
    ffmpeg -hide_banner -nostdin -loglevel error -y -i "$dir/c/r$i.mkv" \
      -vf "select=eq(n\,$((frame - from))),scale=$display:flags=bicubic" -frames:v 1 "$dir/c/r$i.png"
  done
}
run_pertitle() { rm -rf "$dir/p"; "$bin" frames "$ladder" -o "$dir/p"; }
p="" c=""
for round in 1 2 3; do
  p=$(min "$p" "$(seconds run_pertitle)")
  c=$(min "$c" "$(seconds run_cli)")
done
printf '%-52s %8s\n' "command (best of 3)" "wall s"
printf '%-52s %8.2f\n' "pertitle frames ($n rungs, PNGs and the strip)" "$p"
printf '%-52s %8.2f   pertitle is %.2fx faster\n' "FFmpeg CLI: encode every rung, then a PNG per rung" "$c" \
  "$(awk -v a="$c" -v p="$p" 'BEGIN { print a / p }')"

#!/usr/bin/env bash
# Packaging speed against the FFmpeg CLI, measured in one run: the final encodes of a ladder's
# rungs (one decode of the source, a Lanczos downscale and an x264 encode per rung at its CRF,
# keyframes on segment starts, HLS fMP4 segments) by `pertitle package` and by one FFmpeg CLI
# command doing the same work (split filter, one libx264 encoder and hls muxer per rung), in
# 3 interleaved rounds; prints the best wall time of each and the ratio. The CLI runs twice:
# with x264's default threads (what a user would run) and with one thread per encoder, as
# pertitle does.
# Usage: scripts/bench/package.sh [LADDER.json]   (default: a ladder of the shipped sample,
# made first with `pertitle optimize --metric psnr`). Needs the ffmpeg CLI and jq.
source "$(dirname "$0")/common.sh"
need_jq
build
temp_dir
ladder_or_default "${1:-}"
ladder_settings
echo "ladder: $ladder ($n rungs, preset $preset, ${seg} s segments), source: $src"

cli_args() { # sets `cli` to the FFmpeg CLI command for the rungs; $1 = x264 threads, $2 = dir
  local graph="[0:v]split=$n" i outs=()
  for ((i = 0; i < n; i++)); do graph+="[s$i]"; done
  for ((i = 0; i < n; i++)); do
    local w h crf
    w=$(jq ".ladders[0].rungs[$i].width" "$ladder"); h=$(jq ".ladders[0].rungs[$i].height" "$ladder")
    crf=$(jq ".ladders[0].rungs[$i].crf" "$ladder")
    graph+=";[s$i]scale=$w:$h:flags=lanczos[v$i]"
    mkdir -p "$2/r$i"
    outs+=(-map "[v$i]" -c:v libx264 -preset "$preset" -crf "$crf" -threads "$1"
      -force_key_frames "expr:gte(t,n_forced*$seg)" -x264-params "keyint=$keyint:forced-idr=1"
      -f hls -hls_time "$seg" -hls_playlist_type vod -hls_segment_type fmp4
      -hls_fmp4_init_filename init.mp4 -hls_segment_filename "$2/r$i/seg_%05d.m4s"
      "$2/r$i/media.m3u8")
  done
  cli=(ffmpeg -hide_banner -nostdin -loglevel error -y -i "$src" -filter_complex "$graph" "${outs[@]}")
}
# --no-score: the CLI command encodes and packages only, so pertitle does not score either.
run_pertitle() { rm -rf "$dir/p"; "$bin" package "$ladder" -o "$dir/p" --quiet --hls --no-score; }
run_cli() { rm -rf "$dir/c$1"; mkdir -p "$dir/c$1"; cli_args "$1" "$dir/c$1"; "${cli[@]}"; }
p="" a="" o=""
for round in 1 2 3; do
  p=$(min "$p" "$(seconds run_pertitle)")
  a=$(min "$a" "$(seconds run_cli auto)")
  o=$(min "$o" "$(seconds run_cli 1)")
done
printf '%-44s %8s\n' "command (best of 3)" "wall s"
printf '%-44s %8.2f\n' "pertitle package (1 thread per encoder)" "$p"
printf '%-44s %8.2f   pertitle is %.2fx faster\n' "FFmpeg CLI, x264 threads auto" "$a" "$(awk -v a="$a" -v p="$p" 'BEGIN { print a / p }')"
printf '%-44s %8.2f   pertitle is %.2fx faster\n' "FFmpeg CLI, x264 threads 1" "$o" "$(awk -v a="$o" -v p="$p" 'BEGIN { print a / p }')"
# The same work: the segments of both add up to about the same size (the CLI's scale filter and
# its frame properties differ slightly from pertitle's scaler, so the bits are not identical).
p_bytes=$(find "$dir/p" -name 'seg_*.m4s' -printf '%s\n' | awk '{ s += $1 } END { print s }')
c_bytes=$(find "$dir/c1" -name 'seg_*.m4s' -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "segment bytes: pertitle $p_bytes, FFmpeg CLI (1 thread) $c_bytes, ratio $(awk -v a="$p_bytes" -v b="$c_bytes" 'BEGIN { printf "%.4f", a / b }')"

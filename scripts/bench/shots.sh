#!/usr/bin/env bash
# Shot-based against per-title ladders from the same trial encodes, on final encodes.
#
# For each title and each codec. Titles: `montage` (the shared montage), `reversed` (its 12
# shots in reverse order, cut losslessly with the FFmpeg CLI at the shot starts of
# ../shared/clips/SOURCES.md: every shot has its own encoder, so it gives the montage's
# figures) and `shuffled` (the six shared clips in another order and other lengths, 4, 2.5, 5,
# 3, 1.5 and 4 s, each at 25 fps scaled and padded to 1280x720, lossless):
#   1. optimize --shots (the grid at --preset, VMAF);
#   2. ladder --per-title-rungs: the per-title ladder of the same trial encodes, and the
#      shot ladders of --shot-resolution fixed|free, --shot-pooling mean|harmonic and
#      --shot-guard none|p5;
#   3. package the nine ladders (every rung encoded and scored on every frame);
#   4. BD-rate (PCHIP) of each shot ladder's renditions against the per-title ladder's, on
#      the VMAF mean, 5th percentile and harmonic mean, from package.json (video bits only);
#      against the per-title ladder of trial encodes only (`msr`, --measured-only: no CRF
#      interpolated between the grid's, as shot rungs take none), on the mean and 5th
#      percentile; and the hulls' BD-rate on the mean (examples/shot_gain: fixed and free).
# Prints one line per title, codec, shot resolution, pooling and guard; everything stays in a
# temporary directory.
#
#   scripts/bench/shots.sh [CODECS]      # default: x264 x265
# Environment: PRESET (default veryfast), CLIPS (default ../shared/clips), TITLES (default
# "montage shuffled"), CACHE (a trial cache directory for optimize, default none), RUNGS
# (default "fixed free"), POOLINGS (default "mean harmonic") and GUARDS (default "none p5"):
# the shot ladders to package; BIN and GAIN: a pertitle binary and a shot_gain example to use
# instead of building them.
source "$(dirname "$0")/common.sh"
need_jq
build
if [ -n "${GAIN:-}" ]; then
  gain=$GAIN
else
  cargo build --release --locked --quiet --example shot_gain
  gain=$PWD/target/release/examples/shot_gain
fi
temp_dir
clips=${CLIPS:-../shared/clips}
montage=$clips/montage_720p25.mp4
[ -f "$montage" ] || { echo "SKIP: $montage not found"; exit 0; }
preset=${PRESET:-veryfast}
codecs=${*:-x264 x265}

# The montage's shots in reverse order.
starts=(0 63 126 189 252 315 378 441 504 566 628 691 754)
graph="" labels=""
for ((k = 11; k >= 0; k--)); do
  graph+="[0:v]trim=start_frame=${starts[k]}:end_frame=${starts[k + 1]},setpts=PTS-STARTPTS[s$k];"
  labels+="[s$k]"
done
ffmpeg -v error -i "$montage" -filter_complex "${graph}${labels}concat=n=12:v=1[v]" -map "[v]" \
  -c:v libx264 -qp 0 -preset ultrafast -pix_fmt yuv420p "$dir/reversed.mp4"

# The six clips in another order, other lengths.
shuffle=(bbb_animation_720p25:4 chaplin_bw_film_360p25:2.5 coffee_pour_720p30:5
  endcard_graphics_1080p30:3 talking_head_480p30:1.5 vector_animation_1080x1080p60:4)
inputs=() graph="" labels=""
for k in "${!shuffle[@]}"; do
  name=${shuffle[k]%%:*} seconds=${shuffle[k]##*:}
  inputs+=(-i "$clips/$name.mp4")
  graph+="[$k:v]fps=25,scale=1280:720:force_original_aspect_ratio=decrease,"
  graph+="pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,trim=duration=$seconds,setpts=PTS-STARTPTS[c$k];"
  labels+="[c$k]"
done
ffmpeg -v error "${inputs[@]}" -filter_complex "${graph}${labels}concat=n=6:v=1[v]" -map "[v]" \
  -c:v libx264 -qp 0 -preset ultrafast -pix_fmt yuv420p "$dir/shuffled.mp4"

# A package's renditions as a curve: [video kbps, key's pooled `field`] per rendition.
curve() {
  jq --arg f "$2" '(.segment_durations_s | add) as $d
    | [.renditions[] | [((.segment_video_bits | add) / $d / 1000), .pooling.vmaf[$f]]]' "$1"
}
bd() { "$bin" compare "$1" "$2" --json | jq -r '.bd_rate_percent | . * 100 | round / 100'; }

printf '%-9s %-5s %-5s %-8s %-5s %5s | %8s %8s %8s | %8s %8s | %8s %8s | %s\n' title codec rungs pooling guard shots \
  "BD mean" "BD p5" "BD hmean" "msr mean" "msr p5" "hull fix" "hull free" "optimize"
for codec in $codecs; do
  for title in ${TITLES:-montage shuffled}; do
    clip=$montage
    [ "$title" != montage ] && clip=$dir/$title.mp4
    run=$dir/$title-$codec
    start=$(date +%s)
    "$bin" optimize "$clip" -o "$run" --shots --codec "$codec" --preset "$preset" --no-proxy \
      ${CACHE:+--cache "$CACHE"} --quiet >/dev/null
    took=$(($(date +%s) - start))
    # Per-title rungs as `ladder` chooses them (CRFs between the grid's interpolated, encoded
    # at package time), and among the trial encodes only (--measured-only), as shot rungs are.
    "$bin" ladder "$run/ladder.json" -o "$run/per_title/ladder.json" --per-title-rungs >/dev/null
    "$bin" package "$run/per_title/ladder.json" -o "$run/per_title/stream" --quiet >/dev/null
    "$bin" ladder "$run/ladder.json" -o "$run/measured/ladder.json" --per-title-rungs \
      --measured-only >/dev/null
    "$bin" package "$run/measured/ladder.json" -o "$run/measured/stream" --quiet >/dev/null
    hull=$("$gain" "$run/ladder.json" | awk '/fixed:/ {for (i=1;i<=NF;i++) if ($i ~ /%/) f=$i} /free:/ {for (i=1;i<=NF;i++) if ($i ~ /%/) g=$i} END {gsub(",", "", f); gsub(",", "", g); print f, g}')
    for f in mean p5 harmonic_mean; do
      curve "$run/per_title/stream/package.json" $f >"$dir/title_$f.json"
      curve "$run/measured/stream/package.json" $f >"$dir/measured_$f.json"
    done
    for rungs in ${RUNGS:-fixed free}; do
      for pooling in ${POOLINGS:-mean harmonic}; do
        for guard in ${GUARDS:-none p5}; do
          shot=$run/$rungs-$pooling-$guard
          "$bin" ladder "$run/ladder.json" -o "$shot/ladder.json" --shot-resolution "$rungs" \
            --shot-pooling "$pooling" --shot-guard "$guard" >/dev/null
          "$bin" package "$shot/ladder.json" -o "$shot/stream" --quiet >/dev/null
          bds="" measured=""
          for f in mean p5 harmonic_mean; do
            curve "$shot/stream/package.json" $f >"$dir/shot_$f.json"
            bds+="$(bd "$dir/title_$f.json" "$dir/shot_$f.json")% "
          done
          for f in mean p5; do
            measured+="$(bd "$dir/measured_$f.json" "$dir/shot_$f.json")% "
          done
          printf '%-9s %-5s %-5s %-8s %-5s %5s | %8s %8s %8s | %8s %8s | %8s %8s | %s s\n' "$title" \
            "$codec" "$rungs" "$pooling" "$guard" "$(jq '.shots.shots | length' "$run/ladder.json")" \
            $bds $measured $hull "$took"
        done
      done
    done
  done
done

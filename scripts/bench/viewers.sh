#!/usr/bin/env bash
# Ladders for real viewers, played: on each clip, three ladders over held-out network traces,
# per device class.
#
#   scripts/bench/viewers.sh [CLIP...]      (default: every clip in ../shared/clips)
#
# (a) Apple's HLS ladder, encoded on the title (`optimize --compare-to apple-hls`: its rungs'
#     own trial encodes, played with `simulate --reference`);
# (b) today's default ladder (`optimize` with its defaults; packaged so that its interpolated
#     rungs play their final encodes);
# (c) the ladder chosen for a viewer mix (`ladder --viewers`) of phones on mobile networks and
#     laptops and TVs on fixed broadband, built from one half of ../shared/traces, packaged.
# Each device class then plays all three over the other half of the traces (`simulate`, the
# dynamic ABR, 10-minute sessions, 4 offsets per trace) and the script prints, per clip and
# device, each ladder's mean QoE, stall ratio, GB per viewing hour and QoE per GB.
#
# The traces are split by file, alternately in name order: the even-numbered files of each
# set build the mix, the odd-numbered ones test it. Phones: 3g_norway_hsdpa and 4g_ghent;
# laptops: fcc_sd; TVs: fcc_hd.
#
# OUT: where the runs are kept (default out/bench-viewers; a clip already done is reused).
# PRESET: x264's preset (default medium). JOBS: parallel encodes (default: the cores).
# COST_WEIGHT: also pass `--cost-weight` to the viewer-mix ladder (default: none).
# PERTITLE: a pertitle binary to use instead of building this checkout.
source "$(dirname "$0")/common.sh"
need_jq
if [ -n "${PERTITLE:-}" ]; then bin=$PERTITLE; else build; fi
shared=${SHARED:-../shared}
out=${OUT:-out/bench-viewers}
preset=${PRESET:-medium}
mkdir -p "$out/traces"
out=$(cd "$out" && pwd)

# The trace halves: $out/traces/{build,test}-{phone,laptop,tv}/ as symbolic links.
split() { # split DEVICE SET...
  local device=$1 set i f
  shift
  rm -rf "$out/traces/build-$device" "$out/traces/test-$device"
  mkdir -p "$out/traces/build-$device" "$out/traces/test-$device"
  for set in "$@"; do
    i=0
    for f in $(ls "$shared/traces/$set" | sort); do
      if [ $((i % 2)) = 0 ]; then half=build; else half=test; fi
      ln -s "$(cd "$shared/traces/$set" && pwd)/$f" "$out/traces/$half-$device/$set-$f"
      i=$((i + 1))
    done
  done
}
split phone 3g_norway_hsdpa 4g_ghent
split laptop fcc_sd
split tv fcc_hd
cat >"$out/traces/mix.json" <<'EOF'
{
  "devices": [
    {"device": "phone", "traces": "build-phone"},
    {"device": "laptop", "traces": "build-laptop"},
    {"device": "tv", "traces": "build-tv"}
  ]
}
EOF

if [ $# = 0 ]; then
  set -- "$shared"/clips/*.mp4
fi
jobs=()
[ -n "${JOBS:-}" ] && jobs=(--jobs "$JOBS")
for clip in "$@"; do
  name=$(basename "$clip" .mp4)
  d="$out/$name"
  if [ ! -f "$d/default/stream/package.json" ]; then
    rm -rf "$d"
    "$bin" optimize "$clip" -o "$d/default" --preset "$preset" --devices phone,laptop,tv \
      --compare-to apple-hls --package --quiet "${jobs[@]}" >/dev/null
  fi
  if [ ! -f "$d/mix/stream/package.json" ]; then
    weight=()
    [ -n "${COST_WEIGHT:-}" ] && weight=(--cost-weight "$COST_WEIGHT")
    "$bin" ladder "$d/default/ladder.json" -o "$d/mix/ladder.json" \
      --viewers "$out/traces/mix.json" "${weight[@]}" >"$d/mix.log" 2>&1
    "$bin" package "$d/mix/ladder.json" -o "$d/mix/stream" --quiet "${jobs[@]}" >/dev/null
  fi
  for device in phone laptop tv; do
    "$bin" simulate "$d/mix/ladder.json" --package "$d/mix/stream" \
      --compare "$d/default/ladder.json" --compare-package "$d/default/stream" --reference \
      --device "$device" --traces "$out/traces/test-$device" --json >"$d/sim-$device.json"
  done
done

# The table: per clip and device, (a) Apple, (b) default, (c) mix.
printf '%-28s %-7s | %-31s | %-31s | %-31s\n' "" "" "(a) Apple HLS" "(b) default" "(c) viewer mix"
printf '%-28s %-7s |' clip device
for _ in a b c; do printf ' %7s %6s %6s %8s |' QoE stall% GB/h QoE/GB; done
echo
for clip in "$@"; do
  name=$(basename "$clip" .mp4)
  for device in phone laptop tv; do
    f="$out/$name/sim-$device.json"
    printf '%-28s %-7s |' "$name" "$device"
    # The simulation's ladders: [mix, default, Apple]; printed as Apple, default, mix.
    for i in 2 1 0; do
      jq -r --argjson i "$i" '.ladders[$i].summary as $s
        | [$s.figures.qoe.mean, $s.figures.stall_ratio.mean * 100, $s.gb_per_viewing_hour,
           (if $s.gb_per_viewing_hour > 0 then $s.figures.qoe.mean / $s.gb_per_viewing_hour else 0 end)]
        | @tsv' "$f" | awk -F'\t' '{ printf " %7.2f %6.2f %6.3f %8.1f |", $1, $2, $3, $4 }'
    done
    echo
  done
done

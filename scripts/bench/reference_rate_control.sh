#!/usr/bin/env bash
# The rate controls a fixed reference ladder can be encoded with, against one another:
#   scripts/bench/reference_rate_control.sh [CLIP ...]   (default: two of the shared clips)
# For each clip, `pertitle optimize --compare-to LADDER` (apple-hls unless LADDER says) once per --reference-rate-control
# (the grid read from one cache after the first run), then the BD-rate (PCHIP, VMAF) of each
# way's reference rungs against the one-pass ABR rungs, their mean VMAF (negative: the same quality for fewer
# bits, a stronger baseline), their bitrate against the targets, and the per-title ladder's
# BD-rate against each. PRESET (default medium) sets both sides' preset; PERTITLE a binary to
# use instead of building one. Needs jq.
source "$(dirname "$0")/common.sh"
need_jq
if [ -n "${PERTITLE:-}" ]; then bin=$PERTITLE; else build; fi
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
preset=${PRESET:-medium}
ladder=${LADDER:-apple-hls}
clips=("$@")
[ ${#clips[@]} -gt 0 ] || clips=(../shared/clips/talking_head_480p30.mp4 ../shared/clips/bbb_animation_720p25.mp4)
printf '%-24s %-12s %-10s %5s %11s %9s %14s %14s %17s\n' clip ladder mode rungs "kbps/target" "mean VMAF" "BD-rate vs abr" "BD-VMAF vs abr" "per-title BD-rate"
for clip in "${clips[@]}"; do
  name=$(basename "$clip" .mp4)
  for mode in abr two-pass capped-crf; do
    "$bin" optimize "$clip" -o "$out/$name-$ladder-$mode" --compare-to "$ladder" --reference-rate-control "$mode" \
      --preset "$preset" --cache "$out/cache" --quiet >/dev/null
    # Rungs that came to one encode (a capped CRF under its cap) count once.
    jq '[.ladders[0].comparison.rungs[] | [.bitrate_kbps, .vmaf]] | group_by(.[1]) | map(min_by(.[0])) | sort' \
      "$out/$name-$ladder-$mode/ladder.json" >"$out/$name-$ladder-$mode.curve.json"
  done
  for mode in abr two-pass capped-crf; do
    m="$out/$name-$ladder-$mode/ladder.json"
    ratio=$(jq '[.ladders[0].comparison.rungs[] | .bitrate_kbps / .target_kbps] | add / length' "$m")
    n=$(jq '.ladders[0].comparison.rungs | length' "$m")
    vmaf=$(jq '[.ladders[0].comparison.rungs[] | .vmaf] | add / length' "$m")
    own=$(jq '.ladders[0].comparison.bd_rate_percent // "n/a"' "$m")
    bd=0; bq=0
    if [ "$mode" != abr ]; then
      if "$bin" compare "$out/$name-$ladder-abr.curve.json" "$out/$name-$ladder-$mode.curve.json" --json >"$out/$name-$ladder-$mode.bd.json" 2>"$out/$name-$ladder-$mode.bd.err"; then
        bd=$(jq .bd_rate_percent "$out/$name-$ladder-$mode.bd.json"); bq=$(jq .bd_quality "$out/$name-$ladder-$mode.bd.json")
      else bd="n/a"; bq="n/a"; fi
    fi
    printf '%-24s %-12s %-10s %5s %11.3f %9.2f %14s %14s %17s\n' "$name" "$ladder" "$mode" "$n" "$ratio" "$vmaf" "$bd" "$bq" "$own"
  done
done
echo "manifests and curves in $out"

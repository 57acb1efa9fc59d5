#!/usr/bin/env bash
# Does pertitle's reference ladder stand up to the FFmpeg CLI's? For each clip:
#   scripts/bench/baseline.sh [CLIP ...]   (default: two of the shared clips)
# 1. `pertitle optimize CLIP --compare-to LADDER` (apple-hls unless LADDER says; preset PRESET,
#    medium by default; the reference rate control of REFERENCE_RC, the default unless set):
#    the per-title ladder and pertitle's own BD-rate against its encode of the reference.
# 2. The same reference rungs encoded by the `ffmpeg` program with the same settings: codec and
#    preset, rate control (two-pass: -pass 1/2 with its log file; capped-crf: -crf with
#    -maxrate/-bufsize; abr: -b:v with -maxrate/-bufsize), one encoder thread, a keyframe
#    forced at every segment start (closed GOP, IDR) and the maximum keyframe interval one
#    segment, Lanczos scaling; each scored with `pertitle score` (VMAF, upscaled bicubic to the
#    source's size as trials are) and its bitrate taken from its packets (ffprobe).
# 3. `pertitle compare` of the per-title ladder against that curve (percent), printed next to
#    (1); n/a where fewer than 4 reference rungs differ (capped CRF on an easy title).
# Needs the ffmpeg program, ffprobe and jq. PERTITLE: a binary to use instead of building one.
source "$(dirname "$0")/common.sh"
need_jq
if [ -n "${PERTITLE:-}" ]; then bin=$PERTITLE; else build; fi
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
preset=${PRESET:-medium}
ladder=${LADDER:-apple-hls}
rc_args=()
[ -z "${REFERENCE_RC:-}" ] || rc_args=(--reference-rate-control "$REFERENCE_RC")
clips=("$@")
[ ${#clips[@]} -gt 0 ] || clips=(../shared/clips/talking_head_480p30.mp4 ../shared/clips/bbb_animation_720p25.mp4)

bps() { awk -v k="$1" -v f="$2" 'BEGIN { printf "%d", k * f * 1000 + 0.5 }'; }

printf '%-24s %-12s %-10s %-8s %16s %16s %10s\n' clip ladder "rate ctl" codec "pertitle BD-rate" "ffmpeg BD-rate" difference
for clip in "${clips[@]}"; do
  name=$(basename "$clip" .mp4)
  o="$out/$name-$ladder-${REFERENCE_RC:-default}"
  mkdir -p "$o"
  # The grid's points are kept in OUT/cache, so a second run (another REFERENCE_RC) encodes
  # only the reference rungs.
  "$bin" optimize "$clip" -o "$o/opt" --compare-to "$ladder" --preset "$preset" "${rc_args[@]}" \
    --cache "$out/cache" --quiet >/dev/null
  m="$o/opt/ladder.json"
  codec=$(jq -r '.ladders[0].codec' "$m")
  mode=$(jq -r '.ladders[0].comparison.rate_control_mode' "$m")
  seg=$(jq -r .settings.segment_seconds "$m")
  dur=$(jq -r .source.duration_s "$m")
  keyint=$(jq -r '.source.frame_rate | split("/") | (.[0] | tonumber) / (.[1] | tonumber)' "$m" |
    awk -v s="$seg" '{ k = $1 * s; print (k == int(k)) ? k : int(k) + 1 }')
  case "$codec" in
    x264) enc=(-c:v libx264 -preset "$preset" -threads 1 -forced-idr 1 -x264-params "keyint=$keyint"); crf=23 ;;
    x265) enc=(-c:v libx265 -preset "$preset" -forced-idr 1 -flags +cgop); crf=28
          x265p="pools=none:frame-threads=1:log-level=error:keyint=$keyint" ;;
    *) echo "$codec: the script encodes x264 and x265 only" >&2; exit 1 ;;
  esac
  n=$(jq '.ladders[0].comparison.rungs | length' "$m")
  echo "[]" >"$o/cli.curve.json"
  for ((i = 0; i < n; i++)); do
    w=$(jq ".ladders[0].comparison.rungs[$i].width" "$m"); h=$(jq ".ladders[0].comparison.rungs[$i].height" "$m")
    k=$(jq ".ladders[0].comparison.rungs[$i].target_kbps" "$m")
    common=(-hide_banner -nostdin -loglevel error -y -i "$clip" -an -vf "scale=$w:$h:flags=lanczos"
      -force_key_frames "expr:gte(t,n_forced*$seg)" -pix_fmt yuv420p)
    x265extra=""
    case "$mode" in
      two-pass) rate=(-b:v "$(bps "$k" 1)" -maxrate "$(bps "$k" 1.5)" -bufsize "$(bps "$k" 3)") ;;
      capped-crf) rate=(-crf "$crf" -maxrate "$(bps "$k" 1)" -bufsize "$(bps "$k" 2)") ;;
      abr) rate=(-b:v "$(bps "$k" 1)" -maxrate "$(bps "$k" 1.1)" -bufsize "$(bps "$k" 2)") ;;
    esac
    f="$o/rung$i.mp4"
    if [ "$mode" = two-pass ]; then
      if [ "$codec" = x265 ]; then
        ffmpeg "${common[@]}" "${enc[@]}" "${rate[@]}" -x265-params "$x265p:pass=1:stats=$o/rung$i.log" -f null /dev/null
        ffmpeg "${common[@]}" "${enc[@]}" "${rate[@]}" -x265-params "$x265p:pass=2:stats=$o/rung$i.log" "$f"
      else
        ffmpeg "${common[@]}" "${enc[@]}" "${rate[@]}" -pass 1 -passlogfile "$o/rung$i" -f null /dev/null
        ffmpeg "${common[@]}" "${enc[@]}" "${rate[@]}" -pass 2 -passlogfile "$o/rung$i" "$f"
      fi
    else
      [ "$codec" = x265 ] && x265extra="$x265p"
      ffmpeg "${common[@]}" "${enc[@]}" "${rate[@]}" ${x265extra:+-x265-params "$x265extra"} "$f"
    fi
    bits=$(ffprobe -v error -select_streams v:0 -show_entries packet=size -of csv=p=0 "$f" | awk '{ s += $1 } END { print s * 8 }')
    kbps=$(awk -v b="$bits" -v d="$dur" 'BEGIN { print b / d / 1000 }')
    vmaf=$("$bin" score "$clip" "$f" --metrics vmaf --json | jq .vmaf)
    jq --argjson k "$kbps" --argjson v "$vmaf" '. + [[$k, $v]]' "$o/cli.curve.json" >"$o/cli.tmp" && mv "$o/cli.tmp" "$o/cli.curve.json"
    printf '  %-10s target %6s kbps: pertitle %8.1f kbps VMAF %6.2f | ffmpeg %8.1f kbps VMAF %6.2f\n' "${w}x$h" "$k" \
      "$(jq ".ladders[0].comparison.rungs[$i].bitrate_kbps" "$m")" "$(jq ".ladders[0].comparison.rungs[$i].vmaf" "$m")" "$kbps" "$vmaf"
  done
  # Rungs that came to one encode (a capped CRF under its cap) count once, as pertitle counts them.
  jq 'group_by(.[1]) | map(min_by(.[0])) | sort' "$o/cli.curve.json" >"$o/cli.tmp" && mv "$o/cli.tmp" "$o/cli.curve.json"
  ours=$(jq -r '.ladders[0].comparison.bd_rate_percent // "n/a"' "$m")
  theirs=$("$bin" compare "$o/cli.curve.json" "$m" --json 2>/dev/null | jq -r .bd_rate_percent) || theirs="n/a"
  pct() { awk -v a="$1" 'BEGIN { if (a == "n/a") print a; else printf "%.2f%%", a }'; }
  diff=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a - b }')
  printf '%-24s %-12s %-10s %-8s %16s %16s %10s\n' "$name" "$ladder" "$mode" "$codec" "$(pct "$ours")" "$(pct "$theirs")" "$diff"
done
echo "manifests, encodes and curves in $out"

#!/usr/bin/env bash
# Agreement of `pertitle simulate` with the Sabre simulator (Spiteri et al., MMSys 2018):
# the same movie, trace and settings through both, per ABR algorithm, and the largest
# difference in time-average played bitrate, total rebuffer time and rebuffer events.
#
#   SABRE=path/to/sabre.py scripts/bench/sabre.sh [MOVIE.json]
#
# SABRE: Sabre's simulator, src/sabre.py of github.com/UMass-LIDS/sabre (checked against
# commit 09b03bb; it needs only Python 3). Without it the script says so and stops.
# MOVIE: a Sabre movie JSON (Sabre's example/mmsys18/bbb.json, or `pertitle export LADDER
# --format sabre`); by default one is generated: 8 rungs (235 to 8000 kbps), 150 segments
# of 4 s whose sizes vary by up to 35% around the rung's bitrate.
# TRACES: a directory of Sabre JSON traces, or a list separated by spaces (default: the first
# 10 of each of ../shared/traces/{fcc_hd,3g_norway_hsdpa,4g_ghent}).
# ABRS: the algorithms (default "bola throughput dynamic").
#
# Settings on both sides (Sabre's defaults, without abandonment or replacement):
#   sabre.py -m MOVIE -n TRACE -a ABR [-ab] -noa -r none -b 25 -gp 5
#   pertitle simulate MOVIE --traces TRACE --abr ABR --bola-utility log-bitrate --no-abandon
#     --buffer-seconds 25 --gamma-p 5 --startup-seconds 0 --session-seconds 0 --offsets 1
# (`-ab` is basic BOLA, for bola and dynamic; startup 0 = play once the first segment is in,
# as Sabre does; session 0 = the movie once; one offset = the trace from its start.)
# Sabre counts a stall of about 1e-12 ms when floating-point rounding leaves that much
# unplayed in its final playout; such events (with 0.000000 s of stall) are reported
# apart, not as disagreements.
source "$(dirname "$0")/common.sh"

if [ -z "${SABRE:-}" ] || [ ! -f "$SABRE" ]; then
  echo "SKIP: set SABRE to Sabre's sabre.py (github.com/UMass-LIDS/sabre, src/sabre.py)"
  exit 0
fi
build
temp_dir
movie="${1:-}"
if [ -z "$movie" ]; then
  movie="$dir/movie.json"
  awk 'BEGIN {
    split("235 375 750 1750 3000 4300 5800 8000", r, " ")
    printf "{\"segment_duration_ms\": 4000, \"bitrates_kbps\": [235, 375, 750, 1750, 3000, 4300, 5800, 8000], \"segment_sizes_bits\": ["
    for (k = 0; k < 150; k++) {
      printf "%s[", (k ? ", " : "")
      for (i = 1; i <= 8; i++) printf "%s%d", (i > 1 ? ", " : ""), int(r[i] * 4000 * (1 + 0.35 * sin(k * 0.7 + i)))
      printf "]"
    }
    print "]}"
  }' > "$movie"
fi
if [ -n "${TRACES:-}" ] && [ -d "$TRACES" ]; then
  traces=$(ls "$TRACES"/*.json)
elif [ -n "${TRACES:-}" ]; then
  traces=$TRACES
else
  [ -d ../shared/traces ] || { echo "SKIP: ../shared/traces is absent (set TRACES)"; exit 0; }
  traces=$(for s in fcc_hd 3g_norway_hsdpa 4g_ghent; do
    LC_ALL=C ls ../shared/traces/$s/*.json | head -10; done)
fi

worst=0
t_sabre=0
t_ours=0
now() { date +%s.%N; }
printf '%-11s %-52s %12s %12s %10s %10s %5s %5s\n' abr trace "kbps ours" "kbps Sabre" "stall ours" "Sabre" ev ev
for abr in ${ABRS:-bola throughput dynamic}; do
  basic=(); case $abr in bola|dynamic) basic=(-ab) ;; esac
  for t in $traces; do
    t0=$(now)
    read -r s_kbps s_stall s_events < <(python3 "$SABRE" -m "$movie" -n "$t" -a "$abr" "${basic[@]}" \
      -noa -r none -b 25 -gp 5 | awk -F': ' '
        /^time average played bitrate/ {b = $2} /^total rebuffer:/ {s = $2}
        /^total rebuffer events/ {e = $2} END {print b, s, e}')
    t1=$(now)
    read -r o_kbps o_stall o_events < <("$bin" simulate "$movie" --traces "$t" --abr "$abr" \
      --bola-utility log-bitrate --no-abandon --buffer-seconds 25 --gamma-p 5 \
      --startup-seconds 0 --session-seconds 0 --offsets 1 --csv | awk -F, '
        NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i; next}
        {print $c["time_average_kbps"], $c["stall_s"], $c["stalls"]}')
    t2=$(now)
    t_sabre=$(awk -v a="$t_sabre" -v b="$t0" -v c="$t1" 'BEGIN {print a + c - b}')
    t_ours=$(awk -v a="$t_ours" -v b="$t1" -v c="$t2" 'BEGIN {print a + c - b}')
    d=$(awk -v a="$o_kbps" -v b="$s_kbps" -v c="$o_stall" -v e="$s_stall" 'function abs(x) {return x < 0 ? -x : x}
      BEGIN {x = abs(a - b) / b; y = abs(c - e); printf "%.9f", (x > y ? x : y)}')
    worst=$(awk -v a="$worst" -v b="$d" 'BEGIN {print (b > a ? b : a)}')
    note=""
    [ "${o_events%.*}" != "${s_events%.*}" ] && note=" (events differ)"
    printf '%-11s %-52s %12.4f %12.4f %10.4f %10.4f %5.0f %5.0f%s\n' "$abr" "${t#../shared/traces/}" \
      "$o_kbps" "$s_kbps" "$o_stall" "$s_stall" "$o_events" "$s_events" "$note"
  done
done
echo "largest difference: $worst (relative in kbps, or seconds of stall)"
awk -v s="$t_sabre" -v o="$t_ours" 'BEGIN {printf "time, one process per session: Sabre %.2f s, pertitle %.2f s (%.1fx)\n", s, o, s / o}'
awk -v w="$worst" 'BEGIN {exit !(w < 1e-6)}' || { echo "DISAGREE"; exit 1; }
echo "AGREE"

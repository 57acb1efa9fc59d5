#!/usr/bin/env bash
# What scoring device classes costs: `optimize` on the shipped sample (2 heights x 2 CRFs)
# with its own VMAF at 1080p alone, with phone, laptop and tv (all judged at 1080p: one
# feature pass, one more regression for the phone model), and with a fourth class at
# 1280x720 (features at a second display). Prints each run's CPU time (user + system) and
# its ratio to the first; the best of RUNS runs (default 1).
source "$(dirname "$0")/common.sh"
build
temp_dir
runs=${RUNS:-1}
echo '{"name": "small", "display": "1280x720", "max_width": 1280, "max_height": 720}' >"$dir/small.json"
cpu() { # CPU seconds of one run of pertitle optimize with the extra options given
  local best="" t
  for _ in $(seq "$runs"); do
    rm -rf "$dir/out"
    t=$( { /usr/bin/time -f '%U %S' "$bin" optimize samples/sample_720p25.mp4 -o "$dir/out" \
      --resolutions 360,720 --crf 26,34 --quiet "$@" >/dev/null; } 2>&1 | tail -1 |
      awk '{ print $1 + $2 }')
    best=$(min "$best" "$t")
  done
  echo "$best"
}
base=$(cpu --display 1920x1080)
printf '%-44s %8s %6s\n' "run" "CPU s" "ratio"
printf '%-44s %8.2f %6.3f\n' "VMAF at 1920x1080" "$base" 1
for set in "--devices phone,laptop,tv" "--devices phone,laptop,tv,$dir/small.json"; do
  # shellcheck disable=SC2086
  t=$(cpu $set)
  label=${set/$dir\//}
  printf '%-44s %8.2f %6.3f\n' "$label" "$t" "$(awk -v a="$t" -v b="$base" 'BEGIN { print a / b }')"
done

#!/usr/bin/env bash
# Fuzz pertitle's probe + decode entry points (fuzz/fuzz_targets/probe_decode.rs) with
# cargo-fuzz (libFuzzer), on one core.
#
# Usage: scripts/fuzz.sh [SECONDS] [-- EXTRA_LIBFUZZER_ARGS...]
#   SECONDS   total fuzzing time (default 600); 0 only runs the corpus and seeds once
#   env FUZZ_SANITIZER=address|none   (default address; `none` skips AddressSanitizer)
#
# It installs cargo-fuzz (from crates.io) and a nightly toolchain if they are missing,
# (re)creates the seed corpus in fuzz/corpus/probe_decode-seeds with the `ffmpeg` program,
# builds the target (the first build also builds libvmaf with meson: several minutes), runs
# the fuzzer for SECONDS, then prints the executions, the coverage line and any crash files.
# New corpus entries go to fuzz/corpus/probe_decode; findings to fuzz/artifacts/probe_decode.
# Everything under fuzz/corpus, fuzz/artifacts and fuzz/target is ignored by git.
#
# See what one input does: PERTITLE_FUZZ_VERBOSE=1 \
#   fuzz/target/x86_64-unknown-linux-gnu/release/probe_decode FILE...
# Reproduce a finding:   cd fuzz && cargo +nightly fuzz run --debug-assertions probe_decode FILE
# Minimise it:           cd fuzz && cargo +nightly fuzz tmin --debug-assertions probe_decode FILE
# fuzz/tools/bottomup_mkv.py OUT.mkv writes raw frames FFmpeg decodes bottom-up (a seed).
set -euo pipefail

seconds=${1:-600}
[[ $# -gt 0 ]] && shift
[[ ${1:-} == -- ]] && shift
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [-- EXTRA_LIBFUZZER_ARGS...]" >&2
  exit 2
fi
sanitizer=${FUZZ_SANITIZER:-address}
target=probe_decode

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$root/fuzz
corpus=$fuzz_dir/corpus/$target
seeds=$fuzz_dir/corpus/$target-seeds
artifacts=$fuzz_dir/artifacts/$target
log=$fuzz_dir/artifacts/$target.log

# --- tools -------------------------------------------------------------------------------
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo +nightly install cargo-fuzz
fi
command -v ffmpeg >/dev/null || { echo "$0: the ffmpeg program is needed for the seeds" >&2; exit 1; }

# --- seeds: tiny real files, a few KB each -----------------------------------------------
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
src=(-f lavfi -i "testsrc2=size=64x48:rate=25:duration=0.2")
meta=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact)

ff "${src[@]}" "${meta[@]}" -c:v libx264 -pix_fmt yuv420p "$seeds/h264.mp4"
ff "${src[@]}" "${meta[@]}" -c:v libx264 -pix_fmt yuv420p -bf 2 "$seeds/h264_bframes.mkv"
ff "${src[@]}" "${meta[@]}" -c:v libx264 -pix_fmt yuv444p "$seeds/h264_yuv444p.mp4"
# Rotation (a display matrix) is only written when the stream is copied, not re-encoded.
ff -i "$seeds/h264.mp4" -c copy "${meta[@]}" -metadata:s:v:0 rotate=90 "$seeds/h264_rotate90.mov"
ff "${src[@]}" "${meta[@]}" -c:v libx265 -x265-params log-level=none -pix_fmt yuv420p "$seeds/hevc.mp4"
ff "${src[@]}" "${meta[@]}" -c:v libvpx-vp9 -b:v 100k -pix_fmt yuv420p "$seeds/vp9.webm"
ff "${src[@]}" "${meta[@]}" -c:v libaom-av1 -cpu-used 8 -crf 50 -pix_fmt yuv420p "$seeds/av1.mkv"
ff "${src[@]}" "${meta[@]}" -c:v mpeg2video -pix_fmt yuv420p "$seeds/mpeg2.ts"
ff "${src[@]}" "${meta[@]}" -c:v mjpeg -pix_fmt yuvj420p "$seeds/mjpeg_yuvj420p.avi"
# Odd sides (65x49, so a non-square SAR 196:195), MPEG-4 part 2, turned by 270 degrees.
ff -f lavfi -i "testsrc2=size=64x48:rate=25:duration=0.08,scale=65:49,format=yuv420p" "${meta[@]}" \
  -c:v mpeg4 "$seeds/odd.mov"
ff -i "$seeds/odd.mov" -c copy "${meta[@]}" -metadata:s:v:0 rotate=270 "$seeds/mpeg4_65x49_rotate270.mov"
rm "$seeds/odd.mov"
# pertitle refuses sides under 32 pixels (source::MIN_SIDE), so 48x32.
ff -f lavfi -i "testsrc2=size=48x32:rate=25:duration=0.08" "${meta[@]}" -pix_fmt yuv420p "$seeds/raw.y4m"
ff "${src[@]}" "${meta[@]}" -frames:v 1 "$seeds/frame.png"
# Raw frames FFmpeg decodes bottom-up (negative line sizes): a crash this harness's author
# found, fixed in source::FrameReader; tests/integration/hostile_inputs.rs makes the same file.
if command -v python3 >/dev/null; then
  python3 "$fuzz_dir/tools/bottomup_mkv.py" "$seeds/bottomup_i420.mkv" 64 48 2
fi
# The project's sample is ~4 MB, far over -max_len: its first frames, stream-copied.
if [[ -f $root/samples/sample_720p25.mp4 ]]; then
  ff -i "$root/samples/sample_720p25.mp4" -map 0:v:0 -c copy -frames:v 2 "${meta[@]}" \
    -movflags +faststart "$seeds/sample_head.mp4"
fi
echo "seeds in $seeds:"
ls -l "$seeds"

# --- build and fuzz, one process on one core ----------------------------------------------
# `cargo fuzz run` (re)builds the target first, against the working tree of the library.
cd "$fuzz_dir"
build=(--sanitizer "$sanitizer" --debug-assertions)
if ((seconds > 0)); then
  duration=(-max_total_time="$seconds")
else
  duration=(-runs=0) # libFuzzer reads -max_total_time=0 as "no limit"
fi
status=0
nice -n 10 cargo +nightly fuzz run "${build[@]}" "$target" "$corpus" "$seeds" -- \
  "${duration[@]}" -timeout=10 -rss_limit_mb=4096 -max_len=200000 \
  -print_final_stats=1 "$@" 2>&1 | tee "$log" || status=$?

# --- summary -----------------------------------------------------------------------------
echo
echo "=== summary (log: $log) ==="
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
grep -E '^#[0-9]+' "$log" | tail -n 1 || true
echo "corpus: $(find "$corpus" -type f | wc -l) files in $corpus"
crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) 2>/dev/null | sort)
if [[ -n $crashes ]]; then
  echo "findings:"
  ls -l $crashes
else
  echo "findings: none"
fi
exit "$status"

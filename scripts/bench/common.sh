# Sourced by the benchmarks in scripts/bench/ (`source "$(dirname "$0")/common.sh"`): strict
# mode, the repository root as the working directory, and the steps and helpers they share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# Install jq if it is missing (Debian's package; sudo unless root or SUDO is set).
need_jq() {
  command -v jq >/dev/null || { echo "installing jq"; ${SUDO:-$( [ "$(id -u)" = 0 ] || echo sudo )} apt-get install -y -qq jq >/dev/null; }
}

# Build pertitle (release) and set `bin` to it; with BIN set, use that binary instead (to
# measure one build while working on the next).
build() {
  if [ -n "${BIN:-}" ]; then
    bin=$BIN
    return
  fi
  cargo build --release --locked --quiet
  bin=$PWD/target/release/pertitle
}

# Set `dir` to a new temporary directory, removed on exit.
temp_dir() {
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
}

# Set `ladder` to $1, or when $1 is empty to a ladder of the shipped sample made first with
# `pertitle optimize --metric psnr` in $dir/opt.
ladder_or_default() {
  ladder="${1:-}"
  if [ -z "$ladder" ]; then
    "$bin" optimize samples/sample_720p25.mp4 -o "$dir/opt" --metric psnr --quiet >/dev/null
    ladder="$dir/opt/ladder.json"
  fi
}

# Set `src`, `preset`, `seg` (segment seconds), `keyint` (frames per segment, rounded up) and
# `n` (rungs) from the first ladder of $ladder.
ladder_settings() {
  src=$(jq -r .source.path "$ladder")
  preset=$(jq -r ".ladders[0].preset" "$ladder")
  seg=$(jq -r .settings.segment_seconds "$ladder")
  keyint=$(jq -r '.source.frame_rate | split("/") | (.[0] | tonumber) / (.[1] | tonumber)' "$ladder" |
    awk -v s="$seg" '{ k = $1 * s; print (k == int(k)) ? k : int(k) + 1 }')
  n=$(jq '.ladders[0].rungs | length' "$ladder")
}

seconds() { # wall time of one run of the command, in seconds
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN { print e - s }'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
best_of() { # best_of N COMMAND...: the best wall time of N runs of the command
  local runs=$1 b="" _
  shift
  for _ in $(seq "$runs"); do b=$(min "$b" "$(seconds "$@")"); done
  echo "$b"
}

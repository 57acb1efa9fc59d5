#!/usr/bin/env bash
# End to end on a real Slurm cluster: bring up a one-node cluster on this machine
# (scripts/slurm/up.sh), plan a grid on a shared clip, submit it as a job array with a
# dependent merge (scripts/slurm/submit.sh), wait by polling squeue, check every unit's
# result exists and the merged ladder.json equals a local `pertitle optimize` with the same
# options (timing aside), then tear the cluster down, stopping only what it started.
# Needs root (it installs Debian packages and starts daemons); skips, saying so, otherwise,
# or when ../shared/clips is absent. Times each step.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "[slurm test] $*"; }
clip=../shared/clips/talking_head_480p30.mp4
if [ "$(id -u)" != 0 ]; then say "SKIP: needs root to install and start Slurm"; exit 0; fi
if [ ! -f "$clip" ]; then say "SKIP: $clip is absent"; exit 0; fi
command -v jq >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq jq >/dev/null
# Built as `cargo test --release` builds it (with the test targets, so with the features the
# dev-dependencies add to shared crates): after the test suite, nothing is compiled again.
cargo build --release --locked --quiet --tests
bin=$PWD/target/release/pertitle
work=$(mktemp -d /tmp/pertitle-slurm-test.XXXXXX)
export SLURM_CI_DIR=$work/cluster
cleanup() {
  scripts/slurm/down.sh || true
  rm -rf "$work"
}
trap cleanup EXIT
t0=$(date +%s)
scripts/slurm/up.sh
t1=$(date +%s)

options=(--resolutions 480,360,240 --crf 24,32,40 --metric psnr --preset veryfast)
"$bin" plan "$(realpath "$clip")" -o "$work/plan" "${options[@]}" >/dev/null
units=$(jq '.units | length' "$work/plan/plan.json")
read -r array merge < <(PERTITLE=$bin scripts/slurm/submit.sh "$work/plan" "$work/merged")
say "submitted $units units as job $array, merge as job $merge"
# Poll (sbatch --wait backs off too slowly); fail after 10 minutes.
for _ in $(seq 1200); do
  [ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
  sleep 0.5
done
if [ -n "$(squeue -h -j "$array,$merge" 2>/dev/null)" ]; then
  say "FAIL: jobs still queued after 10 minutes"; squeue >&2; exit 1
fi
t2=$(date +%s)
# A job can show COMPLETED and not have run: check the results themselves.
for rel in $(jq -r '.units[].result' "$work/plan/plan.json"); do
  [ -f "$work/plan/cache/$rel" ] || { say "FAIL: no result $rel"; cat "$work"/plan/logs/* >&2; exit 1; }
done
[ -f "$work/merged/ladder.json" ] || { say "FAIL: the merge wrote no ladder.json"; cat "$work/plan/logs/merge.out" >&2; exit 1; }
"$bin" optimize "$(realpath "$clip")" -o "$work/local" "${options[@]}" --quiet >/dev/null
if ! diff <(jq -S 'del(.timing)' "$work/merged/ladder.json") <(jq -S 'del(.timing)' "$work/local/ladder.json") >/dev/null; then
  say "FAIL: the merged ladder differs from the local run's"
  diff <(jq -S 'del(.timing)' "$work/merged/ladder.json") <(jq -S 'del(.timing)' "$work/local/ladder.json") | head -20 >&2
  exit 1
fi
rungs=$(jq '.ladders[0].rungs | length' "$work/merged/ladder.json")
say "ok: $units units on Slurm, merged ladder ($rungs rungs) equals the local run's; cluster up in $((t1 - t0)) s, jobs done in $((t2 - t1)) s"

#!/usr/bin/env bash
# Submit a plan to Slurm: one array task per work unit (`pertitle run-task PLAN`, its unit
# from SLURM_ARRAY_TASK_ID), then a merge job that starts when every task succeeded
# (`pertitle merge PLAN -o OUTDIR`) and is cancelled if one fails.
#
#   scripts/slurm/submit.sh PLAN [OUTDIR]     (OUTDIR defaults to PLAN/ladder)
#
# Environment: PERTITLE (the binary, default: pertitle on PATH, else this checkout's
# target/release/pertitle), SBATCH_ARGS (more sbatch options, e.g. "--partition=encode
# --cpus-per-task=1"). The source, the plan and its cache must be at the same paths on every
# node. Logs go to PLAN/logs. Prints the array and merge job ids: ARRAY MERGE. Needs jq.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
plan=$(realpath "$1")
out=$(realpath -m "${2:-$plan/ladder}")
[ -f "$plan/plan.json" ] || { echo "$plan: no plan.json (make one with pertitle plan)" >&2; exit 1; }
bin=${PERTITLE:-$(command -v pertitle || echo "$(cd "$(dirname "$0")/../.." && pwd)/target/release/pertitle")}
bin=$(realpath "$bin")
[ -x "$bin" ] || { echo "$bin: no pertitle binary (set PERTITLE)" >&2; exit 1; }
command -v jq >/dev/null || { echo "submit.sh needs jq (apt-get install jq)" >&2; exit 1; }
units=$(jq '.units | length' "$plan/plan.json")
[ "$units" -gt 0 ] || { echo "$plan: the plan has no units" >&2; exit 1; }
read -r -a extra <<< "${SBATCH_ARGS:-}"
# sbatch fails a job whose log directory is missing.
mkdir -p "$plan/logs"
array=$(sbatch --parsable "${extra[@]}" --job-name=pertitle-units --array="0-$((units - 1))" \
  --output="$plan/logs/unit-%a.out" --wrap="exec '$bin' run-task '$plan'")
array=${array%%;*}
merge=$(sbatch --parsable "${extra[@]}" --job-name=pertitle-merge \
  --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$plan/logs/merge.out" --wrap="exec '$bin' merge '$plan' -o '$out'")
merge=${merge%%;*}
echo "$array $merge"

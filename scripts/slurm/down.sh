#!/usr/bin/env bash
# Stop the Slurm cluster scripts/slurm/up.sh started: cancel its jobs, then stop exactly the
# daemons it recorded in $SLURM_CI_DIR/run/pids (default /tmp/pertitle-slurm), nothing else.
set -uo pipefail
dir=${SLURM_CI_DIR:-/tmp/pertitle-slurm}
pids=$dir/run/pids
[ -s "$pids" ] || { echo "[slurm down] nothing was started"; exit 0; }
if squeue -h >/dev/null 2>&1; then
  # slurmd leaves running jobs alive when it exits.
  scancel --full --partition=main 2>/dev/null
  for _ in $(seq 20); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
fi
tac "$pids" | while read -r pid name; do
  case "$pid" in '' | *[!0-9]*) continue ;; esac
  if [ -n "$name" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
    kill -TERM "$pid"
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
    [ -d "/proc/$pid" ] && kill -KILL "$pid"
    echo "[slurm down] stopped $name ($pid)"
  fi
done
rm -f "$pids"

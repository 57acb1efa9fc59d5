#!/usr/bin/env bash
# Bring up a one-node Slurm cluster on this machine (Debian bookworm, root, no systemd), for
# tests: installs slurmctld, slurmd, slurm-client and munge if missing, writes
# /etc/slurm/slurm.conf for this host, starts munged (if no munged answers), slurmctld and
# slurmd, and waits until the node is idle. State, logs and the pids it started go under
# $SLURM_CI_DIR (default /tmp/pertitle-slurm); scripts/slurm/down.sh stops exactly those.
set -euo pipefail
dir=${SLURM_CI_DIR:-/tmp/pertitle-slurm}
host=$(hostname -s)
started=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started) / 1000000 )) ms"; }
say() { echo "[slurm up] $*"; }

if ! dpkg -s slurmctld slurmd slurm-client munge >/dev/null 2>&1; then
  # Another apt may hold the dpkg lock for a while.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi
say "packages installed at $(elapsed)"

for pid in $(cut -d' ' -f1 "$dir/run/pids" 2>/dev/null); do
  if [ -d "/proc/$pid" ]; then say "already running (pid $pid); run scripts/slurm/down.sh first" >&2; exit 1; fi
done
rm -rf "$dir/state" "$dir/run"
mkdir -p "$dir/state/ctld" "$dir/state/d" "$dir/run" "$dir/log"

# remember NAME PIDFILE: daemons write their pid file a little after they return.
remember() {
  for _ in $(seq 100); do
    local pid
    pid=$(cat "$2" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]; then
      echo "$pid $1" >> "$dir/run/pids"
      return 0
    fi
    sleep 0.1
  done
  say "$1 did not start; logs in $dir/log" >&2
  exit 1
}

# Debian's packages start no service: munged runs as munge, with /run/munge its own.
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge
chown munge:munge /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  remember munged /run/munge/munged.pid
fi

# NodeName must be this host's short name. No cgroups here: track processes by pid, no task
# plugin. No accounting database.
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=pertitle-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state/ctld
SlurmdSpoolDir=$dir/state/d
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld
remember slurmctld "$dir/run/slurmctld.pid"
slurmd
remember slurmd "$dir/run/slurmd.pid"
for _ in $(seq 120); do
  if [ "$(sinfo -h -n "$host" -o %T 2>/dev/null)" = idle ]; then say "$host idle at $(elapsed)"; exit 0; fi
  sleep 0.5
done
say "node not idle after 60 s" >&2
sinfo -R >&2 || true
tail "$dir"/log/*.log >&2 || true
exit 1

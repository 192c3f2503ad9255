#!/usr/bin/env bash
# Brings up a one-node Slurm on this machine (controller and node daemons on localhost, munge for
# authentication, no accounting database), for the Slurm runner's tests and for trying the runner out.
#   - installs Debian's packages when they are missing (slurmctld slurmd slurm-client munge; needs root);
#   - writes /etc/slurm/slurm.conf (marked as ours; a configuration written by someone else is never touched);
#   - starts munged, slurmctld and slurmd unless they already run, and waits for the node to be idle.
# Idempotent: run it again and it only checks. scripts/slurm-down.sh stops the daemons.
# State, spool, pid and log files live under $AUTORESEARCH_SLURM_STATE (default /var/tmp/autoresearch-slurm).
set -euo pipefail

state="${AUTORESEARCH_SLURM_STATE:-/var/tmp/autoresearch-slurm}"
conf=/etc/slurm/slurm.conf
marker="# Written by autoresearch's scripts/slurm-up.sh"

say() { echo "slurm-up: $*"; }
fail() {
  echo "slurm-up: $*" >&2
  exit 1
}

node_state() { timeout 10 sinfo -h -n localhost -o %T 2>/dev/null | head -n 1 || true; }

# A Slurm that answers with its own configuration (a real cluster, a developer's own setup) is left alone.
if [ -f "$conf" ] && ! grep -qF "$marker" "$conf"; then
  if command -v sinfo >/dev/null 2>&1 && timeout 10 sinfo -h >/dev/null 2>&1; then
    say "a Slurm with its own configuration ($conf) already answers; leaving it alone"
    exit 0
  fi
  fail "$conf exists and was not written by this script; move it away to use a local test Slurm"
fi

# 1. Packages.
missing=()
for program in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/sbatch /usr/sbin/munged; do
  [ -x "$program" ] || missing+=("$program")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "missing ${missing[*]}; run as root to install Debian's slurm-wlm and munge"
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]}, and apt-get is not available to install them"
  say "installing slurmctld slurmd slurm-client munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi
[ "$(id -u)" -eq 0 ] || fail "the daemons run as root here: run this script as root"

# 2. munge: one key, one daemon.
if [ ! -s /etc/munge/munge.key ]; then
  install -d -o munge -g munge -m 0700 /etc/munge
  if command -v mungekey >/dev/null 2>&1; then mungekey --create --keyfile=/etc/munge/munge.key
  else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
  munge -n | unmunge >/dev/null || fail "munged did not start (see /var/log/munge/munged.log)"
fi

# 3. Configuration for this machine's size.
install -d -m 0755 "$state" "$state/ctld" "$state/d" /etc/slurm
cpus="$(nproc)"
detected_mb="$(/usr/sbin/slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n 1)"
[ -n "$detected_mb" ] || detected_mb="$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)"
# Above what slurmd detects the node drains; a margin keeps it idle when memory reads a little lower later.
memory_mb=$((detected_mb * 9 / 10))
wanted="$(
  cat <<EOF
$marker: a one-node Slurm on localhost for tests. Safe to delete once the daemons are stopped.
ClusterName=autoresearch
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default per CPU a job is given the whole node's memory and jobs run one at a time.
DefMemPerCPU=$((memory_mb / cpus))
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/jobcomp.log
# Finished jobs stay visible to scontrol this long (their exit code is read from there).
MinJobAge=600
# A cancelled job gets SIGKILL this long after SIGTERM.
KillWait=5
ReturnToService=2
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
NodeName=localhost CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
)"

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$wanted" ]; then
  say "writing $conf ($cpus CPUs, $memory_mb MB)"
  printf '%s\n' "$wanted" >"$conf"
  # Daemons started with another configuration are restarted with this one.
  for daemon in slurmd slurmctld; do
    if alive "$state/$daemon.pid"; then
      kill "$(cat "$state/$daemon.pid")"
      for _ in $(seq 50); do alive "$state/$daemon.pid" || break; sleep 0.1; done
    fi
  done
fi

# 4. Daemons.
if ! alive "$state/slurmctld.pid"; then
  say "starting slurmctld"
  /usr/sbin/slurmctld
fi
if ! alive "$state/slurmd.pid"; then
  say "starting slurmd"
  /usr/sbin/slurmd -N localhost
fi

for _ in $(seq 100); do
  case "$(node_state)" in
    idle* | mixed* | allocated* | completing*) break ;;
    down* | drain*) scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
current="$(node_state)"
case "$current" in
  idle* | mixed* | allocated* | completing*) ;;
  *) fail "the node is '${current:-not answering}'; see $state/slurmctld.log and $state/slurmd.log" ;;
esac
say "Slurm is up: partition main, node localhost ($current), $cpus CPUs, $memory_mb MB; state in $state"

#!/usr/bin/env bash
# Stops the one-node Slurm that scripts/slurm-up.sh started: slurmd, then slurmctld, by their pid files.
# munged is left running (other programs may use it). Idempotent: nothing running is fine.
set -euo pipefail

state="${AUTORESEARCH_SLURM_STATE:-/var/tmp/autoresearch-slurm}"

for daemon in slurmd slurmctld; do
  pid_file="$state/$daemon.pid"
  [ -s "$pid_file" ] || continue
  pid="$(cat "$pid_file")"
  if kill -0 "$pid" 2>/dev/null; then
    echo "slurm-down: stopping $daemon ($pid)"
    kill "$pid"
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm-down: $daemon did not stop within 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pid_file"
done
echo "slurm-down: Slurm is stopped"

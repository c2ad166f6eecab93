#!/usr/bin/env bash
# Start (or stop) a one-node SLURM on this machine for the farm tests: munged, slurmctld, slurmd,
# all state under DIR (nothing in /etc/slurm). Prints `export SLURM_CONF=DIR/slurm.conf`.
#   tests/farm/slurm_local.sh start DIR   |   tests/farm/slurm_local.sh stop DIR
# Needs root (or a munge key readable by the user) and Debian's slurm-wlm + munge (.ci/run installs them).
set -euo pipefail
cmd=${1:?start|stop}; D=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
if [ "$cmd" = stop ]; then
  for p in slurmd slurmctld munged; do
    [ -f "$D/$p.pid" ] && kill "$(cat "$D/$p.pid")" 2>/dev/null || true
  done
  exit 0
fi
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p "$D/state" "$D/spool" "$D/munge" "$D/log"
if [ ! -S "$D/munge/munge.socket" ]; then
  [ -f "$D/munge/munge.key" ] || { dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$D/munge/munge.key"; }
  munged --force --key-file="$D/munge/munge.key" --socket="$D/munge/munge.socket" \
         --pid-file="$D/munged.pid" --log-file="$D/log/munged.log" --seed-file="$D/munge/seed"
fi
user=$(id -un)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ctld_port=${SLURMCTLD_PORT:-$(free_port)}
d_port=${SLURMD_PORT:-$(free_port)}
while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done
cat > "$D/slurm.conf" <<CONF
ClusterName=weartwin-test
SlurmctldHost=$host
SlurmUser=$user
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
KillWait=5
MinJobAge=600
MaxArraySize=1001
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF=$D/slurm.conf
slurmctld -i
slurmd
for _ in $(seq 60); do
  if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then echo "export SLURM_CONF=$SLURM_CONF"; exit 0; fi
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 0.5
done
echo "slurm_local.sh: the node did not come up; logs in $D/log" >&2
tail -n 20 "$D/log/slurmctld.log" "$D/log/slurmd.log" >&2 || true
exit 1

#!/usr/bin/env bash
# A throw-away single-node Slurm cluster with slurmrestd on this machine: everything it needs (config, keys, munge
# socket, state, spool, logs, pid files, fake GPU device files, the jobs' working directory) lives under one
# directory, so several clusters can run side by side on different ports. Used by hand and by the test fixture
# tests/Federation.TestKit/Slurm/SlurmCluster.cs; the programs come from eng/ensure-tools.sh (Debian's Slurm 22.05,
# munge, the JWT plugin, and the unprivileged job user fedjobs). Runs as root (the daemons drop to munge/slurm where
# they must); needs no systemd and no cgroups; jobs run as --user, never as root.
#
#   deploy/slurm/local-slurm.sh up <dir> [options]   write the config, start munged, slurmctld, slurmd and slurmrestd,
#                                                     wait until the node is idle and the REST API answers a token,
#                                                     then print key=value lines (below) on stdout; on a
#                                                     stopped <dir> it restarts that cluster with its saved state
#                                                     (jobs, job ids): remove <dir> for a fresh one
#   deploy/slurm/local-slurm.sh down <dir>           cancel the cluster's jobs, stop its daemons (SIGTERM, SIGKILL
#                                                     after LOCAL_SLURM_STOP_TIMEOUT) and wait for them to exit;
#                                                     succeeds when nothing runs; leaves <dir> in place
#   deploy/slurm/local-slurm.sh token <dir> [--user U] [--lifespan S]   print a fresh JWT for U (default: the
#                                                     cluster's job user), valid S seconds [86400]
#   deploy/slurm/local-slurm.sh status <dir>         print "<daemon> <pid>" for each daemon still running (exit 3
#                                                     unless all four run)
#
# Options of `up` (defaults in brackets):
#   --name NAME          cluster name, lowercase letters, digits and '-'; the node is NAME-n1 [local]
#   --ctld-port P        SlurmctldPort [6817]
#   --slurmd-port P      SlurmdPort [6818]
#   --rest-port P        slurmrestd's port on 127.0.0.1 [6820]
#   --gres LIST          GPUs of the node, type:count[,type:count...], e.g. h100:8,a100:4 [h100:8]
#   --cpus N             CPUs the node advertises (more than the machine has, so GPUs are the limit) [16]
#   --partition NAME     the node's one (default) partition [batch]
#   --user USER          the user jobs run as, and whom the printed token is for; never root [fedjobs]
#
# Output of `up`, one key=value per line:
#   name=local  node=local-n1  url=http://127.0.0.1:6820  user=fedjobs  token=<JWT, 1 day>  partition=batch
#   workdir=<dir>/work (owned by the user; point jobs' current_working_directory and output files here)
#   conf=<dir>/slurm.conf (SLURM_CONF=<that> scontrol/squeue/sinfo talk to this cluster)  logs=<dir>/log
#
# REST (OpenAPI v0.0.38): every request carries X-SLURM-USER-NAME and X-SLURM-USER-TOKEN, e.g.
#   curl -H "X-SLURM-USER-NAME: fedjobs" -H "X-SLURM-USER-TOKEN: $token" http://127.0.0.1:6820/slurm/v0.0.38/jobs
#
# Example, two clusters at once:
#   deploy/slurm/local-slurm.sh up /tmp/east --name east
#   deploy/slurm/local-slurm.sh up /tmp/west --name west --ctld-port 6917 --slurmd-port 6918 --rest-port 6920 --gres a100:4
#   deploy/slurm/local-slurm.sh down /tmp/east; deploy/slurm/local-slurm.sh down /tmp/west
#
# Environment: LOCAL_SLURM_START_TIMEOUT seconds `up` waits for the cluster [30];
#              LOCAL_SLURM_STOP_TIMEOUT seconds `down` waits for each daemon before SIGKILL [15].
set -euo pipefail

DAEMONS=(munged slurmctld slurmd slurmrestd)
REST_VERSION=v0.0.38

log() { echo "[local-slurm] $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

sbin() {
  # slurmctld, slurmd, slurmrestd and munged live in /usr/sbin, which a non-root PATH may lack.
  command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } ||
    die "$1 not found: run eng/ensure-tools.sh (it installs Slurm, munge and the job user)"
}

# A process is ours when it is alive (not a zombie left to a parent that does not reap) and its command line names
# the cluster's directory: a pid file outliving its daemon never makes us signal a stranger that reused the pid. A
# daemon this script has just started is ours too while it is still our own child that has not yet exec'd (its
# command line is still this script's, which names the directory without a slash after it): on a loaded machine
# that window is long enough for a start-up check to see it.
alive() {
  local pid=$1 dir=$2 stat state ppid
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  stat=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
  state=${stat%% *}
  ppid=$(echo "$stat" | cut -d' ' -f2)
  [ "$state" != Z ] || return 1
  [ "$ppid" = "$$" ] && return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"
}

pid_of() { cat "$1/run/$2.pid" 2>/dev/null || true; }

# The last lines of each daemon's log (its own log file, else what it wrote on stdout and stderr).
tail_logs() {
  local dir=$1 d f
  for d in "${DAEMONS[@]}"; do
    f=$dir/log/$d.log
    [ -s "$f" ] || f=$dir/log/$d.out
    [ -s "$f" ] || continue
    echo "---- tail $f" >&2
    tail -n 20 "$f" >&2
  done
}

# Tokens come from slurmctld itself (it holds the JWT key); root may ask for any user's token.
make_token() {
  local dir=$1 user=$2 lifespan=$3 out
  out=$(SLURM_CONF="$dir/slurm.conf" scontrol token "username=$user" "lifespan=$lifespan" 2>&1) ||
    die "scontrol token for $user failed: $out"
  out=${out##*SLURM_JWT=}
  [ -n "$out" ] || die "scontrol token printed no token"
  echo "$out"
}

# The status code of one authenticated GET against slurmrestd (bash's /dev/tcp: no HTTP client needed), or nothing.
rest_status() {
  local port=$1 path=$2 user=$3 token=$4 line=""
  {
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 0
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-SLURM-USER-NAME: %s\r\nX-SLURM-USER-TOKEN: %s\r\nConnection: close\r\n\r\n' \
      "$path" "$port" "$user" "$token" >&3
    IFS= read -r -t 5 line <&3 || true
    exec 3<&-
  } 2>/dev/null
  line=${line%$'\r'}
  [[ $line =~ ^HTTP/[0-9.]+\ ([0-9]{3}) ]] && echo "${BASH_REMATCH[1]}"
  return 0
}

start_daemon() {
  local dir=$1 name=$2
  shift 2
  # setsid: the daemons leave the caller's session, so a terminal's Ctrl-C or a test host's process group does not
  # reach them; `down` stops them. Their stdio goes to files so no caller's pipe stays open.
  setsid "$@" </dev/null >>"$dir/log/$name.out" 2>&1 &
  echo $! >"$dir/run/$name.pid"
}

check_started() {
  local dir=$1 d pid
  for d in "${DAEMONS[@]}"; do
    pid=$(pid_of "$dir" "$d")
    [ -z "$pid" ] && continue
    alive "$pid" "$dir" || { tail_logs "$dir"; die "$d (pid $pid) exited during start-up (logs above, in $dir/log)"; }
  done
}

cmd_up() {
  local dir="" name=local ctld_port=6817 slurmd_port=6818 rest_port=6820 gres=h100:8 cpus=16 partition=batch user=fedjobs
  while [ $# -gt 0 ]; do
    [[ $1 != --* || $1 == --help || $# -ge 2 ]] || die "$1 needs a value"
    case $1 in
      --name) name=$2; shift 2 ;;
      --ctld-port) ctld_port=$2; shift 2 ;;
      --slurmd-port) slurmd_port=$2; shift 2 ;;
      --rest-port) rest_port=$2; shift 2 ;;
      --gres) gres=$2; shift 2 ;;
      --cpus) cpus=$2; shift 2 ;;
      --partition) partition=$2; shift 2 ;;
      --user) user=$2; shift 2 ;;
      -h|--help) usage ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) [ -z "$dir" ] || die "one directory only (got $dir and $1)"; dir=$1; shift ;;
    esac
  done
  [ -n "$dir" ] || usage
  [ "$(id -u)" -eq 0 ] || die "run as root: slurmctld and slurmd run as root here, munged as munge, slurmrestd as slurm"
  [[ $name =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "--name '$name': lowercase letters, digits and '-', starting with a letter"
  [[ $partition =~ ^[A-Za-z][A-Za-z0-9_-]*$ ]] || die "--partition '$partition' is not a valid partition name"
  [[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus '$cpus' is not a positive number"
  local p
  for p in "$ctld_port" "$slurmd_port" "$rest_port"; do
    [[ $p =~ ^[1-9][0-9]*$ ]] && [ "$p" -lt 65536 ] || die "port '$p' is not a TCP port"
  done
  [ "$ctld_port" != "$slurmd_port" ] && [ "$ctld_port" != "$rest_port" ] && [ "$slurmd_port" != "$rest_port" ] ||
    die "--ctld-port, --slurmd-port and --rest-port must differ"
  local uid
  uid=$(id -u "$user" 2>/dev/null) || die "no user '$user': run eng/ensure-tools.sh (it creates fedjobs) or pass --user"
  [ "$uid" -ne 0 ] || die "--user '$user' is root: jobs must never run as root"

  local munged slurmctld slurmd slurmrestd
  munged=$(sbin munged); slurmctld=$(sbin slurmctld); slurmd=$(sbin slurmd); slurmrestd=$(sbin slurmrestd)
  command -v scontrol >/dev/null || die "scontrol not found: run eng/ensure-tools.sh"
  [ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so ] || [ -n "$(find /usr/lib -name auth_jwt.so -print -quit 2>/dev/null)" ] ||
    die "the Slurm JWT plugin is missing: run eng/ensure-tools.sh (package slurm-wlm-jwt-plugin)"

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  local d pid
  for d in "${DAEMONS[@]}"; do
    pid=$(pid_of "$dir" "$d")
    if alive "$pid" "$dir"; then
      die "$d of the cluster in $dir is already running (pid $pid): run '$0 down $dir' first"
    fi
  done
  # Pid files of a cluster that ended without `down` name nothing now.
  rm -f "$dir"/run/*.pid

  # GPU "devices": slurmd drops a GRES without File= and drains the node, so each GPU gets a character device file,
  # a copy of /dev/null (c 1 3). Numbered across types, in --gres order.
  local node=$name-n1 node_gres="" gres_lines="" index=0 entry type count
  IFS=',' read -r -a entries <<<"$gres"
  [ ${#entries[@]} -gt 0 ] || die "--gres is empty"
  for entry in "${entries[@]}"; do
    [[ $entry =~ ^([a-z0-9][a-z0-9_]*):([1-9][0-9]*)$ ]] || die "--gres entry '$entry' is not type:count (e.g. h100:8)"
    type=${BASH_REMATCH[1]}; count=${BASH_REMATCH[2]}
    node_gres+=${node_gres:+,}gpu:$type:$count
    gres_lines+="NodeName=$node Name=gpu Type=$type File=$dir/dev/gpu[$index-$((index + count - 1))]"$'\n'
    index=$((index + count))
  done

  # Directories: <dir> itself must be traversable by munge (its socket and key), slurm (slurmrestd reads the config)
  # and the job user (its working directory), whatever umask or mktemp made it with.
  chmod 755 "$dir"
  mkdir -p "$dir"/{state,spool,log,run,dev,munge/socket,work}
  rm -f "$dir"/dev/gpu*
  local i
  for ((i = 0; i < index; i++)); do mknod -m 666 "$dir/dev/gpu$i" c 1 3; done
  chmod 755 "$dir"/spool "$dir"/log "$dir"/run "$dir"/dev
  chmod 700 "$dir"/state
  chown "$user:" "$dir/work" && chmod 755 "$dir/work"

  # munge: a key and a socket of the cluster's own, munged running as munge (it refuses a socket directory that is
  # not 755).
  if [ ! -s "$dir/munge/munge.key" ]; then
    mungekey --create --keyfile="$dir/munge/munge.key" 2>/dev/null ||
      dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  fi
  chown -R munge:munge "$dir/munge"
  chmod 755 "$dir/munge" "$dir/munge/socket"
  chmod 600 "$dir/munge/munge.key"
  rm -f "$dir/munge/socket/munge.socket" "$dir/munge/socket/munge.socket.lock"
  # munged's log sits with the others, in a directory root owns: the file is made for munge beforehand.
  touch "$dir/log/munged.log" && chown munge:munge "$dir/log/munged.log" && chmod 640 "$dir/log/munged.log"

  # The JWT signing key, read by slurmctld only (SlurmUser=root).
  if [ ! -s "$dir/jwt.key" ]; then
    (umask 077 && dd if=/dev/urandom of="$dir/jwt.key" bs=32 count=1 status=none)
  fi
  chmod 600 "$dir/jwt.key"

  cat >"$dir/slurm.conf" <<EOF
# Written by deploy/slurm/local-slurm.sh: a throw-away single-node cluster, everything under $dir.
ClusterName=$name
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket/munge.socket
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$dir/jwt.key
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No systemd, no cgroups, no slurmdbd on this machine.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
# Jobs share the node by CPU; the node claims more CPUs than the machine has, so GPUs are what limits.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
GresTypes=gpu
# Start a submitted job at once (the default batches submissions for a few seconds).
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
# Finished jobs stay readable through REST (there is no accounting database) for an hour.
MinJobAge=3600
ReturnToService=2
SlurmdTimeout=30
MessageTimeout=10
KillWait=5
InactiveLimit=0
Waittime=0
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus Gres=$node_gres State=UNKNOWN
PartitionName=$partition Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  {
    echo "# Written by deploy/slurm/local-slurm.sh. AutoDetect=off: the GPUs are device files under $dir/dev."
    echo "AutoDetect=off"
    printf '%s' "$gres_lines"
  } >"$dir/gres.conf"
  chmod 644 "$dir/slurm.conf" "$dir/gres.conf"

  # The daemons (and through slurmd every slurmstepd) start in <dir>, not in whatever directory the caller is in.
  cd "$dir"
  # A start that fails stops what it started: the caller gets an error, not a half cluster to clean up.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then log "start failed: stopping what was started"; stop_all "'"$dir"'"; fi' EXIT
  local began=$SECONDS timeout=${LOCAL_SLURM_START_TIMEOUT:-30}
  log "starting cluster $name in $dir (slurmctld :$ctld_port, slurmd :$slurmd_port, slurmrestd 127.0.0.1:$rest_port, gres $node_gres)"
  start_daemon "$dir" munged setpriv --reuid=munge --regid=munge --init-groups \
    "$munged" --foreground --socket="$dir/munge/socket/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  until [ -S "$dir/munge/socket/munge.socket" ]; do
    check_started "$dir"
    [ $((SECONDS - began)) -lt "$timeout" ] || { tail_logs "$dir"; die "munged did not create its socket in ${timeout}s"; }
    sleep 0.05
  done

  start_daemon "$dir" slurmctld "$slurmctld" -D -f "$dir/slurm.conf"
  start_daemon "$dir" slurmd "$slurmd" -D -f "$dir/slurm.conf" -N "$node"
  # slurmrestd refuses to run as root or as SlurmUser: it drops to slurm. SLURM_JWT=daemon: each request
  # authenticates with its own token headers.
  start_daemon "$dir" slurmrestd env SLURM_JWT=daemon SLURM_CONF="$dir/slurm.conf" "$slurmrestd" -f "$dir/slurm.conf" \
    -u slurm -g slurm -a rest_auth/jwt -s "openapi/$REST_VERSION" "127.0.0.1:$rest_port"

  # Ready means: the node registered and is up (a job submitted before would pend on it; a restarted cluster's node
  # may be busy with recovered jobs), the REST API answers an authenticated call end to end (slurmrestd ->
  # slurmctld with the JWT), and the main scheduler has run once: slurmctld's first pass comes ~3 s after it
  # starts, and a job submitted before it pends (reason None) until then; after it, a job starts in ~0.2 s.
  local state="" token="" status="" cycles=""
  while :; do
    check_started "$dir"
    if [ -z "$token" ]; then
      token=$(SLURM_CONF="$dir/slurm.conf" scontrol token "username=$user" lifespan=86400 2>/dev/null) || token=""
      token=${token##*SLURM_JWT=}
    fi
    if [ -n "$token" ]; then
      state=$(SLURM_CONF="$dir/slurm.conf" sinfo -h -n "$node" -o %T 2>/dev/null | head -1) || state=""
      if [[ $state =~ ^(idle|mixed|allocated|completing)$ ]]; then
        status=$(rest_status "$rest_port" "/slurm/$REST_VERSION/ping" "$user" "$token")
        if [ "$status" = 200 ]; then
          cycles=$(SLURM_CONF="$dir/slurm.conf" sdiag 2>/dev/null |
            awk '/^Main schedule statistics/ { main = 1 } main && /Total cycles:/ { print $3; exit }') || cycles=""
          [ "${cycles:-0}" -gt 0 ] && break
        fi
      fi
    fi
    if [ $((SECONDS - began)) -ge "$timeout" ]; then
      tail_logs "$dir"
      die "cluster $name not ready in ${timeout}s (token: $([ -n "$token" ] && echo yes || echo no), node state: ${state:-?}, REST ping: ${status:-no answer}, scheduler cycles: ${cycles:-?}); logs above, in $dir/log"
    fi
    sleep 0.1
  done
  trap - EXIT
  log "cluster $name ready in $((SECONDS - began))s"

  echo "name=$name"
  echo "node=$node"
  echo "url=http://127.0.0.1:$rest_port"
  echo "user=$user"
  echo "token=$token"
  echo "partition=$partition"
  echo "workdir=$dir/work"
  echo "conf=$dir/slurm.conf"
  echo "logs=$dir/log"
}

# Cancels the cluster's jobs so their processes end with them (slurmstepd outlives slurmd by design).
cancel_jobs() {
  local dir=$1 ids timeout=${LOCAL_SLURM_STOP_TIMEOUT:-15} began=$SECONDS
  ids=$(SLURM_CONF="$dir/slurm.conf" squeue -h -t PD,R,CG,S,CF -o %i 2>/dev/null | tr '\n' ' ') || return 0
  [ -n "${ids// /}" ] || return 0
  log "cancelling jobs $ids"
  # shellcheck disable=SC2086 # one argument per job id
  SLURM_CONF="$dir/slurm.conf" scancel $ids 2>/dev/null || true
  while [ -n "$(SLURM_CONF="$dir/slurm.conf" squeue -h -t R,CG -o %i 2>/dev/null)" ]; do
    [ $((SECONDS - began)) -lt "$timeout" ] || { log "jobs still running after ${timeout}s; stopping anyway"; return 0; }
    sleep 0.1
  done
}

descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    echo -n " $child"
    descendants "$child"
  done
}

# Any slurmstepd left behind (a job slurmctld could not cancel) is found by the unix socket it keeps in this
# cluster's spool directory, and killed with its job's processes.
kill_stray_steps() {
  local dir=$1 pid inodes fd link children
  for pid in $(pgrep -x slurmstepd 2>/dev/null || true); do
    inodes=""
    for fd in /proc/"$pid"/fd/*; do
      link=$(readlink "$fd" 2>/dev/null) || continue
      [[ $link =~ ^socket:\[([0-9]+)\]$ ]] && inodes+=" ${BASH_REMATCH[1]}"
    done
    [ -n "$inodes" ] || continue
    if awk -v spool="$dir/spool/" -v inodes="$inodes" '
         BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
         NR > 1 && ($7 in want) && index($8, spool) == 1 { found = 1 }
         END { exit !found }' /proc/net/unix; then
      children=$(descendants "$pid")
      log "killing stray slurmstepd $pid${children:+ and the job processes$children}"
      # shellcheck disable=SC2086 # one argument per pid
      kill -KILL "$pid" $children 2>/dev/null || true
    fi
  done
}

stop_daemon() {
  local dir=$1 d=$2 pid timeout=${LOCAL_SLURM_STOP_TIMEOUT:-15} began=$SECONDS
  pid=$(pid_of "$dir" "$d")
  if alive "$pid" "$dir"; then
    kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" "$dir"; do
      if [ $((SECONDS - began)) -ge "$timeout" ]; then
        log "$d (pid $pid) still running after ${timeout}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        began=$SECONDS
        while alive "$pid" "$dir"; do
          [ $((SECONDS - began)) -lt 5 ] || die "$d (pid $pid) survived SIGKILL"
          sleep 0.05
        done
        break
      fi
      sleep 0.05
    done
  fi
  rm -f "$dir/run/$d.pid"
}

cmd_down() {
  [ $# -eq 1 ] || usage
  local dir=$1
  [ -d "$dir" ] || { log "no directory $dir: nothing to stop"; return 0; }
  dir=$(cd "$dir" && pwd -P)
  stop_all "$dir"
  log "cluster in $dir stopped"
}

stop_all() {
  local dir=$1 i
  [ ! -f "$dir/slurm.conf" ] || ! alive "$(pid_of "$dir" slurmctld)" "$dir" || cancel_jobs "$dir"
  # The reverse of the start order: munge goes last, the others need it to say goodbye.
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do stop_daemon "$dir" "${DAEMONS[i]}"; done
  kill_stray_steps "$dir"
}

cmd_token() {
  local dir="" user="" lifespan=86400
  while [ $# -gt 0 ]; do
    [[ $1 != --* || $# -ge 2 ]] || die "$1 needs a value"
    case $1 in
      --user) user=$2; shift 2 ;;
      --lifespan) lifespan=$2; shift 2 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) [ -z "$dir" ] || die "one directory only"; dir=$1; shift ;;
    esac
  done
  [ -n "$dir" ] && [ -f "$dir/slurm.conf" ] || die "no cluster in '${dir}' (no slurm.conf)"
  [[ $lifespan =~ ^[1-9][0-9]*$ ]] || die "--lifespan '$lifespan' is not a positive number of seconds"
  if [ -z "$user" ]; then
    user=$(stat -c %U "$dir/work")
  fi
  make_token "$dir" "$user" "$lifespan"
}

cmd_status() {
  [ $# -eq 1 ] || usage
  local dir=$1 d pid running=0
  [ -d "$dir" ] && dir=$(cd "$dir" && pwd -P)
  for d in "${DAEMONS[@]}"; do
    pid=$(pid_of "$dir" "$d")
    if alive "$pid" "$dir"; then echo "$d $pid"; running=$((running + 1)); fi
  done
  [ "$running" -eq ${#DAEMONS[@]} ] || exit 3
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  token) cmd_token "$@" ;;
  status) cmd_status "$@" ;;
  -h|--help|help) usage ;;
  *) die "unknown command '$command' (up, down, token, status)" ;;
esac

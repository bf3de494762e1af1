#!/usr/bin/env bash
# The megaregion as a cluster on this machine: one Federation.Server process (one Orleans silo) per region, all on
# one PostgreSQL database and schema, each on its own loopback ports.
#
#   deploy/local/megaregion.sh up       build, start the four silos, wait for /health, print "<region> <url> <pid>"
#   deploy/local/megaregion.sh down     stop them (SIGTERM, then SIGKILL after MEGAREGION_STOP_TIMEOUT); the database stays
#   deploy/local/megaregion.sh status   print "<region> <url> <pid>" for each silo still running (exit 3 unless all run)
#   deploy/local/megaregion.sh ports    print "<region> <http port> <silo port> <gateway port>" (nothing is started)
#   deploy/local/megaregion.sh token    print the path of the coordinator token file (created if missing)
#
# Every API call needs a bearer token. The silos share one coordinator token, Federation:Auth:BootstrapToken, generated
# once into $MEGAREGION_RUN_DIR/bootstrap-token (mode 0600) and given to each silo through its environment; it stays
# the same across down and up (delete the file to change it). Use it with
#   fedctl login --server http://127.0.0.1:5081 --token "$(cat deploy/local/run/bootstrap-token)"
# or export FEDCTL_TOKEN="$(cat deploy/local/run/bootstrap-token)". GET /health needs none (the script's checks send
# none), and neither does /metrics over loopback (deploy/prometheus/prometheus.yml).
#
# Environment (defaults in brackets):
#   FEDERATION_POSTGRES              Npgsql connection string [the last line of eng/ensure-postgres.sh]
#   MEGAREGION_SCHEMA                PostgreSQL schema of the cluster [megaregion]
#   MEGAREGION_CLUSTER_ID            Orleans cluster id [megaregion]
#   MEGAREGION_BASE_HTTP_PORT        REST API of the first region; the others follow [5081]
#   MEGAREGION_BASE_SILO_PORT        Orleans silo port of the first region [11111]
#   MEGAREGION_BASE_GATEWAY_PORT     Orleans gateway port of the first region [30000]
#   MEGAREGION_TIME_SCALE            --time-scale of every silo [1]
#   MEGAREGION_START_TIMEOUT         seconds to wait for each silo's /health [120]
#   MEGAREGION_STOP_TIMEOUT          seconds between SIGTERM and SIGKILL [30]
#   MEGAREGION_RUN_DIR               logs, pid files and the token file [deploy/local/run]
set -euo pipefail

# The regions of the embedded megaregion (src/Federation.Scheduling/default-megaregion.json), in its order; region i
# gets base port + i. Tests check this list against the megaregion.
REGIONS=(gwangju suncheon gwangyang daegu)

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd)
run_dir=${MEGAREGION_RUN_DIR:-$script_dir/run}
dll=$repo/src/Federation.Server/bin/Release/net10.0/Federation.Server.dll

schema=${MEGAREGION_SCHEMA:-megaregion}
cluster_id=${MEGAREGION_CLUSTER_ID:-megaregion}
base_http=${MEGAREGION_BASE_HTTP_PORT:-5081}
base_silo=${MEGAREGION_BASE_SILO_PORT:-11111}
base_gateway=${MEGAREGION_BASE_GATEWAY_PORT:-30000}
time_scale=${MEGAREGION_TIME_SCALE:-1}
start_timeout=${MEGAREGION_START_TIMEOUT:-120}
stop_timeout=${MEGAREGION_STOP_TIMEOUT:-30}

log() { echo "megaregion: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  sed -n '5,9s/^#   //p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

for value in "$base_http" "$base_silo" "$base_gateway" "$start_timeout" "$stop_timeout"; do
  [[ $value =~ ^[0-9]+$ ]] || die "ports and timeouts must be whole numbers, not '$value'"
done

http_port() { echo $((base_http + $1)); }
silo_port() { echo $((base_silo + $1)); }
gateway_port() { echo $((base_gateway + $1)); }

pid_file() { echo "$run_dir/$1.pid"; }
url_file() { echo "$run_dir/$1.url"; }
log_file() { echo "$run_dir/$1.log"; }
token_file() { echo "$run_dir/bootstrap-token"; }

# The pid of the region's silo when that process is still ours (a Federation.Server running that region), else
# nothing: a pid file left by a crash may name a pid the system has since given to another process.
running_pid() {
  local region=$1 file pid
  file=$(pid_file "$region")
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ -r /proc/$pid/cmdline ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "Federation.Server.dll --region $region "; then
    echo "$pid"
  fi
}

# Whether the process lives (a zombie, exited but not yet reaped, does not).
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

print_line() {
  local region=$1 pid=$2
  echo "$region $(<"$(url_file "$region")") $pid"
}

cmd_ports() {
  local i
  for i in "${!REGIONS[@]}"; do
    echo "${REGIONS[$i]} $(http_port "$i") $(silo_port "$i") $(gateway_port "$i")"
  done
}

cmd_status() {
  local region pid running=0
  for region in "${REGIONS[@]}"; do
    pid=$(running_pid "$region")
    if [[ -n $pid ]]; then
      print_line "$region" "$pid"
      running=$((running + 1))
    fi
  done
  [[ $running -eq ${#REGIONS[@]} ]] || return 3
}

# Sends SIGTERM to the given regions' silos, waits up to MEGAREGION_STOP_TIMEOUT for them to exit, then SIGKILLs
# what is left. Removes their pid files.
stop_regions() {
  local region pid deadline left
  local -a pids=() names=()
  for region in "$@"; do
    pid=$(running_pid "$region")
    if [[ -n $pid ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$region")
    fi
  done

  deadline=$((SECONDS + stop_timeout))
  while :; do
    left=0
    for pid in "${pids[@]}"; do
      if alive "$pid"; then left=$((left + 1)); fi
    done
    [[ $left -gt 0 && $SECONDS -lt $deadline ]] || break
    sleep 0.5
  done

  local i
  for i in "${!pids[@]}"; do
    if alive "${pids[$i]}"; then
      log "${names[$i]} (pid ${pids[$i]}) did not stop within ${stop_timeout}s: SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
    log "stopped ${names[$i]} (pid ${pids[$i]})"
  done

  for region in "$@"; do
    rm -f "$(pid_file "$region")" "$(url_file "$region")"
  done
}

cmd_down() {
  lock_run_dir
  local region any=0
  for region in "${REGIONS[@]}"; do
    if [[ -n $(running_pid "$region") ]]; then any=1; fi
  done
  [[ $any -eq 1 ]] || log "no silo is running"
  stop_regions "${REGIONS[@]}"
}

connection_string() {
  if [[ -n ${FEDERATION_POSTGRES:-} ]]; then
    echo "$FEDERATION_POSTGRES"
  else
    "$repo/eng/ensure-postgres.sh" | tail -n 1
  fi
}

# A random coordinator token (64 hex digits), written once: the file is made 0600 before the token goes in.
ensure_token() {
  local file token
  file=$(token_file)
  mkdir -p "$run_dir"
  if [[ ! -s $file ]]; then
    if command -v openssl >/dev/null; then
      token=$(openssl rand -hex 32)
    else
      token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    fi
    (umask 077 && printf '%s\n' "$token" >"$file.tmp") && mv "$file.tmp" "$file"
    log "generated a coordinator token into $file"
  fi
  chmod 600 "$file"
  token=$(<"$file")
  # What the server accepts (Federation:Auth:BootstrapToken): at least 32 characters, no spaces.
  [[ ${#token} -ge 32 && $token =~ ^[^[:space:][:cntrl:]]+$ ]] \
    || die "$file must hold one token of at least 32 characters with no spaces (delete it to generate one)"
}

token_hint() {
  log "coordinator token: $(token_file) (fedctl login --server $(<"$(url_file "${REGIONS[0]}")") --token \"\$(cat $(token_file))\"\", or export FEDCTL_TOKEN=\"\$(cat $(token_file))\")"
}

cmd_token() {
  ensure_token
  token_file
}

healthy() { curl -fsS -o /dev/null --max-time 2 "$1/health" 2>/dev/null; }

# Whether something accepts connections on the loopback port.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Refuses to start when a port of the table is taken: a silo there would fail to bind, and a /health answered by
# another server would pass for one of ours.
check_ports_free() {
  local i port kind
  for i in "${!REGIONS[@]}"; do
    for kind in http silo gateway; do
      port=$("${kind}_port" "$i")
      if listening "$port"; then
        die "port $port ($kind port of ${REGIONS[$i]}) is in use: another server listens there (see 'ss -ltnp'); stop it or choose other ports (MEGAREGION_BASE_${kind^^}_PORT)"
      fi
    done
  done
}

# One up or down at a time on a run directory: two would overwrite each other's pid files.
lock_run_dir() {
  mkdir -p "$run_dir"
  exec 9>"$run_dir/.lock"
  flock -n 9 || die "another '$0' is starting or stopping the silos of $run_dir"
}

# Starts the silo of region number $1 in the background, with the connection string $2, and writes its pid and URL files.
start_silo() {
  local i=$1 connection=$2 region=${REGIONS[$1]} url
  url="http://127.0.0.1:$(http_port "$i")"
  # The connection string (it holds a password) goes through the environment, never the command line.
  (
    cd "$run_dir"
    exec 9>&- # the lock is this script's, not the silo's
    export Federation__Connection="$connection"
    # So is the coordinator token: a command line is readable by every user of the machine.
    Federation__Auth__BootstrapToken=$(<"$(token_file)")
    export Federation__Auth__BootstrapToken
    exec nohup dotnet "$dll" --region "$region" --storage postgres --schema "$schema" --cluster-id "$cluster_id" \
      --silo-port "$(silo_port "$i")" --gateway-port "$(gateway_port "$i")" --urls "$url" --time-scale "$time_scale" \
      </dev/null >"$(log_file "$region")" 2>&1
  ) &
  # Out of the job table: bash would otherwise report the silo's end as a job notice.
  disown "$!"
  echo "$!" >"$(pid_file "$region")"
  echo "$url" >"$(url_file "$region")"
  log "started $region (pid $!), log $(log_file "$region")"
}

# Waits until the region's silo answers /health; prints nothing then, or why it failed (it exited, or the timeout).
wait_healthy() {
  local region=$1 pid url deadline=$((SECONDS + start_timeout))
  pid=$(<"$(pid_file "$region")")
  url=$(<"$(url_file "$region")")
  until healthy "$url"; do
    if ! alive "$pid"; then
      echo "$region exited before answering /health"
      return 0
    fi
    if [[ $SECONDS -ge $deadline ]]; then
      echo "$region did not answer GET $url/health within ${start_timeout}s"
      return 0
    fi
    sleep 0.5
  done
}

cmd_up() {
  command -v dotnet >/dev/null || die "dotnet is not on PATH (the .NET 10 SDK is needed)"
  command -v curl >/dev/null || die "curl is not on PATH (it checks each silo's /health)"

  lock_run_dir
  local region i
  local -a running=() stopped=()
  for region in "${REGIONS[@]}"; do
    if [[ -n $(running_pid "$region") ]]; then running+=("$region"); else stopped+=("$region"); fi
  done
  if [[ ${#stopped[@]} -eq 0 ]]; then
    log "already running (run '$0 down' first to restart)"
    token_hint
    cmd_status
    return 0
  fi
  if [[ ${#running[@]} -gt 0 ]]; then
    die "some silos are running (${running[*]}) and others are not (${stopped[*]}): run '$0 down' first"
  fi

  check_ports_free
  ensure_token
  log "building src/Federation.Server (Release)"
  if ! dotnet build "$repo/src/Federation.Server" -c Release -nologo -v quiet >"$run_dir/build.log" 2>&1; then
    tail -n 30 "$run_dir/build.log" >&2
    die "the build failed (full output: $run_dir/build.log)"
  fi
  [[ -f $dll ]] || die "$dll is missing after the build"

  local connection
  connection=$(connection_string) || die "no PostgreSQL: eng/ensure-postgres.sh failed (or set FEDERATION_POSTGRES)"
  [[ -n $connection ]] || die "no PostgreSQL connection string (set FEDERATION_POSTGRES)"

  # One silo at a time, each once the one before answers /health: the first creates the schema, and on two cores
  # four processes starting at once starve one another (the database connect timeout at start is 3 s).
  local -a started=()
  local failed=""
  # Interrupted while starting (Ctrl+C), up stops what it started, as on a failure.
  trap 'log "interrupted"; stop_regions "${started[@]}"; exit 130' INT TERM HUP
  for i in "${!REGIONS[@]}"; do
    region=${REGIONS[$i]}
    start_silo "$i" "$connection"
    started+=("$region")
    failed=$(wait_healthy "$region")
    [[ -z $failed ]] || break
  done

  if [[ -n $failed ]]; then
    log "$failed; the end of $(log_file "$region") (stack frames left out):"
    grep -v -E '^[[:space:]]+at ' "$(log_file "$region")" | tail -n 20 | sed 's/^/    /' >&2
    stop_regions "${started[@]}"
    die "up failed: $failed"
  fi

  trap - INT TERM HUP
  token_hint
  for region in "${REGIONS[@]}"; do
    print_line "$region" "$(<"$(pid_file "$region")")"
  done
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  ports) cmd_ports ;;
  token) cmd_token ;;
  *) usage ;;
esac

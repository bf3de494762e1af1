#!/usr/bin/env bash
# Installs, when missing, the programs the console, metrics and Slurm tests drive: Debian's chromium (headless, for
# the browser tests), prometheus (a real scraper for /metrics) and Slurm (slurmctld, slurmd, slurmrestd, the client
# commands, munge and the JWT plugin, for a real single-node cluster per region). Creates, when missing, the
# unprivileged user `fedjobs` that Slurm jobs run as (jobs never run as root). Nothing is started here: each test
# starts its own browser, Prometheus or Slurm cluster (deploy/slurm/local-slurm.sh) on ports of its own and stops it.
# Prints three paths, one per line: chromium, prometheus, slurmctld. Logs go to stderr.
set -euo pipefail

log() { echo "[tools] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

# The user Slurm jobs run as in tests and in the local example cluster.
job_user=fedjobs

# slurmctld and slurmd live in /usr/sbin, which a non-root PATH may lack.
has() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; }
# The JWT plugin is a shared object, not a command (it comes only through Recommends, so it is named here).
has_jwt_plugin() { dpkg-query -W -f='${Status}' slurm-wlm-jwt-plugin 2>/dev/null | grep -q 'install ok installed'; }

missing=()
has chromium || missing+=(chromium)
has prometheus || missing+=(prometheus)
has slurmctld || missing+=(slurmctld)
has slurmd || missing+=(slurmd)
has slurmrestd || missing+=(slurmrestd)
has scontrol || missing+=(slurm-client)
has munged || missing+=(munge)
has_jwt_plugin || missing+=(slurm-wlm-jwt-plugin)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get install --no-install-recommends)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # policy-rc.d 101: no package service (Prometheus, munge, slurmctld, slurmd) is started; the tests start theirs.
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || rc=$?
  as_root rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ]
fi

if ! id -u "$job_user" >/dev/null 2>&1; then
  log "creating the unprivileged job user $job_user"
  as_root useradd --create-home --shell /bin/bash --user-group "$job_user" >&2
fi

command -v chromium
command -v prometheus
command -v slurmctld || echo /usr/sbin/slurmctld

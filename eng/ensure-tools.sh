#!/usr/bin/env bash
# Installs, when missing, the programs the console and metrics tests drive: Debian's chromium (headless, for the
# browser tests) and prometheus (a real scraper for /metrics). Nothing is started here: each test starts its own
# browser or Prometheus on a port of its own and stops it. Prints the two paths, one per line.
set -euo pipefail

log() { echo "[tools] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v prometheus >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get install --no-install-recommends)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # policy-rc.d 101: the package's own Prometheus service is not started (the tests start theirs).
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || rc=$?
  as_root rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ]
fi
command -v chromium
command -v prometheus

#!/usr/bin/env bash
# Makes a local PostgreSQL server available for the tests, installing and starting it only when it is
# missing or stopped; an existing installation and its settings are left as they are. Creates (once)
# a role and a database for the tests and prints the connection string on stdout as its last line.
#   FEDERATION_PG_ROLE / FEDERATION_PG_PASSWORD / FEDERATION_PG_DATABASE override the names.
set -euo pipefail

role=${FEDERATION_PG_ROLE:-federation}
password=${FEDERATION_PG_PASSWORD:-federation}
database=${FEDERATION_PG_DATABASE:-federation_test}

log() { echo "[postgres] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "PostgreSQL server not found: installing it (apt-get install -y postgresql)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

# The newest installed major version, and its cluster (created if the package did not create one).
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1}' | grep -qx "$version"; then
  log "creating cluster $version/main"
  as_root pg_createcluster "$version" main >&2
fi
cluster=$(pg_lsclusters -h | awk -v v="$version" '$1 == v {print $2; exit}')
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3; exit}')
status=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4; exit}')
if [ "$status" != "online" ]; then
  log "starting cluster $version/$cluster (pg_ctlcluster $version $cluster start)"
  as_root pg_ctlcluster "$version" "$cluster" start >&2
fi

psql_admin() { as_root runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtA "$@"; }

for _ in $(seq 1 30); do
  psql_admin -c 'select 1' >/dev/null 2>&1 && break
  sleep 1
done

if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$role'")" != "1" ]; then
  log "creating role $role"
  psql_admin -c "create role \"$role\" login password '$password' createdb" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$database'")" != "1" ]; then
  log "creating database $database"
  psql_admin -c "create database \"$database\" owner \"$role\"" >&2
fi

log "ready: $version/$cluster on port $port"
echo "Host=127.0.0.1;Port=$port;Username=$role;Password=$password;Database=$database"

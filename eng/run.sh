#!/usr/bin/env bash
# Runs the product in its embedded default: one process, one silo, SQLite state, API and
# dashboard on http://127.0.0.1:5080. Extra arguments go to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f src/Federation.Server/Federation.Server.csproj ]; then
  cat >&2 <<'MSG'
The federation server (issue 3) is not built yet, so there is nothing to serve at
http://127.0.0.1:5080 today. What runs now:
  - the what-if simulator on a real trace:
      dotnet run -c Release --project src/Federation.Simulator -- \
        --trace ../shared/traces/venus_2020-05-28_to_06-17.csv --out out/sim
    then open out/sim/report.html (see docs/simulation.md);
  - the runtime's tests and benchmarks (see docs/performance.md).
MSG
  exit 2
fi
exec dotnet run -c Release --project src/Federation.Server -- "$@"

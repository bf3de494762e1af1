#!/usr/bin/env bash
# Runs every test of the solution, installing and starting what the tests need first.
# Prints one closing line "N passed, N failed" summed over every test project.
set -uo pipefail
cd "$(dirname "$0")/.."

config=${CONFIGURATION:-Release}
# Logs and TRX files of the last run stay here (git-ignored) for a look after a failure.
results=$PWD/artifacts/test-results
rm -rf "$results" && mkdir -p "$results"

echo "== services"
# PostgreSQL for the storage provider tests: installed and started only when missing or stopped.
# FEDERATION_TEST_POSTGRES set by the caller is used as is (a developer's own server).
if [ -z "${FEDERATION_TEST_POSTGRES:-}" ]; then
  if ! FEDERATION_TEST_POSTGRES=$(./eng/ensure-postgres.sh | tail -1); then
    echo "could not provision PostgreSQL (see above)"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
export FEDERATION_TEST_POSTGRES

# Chromium for the console's browser tests, Prometheus for the metrics test and Slurm (with the job user fedjobs)
# for the Slurm tests: installed when missing. FEDERATION_TEST_CHROMIUM / FEDERATION_TEST_PROMETHEUS /
# FEDERATION_TEST_SLURM (the path of slurmctld) set by the caller are used as they are.
if [ -z "${FEDERATION_TEST_CHROMIUM:-}" ] || [ -z "${FEDERATION_TEST_PROMETHEUS:-}" ] || [ -z "${FEDERATION_TEST_SLURM:-}" ]; then
  if ! tools=$(./eng/ensure-tools.sh); then
    echo "could not install chromium, prometheus and slurm (see above)"
    echo "0 passed, 1 failed"
    exit 1
  fi
  FEDERATION_TEST_CHROMIUM=${FEDERATION_TEST_CHROMIUM:-$(echo "$tools" | sed -n 1p)}
  FEDERATION_TEST_PROMETHEUS=${FEDERATION_TEST_PROMETHEUS:-$(echo "$tools" | sed -n 2p)}
  FEDERATION_TEST_SLURM=${FEDERATION_TEST_SLURM:-$(echo "$tools" | sed -n 3p)}
fi
export FEDERATION_TEST_CHROMIUM FEDERATION_TEST_PROMETHEUS FEDERATION_TEST_SLURM

echo "== build ($config)"
if ! dotnet build Federation.sln -c "$config" -nologo -v q; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0; failed=0; status=0
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  # Only projects that reference the test SDK are test projects (not the benchmarks, not the test kit).
  grep -q 'Microsoft.NET.Test.Sdk' "$proj" || continue
  echo "== test $name"
  log="$results/$name.log"
  dotnet test "$proj" -c "$config" --no-build -nologo --logger "console;verbosity=normal" \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results/$name" >"$log" 2>&1
  rc=$?
  # Show failures (with their messages) and the summary; the full log stays in the results folder.
  grep -E -A12 '^\s+Failed [A-Za-z_]' "$log" | head -200 || true
  grep -E '^(Passed!|Failed!)' "$log" || true
  trx="$results/$name/$name.trx"
  p=0; f=0
  if [ -f "$trx" ]; then
    p=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    f=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    echo "   $name: ${p:-0} passed, ${f:-0} failed"
  else
    echo "   $name: no results (exit $rc)"; f=1; failed=$((failed + 1))
  fi
  if [ "$rc" -ne 0 ]; then
    status=1
    # A crashed or aborted test host can exit non-zero with no failed test recorded: count it.
    [ "${f:-0}" -eq 0 ] && failed=$((failed + 1)) && echo "   $name: test run exited $rc"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]

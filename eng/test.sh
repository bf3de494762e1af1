#!/usr/bin/env bash
# Runs every test of the solution, installing and starting what the tests need first.
# Prints one closing line "N passed, N failed" summed over every test project.
set -uo pipefail
cd "$(dirname "$0")/.."

config=${CONFIGURATION:-Release}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

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
    --logger "trx;LogFileName=$name.trx" --results-directory "$results/$name" 2>&1 | tee "$log" \
    | grep -E '^\s*(Failed|Passed!|Failed!|Error Message|  X )' || true
  rc=${PIPESTATUS[0]}
  trx="$results/$name/$name.trx"
  if [ -f "$trx" ]; then
    p=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    f=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    echo "   $name: ${p:-0} passed, ${f:-0} failed"
  else
    echo "   $name: no results (exit $rc)"; failed=$((failed + 1))
  fi
  [ "$rc" -ne 0 ] && status=1
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]

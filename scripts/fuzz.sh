#!/usr/bin/env bash
# Runs every fuzzer of the module for the given time each (default 20s). New crashers land in the package's
# testdata/fuzz/ and fail the run; keep them as seeds once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-20s}
fail=0; n=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | awk '{print $2}' | sort -u); do
    n=$((n+1))
    echo "fuzz: $pkg $f ($t)"
    if ! go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" "$pkg" >"/tmp/fuzz-$f.log" 2>&1; then
      echo "fuzz: FAIL $pkg $f"; tail -30 "/tmp/fuzz-$f.log"; fail=$((fail+1))
    fi
  done
done
echo "fuzz: $n fuzzers, $fail failed"
[ "$fail" -eq 0 ]

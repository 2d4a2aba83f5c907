#!/usr/bin/env bash
# Long runs: 500 autopilot sessions (memory and goroutines flat), the store's 500-kill crash test, the sync
# fault test at 1,000 applications, and every fuzzer for 60 s. Prints a summary; non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb.sh
export HUREN_SOAK=1
summary=()
fail=0
step() {
  local name=$1; shift
  local t0=$(date +%s)
  echo "soak: $name …"
  if "$@" >"/tmp/soak-$name.log" 2>&1; then
    summary+=("PASS $name ($(( $(date +%s) - t0 )) s)")
  else
    summary+=("FAIL $name ($(( $(date +%s) - t0 )) s): see /tmp/soak-$name.log")
    tail -30 "/tmp/soak-$name.log"
    fail=1
  fi
}
step store-crash go test -count=1 -timeout 60m -run 'TestCrashSafety' ./kiosk/store/
step sync-faults go test -count=1 -timeout 60m -run 'TestExactlyOnceUnderFaults' ./sync/
xvfb_start
data=$(mktemp -d)
step autopilot-500 go run ./scripts/memwatch -- bin/huren -demo -data "$data" -autopilot 500
xvfb_stop
rm -rf "$data"
step fuzz bash scripts/fuzz.sh 60s
echo
echo "soak summary:"
printf '  %s\n' "${summary[@]}"
exit $fail

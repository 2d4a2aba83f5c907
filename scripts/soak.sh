#!/usr/bin/env bash
# make soak: the store's 500-kill crash test, the sync fault test at 1,000 applications, 500 autopilot sessions
# of the real kiosk binary under Xvfb beside its review service in a second process (memwatch: RSS floor and
# goroutines must not grow more than 5 % after warm-up), and every fuzzer for 60 s (FUZZTIME overrides).
# Prints a summary and exits non-zero on any failure. Logs: out/soak-*.log; the autopilot's memwatch summary,
# stamped with the commit, goes to out/soak-autopilot.json (make bench reports it).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb.sh
. scripts/pair.sh
export HUREN_SOAK=1
mkdir -p out
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
sessions=${SOAK_SESSIONS:-500}
summary=()
fail=0
step() {
  local name=$1; shift
  local t0=$(date +%s)
  echo "soak: $name …"
  if "$@" >"out/soak-$name.log" 2>&1; then
    summary+=("PASS $name ($(( $(date +%s) - t0 )) s)")
  else
    summary+=("FAIL $name ($(( $(date +%s) - t0 )) s): see out/soak-$name.log")
    tail -30 "out/soak-$name.log"
    fail=1
  fi
}
autopilot() {
  local dir rc
  dir=$(mktemp -d)
  xvfb_start && pair_start "$dir" || { xvfb_stop; pair_stop; return 1; }
  go run ./scripts/memwatch -max-growth 0.05 -- bin/huren -config "$dir/kiosk.toml" -autopilot "$sessions" \
    >out/soak-autopilot.jsonl
  rc=$?
  pair_stop
  xvfb_stop
  rm -rf "$dir"
  return $rc
}
step store-crash go test -count=1 -v -timeout 60m -run 'TestCrashSafety' ./kiosk/store/
step sync-faults go test -count=1 -v -timeout 60m -run 'TestExactlyOnceUnderFaults' ./sync/
rm -f out/soak-autopilot.json
step autopilot autopilot
if mw=$(grep -o 'memwatch: {.*}' out/soak-autopilot.log | tail -1 | sed 's/^memwatch: //') && [ -n "$mw" ]; then
  passed=false
  [[ "${summary[-1]}" == PASS* ]] && passed=true
  python3 - "$mw" "$version" "$(date -u +%FT%TZ)" "$passed" >out/soak-autopilot.json <<'PY'
import json, sys
mw = json.loads(sys.argv[1])
mw.update(version=sys.argv[2], date=sys.argv[3], passed=sys.argv[4] == "true")
json.dump(mw, sys.stdout, indent=1)
PY
  echo "soak: autopilot $mw"
fi
step fuzz bash scripts/fuzz.sh "${FUZZTIME:-60s}"
echo
echo "soak summary ($version):"
printf '  %s\n' "${summary[@]}"
exit $fail

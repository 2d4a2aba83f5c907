#!/usr/bin/env bash
# make bench: every benchmark with its baseline from the same run, plus the kiosk binary's start-up (beside a
# minimal Fyne window), idle memory and memory over 500 autopilot sessions under Xvfb; writes docs/BENCHMARKS.md.
# The autopilot figures come from make soak's run when it is of this commit and passed (run make soak first);
# otherwise bench runs BENCH_SESSIONS (default 500) sessions itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb.sh
. scripts/pair.sh
mkdir -p out
raw=out/bench.txt
extra=out/bench-extra.json
if [ -z "${BENCH_SKIP_GO:-}" ]; then # BENCH_SKIP_GO=1 re-measures only the kiosk process, reusing $raw
  : >"$raw"
  echo "bench: go benchmarks (this takes a while)…"
  # Heavy whole-system benchmarks run once per measurement; the rest use the default benchtime.
  go test -run '^$' -bench . -benchmem -timeout 60m $(go list ./... | grep -v -e '/sync$' -e '/scripts/') | tee -a "$raw"
  go test -run '^$' -bench 'Drain200' -benchtime 1x -timeout 60m ./sync/ | tee -a "$raw"
fi

go build -o out/minwin ./scripts/minwin
xvfb_start
trap 'pair_stop; xvfb_stop' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
startup() { # prints startup_ms of one run of "$@"
  local log=out/bench-startup.log
  "$@" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    grep -q '"msg":"home shown"' "$log" && break
    sleep 0.05
  done
  grep -o '"startup_ms":[0-9.]*' "$log" | head -1 | cut -d: -f2
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
}
k=(); m=()
for i in 1 2 3; do
  d=$(mktemp -d)
  k+=("$(startup bin/huren -demo -data "$d")")
  m+=("$(startup out/minwin)")
  rm -rf "$d"
done
kiosk_ms=$(printf '%s\n' "${k[@]}" | median)
min_ms=$(printf '%s\n' "${m[@]}" | median)
echo "bench: start to Home ${k[*]} ms (median $kiosk_ms); minimal Fyne window ${m[*]} ms (median $min_ms)"

rss_after() { # RSS in MB of "$@" after it idled for 10 s
  "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep 10
  local kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  awk -v kb="$kb" 'BEGIN {printf "%.1f", kb/1024}'
}
d=$(mktemp -d)
idle=$(rss_after bin/huren -demo -data "$d")
rm -rf "$d"
d=$(mktemp -d)
pair_start "$d"
idle_kiosk=$(rss_after bin/huren -config "$d/kiosk.toml")
pair_stop
rm -rf "$d"
minrss=$(MINWIN_STAY=1 rss_after out/minwin)
echo "bench: idle RSS: kiosk ${idle_kiosk} MB, demo (kiosk + embedded review service) ${idle} MB, minimal Fyne window ${minrss} MB"

# Memory over autopilot sessions: the kiosk beside its review service in a second process. make soak runs 500
# sessions; its summary is reused when it is of this very commit and passed, since the run takes half an hour.
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
n=${BENCH_SESSIONS:-500}
mwjson=out/bench-autopilot.json
aplog=out/bench-autopilot.log
if [ -z "${BENCH_SESSIONS:-}" ] && [ -f out/soak-autopilot.json ] &&
  python3 -c 'import json,sys; m=json.load(open("out/soak-autopilot.json")); sys.exit(0 if m.get("version")==sys.argv[1] and m.get("passed") else 1)' "$version"; then
  mwjson=out/soak-autopilot.json
  aplog=out/soak-autopilot.log
  echo "bench: memory over autopilot sessions: make soak's run of $version (out/soak-autopilot.json)"
else
  d=$(mktemp -d)
  pair_start "$d"
  go build -o out/memwatch ./scripts/memwatch
  out/memwatch -max-growth 0 -- bin/huren -config "$d/kiosk.toml" -autopilot "$n" >out/bench-autopilot.jsonl 2>"$aplog" || {
    echo "bench: autopilot run failed" >&2; tail -20 "$aplog" >&2; pair_stop; exit 1; }
  pair_stop
  rm -rf "$d"
  grep -o 'memwatch: {.*}' "$aplog" | tail -1 | sed 's/^memwatch: //' |
    python3 -c 'import json,sys; m=json.load(sys.stdin); m.update(version=sys.argv[1], date=sys.argv[2]); json.dump(m, open(sys.argv[3], "w"), indent=1)' \
      "$version" "$(date -u +%FT%TZ)" "$mwjson"
fi
echo "bench: autopilot: $(cat "$mwjson" | tr -d '\n ')"
print_ms=$(grep -o '"submit_to_print_ms":[0-9.]*' "$aplog" | cut -d: -f2 | median)
python3 - "$extra" "$mwjson" <<PY
import json, sys
mw = json.load(open(sys.argv[2]))
ex = {"startup_ms": float("$kiosk_ms"), "minwin_startup_ms": float("$min_ms"),
      "idle_rss_mb": float("$idle_kiosk"), "demo_idle_rss_mb": float("$idle"), "minwin_rss_mb": float("$minrss"),
      "autopilot_sessions": mw.get("sessions", 0), "autopilot_peak_rss_mb": mw.get("peak_rss_mb", 0),
      "autopilot_warm_rss_mb": mw.get("warm_rss_mb", 0), "autopilot_end_rss_mb": mw.get("end_rss_mb", 0),
      "autopilot_warm_peak_rss_mb": mw.get("warm_peak_rss_mb", 0), "autopilot_end_peak_rss_mb": mw.get("end_peak_rss_mb", 0),
      "autopilot_warm_goroutines": mw.get("warm_goroutines", 0), "autopilot_end_goroutines": mw.get("end_goroutines", 0),
      "autopilot_source": sys.argv[2], "autopilot_version": mw.get("version", ""), "autopilot_date": mw.get("date", "")}
if "$print_ms":
    ex["submit_to_print_ms"] = float("$print_ms")
json.dump(ex, open(sys.argv[1], "w"), indent=1)
PY
go run ./scripts/benchreport -in "$raw" -extra "$extra" -out docs/BENCHMARKS.md >/dev/null
echo "bench: docs/BENCHMARKS.md written"

#!/usr/bin/env bash
# Smoke test of the real kiosk binary under Xvfb: it must reach Home, draw a non-blank screen (saved to
# out/smoke-home.png) and exit 0 on SIGTERM. Prints the start-to-Home time the kiosk logged.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb.sh
mkdir -p out
data=$(mktemp -d)
log=out/smoke.log
cleanup() {
  [ -n "${KPID:-}" ] && kill -KILL "$KPID" 2>/dev/null || true
  xvfb_stop
  rm -rf "$data"
}
trap cleanup EXIT
xvfb_start
echo "smoke: DISPLAY=$DISPLAY data=$data"
bin/huren -demo -data "$data" -fullscreen >"$log" 2>&1 &
KPID=$!
ok=""
for _ in $(seq 1 600); do
  if grep -q '"msg":"home shown"' "$log" 2>/dev/null; then ok=1; break; fi
  if ! kill -0 "$KPID" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$ok" ]; then
  echo "smoke: FAIL: kiosk did not reach Home within 60 s" >&2
  cat "$log" >&2
  exit 1
fi
sleep 1.5
/usr/bin/import -window root out/smoke-home.png
sd=$(/usr/bin/convert out/smoke-home.png -colorspace Gray -format '%[fx:standard_deviation]' info:)
colours=$(/usr/bin/convert out/smoke-home.png -format '%k' info:)
echo "smoke: screenshot out/smoke-home.png: grey standard deviation $sd, $colours colours"
if awk -v s="$sd" 'BEGIN{exit !(s < 0.02)}' || [ "$colours" -lt 16 ]; then
  echo "smoke: FAIL: the screenshot is blank" >&2
  exit 1
fi
grep -o '"startup_ms":[0-9.]*' "$log" | head -1 | sed 's/^/smoke: /'
kill -TERM "$KPID"
rc=""
for _ in $(seq 1 150); do
  if ! kill -0 "$KPID" 2>/dev/null; then wait "$KPID" && rc=0 || rc=$?; break; fi
  sleep 0.1
done
KPID_DONE=$KPID; KPID=""
if [ -z "$rc" ]; then
  kill -KILL "$KPID_DONE" 2>/dev/null || true
  echo "smoke: FAIL: kiosk did not exit within 15 s of SIGTERM" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "smoke: FAIL: kiosk exited $rc on SIGTERM" >&2
  tail -20 "$log" >&2
  exit 1
fi
if grep -E '[1-8][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx]' "$log" >/dev/null; then
  echo "smoke: FAIL: a full ID number reached the log" >&2
  exit 1
fi
echo "smoke: PASS"

# Sourced by scripts that need a display: starts Xvfb on a free display number and exports DISPLAY.
# Sets XVFB_PID; call xvfb_stop when done. Size from XVFB_SIZE (default 1920x1080x24).
xvfb_start() {
  local n
  for n in $(seq 99 140); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then break; fi
  done
  Xvfb ":$n" -screen 0 "${XVFB_SIZE:-1920x1080x24}" -nolisten tcp >/dev/null 2>&1 &
  XVFB_PID=$!
  export DISPLAY=":$n"
  export LIBGL_ALWAYS_SOFTWARE=1
  for _ in $(seq 1 50); do
    [ -e "/tmp/.X11-unix/X$n" ] && return 0
    sleep 0.1
  done
  echo "xvfb: display :$n did not come up" >&2
  return 1
}
xvfb_stop() {
  [ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null
  return 0
}

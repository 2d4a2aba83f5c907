#!/usr/bin/env bash
# Installs the Debian packages Huren's build, run and tests need, only those missing. Idempotent.
set -euo pipefail
pkgs=(
  # Fyne (go-gl / GLFW) build headers; libjpeg-turbo for the capture pipeline (cgo)
  pkg-config gcc libjpeg62-turbo-dev libgl1-mesa-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
  # Chinese font for the UI and the PDFs (loaded at run time, never committed)
  fonts-wqy-microhei
  # test tools: a display, clicks, screenshots, PDF text/raster, QR decoding, a serial pair
  xvfb xauth xdotool imagemagick poppler-utils zbar-tools socat
  # printing: a real CUPS with a PDF queue
  cups cups-client cups-bsd printer-driver-cups-pdf
  # review service: PostgreSQL for the second store; Chromium for the reviewer UI browser test
  postgresql chromium
  # SQLite CLI for operators and tests
  sqlite3 curl
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} Debian packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

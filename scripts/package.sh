#!/usr/bin/env bash
# Builds dist/: the kiosk with `fyne package` (release, -tags migrated_fynedo) as a tarball, and the review
# service as a static-as-possible binary, with the sample configs and systemd units.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-dev}
mkdir -p dist
export PATH="$(go env GOPATH)/bin:$PATH"
if ! command -v fyne >/dev/null 2>&1; then
  go install fyne.io/tools/cmd/fyne@v1.7.4
fi
# The app version comes from FyneApp.toml unless the commit is tagged vX.Y.Z.
appver=()
if [[ "$version" =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then appver=(--app-version "${BASH_REMATCH[1]}"); fi
# The build number is the commit count (it only grows along main). fyne package writes the build number back
# into FyneApp.toml; the file is restored so that packaging leaves the checkout clean.
build=$(git rev-list --count HEAD 2>/dev/null || echo 1)
saved=$(mktemp)
cp FyneApp.toml "$saved"
trap 'cp "$saved" FyneApp.toml; rm -f "$saved"' EXIT
fyne package --os linux --release --tags migrated_fynedo --name huren --app-id cn.gov.jinyun.huren \
  --icon resources/icons/icon.png --app-build "$build" "${appver[@]}" 2>&1 | tail -5 || {
  echo "package: fyne package failed" >&2; exit 1; }
# fyne package writes huren.tar.xz in the current folder
mv -f huren.tar.xz "dist/huren-kiosk-${version}.tar.xz"
# The review service: SQLite and the rest statically linked where the C library allows (netgo, osusergo).
CGO_ENABLED=1 go build -trimpath -tags 'netgo osusergo sqlite_omit_load_extension' \
  -ldflags "-s -w -X main.version=${version} -linkmode external -extldflags -static" \
  -o dist/huren-review ./cmd/huren-review 2>/dev/null || \
  CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${version}" -o dist/huren-review ./cmd/huren-review
cp deploy/kiosk.toml deploy/huren-review.env deploy/huren-review.service deploy/huren-kiosk.service dist/
( cd dist && sha256sum huren-kiosk-*.tar.xz huren-review > SHA256SUMS )
ls -la dist

#!/usr/bin/env bash
# Builds imgq's release binaries for linux, macOS (darwin) and windows, amd64 and
# arm64, into dist/: pure Go (CGO_ENABLED=0), -trimpath, the version and git
# revision stamped (imgq --version shows them), plus dist/SHA256SUMS.
#   VERSION=v1.2.0 ./scripts/release.sh     # default: git describe
set -euo pipefail
cd "$(dirname "$0")/.."

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
ldflags="-s -w -X github.com/imgq/imgq/cli.Version=$version -X github.com/imgq/imgq/cli.Revision=$revision"

rm -rf dist
mkdir -p dist
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  os=${target%/*} arch=${target#*/} ext=""
  [ "$os" = windows ] && ext=.exe
  out="dist/imgq-$os-$arch$ext"
  echo "== $out"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$out" .
done

cd dist
if command -v sha256sum >/dev/null 2>&1; then
  sha256sum imgq-* > SHA256SUMS
else
  shasum -a 256 imgq-* > SHA256SUMS # macOS
fi
echo "== imgq $version (revision $revision):"
ls -l imgq-* | awk '{printf "   %-28s %5.1f MB\n", $NF, $5/1048576}'
echo "== dist/SHA256SUMS"
cat SHA256SUMS

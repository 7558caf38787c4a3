#!/usr/bin/env bash
# Runs imgq's whole test suite on a fresh machine: installs what the tests need
# (Debian's redis-server, which the tests start themselves on free ports), then
# gofmt, go vet and go test -race over every package.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing redis-server (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server >/dev/null
fi
for tool in tmux; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "== installing $tool (Debian package)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$tool" >/dev/null
  fi
done
echo "== $(go version); $(redis-server --version | cut -d' ' -f1-3)"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 20m ./... 2>&1 | tee /tmp/imgq-test.log

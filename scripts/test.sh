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
for tool in tmux redis-cli redis-sentinel; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    pkg=$tool; [ "$tool" = redis-cli ] && pkg=redis-tools
    echo "== installing $pkg (Debian package)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$pkg" >/dev/null
  fi
done
# The course's own Python producer and worker (e2e/course/) run against imgq in
# the tests: Debian's redis-py and Pillow for the system python3.
if ! /usr/bin/python3 -c 'import redis, PIL' >/dev/null 2>&1 && ! python3 -c 'import redis, PIL' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "== installing python3-redis python3-pil (Debian packages)"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-redis python3-pil >/dev/null
  else
    echo "the e2e tests run the course's Python worker: install redis-py and Pillow (python3 -m pip install redis pillow)"; exit 1
  fi
fi
# The Sentinel failover test needs redis-sentinel: where this script could
# install it, its absence is a failure, not a skip.
command -v redis-sentinel >/dev/null 2>&1 && export IMGQ_REQUIRE_SENTINEL=1
echo "== $(go version); $(redis-server --version | cut -d' ' -f1-3)"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
# Pinned, so a new release's new checks never fail an old commit; installed
# into $(go env GOPATH)/bin when missing or another version.
staticcheck_version=v0.8.2
gobin="$(go env GOPATH)/bin"
if ! "$gobin/staticcheck" -version 2>/dev/null | grep -q "(${staticcheck_version#v})"; then
  echo "   installing honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
  GOBIN="$gobin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
"$gobin/staticcheck" ./...

echo "== cross-builds and vets: linux, darwin, windows × amd64, arm64"
# The binary must build on every laptop in a class; vet also compiles each
# package's tests for each system. internal/proc holds what differs.
for target in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  echo "   $target"
  GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=0 go build -o /dev/null .
  GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=0 go vet ./...
done

echo "== go test -race"
# Everything but e2e (go test prints each package's ok/FAIL line as it ends),
# then e2e verbosely into a log of its own (a fresh mktemp file per run): its fault and
# interop tests log their counts (tasks lost, completed twice, re-runs), which
# are printed below with each test's result; the whole log stays for reading.
log=$(mktemp -t imgq-e2e.XXXXXX.log)
pkgs=$(go list ./... | grep -v '/e2e$')
go test -race -count=1 -timeout 20m $pkgs
echo "== go test -race ./e2e (real binary, real redis-server, Python course workers; full log: $log)"
set +e
go test -race -count=1 -timeout 20m -v ./e2e/ >"$log" 2>&1
rc=$?
set -e
grep -E -- '^(--- (PASS|FAIL|SKIP)|ok|FAIL|PASS)|lost|twice|re-run|dead-lettered as|drained|timed out after' "$log" | grep -v '^=== ' || true
if [ $rc -ne 0 ]; then
  echo "== e2e failed; the failing tests' output:"
  awk '/^--- FAIL/{p=1} /^(=== RUN|--- PASS)/{p=0} p' "$log" | head -400
fi
exit $rc

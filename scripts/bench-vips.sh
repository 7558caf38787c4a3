#!/usr/bin/env bash
# The course pipeline in imgq against libvips (and Pillow's output as the
# quality reference), issue 14 target 1: installs what the comparison needs
# (Debian's libvips-dev for govips' cgo, python3-pil for the reference, a C
# compiler), then runs bench/cmd/imagebench with the arguments given.
#
#   scripts/bench-vips.sh                         # 640x480 and 1920x1080, P = cores, 3 reps
#   scripts/bench-vips.sh -reps 5 -json
#   scripts/bench-vips.sh -imgq-args '--gomaxprocs 0'
#   scripts/bench-vips.sh --install-only
#
# CI does not run this: libvips stays out of scripts/test.sh, and the main
# module stays pure Go (govips lives in the nested bench/ module only).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
pkg-config --exists vips 2>/dev/null || missing+=(libvips-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1 || missing+=(python3-pil)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench-vips: install ${missing[*]} (Debian names; libvips ≥ 8.10 with its headers, Pillow for python3)"; exit 1
  fi
  echo "== installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "== $(go version); libvips $(pkg-config --modversion vips); Pillow $(/usr/bin/python3 -c 'import PIL; print(PIL.__version__)')" >&2

if [ "${1:-}" = "--install-only" ]; then
  exit 0
fi
cd bench
exec go run ./cmd/imagebench "$@"

#!/usr/bin/env bash
# `make demo` and `make trace-demo`: build sbull for Debian's 6.1 kernel (or
# SERIES), boot it in a QEMU guest and run a demo there.
# Usage: demo.sh [GUEST_SCRIPT]   (default scripts/demo-guest.sh)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

demo=${1:-scripts/demo-guest.sh}
series=${SERIES:-6.1}
scripts/install-deps.sh
ko=$(scripts/build-module.sh "$(scripts/qemu/fetch-kernel.sh "$series")")
exec scripts/qemu/guest.sh --series "$series" --module "$ko" -- "$demo"

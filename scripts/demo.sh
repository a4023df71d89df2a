#!/usr/bin/env bash
# `make demo`: build sbull for Debian's 6.1 kernel (or SERIES), boot it in a
# QEMU guest and run scripts/demo-guest.sh there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

series=${SERIES:-6.1}
scripts/install-deps.sh
ko=$(scripts/build-module.sh "$(scripts/fetch-kernel.sh "$series")")
exec scripts/guest.sh --series "$series" --module "$ko" -- scripts/demo-guest.sh

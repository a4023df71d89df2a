#!/usr/bin/env bash
# `make shell`: a QEMU guest with sbull installed, and a shell in it. Try
# `modprobe sbull request_mode=bio`; `poweroff -f` or exit ends the guest.
# Usage: shell.sh [SERIES]   (6.1, the default, or 6.12)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

series=${1:-6.1}
scripts/install-deps.sh
ko=$(scripts/build-module.sh "$(scripts/fetch-kernel.sh "$series")")
exec scripts/guest.sh --series "$series" --module "$ko" --shell

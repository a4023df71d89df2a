#!/usr/bin/env bash
# `make shell`: a QEMU guest with sbull installed, and a shell in it. Try
# `modprobe sbull request_mode=bio`; `poweroff -f` or exit ends the guest.
# The guest has three blank 80 MiB disks, /dev/vda to /dev/vdc, for mirror
# legs (docs/admin-guide.md, "Mirror legs"): sparse files on the host,
# made anew for each shell and deleted when it ends.
# Usage: shell.sh [SERIES]   (6.1, the default, 6.12 or latest)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

series=${1:-6.1}
scripts/install-deps.sh
ko=$(scripts/build-module.sh "$(scripts/qemu/fetch-kernel.sh "$series")")
disks=$(mktemp -d)
trap 'rm -rf "$disks"' EXIT
truncate -s 80M "$disks"/vda.img "$disks"/vdb.img "$disks"/vdc.img
scripts/qemu/guest.sh --series "$series" --module "$ko" --disk "$disks/vda.img" \
	--disk "$disks/vdb.img" --disk "$disks/vdc.img" --shell

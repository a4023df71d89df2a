#!/usr/bin/env bash
# Case: mirror: removing the only leg under fio verify loses nothing and fails no I/O
# Needs: modules=dm-delay
# The only leg, slow (dm-delay), is removed while fio writes and verifies:
# the disk becomes a plain RAM disk without one I/O failing in between.
# Usage: mirror-remove-last.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe dm-delay || fail "modprobe dm-delay"
slow=$(dm_create sbull-slow "0 $REGION_SECTORS delay /dev/vda 0 0 /dev/vda 0 50")
load_mirror "$mode" "sbulla=$slow" legs_init=1
wait_in_sync 0

fio_verify_midrun "the remove"
echo "remove 0" >"$LEGS" || fail "remove 0 (the only leg) refused"
[ -z "$(cat "$LEGS")" ] || fail "legs left after remove: $(cat "$LEGS")"
fio_verify_clean
unload_sbull

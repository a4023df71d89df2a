#!/usr/bin/env bash
# Case: rmmod while mounted fails and loses nothing
# rmmod while a device is mounted fails, and the filesystem loses nothing.
# Usage: rmmod-busy.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1"
mkfs_mount /dev/sbullb "$SBULL_MNT"
head -c 5M /dev/urandom >"$SBULL_MNT/file"
sum=$(sha256sum <"$SBULL_MNT/file")

must_fail rmmod sbull
grep -q 'in use' /tmp/must_fail.out || fail "rmmod said: $(cat /tmp/must_fail.out)"
[ -b /dev/sbullb ] || fail "rmmod removed the device"

sync
echo 3 >/proc/sys/vm/drop_caches
[ "$(sha256sum <"$SBULL_MNT/file")" = "$sum" ] || fail "the file changed"
umount "$SBULL_MNT"
e2fsck -fn /dev/sbullb >/dev/null 2>&1 || fail "e2fsck after the failed rmmod"
unload_sbull

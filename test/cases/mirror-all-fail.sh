#!/usr/bin/env bash
# Case: mirror: all legs failed: writes get EIO, reads work
# Needs: modules=brd,dm-flakey
# When every leg has failed, writes fail with EIO and reads still return
# what was written before. The legs are device-mapper devices, one over a
# virtio disk and one over brd, switched to the error target.
# Usage: mirror-all-fail.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe brd rd_nr=1 rd_size=$((REGION_SECTORS / 2 + 1024)) || fail "modprobe brd"
wait_for_dev /dev/ram0
dm0=$(dm_create sbull-leg0 "0 $REGION_SECTORS linear /dev/vda 0")
dm1=$(dm_create sbull-leg1 "0 $REGION_SECTORS linear /dev/ram0 0")
load_mirror "$mode" "sbulla=$dm0,sbulla=$dm1" legs_init=1
wait_in_sync 0
wait_in_sync 1
fill_random /dev/sbulla 4
before=$(checksum_range /dev/sbulla 0 $((4 << 20)))
expect_leg_is_store /dev/ram0

dm_switch sbull-leg0 "0 $REGION_SECTORS error"
dm_switch sbull-leg1 "0 $REGION_SECTORS error"
# The first write finds both legs failing, the second no leg in service:
# both must fail, with EIO.
for try in 1 2; do
	must_fail dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 seek=2048 \
		oflag=direct status=none
	grep -q 'Input/output error' /tmp/must_fail.out ||
		fail "write $try did not fail with EIO: $(cat /tmp/must_fail.out)"
done
expect_leg_state 0 failed
expect_leg_state 1 failed
[ "$(checksum_range /dev/sbulla 0 $((4 << 20)))" = "$before" ] ||
	fail "the data written before the failure reads back changed"
# Buffered reads too, through the page cache, after it is dropped.
echo 3 >/proc/sys/vm/drop_caches
[ "$(head -c $((4 << 20)) /dev/sbulla | sha256sum | cut -d' ' -f1)" = "$before" ] ||
	fail "a buffered read returns changed data"
unload_sbull

#!/usr/bin/env bash
# Case: mirror: a configfs disk with its own legs beside a disk of the parameters; its store comes back at the next power=1
# sbulla, made at load in mode MODE, has leg /dev/vda; a configfs disk in
# the other kind of request path (bio, or mq beside bio), sbullb, has legs
# /dev/vdb and /dev/vdc:2048 given in its legs attribute. fio verifies both
# disks at once. power=0 marks both of sbullb's legs clean, each holding its
# store; power=1 again, without legs_init, restores the store from them and
# resyncs nothing. A disk given an sbull disk as its leg, or a leg inside
# sbulla's, is refused with one line naming its legs attribute.
# Usage: mirror-configfs.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
other=bio
[ "$mode" != bio ] || other=mq
load_mirror "$mode" sbulla=/dev/vda legs_init=1
b=$(cfs_create m request_mode="$other" legs=/dev/vdb,/dev/vdc:2048 legs_init=1)
[ "$b" = /dev/sbullb ] || fail "the configfs disk is $b, expected /dev/sbullb"
[ "$(cat /sys/block/sbullb/sbull/mode)" = "$other" ] || fail "sbullb is not in $other mode"
wait_in_sync 0
LEGS=/sys/block/sbullb/mirror/legs
wait_in_sync 0
wait_in_sync 1
[ "$(leg_field 1 2) $(leg_field 1 3)" = "/dev/vdc 2048" ] ||
	fail "sbullb's leg 1 is not /dev/vdc at 2048: $(cat "$LEGS")"

fio --name=a --filename=/dev/sbulla --name=b --filename=/dev/sbullb \
	--rw=randwrite --bs=4k --size=8m --ioengine=libaio --iodepth=8 \
	--direct=1 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
	>/tmp/fio.out 2>&1 || { cat /tmp/fio.out >&2; fail "fio verify"; }
[ "$(grep -c 'err= 0' /tmp/fio.out)" = 2 ] || fail "fio reported errors"

store=$(checksum_range /dev/sbullb 0 "$STORE_BYTES")
log=$(kernel_log_during cfs_power m 0)
echo "$log" | grep -Eq 'sbull: sbullb: .*2 of 2 legs .*clean' ||
	fail "power=0 did not say both legs were marked clean: $log"
[ ! -e /sys/block/sbullb ] || fail "power=0 left sbullb"
[ "$(leg_data_sum /dev/vdb 0)" = "$store" ] || fail "vdb does not hold sbullb's store"
[ "$(leg_data_sum /dev/vdc 2048)" = "$store" ] || fail "vdc:2048 does not hold sbullb's store"

echo 0 >"$SBULL_CFS/m/legs_init"
log=$(kernel_log_during cfs_power m 1)
wait_for_dev /dev/sbullb
echo "$log" | grep -Eiq 'sbull: sbullb: .*restor' || fail "no restore line: $log"
echo "$log" | grep -Ei 'sbull: sbullb: .*restor' | sed 's/^/# /'
[ "$(checksum_range /dev/sbullb 0 "$STORE_BYTES")" = "$store" ] ||
	fail "sbullb's store did not come back from its legs"
expect_leg_state 0 in_sync
expect_leg_state 1 in_sync

mkdir "$SBULL_CFS/s"
echo /dev/sbulla >"$SBULL_CFS/s/legs"
log=$(kernel_log_during must_fail cfs_power s 1)
echo "$log" | sbull_lines | grep -q 'sbull: configfs s/legs=/dev/sbulla: .*sbull disk.*accepted' ||
	fail "an sbull disk as a leg: $log"
[ ! -e /sys/block/sbullc ] || fail "the refused disk exists"

# A smaller disk's leg inside sbulla's (/dev/vda from sector 0, the
# header and the store), well past its own length from sbulla's start,
# overlaps it as much as a larger one's would.
echo 1M >"$SBULL_CFS/s/size"
echo /dev/vda:8192 >"$SBULL_CFS/s/legs"
echo 1 >"$SBULL_CFS/s/legs_init"
sum=$(checksum_range /dev/vda 0 $((REGION_SECTORS * 512)))
log=$(kernel_log_during must_fail cfs_power s 1)
echo "$log" | sbull_lines | grep -q 'sbull: configfs s/legs=/dev/vda:8192: overlaps leg 0 of sbulla' ||
	fail "a small disk's leg inside sbulla's was not refused as an overlap: $log"
[ ! -e /sys/block/sbullc ] || fail "the refused disk exists"
[ "$(checksum_range /dev/vda 0 $((REGION_SECTORS * 512)))" = "$sum" ] ||
	fail "the refused leg changed sbulla's leg"
rmdir "$SBULL_CFS/s"
cfs_remove m
unload_sbull

#!/usr/bin/env bash
# Case: mirror: fsync flushes and discards reach the legs
# Needs: modules=brd
# With legs, sbull declares a write cache, so fsync's flush reaches sbull
# (its flushes counter goes up) and the leg's device; a discard and a
# write-zeroes on sbulla zero the same range of every leg's data area, and
# nothing else. Legs on a virtio disk (which has a write cache) and on brd.
# Usage: mirror-flush-discard.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe brd rd_nr=1 rd_size=$((REGION_SECTORS / 2)) || fail "modprobe brd"
wait_for_dev /dev/ram0
load_mirror "$mode" sbulla=/dev/vda,sbulla=/dev/ram0 legs_init=1
wait_in_sync 0
wait_in_sync 1
cache=$(cat /sys/block/sbulla/queue/write_cache)
[ "$cache" = "write back" ] || fail "sbulla with legs has write_cache '$cache'"
[ "$(cat /sys/block/vda/queue/write_cache)" = "write back" ] ||
	fail "vda has no write cache: this case cannot see flushes"

# Field 16 of a disk's stat file: flush requests completed (see the
# kernel's Documentation/block/stat.rst).
flushes() { awk '{ print $16 }' /sys/block/vda/stat; }
# sbulla's own counter: the flush requests (mq, simple) or REQ_PREFLUSH
# bios (bio) that reached sbull, which only a disk with a write cache gets.
sbull_flushes_above() {
	local got
	got=$(stat_of flushes)
	echo "# sbulla flushes: $1 before $2, $got after"
	[ "$got" -gt "$1" ] ||
		fail "$2: sbulla's flushes counter is $got, expected more than $1 (its value before)"
}
fill_random /dev/sbulla 4
before=$(flushes)
sbull_before=$(stat_of flushes)
dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 seek=100 conv=fsync status=none ||
	fail "write + fsync"
after=$(flushes)
echo "# vda flushes: $before before the fsync, $after after"
[ "$after" -gt "$before" ] || fail "no flush reached the leg on vda"
sbull_flushes_above "$sbull_before" "a write + fsync"
# And with no write in between, a bare fsync is still passed on.
before=$after
sbull_before=$(stat_of flushes)
python3 -c 'import os; fd = os.open("/dev/sbulla", os.O_WRONLY); os.fsync(fd)' ||
	fail "fsync"
[ "$(flushes)" -gt "$before" ] || fail "an fsync without data reached no leg"
sbull_flushes_above "$sbull_before" "a bare fsync"

zeros=$(head -c 1M /dev/zero | sha256sum | cut -d' ' -f1)
for zeroing in "" -z; do
	fill_random /dev/sbulla 4
	blkdiscard $zeroing -o $((1 << 20)) -l $((1 << 20)) /dev/sbulla ||
		fail "blkdiscard $zeroing"
	for leg in /dev/vda /dev/ram0; do
		[ "$(checksum_range $leg $(((HDR_SECTORS * 512) + (1 << 20))) $((1 << 20)))" = "$zeros" ] ||
			fail "blkdiscard $zeroing: the range does not read zero on $leg"
		# Around the range (the 4 MiB written), the leg holds what the
		# store holds.
		[ "$(checksum_range $leg $((HDR_SECTORS * 512)) $((4 << 20)))" = \
			"$(checksum_range /dev/sbulla 0 $((4 << 20)))" ] ||
			fail "blkdiscard $zeroing: $leg differs from the store"
	done
done
unload_sbull

#!/usr/bin/env bash
# Case: configfs: bio, mq and simple disks of other sizes and block sizes side by side, fio verify on all; EBUSY where a disk is in use
# With ndevices=0 no disk exists at load. Three configfs directories make a
# bio disk of 24 MiB in 4096-byte blocks, an mq disk of 40 MiB in 512-byte
# blocks with 2 queues of depth 8, and a simple read-only disk of 8 MiB in
# 1024-byte blocks: each has its size, block size, request path and queues,
# fio verifies the two writable ones at once, and a write to the read-only
# one fails. While a disk exists, its settings, its rmdir
# and the unload are refused with EBUSY; its power=0 too while it is
# mounted or held open, after which the file system is intact. power=0
# then removes it, and power=1 makes an empty disk again.
# Usage: configfs.sh
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

modprobe sbull ndevices=0 || fail "modprobe sbull ndevices=0"
left=$(ls -d /sys/block/sbull* 2>/dev/null || true)
[ -z "$left" ] || fail "ndevices=0 made $left"

a=$(cfs_create a size=24M hardsect_size=4096 request_mode=bio)
b=$(cfs_create b size=41943040 hardsect_size=512 request_mode=1 \
	nr_hw_queues=2 queue_depth=8)
c=$(cfs_create c size=8M hardsect_size=1024 request_mode=simple read_only=1)
[ "$a $b $c" = "/dev/sbulla /dev/sbullb /dev/sbullc" ] ||
	fail "disks $a $b $c, expected sbulla, sbullb and sbullc"

# Disk $1: size $2 bytes, block size $3, request path $4.
expect_disk() {
	local name=${1#/dev/} got
	got="$(blockdev --getsize64 "$1") $(blockdev --getss "$1") $(cat "/sys/block/$name/sbull/mode")"
	[ "$got" = "$2 $3 $4" ] || fail "$1: size, block size, mode: $got; expected $2 $3 $4"
}
expect_disk "$a" $((24 << 20)) 4096 bio
expect_disk "$b" $((40 << 20)) 512 mq
expect_disk "$c" $((8 << 20)) 1024 simple
[ ! -d /sys/block/sbulla/mq ] || fail "the bio disk has a blk-mq queue"
queues=$(ls /sys/block/sbullb/mq)
[ "$(echo "$queues" | wc -l)" = 2 ] || fail "sbullb has hardware queues: $queues"
[ "$(cat /sys/block/sbullb/queue/nr_requests)" = 8 ] ||
	fail "sbullb: nr_requests $(cat /sys/block/sbullb/queue/nr_requests), expected 8"

# The writable two at once: each job on its own disk.
fio --name=a --filename="$a" --bs=4k --size=20m --ioengine=io_uring \
	--name=b --filename="$b" --bs=512 --size=20m --ioengine=libaio \
	--rw=randwrite --iodepth=16 --direct=1 --verify=crc32c \
	--verify_fatal=1 --verify_state_save=0 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out >&2; fail "fio verify on $a and $b"; }
[ "$(grep -c 'err= 0' /tmp/fio.out)" = 2 ] || fail "fio reported errors"

# Read-only as blockdev --setro makes a disk: a write fails, EPERM.
[ "$(blockdev --getro "$c")" = 1 ] || fail "$c is not read-only"
must_fail dd if=/dev/urandom of="$c" bs=1k count=1 oflag=direct
grep -qi 'not permitted\|read-only' /tmp/must_fail.out ||
	fail "a write to $c: $(cat /tmp/must_fail.out)"
[ "$(head -c 1M "$c" | tr -d '\0' | wc -c)" = 0 ] || fail "$c was written"

# $1: what must fail with EBUSY (a write to a file, or rmdir, or rmmod).
expect_busy() {
	local out
	out=$("$@" 2>&1) && fail "$* succeeded; expected EBUSY"
	case $out in
	*busy* | *Busy* | *"in use"*) ;;
	*) fail "$*: $out; expected EBUSY" ;;
	esac
}
write_to() { echo "$2" >"$1"; }
expect_busy write_to "$SBULL_CFS/a/size" 32M
expect_busy write_to "$SBULL_CFS/b/request_mode" bio
expect_busy rmdir "$SBULL_CFS/c"
expect_busy rmmod sbull
[ "$(cat "$SBULL_CFS/a/size")" = $((24 << 20)) ] || fail "a/size changed while powered"

mkfs_mount "$a" "$SBULL_MNT"
head -c 3M /dev/urandom >"$SBULL_MNT/file"
sum=$(sha256sum <"$SBULL_MNT/file")
expect_busy write_to "$SBULL_CFS/a/power" 0
[ -b "$a" ] || fail "the refused power=0 removed $a"
umount "$SBULL_MNT"
exec 3<"$b"
expect_busy write_to "$SBULL_CFS/b/power" 0
exec 3<&-
e2fsck -fn "$a" >/dev/null 2>&1 || fail "e2fsck $a after the refused power=0"
mount -t ext4 "$a" "$SBULL_MNT" || fail "mount $a"
[ "$(sha256sum <"$SBULL_MNT/file")" = "$sum" ] || fail "the file changed"
umount "$SBULL_MNT"

# Off: the disk is gone and its settings can change; on: a new empty disk.
echo 0 >"$SBULL_CFS/a/power" || fail "power=0 of an idle disk"
[ ! -e /sys/block/sbulla ] || fail "power=0 left sbulla"
[ -z "$(cat "$SBULL_CFS/a/disk_name")" ] || fail "disk_name of a disk powered off"
echo 16M >"$SBULL_CFS/a/size" || fail "size of a disk powered off"
echo 1 >"$SBULL_CFS/a/power" || fail "power=1 again"
wait_for_dev /dev/sbulla
expect_disk /dev/sbulla $((16 << 20)) 4096 bio
[ "$(head -c 1M /dev/sbulla | tr -d '\0' | wc -c)" = 0 ] ||
	fail "the disk made again is not empty"

for d in a b c; do
	cfs_remove "$d"
done
rmmod sbull || fail "rmmod once no directory is left"
assert_no_sbull_left

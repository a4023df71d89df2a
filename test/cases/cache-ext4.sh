#!/usr/bin/env bash
# Case: write cache: ext4 keeps every fsynced file in every crash state; a writer that skips fsync loses its write in some; a broken flush is caught
# ext4 (data=ordered) on a disk in mode MODE with an 8 MiB write cache and
# 4 KiB logical blocks, ext4's own: a torn state tears writes at the
# logical block, and ext4 takes a 4 KiB block as written whole (with 512-
# byte blocks, a torn superblock fails its checksum at mount in about half
# the seeds, as it would on a drive that tears 4 KiB). The journal commits
# only when asked (commit=600): nothing but the test's own writes is at
# risk. Twelve files, each written and fsynced; then one fsynced file
# overwritten in place without fsync. sbullctl crash-states runs a
# checker on the states of N seeds, random and torn (SBULL_CRASH_STATES,
# 60 each), each on a copy: the journal replays at mount, every fsynced
# file is there with its checksum, and e2fsck -fn is clean. The write that
# skipped fsync is lost in some state. Then the power of the disk itself
# is cut under the mounted file system (I/O fails), and after "on" the
# same holds. Last, with the flush fault (flushes end with nothing made
# durable), files written and fsynced are lost or corrupt in some state:
# the checker catches the broken flush.
# Timeout: 900
# Usage: cache-ext4.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1
states=${SBULL_CRASH_STATES:-60}
cache=/sys/block/sbulla/cache
sbullctl=$SBULL_TEST_DIR/../tools/sbullctl
load_sbull request_mode="$mode" ndevices=1 hardsect_size=4096 nsectors=8192 \
	cache_kb=8192
# Inode tables and journal zeroed now: ext4lazyinit would otherwise zero
# them after the mount and flush (ext4_init_inode_table()), making the
# unsynced write durable in the middle of the states below.
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/sbulla ||
	fail "mkfs.ext4"
mkdir -p "$SBULL_MNT"
mount -t ext4 -o commit=600 /dev/sbulla "$SBULL_MNT" || fail "mount"

# Write $2 KiB of random data to file $1 and fsync it; its checksum goes
# to /tmp/sums, as sha256sum -c reads it.
write_synced() {
	head -c "$2K" /dev/urandom >"/tmp/$1"
	python3 - "/tmp/$1" "$SBULL_MNT/$1" <<-'EOF' || fail "write and fsync $1"
		import os, sys
		data = open(sys.argv[1], "rb").read()
		fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
		os.write(fd, data)
		os.fsync(fd)
		os.close(fd)
	EOF
	(cd /tmp && sha256sum "$1") >>/tmp/sums
}

: >/tmp/sums
for i in $(seq 12); do
	write_synced "f$i" $((i * 12))
done
# The writer that skips fsync: f1 overwritten in place, O_DIRECT (so it
# reaches the disk, but no flush follows).
head -c 12K /dev/urandom >/tmp/f1.new
dd if=/tmp/f1.new of="$SBULL_MNT/f1" bs=12k count=1 oflag=direct conv=notrunc \
	status=none || fail "overwrite f1"
echo "# $(cat "$cache/at_risk_kb") KiB at risk after the files and the unsynced write"
# Blocks made durable so far: none may be during the states (which take
# about a minute here, well within commit=600's 10 minutes: no journal
# commit flushes meanwhile).
made_durable() {
	echo $(($(cat "$cache/durable") + $(cat "$cache/destaged")))
}
durable=$(made_durable)

# The checker: mount (the journal replays), every fsynced file intact
# (f1: any mix of its old and new data, the writer never asked for
# either), unmount, e2fsck -fn clean. The seeds that lost f1's write,
# whole or in part, are counted.
cat >/tmp/check.sh <<-'EOF'
	#!/bin/bash
	set -u
	mkdir -p /mnt/crash
	mount -t ext4 "$1" /mnt/crash || { echo "mount failed"; exit 1; }
	cd /mnt/crash || exit 1
	rc=0
	grep -v ' f1$' /tmp/sums | sha256sum -c --quiet - || rc=1
	f1=$(sha256sum <f1 | cut -d' ' -f1)
	if [ "$f1" = "$(sha256sum </tmp/f1.new | cut -d' ' -f1)" ]; then
		echo new >>/tmp/f1.seen
	else
		echo old >>/tmp/f1.seen
	fi
	cd /
	umount /mnt/crash || rc=1
	e2fsck -fn "$1" >/tmp/fsck.out 2>&1 || { cat /tmp/fsck.out; rc=1; }
	exit "$rc"
EOF
chmod +x /tmp/check.sh
for policy in random torn; do
	: >/tmp/f1.seen
	"$sbullctl" crash-states sbulla --count "$states" --seed 1 \
		--policy "$policy" -- /tmp/check.sh {} >/tmp/states.out 2>&1 ||
		{ cat /tmp/states.out >&2; fail "a crash state ($policy) lost an fsynced file or broke the file system"; }
	echo "# $(tail -n 1 /tmp/states.out); f1 unsynced: $(grep -c new /tmp/f1.seen || true) kept, $(grep -c old /tmp/f1.seen || true) lost"
	[ "$(made_durable)" = "$durable" ] ||
		fail "$(($(made_durable) - durable)) blocks made durable during the states: the unsynced write may be too"
	grep -q old /tmp/f1.seen || fail "the write that skipped fsync survived every state ($policy)"
done

# The disk's own power cut, under the mounted file system.
echo "cut random 5" >"$cache/power" || fail "cut random 5"
must_fail dd if="$SBULL_MNT/f12" of=/dev/null bs=4k iflag=direct status=none
# Not on while mounted: ext4 would go on from its memory of before.
must_fail sh -c "echo on >$cache/power"
umount "$SBULL_MNT" 2>/dev/null || fail "umount after the cut"
echo on >"$cache/power" || fail "on"
: >/tmp/f1.seen
/tmp/check.sh /dev/sbulla >/tmp/check.out 2>&1 ||
	{ cat /tmp/check.out >&2; fail "after the cut of the disk itself"; }
echo "# the disk's own cut (random 5): every fsynced file there, fsck clean"

# The broken flush: fsynced files end up lost or corrupt in some state.
mount -t ext4 -o commit=600 /dev/sbulla "$SBULL_MNT" || fail "mount after the cut"
echo ignore_flush >"$cache/fault"
: >/tmp/sums
for i in $(seq 13 24); do
	write_synced "f$i" 24
done
cp "$SBULL_MNT/f1" /tmp/f1.new
(cd "$SBULL_MNT" && sha256sum f1) >>/tmp/sums
if "$sbullctl" crash-states sbulla --count 20 --seed 1 --policy random -- \
	/tmp/check.sh {} >/tmp/states.out 2>&1; then
	cat /tmp/states.out >&2
	fail "with flushes ignored, every crash state still had every fsynced file: the checker cannot see a broken flush"
fi
echo "# with the flush fault: $(tail -n 1 /tmp/states.out)"
echo none >"$cache/fault"
umount "$SBULL_MNT" || fail "umount"
unload_sbull

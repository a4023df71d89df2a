#!/usr/bin/env bash
# Case: write cache: a flush or FUA makes writes durable, a cut loses the rest as its policy says, the same seed gives the same state
# A disk with a 1 MiB write cache (cache_kb) in mode MODE. KIND:
# - durable: the disk declares a volatile cache and FUA; a write is at
#   risk until an fsync (a flush) makes it durable; an O_DSYNC write is
#   FUA (then flushed, as O_DSYNC on a block device is); a cut ("all")
#   keeps what was made durable, loses a write made after, fails every
#   I/O until "on", and counts what it lost. A cache line (4 KiB) written
#   in parts, then a block of it zeroed (written through), comes back
#   after a cut as it was durable, block by block.
# - bound: 2 MiB written into the 1 MiB cache without a flush: the oldest
#   MiB is destaged (durable), so a cut keeps it and loses the newer one.
# - seeds: 64 writes of 4 KiB at risk; crash_to copies to a second disk
#   the state a seed leaves: the same seed twice gives the same bytes, and
#   a cut of the disk itself with it too; another seed another state;
#   "random" keeps or loses each write whole, "torn" some in part; two
#   writes into one line of a one-line cache are kept apart by some seed.
# - bad: a bad cache_kb fails the load with one line; a bad cut, fault or
#   crash_to (to the disk itself, to no block device, to a disk with
#   legs) is refused with one line, the disk untouched; so is a leg added
#   to a disk with a cache; a cache larger than the store holds the
#   store; a disk without a cache has no cache files; cache_kb with legs
#   refused. bound also takes a cache of one block.
# Needs: modules=brd
# Usage: cache.sh MODE durable|bound|seeds|bad
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1 kind=$2
cache=/sys/block/sbulla/cache

# Write file $1 at byte $2 of disk $3 (default sbulla), direct; dd flags
# in $4 (dsync: FUA).
write_at() {
	dd if="$1" of="/dev/${3:-sbulla}" bs=4k seek=$(($2 / 4096)) \
		oflag=direct${4:+,$4} status=none || fail "write of $1 at $2"
}
# Does disk $3 (default sbulla) hold file $1 at byte $2?
holds() {
	[ "$(checksum_range "/dev/${3:-sbulla}" "$2" "$(stat -c %s "$1")")" = \
		"$(sha256sum <"$1" | cut -d' ' -f1)" ]
}
fsync_disk() {
	python3 -c 'import os; os.fsync(os.open("/dev/sbulla", os.O_WRONLY))' ||
		fail "fsync /dev/sbulla"
}
expect() {
	[ "$(cat "$cache/$1")" = "$2" ] || fail "cache/$1 is $(cat "$cache/$1"), expected $2"
}

head -c 4096 /dev/zero >/tmp/zero4k
case $kind in
durable)
	load_sbull request_mode="$mode" ndevices=1 nsectors=32768 cache_kb=1024
	[ "$(cat /sys/block/sbulla/queue/write_cache)" = "write back" ] ||
		fail "queue/write_cache is $(cat /sys/block/sbulla/queue/write_cache)"
	[ "$(cat /sys/block/sbulla/queue/fua)" = 1 ] || fail "queue/fua is not 1"
	expect size_kb 1024
	for f in a b c; do
		head -c 4096 /dev/urandom >"/tmp/$f"
	done
	write_at /tmp/a 0
	expect at_risk_kb 4
	fsync_disk
	expect at_risk_kb 0
	[ "$(cat "$cache/flushes")" -ge 1 ] || fail "no flush counted"
	[ "$(cat "$cache/durable")" -ge 8 ] || fail "durable is $(cat "$cache/durable") after an fsync of 8 blocks"
	# O_DSYNC on a block device: the write with FUA, then a flush of
	# the whole cache (generic_write_sync()), which makes b durable too.
	write_at /tmp/b 65536
	fua=$(cat "$cache/fua")
	write_at /tmp/c 131072 sbulla dsync
	[ "$(cat "$cache/fua")" -gt "$fua" ] || fail "the O_DSYNC write was not FUA"
	head -c 4096 /dev/urandom >/tmp/d
	write_at /tmp/d 196608
	echo cut >"$cache/power" || fail "cut"
	expect power off
	must_fail dd if=/dev/sbulla of=/dev/null bs=4k count=1 iflag=direct status=none
	must_fail dd if=/tmp/a of=/dev/sbulla bs=4k count=1 oflag=direct status=none
	echo on >"$cache/power" || fail "on"
	expect power on
	holds /tmp/a 0 || fail "the write made durable by an fsync was lost"
	holds /tmp/c 131072 || fail "the FUA write was lost"
	holds /tmp/zero4k 196608 || fail "the write never made durable survived the cut (all)"
	expect cuts 1
	[ "$(cat "$cache/lost")" -ge 8 ] || fail "lost is $(cat "$cache/lost") blocks, expected 8 at least"
	expect at_risk_kb 0
	echo "# flushed and FUA writes kept, the other lost: $(cat "$cache/lost") blocks"
	# One 4 KiB line of 512-byte blocks, written in parts over durable
	# contents h: 1 KiB at 1 KiB (blocks 2-3 saved), the whole line
	# (blocks 0-1 and 4-7 saved, 2-3 not again), block 5 zeroed (written
	# through: durable, no longer at risk). A cut gives h back but block 5.
	line=262144
	head -c 4096 /dev/urandom >/tmp/h
	head -c 4096 /dev/urandom >/tmp/f
	write_at /tmp/h "$line"
	fsync_disk
	dd if=/tmp/f of=/dev/sbulla bs=1k skip=1 seek=$((line / 1024 + 1)) count=1 \
		oflag=direct status=none || fail "write of 1 KiB into the line"
	expect at_risk_kb 1
	write_at /tmp/f "$line"
	expect at_risk_kb 4
	blkdiscard -z -o $((line + 2560)) -l 512 /dev/sbulla || fail "zero block 5"
	expect at_risk_kb 3
	cp /tmp/h /tmp/hz
	dd if=/dev/zero of=/tmp/hz bs=512 seek=5 count=1 conv=notrunc status=none
	echo cut >"$cache/power" || fail "cut"
	echo on >"$cache/power" || fail "on"
	holds /tmp/hz "$line" ||
		fail "the line after the cut is not its durable contents with block 5 zeroed"
	echo "# a line written in parts came back as it was durable, block by block"
	unload_sbull
	;;
bound)
	load_sbull request_mode="$mode" ndevices=1 nsectors=32768 cache_kb=1024
	head -c 2M /dev/urandom >/tmp/cache-old
	write_at /tmp/cache-old 0
	fsync_disk
	head -c 2M /dev/urandom >/tmp/cache-new
	destaged=$(cat "$cache/destaged")
	for i in 0 1 2 3 4 5 6 7; do
		dd if=/tmp/cache-new of=/dev/sbulla bs=256k skip="$i" seek="$i" count=1 \
			oflag=direct status=none || fail "write $i"
	done
	expect at_risk_kb 1024
	[ "$(($(cat "$cache/destaged") - destaged))" = 2048 ] ||
		fail "$(($(cat "$cache/destaged") - destaged)) blocks destaged, expected 2048 (1 MiB)"
	echo cut all >"$cache/power" || fail "cut"
	echo on >"$cache/power" || fail "on"
	head -c 1M /tmp/cache-new >/tmp/cache-new1
	tail -c 1M /tmp/cache-old >/tmp/cache-old2
	holds /tmp/cache-new1 0 || fail "the oldest MiB, destaged, was lost"
	holds /tmp/cache-old2 $((1 << 20)) || fail "the newest MiB, at risk, survived"
	echo "# the oldest MiB was destaged and kept, the newest lost"
	unload_sbull
	# A cache of one block (4 KiB blocks, cache_kb=4): the second write
	# destages the first.
	load_sbull request_mode="$mode" ndevices=1 hardsect_size=4096 nsectors=256 cache_kb=4
	expect size_kb 4
	head -c 8K /dev/urandom >/tmp/cache-two
	dd if=/tmp/cache-two of=/dev/sbulla bs=4k count=2 oflag=direct status=none ||
		fail "two blocks into a one-block cache"
	expect at_risk_kb 4
	echo cut >"$cache/power" || fail "cut"
	echo on >"$cache/power" || fail "on"
	head -c 4K /tmp/cache-two >/tmp/cache-two1
	holds /tmp/cache-two1 0 || fail "the block destaged from a one-block cache was lost"
	holds /tmp/zero4k 4096 || fail "the block at risk in a one-block cache survived"
	unload_sbull
	;;
seeds)
	load_sbull request_mode="$mode" ndevices=2 nsectors=16384 cache_kb=4096
	wait_for_dev /dev/sbullb
	head -c 256K /dev/urandom >/tmp/w
	for i in $(seq 0 63); do
		dd if=/tmp/w of=/dev/sbulla bs=4k skip="$i" seek=$((i * 16)) count=1 \
			oflag=direct status=none || fail "write $i"
	done
	expect at_risk_kb 256
	state() {
		echo "/dev/sbullb $1" >"$cache/crash_to" || fail "crash_to /dev/sbullb $1"
		checksum_range /dev/sbullb 0 $((8 << 20))
	}
	s42=$(state "random 42")
	[ "$(state "random 42")" = "$s42" ] || fail "random 42 twice gave two states"
	[ "$(state "random 43")" != "$s42" ] || fail "random 42 and 43 gave one state"
	echo /dev/sbullb >"$cache/crash_to" || fail "crash_to /dev/sbullb"
	[ "$(checksum_range /dev/sbullb 0 $((8 << 20)))" = "$(state all)" ] ||
		fail "crash_to with no policy is not the state of all"
	expect at_risk_kb 256
	# Writes kept whole, lost whole, or in part, in sbullb now: for each
	# of the 64, how many of its 8 sectors hold the new data.
	kept() {
		python3 - <<-'EOF'
			import sys
			w = open("/tmp/w", "rb").read()
			d = open("/dev/sbullb", "rb").read()
			whole = lost = part = 0
			for i in range(64):
			    new = sum(d[i * 65536 + s * 512:i * 65536 + s * 512 + 512] ==
			              w[i * 4096 + s * 512:i * 4096 + s * 512 + 512]
			              for s in range(8))
			    whole += new == 8
			    lost += new == 0
			    part += 0 < new < 8
			print(whole, lost, part)
		EOF
	}
	state "random 42" >/dev/null
	read -r whole lost part <<<"$(kept)"
	echo "# random 42: $whole writes kept, $lost lost, $part in part"
	[ "$part" = 0 ] || fail "random tore $part writes"
	if [ "$whole" = 0 ] || [ "$lost" = 0 ]; then
		fail "random 42 kept $whole and lost $lost writes of 64"
	fi
	state "torn 7" >/dev/null
	read -r whole lost part <<<"$(kept)"
	echo "# torn 7: $whole writes kept, $lost lost, $part in part"
	[ "$part" -gt 0 ] || fail "torn 7 tore no write"
	state "all" >/dev/null
	read -r whole lost part <<<"$(kept)"
	[ "$lost" = 64 ] || fail "all kept $((64 - lost)) writes"
	# The cut of the disk itself leaves the state crash_to showed.
	echo cut random 42 >"$cache/power" || fail "cut random 42"
	echo on >"$cache/power" || fail "on"
	[ "$(checksum_range /dev/sbulla 0 $((8 << 20)))" = "$s42" ] ||
		fail "the cut with random 42 left another state than crash_to showed"
	echo "# the cut with seed 42 left the state crash_to showed, byte for byte"
	unload_sbull
	# A one-line cache: write A (6 KiB: line 0, then the first half of
	# line 1, which destages line 0) and write B (line 1's second half)
	# are two writes, each kept or lost whole: some seed keeps one half of
	# the line and loses the other.
	load_sbull request_mode="$mode" ndevices=2 nsectors=64 cache_kb=4
	wait_for_dev /dev/sbullb
	head -c 8K /dev/urandom >/tmp/ab
	dd if=/tmp/ab of=/dev/sbulla bs=6k count=1 oflag=direct status=none || fail "write A"
	dd if=/tmp/ab of=/dev/sbulla bs=2k skip=3 seek=3 count=1 oflag=direct status=none ||
		fail "write B"
	expect at_risk_kb 4
	apart=0
	for s in $(seq 16); do
		echo "/dev/sbullb random $s" >"$cache/crash_to" || fail "crash_to random $s"
		a=0 b=0
		! cmp -s -i 4096:4096 -n 2048 /tmp/ab /dev/sbullb || a=1
		! cmp -s -i 6144:6144 -n 2048 /tmp/ab /dev/sbullb || b=1
		[ "$a" = "$b" ] || apart=$((apart + 1))
	done
	echo "# two writes into one line: kept apart by $apart seeds of 16"
	[ "$apart" -gt 0 ] ||
		fail "in 16 seeds the two writes into one line were never kept apart: one write number for both"
	unload_sbull
	;;
bad)
	log=$(kernel_log_during must_fail modprobe sbull cache_kb=3)
	assert_no_sbull_left
	[ "$(echo "$log" | sbull_lines | grep -c .)" = 1 ] || fail "cache_kb=3: $log"
	echo "$log" | grep -q 'sbull: cache_kb=3: accepted values are 0 (no cache) and 4 to' ||
		fail "cache_kb=3: $log"
	load_sbull request_mode="$mode" ndevices=2 nsectors=8192 cache_kb=64
	# A disk with legs is no crash_to target: the legs would keep what
	# the copy overwrote (sbullc, its leg on brd, of sbulla's size).
	modprobe brd rd_nr=1 rd_size=8192 || fail "modprobe brd"
	wait_for_dev /dev/ram0
	cfs_create l size=4M cache_kb=0 legs=/dev/ram0 legs_init=1 >/dev/null
	head -c 4096 /dev/urandom >/tmp/a
	write_at /tmp/a 0
	for cmd in "cut sideways" "cut random" "cut all 3" "off"; do
		log=$(kernel_log_during must_fail bash -c "echo '$cmd' >$cache/power")
		grep -q 'Invalid argument' /tmp/must_fail.out || fail "'$cmd': $(cat /tmp/must_fail.out)"
		[ "$(echo "$log" | sbull_lines | grep -c .)" = 1 ] || fail "'$cmd': $log"
		echo "$log" | grep -q 'cache/power.*accepted' || fail "'$cmd': $log"
	done
	for cmd in "/dev/sbulla random 1" "/dev/zero random 1" "/dev/sbullb sideways" \
		"/dev/sbullc all"; do
		log=$(kernel_log_during must_fail bash -c "echo '$cmd' >$cache/crash_to")
		[ "$(echo "$log" | sbull_lines | grep -c .)" = 1 ] || fail "crash_to '$cmd': $log"
		echo "# crash_to '$cmd': $(echo "$log" | sbull_lines | sed 's/^\[[^]]*\] //')"
	done
	log=$(kernel_log_during must_fail bash -c "echo bogus >$cache/fault")
	echo "$log" | sbull_lines | grep -q 'cache/fault=bogus: accepted: none or ignore_flush' ||
		fail "fault=bogus: $log"
	log=$(kernel_log_during must_fail bash -c "echo 'add /dev/sbull-no-such-leg init' >/sys/block/sbulla/mirror/legs")
	grep -q 'Invalid argument' /tmp/must_fail.out || fail "add on a cache disk: $(cat /tmp/must_fail.out)"
	echo "$log" | sbull_lines | grep -q 'the disk has a write cache (cache_kb); accepted: legs on a disk without one' ||
		fail "add on a cache disk: $log"
	expect power on
	expect cuts 0
	expect at_risk_kb 4
	holds /tmp/a 0 || fail "a refused command changed the disk"
	cfs_remove l
	unload_sbull
	rmmod brd || fail "rmmod brd"
	# A cache larger than the store holds the store.
	load_sbull request_mode="$mode" ndevices=1 nsectors=8192 cache_kb=65536
	expect size_kb 4096
	unload_sbull
	load_sbull request_mode="$mode" ndevices=1 nsectors=8192
	[ -z "$(ls /sys/block/sbulla/cache)" ] || fail "a disk without a cache has cache files"
	[ "$(cat /sys/block/sbulla/queue/write_cache)" = "write through" ] ||
		fail "a disk without a cache declares one"
	unload_sbull
	modprobe sbull ndevices=0 || fail "modprobe sbull ndevices=0"
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	mkdir "$SBULL_CFS/c"
	echo 64 >"$SBULL_CFS/c/cache_kb"
	echo /dev/sbull-no-such-leg >"$SBULL_CFS/c/legs"
	log=$(kernel_log_during must_fail cfs_power c 1)
	echo "$log" | sbull_lines | grep -q 'configfs c/cache_kb=64: the disk has legs; accepted: a write cache or mirror legs, not both' ||
		fail "cache_kb with legs: $log"
	rmdir "$SBULL_CFS/c"
	unload_sbull
	;;
*) fail "unknown kind $kind" ;;
esac

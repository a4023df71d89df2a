#!/usr/bin/env bash
# Case: an exercise of docs/teaching/exercises.md: data written in its request path reads back
# Needs: modules=brd
# The grader's guest checks of exercise $1 (make grade), on the reference
# driver with the student's regions of that exercise: each check prints
# "# check NAME: ok" or "# check NAME: FAIL why", and the case fails if any
# does. Each exercise runs in a mode that takes its code: 1 in mq mode, 2
# in bio mode, 3 in mq mode, 4 in simple mode, 5 in mq mode with two brd
# legs, 6 in bio and mq modes with a write cache. 3 and 4 also run with
# max_sectors_kb at 8: blk-mq then splits the bios, and a request starts
# inside one (a walk of bi_io_vec from 0 fails).
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../../../test/lib.sh"

io=$(dirname "$0")/../grade-io.py
nsectors=16384
failed=0

# Check $1 passes if the command after it succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "# check $name: ok"
	else
		echo "# check $name: FAIL ${out//$'\n'/ }"
		failed=1
	fi
}

# grade-io.py's checks $@ on /dev/sbulla, 90 s at most: a request that
# never ends must not stop the grading.
grade_io() {
	local rc=0
	timeout -k 5 90 "$io" /dev/sbulla "$@" || rc=$?
	case $rc in
	0) ;;
	124 | 137) echo "# check $*: FAIL timed out" && failed=1 ;;
	*) failed=1 ;;
	esac
}

requests_seen() {
	[ "$(stat_of requests)" -gt 0 ] ||
		{ echo "no request reached ->queue_rq: $(stat_of bios) bios went around it" && return 1; }
}

# Each leg holds the store (after its 4 KiB header), in sync, and a load
# from the first leg alone restores it.
leg_equals_store() {
	local store leg
	store=$(checksum_range /dev/sbulla 0 $((nsectors * 512)))
	for leg in /dev/ram0 /dev/ram1; do
		[ "$store" = "$(checksum_range "$leg" 4096 $((nsectors * 512)))" ] ||
			{ echo "$leg differs from the store" && return 1; }
	done
	[ "$(grep -c in_sync /sys/block/sbulla/mirror/legs)" = 2 ] ||
		{ echo "a leg left service: $(cat /sys/block/sbulla/mirror/legs)" && return 1; }
	rmmod sbull || { echo "rmmod sbull failed" && return 1; }
	modprobe sbull request_mode=mq ndevices=1 nsectors=$nsectors legs=sbulla=/dev/ram0 ||
		{ echo "no load from the leg" && return 1; }
	wait_for_dev /dev/sbulla
	[ "$(checksum_range /dev/sbulla 0 $((nsectors * 512)))" = "$store" ] ||
		{ echo "the store restored from the leg differs" && return 1; }
}

# Exercise 6 in mode $1, two power cuts ("all"). First: a block written
# then fsynced must be there, a block written after it not (a flush of
# everything, always, is no answer). Then, with flushes made to do nothing
# (the cache's test fault): a block overwritten with O_DSYNC must be there
# (its FUA alone makes it durable: the flush after it is ignored), and a
# block written then fsynced not (the fault must be honoured, or the
# first check proves nothing of FUA).
cut_checks() {
	local m=$1 c=/sys/block/sbulla/cache
	load_sbull request_mode="$m" ndevices=1 nsectors=$nsectors cache_kb=1024
	head -c 16K /dev/urandom >/tmp/ex6
	put() {
		dd if=/tmp/ex6 of=/dev/sbulla bs=4k skip="$1" seek="$1" count=1 \
			oflag=direct${2:+,$2} status=none
	}
	sync_disk() {
		python3 -c 'import os; os.fsync(os.open("/dev/sbulla", os.O_WRONLY))'
	}
	put 0 && sync_disk && put 2
	echo cut >$c/power && echo on >$c/power
	check "$m-flush" block_is 0 0 "the block written and fsynced was lost in the cut"
	check "$m-at-risk" block_is 2 zero "the block written with no flush survived the cut: not everything is durable"
	echo ignore_flush >$c/fault
	dd if=/dev/urandom of=/dev/sbulla bs=4k seek=1 count=1 oflag=direct status=none
	put 1 dsync && put 3 && sync_disk
	echo cut >$c/power && echo on >$c/power
	check "$m-fua" block_is 1 1 "the block overwritten with O_DSYNC (FUA) was lost in the cut"
	check "$m-fault" block_is 3 zero "with the ignore_flush fault, a flush still made a block durable"
	rmmod sbull || fail "rmmod sbull"
}

# Does block $1 (4 KiB) of sbulla hold block $2 of /tmp/ex6 ("zero":
# zeros)? $3 says what is wrong if not.
block_is() {
	local want
	if [ "$2" = zero ]; then
		want=$(head -c 4096 /dev/zero | sha256sum)
	else
		want=$(dd if=/tmp/ex6 bs=4k skip="$2" count=1 status=none | sha256sum)
	fi
	[ "$(dd if=/dev/sbulla bs=4k skip="$1" count=1 iflag=direct status=none | sha256sum)" = "$want" ] ||
		{ echo "$3" && return 1; }
}

case $1 in
6)
	cut_checks bio
	cut_checks mq
	[ "$failed" = 0 ] || fail "exercise 6: a check failed"
	exit 0
	;;
1 | 3) load_sbull request_mode=mq ndevices=1 nsectors=$nsectors ;;
2) load_sbull request_mode=bio ndevices=1 nsectors=$nsectors ;;
4) load_sbull request_mode=simple ndevices=1 nsectors=$nsectors ;;
5)
	modprobe brd rd_nr=2 rd_size=$((nsectors / 2 + 4)) || fail "modprobe brd"
	wait_for_dev /dev/ram1
	load_sbull request_mode=mq ndevices=1 nsectors=$nsectors legs_init=1 \
		legs=sbulla=/dev/ram0,sbulla=/dev/ram1
	;;
*) fail "no exercise $1" ;;
esac
reset_stats
case $1 in
5)
	grade_io direct-offset
	check leg-equals-store leg_equals_store
	;;
*) grade_io direct-aligned direct-offset buffered ;;
esac
if [ "$1" = 3 ] || [ "$1" = 4 ]; then
	echo 8 >/sys/block/sbulla/queue/max_sectors_kb
	grade_io direct-split
fi
[ "$1" != 3 ] || check requests-seen requests_seen
rmmod sbull 2>/dev/null || true
rmmod brd 2>/dev/null || true
[ "$failed" = 0 ] || fail "exercise $1: a check failed"

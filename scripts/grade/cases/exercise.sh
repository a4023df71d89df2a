#!/usr/bin/env bash
# Case: an exercise of docs/teaching/exercises.md: data written in its request path reads back
# Needs: modules=brd
# The grader's guest checks of exercise $1 (make grade), on the reference
# driver with the student's regions of that exercise: each check prints
# "# check NAME: ok" or "# check NAME: FAIL why", and the case fails if any
# does. Each exercise runs in a mode that takes its code: 1 in mq mode, 2
# in bio mode, 3 in mq mode, 4 in simple mode, 5 in mq mode with two brd
# legs. 3 and 4 also run with max_sectors_kb at 8: blk-mq then splits the
# bios, and a request starts inside one (a walk of bi_io_vec from 0 fails).
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

case $1 in
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

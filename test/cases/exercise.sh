#!/usr/bin/env bash
# Case: an exercise of docs/exercises.md: data written in its request path reads back
# Needs: modules=brd
# The grader's guest checks of exercise $1 (make grade): each check prints
# "# check NAME: ok" or "# check NAME: FAIL why", and the case fails if any
# does. Each exercise runs where its code is the only new code on the path:
# 1 in mq mode (its copy, under exercise 3's walk, whose classic mistake
# leaves data intact), 2 in bio mode, 3 in mq mode, 4 in simple mode, 5 in
# mq mode with a brd leg.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

io=$SBULL_TEST_DIR/grade-io.py
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

# The leg holds the store (after its 4 KiB header), and a load from the
# leg alone restores it.
leg_equals_store() {
	local store leg
	store=$(checksum_range /dev/sbulla 0 $((nsectors * 512)))
	leg=$(checksum_range /dev/ram0 4096 $((nsectors * 512)))
	[ "$store" = "$leg" ] || { echo "the leg differs from the store" && return 1; }
	grep -q in_sync /sys/block/sbulla/mirror/legs ||
		{ echo "the leg left service: $(cat /sys/block/sbulla/mirror/legs)" && return 1; }
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
	modprobe brd rd_nr=1 rd_size=$((nsectors / 2 + 4)) || fail "modprobe brd"
	wait_for_dev /dev/ram0
	load_sbull request_mode=mq ndevices=1 nsectors=$nsectors legs_init=1 \
		legs=sbulla=/dev/ram0
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
[ "$1" != 3 ] || check requests-seen requests_seen
rmmod sbull 2>/dev/null || true
rmmod brd 2>/dev/null || true
[ "$failed" = 0 ] || fail "exercise $1: a check failed"

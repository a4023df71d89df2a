#!/usr/bin/env bash
# Case: poll queues: io_uring hipri I/O is ended by ->poll(), verified; sync hipri and other I/O never are
# A configfs disk in MODE (mq or simple) with one hardware queue and one
# poll queue: /sys/block/.../queue/io_poll reads 1 and there are two
# hardware queues. Polled I/O as blktests' block/007 makes it, with
# io_poll_delay -1 (classic polling; where the kernel still has it, 0 for
# hybrid too): fio's pvsync2 engine with hipri writes 4 MiB with crc32c
# checks and reads them back verified: every request reaches sbull and
# none is polled (the kernel ignores RWF_HIPRI for synchronous direct I/O
# since 5.16: "block: ignore RWF_HIPRI hint for sync dio"). io_uring with
# hipri (IORING_SETUP_IOPOLL) does the same, and every one of its requests
# is ended by ->poll(). Then libaio I/O leaves polled unchanged: only
# polled I/O reaches the poll queue.
# Usage: poll.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1
modprobe sbull ndevices=0 || fail "modprobe sbull ndevices=0"
dev=$(cfs_create p request_mode="$mode" size=16M nr_hw_queues=1 poll_queues=1)
sys=/sys/block/${dev#/dev/}
[ "$(cat "$sys/queue/io_poll")" = 1 ] || fail "io_poll reads $(cat "$sys/queue/io_poll")"
[ "$(find "$sys/mq" -mindepth 1 -maxdepth 1 | wc -l)" = 2 ] ||
	fail "expected 2 hardware queues: $(ls "$sys/mq")"

# 4 MiB in 4 KiB blocks, written and read back verified with fio options
# "$@": 2048 requests of writes, the reads fewer where blk-mq merges them.
# With $1 "polled", every request is ended by ->poll(); with "sync", none.
hipri_run() {
	local before after requests polled=$1
	shift
	requests=$(cat "$sys/sbull/requests")
	before=$(cat "$sys/sbull/polled")
	# hipri is an option of the engine: after it.
	fio --name=poll --filename="$dev" --rw=randwrite --bs=4k --size=4m \
		--direct=1 --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 "$@" --hipri=1 >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out >&2; fail "fio $*"; }
	grep -q 'err= 0' /tmp/fio.out || fail "fio $*: errors"
	after=$(cat "$sys/sbull/polled")
	requests=$(($(cat "$sys/sbull/requests") - requests))
	echo "# $*: $((after - before)) of $requests requests ended by ->poll()"
	[ "$requests" -ge 2048 ] || fail "fio $*: $requests requests reached sbull, 2048 at least expected"
	grep -q 'READ: .*io=4096KiB' /tmp/fio.out ||
		fail "fio $*: the verify did not read back the 4 MiB: $(grep 'READ:' /tmp/fio.out)"
	case $polled in
	polled)
		[ $((after - before)) = "$requests" ] ||
			fail "fio $*: $((after - before)) of $requests requests ended by ->poll(), expected all" ;;
	sync)
		[ $((after - before)) = 0 ] ||
			fail "fio $*: $((after - before)) of $requests requests ended by ->poll(): synchronous hipri I/O is not polled" ;;
	esac
}

for delay in -1 0; do
	if ! echo "$delay" >"$sys/queue/io_poll_delay" 2>/dev/null; then
		echo "# io_poll_delay=$delay: not taken by this kernel (no hybrid polling)"
		continue
	fi
	hipri_run sync --ioengine=pvsync2
done
hipri_run polled --ioengine=io_uring --iodepth=16

before=$(cat "$sys/sbull/polled")
fio --name=plain --filename="$dev" --rw=randrw --bs=4k --size=4m --direct=1 \
	--ioengine=libaio --iodepth=16 >/tmp/fio.out 2>&1 || fail "fio libaio"
[ "$(cat "$sys/sbull/polled")" = "$before" ] ||
	fail "libaio I/O was ended by ->poll(): polled $before, then $(cat "$sys/sbull/polled")"

# A submitter that stops polling strands nothing: with 20 ms completions
# (none is due at the submit's own poll) fio is stopped mid-run, and a
# queue freeze (a scheduler switch) still ends within 20 s, once blk-mq's
# timeout (io_timeout 1 s) has ended what sat on the poll list.
echo 20000000 >"$SBULL_CFS/p/completion_nsec"
echo 1000 >"$sys/queue/io_timeout" || fail "io_timeout cannot be set"
fio --name=stop --filename="$dev" --rw=randread --bs=4k --size=4m \
	--direct=1 --ioengine=io_uring --hipri=1 --iodepth=8 --time_based \
	--runtime=60 --thread >/tmp/fio-stop.out 2>&1 &
fio_pid=$!	# with --thread, the job is a thread of it: SIGSTOP stops it
sleep 2
kill -STOP "$fio_pid"
sleep 0.5
(echo mq-deadline >"$sys/queue/scheduler") &
freeze_pid=$!
for _ in $(seq 200); do
	kill -0 "$freeze_pid" 2>/dev/null || break
	sleep 0.1
done
frozen=0
kill -0 "$freeze_pid" 2>/dev/null && frozen=1
kill -CONT "$fio_pid"
wait "$freeze_pid" || true
kill -INT "$fio_pid"
wait "$fio_pid" || true
[ "$frozen" = 0 ] ||
	fail "a queue freeze waited 20 s for polled requests whose submitter had stopped polling"
grep -q 'err= 0' /tmp/fio-stop.out || { cat /tmp/fio-stop.out >&2; fail "fio stopped and continued"; }
echo none >"$sys/queue/scheduler"

# blk-mq's timeout does not end a polled request before its time: with
# completions delayed 4 s and io_timeout 1 s, a polled read still takes
# 4 s (a lower bound only: a busy machine may take longer).
echo 4000000000 >"$SBULL_CFS/p/completion_nsec"
start=$(date +%s%N)
polled=$(cat "$sys/sbull/polled")
fio --name=late --filename="$dev" --rw=read --bs=4k --size=4k --direct=1 \
	--ioengine=io_uring --hipri=1 >/tmp/fio.out 2>&1 || { cat /tmp/fio.out >&2; fail "fio late"; }
ms=$((($(date +%s%N) - start) / 1000000))
echo "# a polled read with completion_nsec 4 s and io_timeout 1 s took $ms ms"
[ "$(cat "$sys/sbull/polled")" = $((polled + 1)) ] ||
	fail "the read was not ended by ->poll(): polled $polled, then $(cat "$sys/sbull/polled")"
[ "$ms" -ge 3900 ] ||
	fail "a polled read with completion_nsec 4 s ended after $ms ms: blk-mq's timeout (1 s) ended it early"
echo 0 >"$SBULL_CFS/p/completion_nsec"
cfs_remove p
unload_sbull

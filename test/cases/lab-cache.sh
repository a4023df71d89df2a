#!/usr/bin/env bash
# Case: lab 10: a plain write is at risk, an O_DSYNC write is FUA, an fsync's flush makes the rest durable, a cut loses only what was at risk
# Lab 10 (docs/teaching/labs.md), in mq mode with a 1 MiB write cache:
# at_risk_kb is 4 after a plain write, 0 after an O_DSYNC one (FUA, then
# a flush: generic_write_sync()), still 0 after an fsync; block_rq_issue
# shows the O_DSYNC write with F (FUA) and the plain ones without, each
# flush as FF, and sbull_cache_durable the first write's 8 blocks made
# durable by a flush; after a cut a read fails, and after "on" the third
# block, written last, is lost while the first two are there. Then, in bio mode, the fsync's flush reaches sbull
# as a write bio with REQ_PREFLUSH (sbull_bio: WRITE+PREFLUSH, 0 bytes).
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

c=/sys/block/sbulla/cache
risk() {
	[ "$(cat $c/at_risk_kb)" = "$1" ] || fail "at_risk_kb is $(cat $c/at_risk_kb) $2, expected $1"
}
fsync_disk() {
	python3 -c 'import os; os.fsync(os.open("/dev/sbulla", os.O_WRONLY))' || fail "fsync"
}
load_sbull request_mode=mq ndevices=1 cache_kb=1024
[ "$(cat /sys/block/sbulla/queue/write_cache)" = "write back" ] || fail "write_cache"
mount_tracefs
T=/sys/kernel/tracing
echo >$T/trace
echo 1 >$T/events/block/block_rq_issue/enable
echo 1 >$T/events/sbull/sbull_cache_durable/enable
head -c 12K /dev/urandom >/tmp/abc
dd if=/tmp/abc of=/dev/sbulla bs=4k count=1 oflag=direct status=none || fail "write a"
risk 4 "after a plain write"
dd if=/tmp/abc of=/dev/sbulla bs=4k skip=1 seek=1 count=1 oflag=direct,dsync \
	status=none || fail "write b"
risk 0 "after an O_DSYNC write"
fsync_disk
risk 0 "after an fsync"
dd if=/tmp/abc of=/dev/sbulla bs=4k skip=2 seek=2 count=1 oflag=direct status=none ||
	fail "write c"
echo 0 >$T/events/block/block_rq_issue/enable
echo 0 >$T/events/sbull/sbull_cache_durable/enable
# The writes' rwbs, in order, of sbulla (major of sbull, minor 0).
major=$(awk '$2 == "sbull" { print $1 }' /proc/devices)
rwbs=$(sed -n "s/.*block_rq_issue: $major,0 \([A-Z]*\) .*/\1/p" $T/trace | { grep -v '^R' || true; } | tr '\n' ' ')
echo "# rwbs of the writes and the flush: $rwbs"
[[ $rwbs == "WS WFS FF FF WS " ]] || fail "expected 'WS WFS FF FF WS ', the trace says '$rwbs'"
grep -q 'sbull_cache_durable: .* flush blocks=8' $T/trace ||
	fail "no sbull_cache_durable flush blocks=8: $(grep sbull_cache $T/trace)"
echo cut >$c/power
[ "$(cat $c/power)" = off ] || fail "power is $(cat $c/power) after a cut"
must_fail dd if=/dev/sbulla of=/dev/null bs=4k count=1 iflag=direct status=none
echo on >$c/power
cmp -n 8192 /tmp/abc /dev/sbulla || fail "a or b, made durable, was lost"
[ "$(checksum_range /dev/sbulla 8192 4096)" = "$(head -c 4096 /dev/zero | sha256sum | cut -d' ' -f1)" ] ||
	fail "c, at risk, survived the cut"
unload_sbull

load_sbull request_mode=bio ndevices=1 cache_kb=1024
echo >$T/trace
echo 1 >$T/events/sbull/sbull_bio/enable
fsync_disk
echo 0 >$T/events/sbull/sbull_bio/enable
grep -q 'sbull_bio: .* WRITE+PREFLUSH .*bytes=0' $T/trace ||
	fail "bio mode's flush: $(grep sbull_bio $T/trace)"
unload_sbull

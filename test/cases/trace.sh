#!/usr/bin/env bash
# Case: tracepoints show each bio, request and segment
# sbull's tracepoints tell how each path walked an I/O: a 12 KiB direct
# write is one bio or request of three page segments (simple mode completes
# them one by one), and a 4 KiB direct read into a buffer at page offset 512
# is two segments, 3584 bytes at offset 512 and 512 bytes at offset 0.
# Usage: trace.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1
dev=/dev/sbulla

load_sbull request_mode="$mode" ndevices=1
mount_tracefs
for e in sbull_bio sbull_request sbull_segment sbull_partial; do
	[ -d $TRACING/events/sbull/$e ] || fail "no event sbull/$e"
done

traced dd if=/dev/urandom of=$dev bs=12K seek=1 count=1 oflag=direct status=none
expect_events sbull_segment "write sector=24 len=4096 page_offset=0
write sector=32 len=4096 page_offset=0
write sector=40 len=4096 page_offset=0"
case $mode in
bio)
	expect_events sbull_bio "WRITE sector=24 bytes=12288 segments=3"
	expect_events sbull_request ""
	;;
*)
	expect_events sbull_bio ""
	[ "$(events sbull_request | grep -c '^WRITE sector=24 bytes=12288 ')" = 1 ] ||
		fail "sbull_request events: $(events sbull_request)"
	;;
esac
if [ "$mode" = simple ]; then
	expect_events sbull_partial "sector=24 done=4096 left=8192
sector=32 done=4096 left=4096
sector=40 done=4096 left=0"
else
	expect_events sbull_partial ""
fi

traced direct_io_at $dev 4096 8192 512
expect_events sbull_segment "read sector=16 len=3584 page_offset=512
read sector=23 len=512 page_offset=0"
unload_sbull

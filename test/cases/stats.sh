#!/usr/bin/env bash
# Case: sysfs statistics count bios, requests, segments, bytes exactly
# /sys/block/sbulla/sbull/ counts what reached the driver: bios, requests,
# segments and bytes of known direct I/O, discards and write-zeroes, and
# reset zeroes it all. Flushes stay at 0: the block layer drops them for a
# disk without a volatile write cache before they reach the driver.
# Usage: stats.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1
dev=/dev/sbulla
sys=$SBULL_SYS
counters="bios requests segments read_bytes write_bytes flushes discards write_zeroes errors"

# The count of histogram $1's bucket labelled $2.
bucket() {
	awk -v b="$2" '$1 == b { print $2 }' "$sys/$1"
}

load_sbull request_mode="$mode" ndevices=1
expect_stat mode "$mode" "the request mode"
# The partition scan at load read the device: start from zero.
reset_stats
for c in $counters; do
	expect_stat "$c" 0 "after reset"
done
must_fail sh -c "echo bogus >$sys/reset"

# One 12 KiB direct write and read of a page-aligned buffer (dd aligns it):
# one bio each, of three 4 KiB segments.
head -c 12K /dev/urandom >/tmp/stats.in
dd if=/tmp/stats.in of=$dev bs=12K seek=1 oflag=direct status=none
dd if=$dev of=/tmp/stats.out bs=12K skip=1 count=1 iflag=direct status=none
cmp /tmp/stats.in /tmp/stats.out || fail "data read back differs"
expect_stat write_bytes 12288 "one 12 KiB write"
expect_stat read_bytes 12288 "one 12 KiB read"
expect_stat segments 6 "two I/Os of three pages"
expect_stat bios 2 "one bio per dd call"
if [ "$mode" = bio ]; then
	expect_stat requests 0 "bio mode has no requests"
else
	expect_stat requests 2 "one request per bio"
fi
[ "$(bucket nsegs_hist 4)" = 2 ] || fail "nsegs_hist: $(cat "$sys/nsegs_hist")"
[ "$(bucket segsize_hist 4096)" = 6 ] || fail "segsize_hist: $(cat "$sys/segsize_hist")"

# A 1 MiB direct read: one bio of 256 pages, one request in blk-mq modes.
reset_stats
dd if=$dev of=/dev/null bs=1M count=1 iflag=direct status=none
expect_stat segments 256 "a 1 MiB read"
[ "$(bucket nsegs_hist 256)" = 1 ] || fail "nsegs_hist: $(cat "$sys/nsegs_hist")"

reset_stats
blkdiscard -o 0 -l 1M $dev
blkdiscard -z -o 1M -l 1M $dev
dd if=/tmp/stats.in of=$dev bs=12K oflag=direct,sync status=none
expect_stat discards 1 "one blkdiscard"
expect_stat write_zeroes 1 "one blkdiscard -z"
expect_stat flushes 0 "no write cache, so no flush reaches the driver"
expect_stat errors 0 "no failed I/O"
unload_sbull

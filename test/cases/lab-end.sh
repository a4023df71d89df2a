#!/usr/bin/env bash
# Case: lab 6: I/O at the end of the disk never becomes a bio
# Lab 6 (docs/teaching/labs.md): I/O at the end of the disk is stopped before it
# becomes a bio: a write gets ENOSPC, a read returns nothing, and sbull
# counts nothing at all; of a write of the last block and the next, only
# the last block reaches sbull.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode=bio ndevices=1
blocks=$(($(blockdev --getsize64 /dev/sbulla) / 4096))
reset_stats
must_fail dd if=/dev/zero of=/dev/sbulla bs=4k seek="$blocks" count=1 \
	oflag=direct status=none
grep -q "No space left on device" /tmp/must_fail.out ||
	fail "the write past the end: $(cat /tmp/must_fail.out)"
got=$(dd if=/dev/sbulla bs=4k skip="$blocks" count=1 iflag=direct status=none | wc -c)
[ "$got" = 0 ] || fail "the read past the end returned $got bytes"
for c in bios segments errors; do
	expect_stat "$c" 0 "nothing reaches sbull"
done
# Change it: two blocks from the last one: the first is written, the
# second gets ENOSPC.
must_fail dd if=/dev/zero of=/dev/sbulla bs=4k seek=$((blocks - 1)) count=2 \
	oflag=direct status=none
grep -q "No space left on device" /tmp/must_fail.out ||
	fail "the write across the end: $(cat /tmp/must_fail.out)"
expect_stat bios 1 "the last block only"
expect_stat errors 0 "the block past the end never reaches sbull"
unload_sbull

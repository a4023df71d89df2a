#!/usr/bin/env bash
# Case: the last sector works; I/O past the end fails alone and changes nothing
# The last sector can be written and read; I/O past the end fails alone:
# a write gets ENOSPC, a read gets end of file, a discard or write-zeroes
# gets EINVAL, and the device's data is unchanged.
# Usage: past-end.sh MODE HARDSECT_SIZE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1" hardsect_size="$2" ndevices=1
dev=/dev/sbulla
bs=$2
size=$(blockdev --getsize64 $dev)
last=$((size / bs - 1))

fill_random $dev $((size >> 20))
head -c "$bs" /dev/urandom >/tmp/sector
dd if=/tmp/sector of=$dev bs="$bs" seek=$last oflag=direct status=none ||
	fail "writing the last sector"
dd if=$dev of=/tmp/back bs="$bs" skip=$last count=1 iflag=direct status=none ||
	fail "reading the last sector"
cmp -s /tmp/sector /tmp/back || fail "the last sector did not read back"
before=$(checksum_range $dev 0 "$size")

must_fail dd if=/tmp/sector of=$dev bs="$bs" seek=$((last + 1)) oflag=direct
grep -q 'No space left on device' /tmp/must_fail.out ||
	fail "write past the end: $(cat /tmp/must_fail.out)"
must_fail dd if=/dev/zero of=$dev bs="$bs" seek=$last count=2 oflag=direct
must_fail blk_range_ioctl $dev "$size" "$bs"
grep -q 'Invalid argument' /tmp/must_fail.out ||
	fail "discard past the end: $(cat /tmp/must_fail.out)"
must_fail blk_range_ioctl -z $dev $((size - bs)) $((2 * bs))
grep -q 'Invalid argument' /tmp/must_fail.out ||
	fail "write-zeroes across the end: $(cat /tmp/must_fail.out)"

got=$(dd if=$dev bs="$bs" skip=$((last + 1)) count=1 iflag=direct status=none | wc -c)
[ "$got" = 0 ] || fail "read past the end returned $got bytes"
got=$(dd if=$dev bs="$bs" skip=$last count=2 iflag=direct status=none | wc -c)
[ "$got" = "$bs" ] || fail "read across the end returned $got bytes, expected $bs"

# The straddling write may land its first sector; nothing else may change.
dd if=/tmp/sector of=$dev bs="$bs" seek=$last oflag=direct status=none
[ "$(checksum_range $dev 0 "$size")" = "$before" ] ||
	fail "I/O past the end changed the device"
unload_sbull

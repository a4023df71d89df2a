#!/usr/bin/env bash
# Case: load in a mode with a block size (and size): devices, size, block size, request path; rmmod removes all
# Load with the given parameters: every device exists with the expected size
# and logical block size, the request path in use is the one asked for (its
# sbull/mode file names it, and only blk-mq modes have an mq/ directory), and
# rmmod removes everything.
# Usage: load.sh MODE HARDSECT_SIZE [NSECTORS]
# MODE is a name (bio, mq, simple) or LDD3's number (0 simple, 1 mq, 2 bio).
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1 hardsect=$2 nsectors=${3:-}
# The name /sys/block/sbullX/sbull/mode shows for MODE.
case $mode in
simple | 0) mode_name=simple ;;
mq | 1) mode_name=mq ;;
bio | 2) mode_name=bio ;;
*) fail "load.sh: unknown MODE '$mode', expected bio, mq, simple, 0, 1 or 2" ;;
esac
args=(request_mode="$mode" hardsect_size="$hardsect")
size=$((64 << 20))	# the default: 64 MiB per device whatever hardsect_size
if [ -n "$nsectors" ]; then
	args+=(nsectors="$nsectors")
	size=$((nsectors * hardsect))
fi

load_sbull "${args[@]}"
for d in a b c d; do
	dev=/dev/sbull$d
	wait_for_dev "$dev"
	[ "$(blockdev --getsize64 "$dev")" = "$size" ] ||
		fail "$dev: size $(blockdev --getsize64 "$dev"), expected $size"
	[ "$(blockdev --getss "$dev")" = "$hardsect" ] ||
		fail "$dev: block size $(blockdev --getss "$dev"), expected $hardsect"
	shown=$(cat "/sys/block/sbull$d/sbull/mode") ||
		fail "$dev: no /sys/block/sbull$d/sbull/mode"
	[ "$shown" = "$mode_name" ] ||
		fail "$dev: sbull/mode shows '$shown', expected '$mode_name' (request_mode=$mode)"
done
[ ! -e /dev/sbulle ] || fail "a fifth device exists; ndevices defaults to 4"

# A blk-mq disk has an mq/ directory in sysfs; a bio-based one has none.
case $mode_name in
bio) [ ! -d /sys/block/sbulla/mq ] || fail "bio mode went through blk-mq" ;;
*) [ -d /sys/block/sbulla/mq ] || fail "$mode mode has no blk-mq queue" ;;
esac
unload_sbull

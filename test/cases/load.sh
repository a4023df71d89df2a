#!/usr/bin/env bash
# Load with the given parameters: every device exists with the expected size
# and logical block size, the request path in use is the one asked for, and
# rmmod removes everything.
# Usage: load.sh MODE HARDSECT_SIZE [NSECTORS]
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1 hardsect=$2 nsectors=${3:-}
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
done
[ ! -e /dev/sbulle ] || fail "a fifth device exists; ndevices defaults to 4"

# A blk-mq disk has an mq/ directory in sysfs; a bio-based one has none.
case $mode in
bio | 2) [ ! -d /sys/block/sbulla/mq ] || fail "bio mode went through blk-mq" ;;
*) [ -d /sys/block/sbulla/mq ] || fail "$mode mode has no blk-mq queue" ;;
esac
unload_sbull

#!/usr/bin/env bash
# Case: fio verify on all four devices at once, 8 jobs of mixed reads and writes
# All four devices at once: 8 jobs of mixed random reads and writes, two per
# device on separate halves, every written block verified at the end.
# Usage: fio-all-devices.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1"
args=()
for d in a b c d; do
	for half in 0 32m; do
		args+=(--name="sbull$d@$half" --filename="/dev/sbull$d" --offset="$half")
	done
done
fio --rw=randrw --rwmixread=50 --bssplit=4k/60:16k/20:64k/20 --size=8m \
	--ioengine=libaio --iodepth=16 --direct=1 --verify=crc32c \
	--verify_fatal=1 --verify_state_save=0 --group_reporting "${args[@]}" >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out >&2; fail "fio on all devices"; }
grep -q 'err= 0' /tmp/fio.out || fail "fio reported errors"
unload_sbull

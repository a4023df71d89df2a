#!/usr/bin/env bash
# Case: mirror: removing the only leg under fio verify loses nothing and fails no I/O
# Needs: modules=dm-delay
# The only leg, slow (dm-delay), is removed while fio writes and verifies:
# the disk becomes a plain RAM disk without one I/O failing in between.
# Usage: mirror-remove-last.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe dm-delay || fail "modprobe dm-delay"
slow=$(dm_create sbull-slow "0 $REGION_SECTORS delay /dev/vda 0 0 /dev/vda 0 50")
load_mirror "$mode" "sbulla=$slow" legs_init=1
wait_in_sync 0

fio --name=remove --filename=/dev/sbulla --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=8 --size=8m --rate_iops=100000,400 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
	>/tmp/fio.out 2>&1 &
fio=$!
for _ in $(seq 600); do
	[ "$(stat_of write_bytes)" -lt $((2 << 20)) ] || break
	sleep 0.1
done
kill -0 "$fio" 2>/dev/null || fail "fio ended before the remove: $(cat /tmp/fio.out)"
echo "remove 0" >"$LEGS" || fail "remove 0 (the only leg) refused"
[ -z "$(cat "$LEGS")" ] || fail "legs left after remove: $(cat "$LEGS")"
wait "$fio" || { cat /tmp/fio.out >&2; fail "fio failed"; }
grep -q 'err= 0' /tmp/fio.out || { cat /tmp/fio.out >&2; fail "fio reported errors"; }
unload_sbull

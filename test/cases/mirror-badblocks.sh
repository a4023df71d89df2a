#!/usr/bin/env bash
# Case: mirror: a null_blk leg with bad blocks is failed, writes go on
# Needs: modules=null_blk
# A leg on a memory-backed null_blk device that grows bad blocks: the write
# that hits them still succeeds (the virtio leg took it), the null_blk leg
# is failed and counted, and the store and the good leg agree.
# Usage: mirror-badblocks.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe null_blk nr_devices=0 || fail "modprobe null_blk"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
# Not named sbull*: 6.12 names the disk after the directory.
nullb=/sys/kernel/config/nullb/leg
mkdir "$nullb"
# size is in MiB: one more than the store, for the header.
for kv in memory_backed=1 blocksize=512 size=$((STORE_BYTES / 1048576 + 1)) \
	queue_mode=2 power=1; do
	echo "${kv#*=}" >"$nullb/${kv%%=*}" || fail "null_blk $kv"
done
dev=/dev/leg
[ -e /sys/block/leg ] || dev=/dev/nullb0 # 6.1 numbers it
wait_for_dev "$dev"

load_mirror "$mode" "sbulla=/dev/vda,sbulla=$dev" legs_init=1
wait_in_sync 0
wait_in_sync 1
fill_random /dev/sbulla 2
expect_leg_is_store "$dev"

# Bad blocks under the store's sectors 4096-4103 (byte 2 MiB), as the leg
# places them: after the header.
echo "+$((HDR_SECTORS + 4096))-$((HDR_SECTORS + 4103))" >"$nullb/badblocks" ||
	fail "setting null_blk bad blocks"
dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 seek=512 oflag=direct status=none ||
	fail "the write over the bad blocks failed, though vda took it"
expect_leg_state 1 failed
[ "$(leg_field 1 6)" -gt 0 ] || fail "the null_blk leg counts no errors: $(cat "$LEGS")"
expect_leg_state 0 in_sync
# Written no more: a later write elsewhere (store byte 4 MiB, away from the
# bad blocks, which fail reads too) does not reach the null_blk leg.
at=$((HDR_SECTORS * 512 + (4 << 20)))
stale=$(checksum_range "$dev" "$at" 4096)
dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 seek=1024 oflag=direct status=none ||
	fail "a write after the failure"
[ "$(checksum_range "$dev" "$at" 4096)" = "$stale" ] || fail "the failed leg is still written"
[ "$(checksum_range /dev/vda "$at" 4096)" != "$stale" ] || fail "the write did not reach vda"
expect_leg_is_store /dev/vda
dmesg | grep -Ei 'sbull.*fail' | tail -n 1 | sed 's/^/# /'
unload_sbull

#!/usr/bin/env bash
# Case: mirror: ext4 survives rmmod and a reload from the legs; the newest generation wins
# The store outlives the module: ext4 files written with two legs come back,
# byte for byte and fsck-clean, after rmmod and a modprobe with the same
# legs; a clean unload leaves every leg holding the store and the reload
# resyncs nothing. Then the newest generation wins: a load with one leg
# alone moves it ahead, and the next load with both restores from it and
# resyncs the other. A load writes one generation, and the first write
# after it writes none. Last, legs_init with a leg of the set and a blank
# device restores from the first and initialises the second.
# Usage: mirror-persist.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
# The second region starts past sector 0, to check START is honoured, and
# is written with a leading 0: START is decimal (in octal, 02048 is no
# number, and 0100 would be sector 64).
legs=sbulla=/dev/vda,sbulla=/dev/vdb:02048

load_mirror "$mode" "$legs" legs_init=1
wait_in_sync 0
wait_in_sync 1
[ "$(leg_field 1 3)" = 2048 ] || fail "leg 1 starts at $(leg_field 1 3), not 2048: $(cat "$LEGS")"
mkfs_mount /dev/sbulla "$SBULL_MNT"
for i in $(seq 8); do
	head -c $((i * 50000 + i)) /dev/urandom >"$SBULL_MNT/f$i"
done
mkdir "$SBULL_MNT/dir"
echo small >"$SBULL_MNT/dir/small"
(cd "$SBULL_MNT" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/tmp/manifest
umount "$SBULL_MNT"
gen=$(cat /sys/block/sbulla/mirror/generation)
uuid=$(cat /sys/block/sbulla/mirror/uuid)
store=$(store_sum)
log=$(kernel_log_during unload_sbull)
# The headers are not readable through sysfs once unloaded: the log says.
echo "$log" | grep -Eq 'sbull: .*2 of 2 legs .*clean' ||
	fail "rmmod did not say both legs were marked clean: $log"
echo "$log" | grep -E 'sbull: .*clean' | sed 's/^/# /'

# The clean unload flushed everything to both legs.
[ "$(leg_data_sum /dev/vda 0)" = "$store" ] || fail "vda does not hold the store after rmmod"
[ "$(leg_data_sum /dev/vdb 2048)" = "$store" ] || fail "vdb:2048 does not hold the store after rmmod"

# No legs_init: the headers written at the first load are taken.
log=$(kernel_log_during load_mirror "$mode" "$legs")
[ -e /dev/sbulla ] || fail "the reload failed: $log"
echo "$log" | grep -Eiq 'sbull.*restor' || fail "no restore line in the kernel log: $log"
echo "$log" | grep -Ei 'sbull.*restor' | sed 's/^/# /'
# Both legs were clean and of the same generation: nothing to resync.
! echo "$log" | grep -Eiq 'sbull.*resync' || fail "a clean reload resynced a leg: $log"
[ "$(cat /sys/block/sbulla/mirror/uuid)" = "$uuid" ] || fail "the mirror set's UUID changed"
[ "$(cat /sys/block/sbulla/mirror/generation)" -gt "$gen" ] ||
	fail "the generation did not move past $gen at the reload"
expect_leg_state 0 in_sync
expect_leg_state 1 in_sync
[ "$(leg_field 0 5) $(leg_field 1 5)" = "100 100" ] || fail "progress not 100: $(cat "$LEGS")"
# The load's generation says which legs are in service: the first write
# after it has nothing to wait for, and writes no other.
loaded=$(cat /sys/block/sbulla/mirror/generation)
dd if=/dev/sbulla of=/dev/sbulla bs=4k count=1 iflag=direct oflag=direct,dsync \
	status=none || fail "rewriting the first block"
[ "$(cat /sys/block/sbulla/mirror/generation)" = "$loaded" ] ||
	fail "the first write after the load moved the generation from $loaded to $(cat /sys/block/sbulla/mirror/generation)"
[ "$(store_sum)" = "$store" ] || fail "the restored store differs from the one unloaded"
e2fsck -fn /dev/sbulla >/tmp/fsck.out 2>&1 || { cat /tmp/fsck.out >&2; fail "e2fsck found errors"; }
mount -t ext4 /dev/sbulla "$SBULL_MNT"
(cd "$SBULL_MNT" && sha256sum --quiet -c /tmp/manifest) || fail "checksums differ after the reload"
umount "$SBULL_MNT"
unload_sbull

# vda alone moves ahead; then both: vdb is older and gets vda's store.
load_mirror "$mode" sbulla=/dev/vda
fill_random /dev/sbulla 2
newer=$(store_sum)
unload_sbull
log=$(kernel_log_during load_mirror "$mode" "$legs")
[ -e /dev/sbulla ] || fail "the load with an older leg failed: $log"
[ "$(store_sum)" = "$newer" ] || fail "the store was not restored from the newest leg (vda)"
wait_in_sync 1
echo "$log" | grep -Eiq 'sbull.*resync' || fail "no resync line for the older leg: $log"
expect_leg_is_store /dev/vdb 2048
expect_leg_is_store /dev/vda 0
[ "$(leg_field 0 7)" = "$(leg_field 1 7)" ] || fail "the legs' generations differ: $(cat "$LEGS")"
unload_sbull

# legs_init=1 with a leg of the set (vda) and a blank device (vdb, its
# header erased): the store comes from vda, and vdb is initialised.
dd if=/dev/zero of=/dev/vdb bs=512 seek=2048 count="$HDR_SECTORS" oflag=direct \
	status=none || fail "erasing vdb:2048's header"
log=$(kernel_log_during load_mirror "$mode" "$legs" legs_init=1)
[ -e /dev/sbulla ] ||
	fail "legs_init=1 with a leg of the set and a blank device refused: $(echo "$log" | sbull_lines)"
[ "$(store_sum)" = "$newer" ] || fail "legs_init=1 did not restore the store from vda"
wait_in_sync 1
expect_leg_is_store /dev/vdb 2048
expect_leg_is_store /dev/vda 0
echo "# legs_init=1 with vda of the set and a blank vdb: restored from vda, vdb resynced"
unload_sbull

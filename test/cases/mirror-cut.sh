#!/usr/bin/env bash
# Case: mirror: a power cut while a leg leaves service loses no acknowledged write
# Needs: modules=brd,dm-flakey,dm-delay
# When an in-sync leg leaves service (it fails, is removed, or is readied
# for a resync), its header still says what the others' say until they are
# rewritten: a load in between may restore from it, and it lacks the writes
# made since. So no write may complete in that window. Here the window is
# held open 5 s by a dm-delay on the header that ends it (the survivor's,
# or the leaving leg's RESYNCING one), a write is made inside it, and the
# power is cut 1.5 s later: the legs' content is copied to brd disks,
# which is what they would hold after a cut (the delayed header never
# lands). The write must not have completed at the cut, and sbull loaded
# from the copies must hold every write that completed before.
# "twice": a second leg fails while the headers that say the first left
# are being written; its write must wait for the headers after those.
# Usage: mirror-cut.sh MODE fail|remove|resync|twice
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1 kind=$2
delay=5000
disks=(/dev/vda /dev/vdb)
[ "$kind" != twice ] || disks+=(/dev/vdc)
modprobe dm-delay || fail "modprobe dm-delay"
modprobe brd rd_nr=${#disks[@]} rd_size=$((REGION_SECTORS / 2 + 1024)) ||
	fail "modprobe brd"

# Tables over device $1: plain; its header written $delay ms late (but
# not the flushes, which every write with O_DSYNC sends to it: the 9-field
# form, flushes apart); failing every write.
plain() { echo "0 $REGION_SECTORS linear $1 0"; }
slow_header() {
	echo "0 $HDR_SECTORS delay $1 0 0 $1 0 $delay $1 0 0
$HDR_SECTORS $((REGION_SECTORS - HDR_SECTORS)) linear $1 $HDR_SECTORS"
}
failing() { echo "0 $REGION_SECTORS flakey $1 0 0 1000 1 error_writes"; }

legs=''
for i in "${!disks[@]}"; do
	legs+=${legs:+,}sbulla=$(dm_create "sbull-leg$i" "$(plain "${disks[$i]}")")
done
load_mirror "$mode" "$legs" legs_init=1
for i in "${!disks[@]}"; do
	wait_in_sync "$i"
done
# Written and flushed before the window: must survive the cut.
head -c $((1 << 20)) /dev/urandom >/tmp/before
dd if=/tmp/before of=/dev/sbulla bs=1M oflag=direct,sync status=none ||
	fail "the write before the window"

# Write 4 KiB (O_DSYNC) at MiB $1, in the background; /tmp/inside$1.done
# once it completed.
inside=()
write_inside() {
	head -c 4096 /dev/urandom >"/tmp/inside$1"
	rm -f "/tmp/inside$1.done"
	(dd if="/tmp/inside$1" of=/dev/sbulla bs=4k seek=$(($1 * 256)) \
		oflag=direct,dsync status=none && touch "/tmp/inside$1.done") &
	inside+=("$1:$!")
}
# Open the window and write inside it.
COMMAND_PID=''
case $kind in
fail)
	# The write itself fails leg 0; leg 1's header then says so, late.
	dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
	dm_switch sbull-leg0 "$(failing /dev/vda)"
	write_inside 4 ;;
remove)
	dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
	echo "remove 0" >"$LEGS" &
	COMMAND_PID=$!
	# Logged once leg 0 is out and idle, before the headers are written.
	for _ in $(seq 100); do
		! dmesg | grep -q 'sbulla: leg 0 .* removed' || break
		sleep 0.1
	done
	write_inside 4 ;;
resync)
	# Leg 0's RESYNCING header comes late: until then, it says in sync.
	dm_switch sbull-leg0 "$(slow_header /dev/vda)"
	echo "resync 0" >"$LEGS" &
	COMMAND_PID=$!
	sleep 1
	write_inside 4 ;;
twice)
	# Leg 2 fails; the headers that say so go to leg 0 (at once), then
	# to leg 1 (late). Meanwhile leg 0 fails too: the headers being
	# written do not say that, and leg 0's now claims what leg 1's will.
	dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
	dm_switch sbull-leg2 "$(failing /dev/vdc)"
	write_inside 4
	sleep 1
	dm_switch sbull-leg0 "$(failing /dev/vda)"
	write_inside 8
	# Past the first headers (5 s), inside the next ones.
	sleep 4.5 ;;
*) fail "unknown kind $kind" ;;
esac

sleep 1.5
completed=()
for w in "${inside[@]}"; do
	[ ! -e "/tmp/inside${w%:*}.done" ] || completed+=("${w%:*}")
done
# The cut: what the legs hold now.
for i in "${!disks[@]}"; do
	dd if="${disks[$i]}" of="/dev/ram$i" bs=1M count=$((REGION_SECTORS / 2048 + 1)) \
		iflag=direct oflag=direct status=none || fail "copy of leg $i"
done
echo "# writes inside the window completed at the cut: ${completed[*]:-none} (MiB)"
for w in "${inside[@]}"; do
	wait "${w#*:}" || fail "the write at ${w%:*} MiB inside the window failed"
done
[ -z "$COMMAND_PID" ] || wait "$COMMAND_PID" || fail "$kind 0 refused"
unload_sbull
dmsetup remove_all || fail "dmsetup remove_all"

legs=''
for i in "${!disks[@]}"; do
	legs+=${legs:+,}sbulla=/dev/ram$i
done
load_mirror "$mode" "$legs"
dmesg | grep -E 'sbull: .*restor' | tail -n 2 | sed 's/^\[[^]]*\] /# /'
[ "$(checksum_range /dev/sbulla 0 $((1 << 20)))" = "$(sha256sum </tmp/before | cut -d' ' -f1)" ] ||
	fail "the write made before the window is lost"
for mib in "${completed[@]}"; do
	[ "$(checksum_range /dev/sbulla $((mib << 20)) 4096)" = \
		"$(sha256sum <"/tmp/inside$mib" | cut -d' ' -f1)" ] ||
		fail "the write at $mib MiB, completed inside the window, is lost after the cut ($kind)"
done
[ ${#completed[@]} = 0 ] ||
	fail "writes completed while a leg's header still claimed what the others' claim ($kind)"
unload_sbull

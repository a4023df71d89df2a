#!/usr/bin/env bash
# Case: mirror: a power cut while a leg leaves service loses no acknowledged write
# Needs: modules=brd,dm-flakey,dm-delay
# When an in-sync leg leaves service (it fails, is removed, or is readied
# for a resync), its header still says what the others' say until they are
# rewritten: a load in between may restore from it, and it lacks the writes
# made since. So no write may complete in that window. Here the window is
# held open by a dm-delay on the header that ends it, the survivor's (a
# resync writes it before the leaving leg's RESYNCING one), until the
# test lets it go; a write is
# made inside it, and then the power is cut: the legs' content is copied
# to brd disks, which is what they would hold after a cut (the held header
# never lands). The write must not have completed at the cut, and sbull loaded
# from the copies must hold every write that completed before.
# "twice": a second leg fails while the headers that say the first left
# are being written; its write must wait for the headers after those.
# Usage: mirror-cut.sh MODE fail|remove|resync|twice
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1 kind=$2
# The header that closes the window waits until the test lets it go.
delay=60000
disks=(/dev/vda /dev/vdb)
[ "$kind" != twice ] || disks+=(/dev/vdc)
modprobe dm-delay || fail "modprobe dm-delay"
modprobe brd rd_nr=${#disks[@]} rd_size=$((REGION_SECTORS / 2 + 1024)) ||
	fail "modprobe brd"

# Tables over device $1 (and leg_plain): its header written $delay ms
# late (but not the flushes, which every write with O_DSYNC sends to it:
# the 9-field form, flushes apart); failing every write.
slow_header() {
	echo "0 $HDR_SECTORS delay $1 0 0 $1 0 $delay $1 0 0
$HDR_SECTORS $((REGION_SECTORS - HDR_SECTORS)) linear $1 $HDR_SECTORS"
}
failing() { echo "0 $REGION_SECTORS flakey $1 0 0 1000 1 error_writes"; }

legs=''
for i in "${!disks[@]}"; do
	legs+=${legs:+,}sbulla=$(dm_create "sbull-leg$i" "$(leg_plain "${disks[$i]}")")
done
# One bitmap region for the whole 16 MiB store: the write before the
# window makes it dirty, so that no write in the window needs a bitmap
# write first (it would go to the header block that dm-delay holds, and
# be taken for the header that closes the window). No bit is cleared in
# the window: the headers are behind (sbull_bitmap.c).
load_mirror "$mode" "$legs" legs_init=1 region_kb=16384
for i in "${!disks[@]}"; do
	wait_in_sync "$i"
done
# Written and flushed before the window: must survive the cut.
head -c $((1 << 20)) /dev/urandom >/tmp/before
dd if=/tmp/before of=/dev/sbulla bs=1M oflag=direct,sync status=none ||
	fail "the write before the window"

# What the in-sync legs' headers say before the window (twice: after
# its first headers).
generation=$(cat /sys/block/sbulla/mirror/generation)
[ "$kind" != twice ] || generation=$((generation + 1))

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
# Wait until a header write is held on dm device $1: the window is open.
# dm-delay's status counts the reads, writes and flushes it holds.
wait_header_held() {
	local _
	for _ in $(seq 600); do
		[ "$(dmsetup status "$1" | awk '$3 == "delay" { print $5 }')" = 0 ] || return 0
		sleep 0.1
	done
	fail "no header write held on $1 after 60 s: $(dmsetup status "$1")"
}
# Open the window and write inside it; then give a write that a wrong
# driver would end at once the time to be seen ending.
COMMAND_PID=''
case $kind in
fail)
	# The write itself fails leg 0; leg 1's header would then say so.
	dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
	dm_switch sbull-leg0 "$(failing /dev/vda)"
	write_inside 4
	wait_header_held sbull-leg1
	slow=sbull-leg1 ;;
remove | resync)
	# Leg 1's header would say leg 0 left. A resync writes it before
	# leg 0's RESYNCING header: until it lands, leg 0's says in sync.
	slow=sbull-leg1
	dm_switch "$slow" "$(slow_header "${disks[${slow#sbull-leg}]}")"
	echo "$kind 0" >"$LEGS" &
	COMMAND_PID=$!
	wait_header_held "$slow"
	write_inside 4 ;;
twice)
	# Leg 2 fails; the headers that say so go to leg 0, then to leg 1
	# (held). Meanwhile leg 0 fails too: the headers being written do
	# not say that, and leg 0's now claims what leg 1's will.
	dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
	dm_switch sbull-leg2 "$(failing /dev/vdc)"
	write_inside 4
	wait_header_held sbull-leg1
	dm_switch sbull-leg0 "$(failing /dev/vda)"
	write_inside 8
	sleep 1
	# Reloading the table lets the held header go (dm-delay flushes
	# what it holds on suspend), and holds the next.
	dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
	wait_header_held sbull-leg1
	slow=sbull-leg1 ;;
*) fail "unknown kind $kind" ;;
esac
sleep 1

completed=()
for w in "${inside[@]}"; do
	[ ! -e "/tmp/inside${w%:*}.done" ] || completed+=("${w%:*}")
done
# The cut: what the legs hold now. Their headers first, all at once: the
# one that closes the window is the only thing still on its way (the data
# the legs took is there already), and copying 16 MiB is slow under TCG.
for i in "${!disks[@]}"; do
	dd if="${disks[$i]}" of="/dev/ram$i" bs=$((HDR_SECTORS * 512)) count=1 \
		iflag=direct oflag=direct status=none || fail "copy of leg $i's header"
done
for i in "${!disks[@]}"; do
	dd if="${disks[$i]}" of="/dev/ram$i" bs=1M skip=$((HDR_SECTORS * 512)) \
		seek=$((HDR_SECTORS * 512)) count=$((STORE_BYTES >> 20)) \
		iflag=direct,skip_bytes oflag=direct,seek_bytes status=none ||
		fail "copy of leg $i"
done
echo "# writes inside the window completed at the cut: ${completed[*]:-none} (MiB)"
# The cut came inside the window: the header that closes it is not in the
# copy (its generation field, 8 bytes at byte 40, is the one before).
hdr_generation() {
	od -An -t u8 -j 40 -N 8 "$1" | tr -d ' '
}
closing=/dev/ram1
[ "$(hdr_generation "$closing")" = "$generation" ] ||
	fail "the cut was not inside the window: $closing's header has generation $(hdr_generation "$closing"), the window's is $generation"
# The header lands: the writes held end.
dm_switch "$slow" "$(leg_plain "${disks[${slow#sbull-leg}]}")"
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

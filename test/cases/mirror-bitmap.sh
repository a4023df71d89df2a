#!/usr/bin/env bash
# Case: mirror: the write-intent bitmap is on the legs before the data, clears when idle, and a crash resyncs its regions only
# Needs: modules=brd,dm-delay
# Two legs, the second behind dm-delay. Each window the bitmap closes gets a
# fault inside it:
# - set before written: leg 1's bitmap write is held; the write must not
#   reach leg 0 meanwhile;
# - kept while in flight: leg 1's data writes are held for two bitmap
#   periods; the bits stay set on both legs;
# - kept while the headers are behind: leg 1 is being removed (held by its
#   writes); a write into a clean region meanwhile keeps its bit;
# - a power cut with the legs disagreeing (leg 0 has the writes, leg 1 not):
#   the legs are copied to brd disks as they are, and sbull loaded from the
#   copies resyncs exactly the regions of the bits, and a region written
#   while the copy is held before it, after which both legs equal the
#   store; a "resync" command then copies every region.
# Usage: mirror-bitmap.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
bitmap=/sys/block/sbulla/mirror
modprobe dm-delay || fail "modprobe dm-delay"
modprobe brd rd_nr=2 rd_size=$((REGION_SECTORS / 2 + 1024)) || fail "modprobe brd"

# Writes to the header block held 60 s (flushes not); or writes past it.
slow_header() {
	echo "0 $HDR_SECTORS delay $1 0 0 $1 0 60000 $1 0 0
$HDR_SECTORS $((REGION_SECTORS - HDR_SECTORS)) linear $1 $HDR_SECTORS"
}

leg0=$(dm_create sbull-leg0 "$(leg_plain /dev/vda)")
leg1=$(dm_create sbull-leg1 "$(leg_plain /dev/vdb)")
load_mirror "$mode" "sbulla=$leg0,sbulla=$leg1" legs_init=1
wait_in_sync 0
wait_in_sync 1
[ "$(cat "$bitmap/region_size")" = 524288 ] ||
	fail "region_size is $(cat "$bitmap/region_size"), expected 524288 (region_kb=512)"
regions=$((STORE_BYTES / 524288))

# Every region dirty, then clean once idle: within two periods of 5 s. A
# region stays dirty a whole period after its last write: all of them
# still are if the fill took less.
start=$SECONDS
dd if=/dev/urandom of=/dev/sbulla bs=1M count=$((STORE_BYTES >> 20)) oflag=direct \
	status=none || fail "fill"
dirty=$(cat "$bitmap/dirty_regions")
[ "$dirty" = "$regions" ] || { [ $((SECONDS - start)) -ge 5 ] && [ "$dirty" -gt 0 ]; } ||
	fail "after writing the whole store in $((SECONDS - start)) s, $dirty of $regions regions are dirty"
for _ in $(seq 300); do
	[ "$(cat "$bitmap/dirty_regions")" != 0 ] || break
	sleep 0.1
done
[ "$(cat "$bitmap/dirty_regions")" = 0 ] ||
	fail "$(cat "$bitmap/dirty_regions") regions still dirty 30 s after the writes"
for d in /dev/vda /dev/vdb; do
	[ -z "$(disk_bits "$d")" ] || fail "$d's bitmap is not clear: $(disk_bits "$d")"
done
echo "# $regions regions dirty after the fill, none once idle, on both legs"

# Set before written: a write into clean region 3 while leg 1's bitmap
# write is held.
head -c 4096 /dev/urandom >/tmp/w3
head -c 4096 /dev/urandom >/tmp/w20
off3=$((3 * 524288 + 8192)) off20=$((20 * 524288 + 4096))
dm_switch sbull-leg1 "$(slow_header /dev/vdb)"
dd if=/tmp/w3 of=/dev/sbulla bs=4k seek=$((off3 / 4096)) oflag=direct,dsync \
	status=none &
w3=$!
wait_held sbull-leg1 1
sleep 1
[ "$(checksum_range /dev/vda $((HDR_SECTORS * 512 + off3)) 4096)" != "$(sum_of /tmp/w3)" ] ||
	fail "the write reached leg 0 before its region's bit was on leg 1"
echo "# the write waits while leg 1's bitmap write is held; leg 0 has not got it"

# Kept while in flight: from here leg 1's data writes are held (the
# switch lets the bitmap write go), and a write goes to region 20 too.
dm_switch sbull-leg1 "$(leg_slow_data /dev/vdb)"
write_bg() {
	dd if="/tmp/w$1" of=/dev/sbulla bs=4k seek=$(($2 / 4096)) \
		oflag=direct,dsync status=none
}
write_bg 20 "$off20" &
w20=$!
wait_held sbull-leg1 2
sleep 11
[ "$(cat "$bitmap/dirty_regions")" = 2 ] ||
	fail "$(cat "$bitmap/dirty_regions") dirty regions with writes in flight to regions 3 and 20"
for d in /dev/vda /dev/vdb; do
	[ "$(disk_bits "$d")" = "3 20" ] ||
		fail "$d's bitmap has bits '$(disk_bits "$d")', expected '3 20', with writes held on leg 1 for two periods"
done
echo "# two periods with leg 1's writes held: bits 3 and 20 set on both legs"
# Kept while the headers are behind: leg 1 is being removed, and its held
# writes keep the command, and the headers that would say it left,
# waiting. A write into clean region 10 goes to leg 0 alone.
echo "remove 1" >"$LEGS" &
remove=$!
sleep 1
head -c 4096 /dev/urandom >/tmp/w10
off10=$((10 * 524288))
write_bg 10 "$off10" &
w10=$!
sleep 11
[ "$(cat "$bitmap/dirty_regions")" = 3 ] ||
	fail "$(cat "$bitmap/dirty_regions") dirty regions, expected 3 (region 10 written while leg 1 leaves)"
[ "$(disk_bits /dev/vda)" = "3 10 20" ] ||
	fail "leg 0's bitmap has bits '$(disk_bits /dev/vda)', expected '3 10 20', two periods after a write to region 10 while leg 1 leaves"
[ "$(disk_bits /dev/vdb)" = "3 20" ] ||
	fail "leg 1's bitmap has bits '$(disk_bits /dev/vdb)', expected '3 20'"
echo "# two periods while leg 1 leaves: bits 3 10 20 on leg 0, 3 20 on leg 1"

# The cut: the legs as they are. Leg 0 has the writes, leg 1 none.
disks=(/dev/vda /dev/vdb)
for i in 0 1; do
	dd if="${disks[$i]}" of="/dev/ram$i" bs=1M \
		count=$(((REGION_SECTORS * 512 + (1 << 20) - 1) >> 20)) \
		iflag=direct oflag=direct status=none || fail "copy of leg $i"
done
[ "$(checksum_range /dev/ram1 $((HDR_SECTORS * 512 + off3)) 4096)" != "$(sum_of /tmp/w3)" ] ||
	fail "leg 1 already had the write at the cut: the test cut too late"
dm_switch sbull-leg1 "$(leg_plain /dev/vdb)"
for w in "3:$w3" "20:$w20" "10:$w10"; do
	wait "${w#*:}" || fail "the write to region ${w%:*}"
done
wait "$remove" || fail "remove 1"
unload_sbull
dmsetup remove_all || fail "dmsetup remove_all"

# The headers are those of one epoch, both dirty: leg 1 gets the regions
# of the bits, 3, 10 and 20. Its first copy is held, and meanwhile a write
# into region 25, which the copy has not reached, must join them.
leg1=$(dm_create sbull-leg1 "$(leg_slow_data /dev/ram1)")
load_mirror "$mode" "sbulla=/dev/ram0,sbulla=$leg1"
wait_held sbull-leg1 1
head -c 4096 /dev/urandom >/tmp/w25
off25=$((25 * 524288 + 12288))
write_bg 25 "$off25" || fail "the write to region 25 during the resync"
dm_switch sbull-leg1 "$(leg_plain /dev/ram1)"
wait_in_sync 1
dmesg | grep -E 'sbull: sbulla: resync' | tail -n 2 | sed 's/^\[[^]]*\] /# /'
[ "$(cat "$bitmap/regions_resynced")" = 4 ] ||
	fail "the resync after the cut copied $(cat "$bitmap/regions_resynced") regions, expected 4 (bits 3, 10 and 20, and region 25 written meanwhile)"
expect_leg_is_store /dev/ram0
expect_leg_is_store /dev/ram1
for w in "20:$off20" "10:$off10" "25:$off25"; do
	[ "$(checksum_range /dev/sbulla "${w#*:}" 4096)" = "$(sum_of "/tmp/w${w%:*}")" ] ||
		fail "the store lacks the write to region ${w%:*}"
done

# A resync command copies the whole store: every region.
echo "resync 1" >"$LEGS" || fail "resync 1"
wait_in_sync 1
[ "$(cat "$bitmap/regions_resynced")" = $((4 + regions)) ] ||
	fail "a whole resync counted $(($(cat "$bitmap/regions_resynced") - 4)) regions, expected $regions"
expect_leg_is_store /dev/ram1
echo "# after the cut: 4 of $regions regions resynced, legs equal to the store; a whole resync: $regions"
unload_sbull

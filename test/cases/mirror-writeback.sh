#!/usr/bin/env bash
# Case: mirror: write-back mode: writes end in RAM, flushes and FUA wait for the legs, the lag is bounded, a crash resyncs the flushed regions, failures and mode switches lose nothing
# Needs: modules=brd,dm-delay
# Two legs, on /dev/vda and /dev/vdb. KIND says which window gets a fault:
# - flush: leg 1's writes take 3 s (dm-delay). A write ends before either
#   leg has it; an fsync of the disk ends only once both legs have it and
#   have been flushed (their stat files count the flush), and an O_DSYNC
#   (FUA) write only once both have it. A block written again
#   keeps its region's bit while it is dirty in RAM.
# - lag: a write reaches the legs no sooner than writeback_ms after it
#   (checked while that is measurable), and does reach them. Then a power cut while the flusher's writes to leg 1 are held:
#   the legs are copied to brd as they are, and sbull loaded from the
#   copies resyncs exactly the 3 regions the flusher wrote, after which both
#   legs equal the store.
# - fail: leg 1 fails under fio verify: fio is clean, and after an fsync
#   leg 0 holds the store. Then leg 0 fails with a write in RAM only: the
#   fsync fails with EIO, and so does the next write.
# - add: a block dirty in RAM (writeback_ms 600 s) when a leg is added:
#   the resync copies the store, so the new leg has the block and the old
#   one not. Wherever two in-sync legs may differ a bit must say so: the
#   block's region is set in both legs' bitmaps. A power cut then (the
#   legs copied to brd as they are) and a load from the copies resyncs
#   that region: both legs equal the store.
# - cover: "add", then the window between the resync's copy of the dirty
#   block's region and the bits that say so on the legs (sbull_bitmap.c,
#   sbull_bitmap_cover()), with the resync's window ended by a remove.
# - switch: fio verify runs while the mode flips between writethrough and
#   writeback every 0.2 s, with a 1 MiB dirty limit that makes writes
#   wait (and no flusher period); fio is clean, and once back in
#   writethrough both legs equal the store without a flush.
# Usage: mirror-writeback.sh MODE KIND
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1 kind=$2
sysfs=/sys/block/sbulla/mirror
modprobe dm-delay || fail "modprobe dm-delay"

# fsync /dev/sbulla: a flush of the disk. Its error, if any, in /tmp/fsync.out.
fsync_disk() {
	python3 -c 'import os; os.fsync(os.open("/dev/sbulla", os.O_WRONLY))' \
		>/tmp/fsync.out 2>&1
}
# Write file $1 at byte $2 of /dev/sbulla, direct; more dd flags in $3.
write_at() {
	dd if="$1" of=/dev/sbulla bs=4k seek=$(($2 / 4096)) \
		oflag=direct${3:+,$3} status=none
}
# Does the leg region on device $1 hold file $2 at store byte $3?
leg_has() {
	[ "$(checksum_range "$1" $((HDR_SECTORS * 512 + $3)) "$(stat -c %s "$2")")" = "$(sum_of "$2")" ]
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# Flushes that disk $1 completed: field 16 of its stat file (5.5 on;
# Documentation/block/stat.rst).
flushes_of() { awk '{ print $16 }' "/sys/block/$1/stat"; }

# A power cut: the legs' regions on /dev/vda and /dev/vdb copied as they
# are to /dev/ram0 and /dev/ram1, for a load from the copies.
cut_to_brd() {
	local i legs=(/dev/vda /dev/vdb)
	for i in 0 1; do
		dd if="${legs[$i]}" of="/dev/ram$i" bs=1M \
			count=$(((REGION_SECTORS * 512 + (1 << 20) - 1) >> 20)) \
			iflag=direct oflag=direct status=none || fail "copy of leg $i"
	done
}

load_wb() {
	load_mirror "$mode" "$1" writeback=sbulla "${@:2}"
	wait_in_sync 0
	wait_in_sync 1
	[ "$(cat "$sysfs/mode")" = writeback ] ||
		fail "mode is $(cat "$sysfs/mode") with writeback=sbulla"
}

case $kind in
flush)
	leg1=$(dm_create sbull-leg1 "$(leg_plain /dev/vdb)")
	load_wb "sbulla=/dev/vda,sbulla=$leg1" legs_init=1 writeback_ms=600000
	dm_switch sbull-leg1 "$(leg_slow_data /dev/vdb 3000)"
	head -c 1M /dev/urandom >/tmp/w
	t=$(now_ms)
	write_at /tmp/w $((1 << 20)) || fail "write"
	echo "# a 1 MiB write ended in $(($(now_ms) - t)) ms"
	[ "$(cat "$sysfs/dirty_kb")" = 1024 ] ||
		fail "dirty_kb is $(cat "$sysfs/dirty_kb") after a 1 MiB write, expected 1024"
	! leg_has /dev/vda /tmp/w $((1 << 20)) ||
		fail "leg 0 has the write before any flush: not write-back"
	t=$(now_ms)
	flushes0=$(flushes_of vda) flushes1=$(flushes_of vdb)
	fsync_disk || fail "fsync: $(cat /tmp/fsync.out)"
	echo "# the fsync ended in $(($(now_ms) - t)) ms, with leg 1's writes held 3000 ms"
	# A leg with a volatile cache holds a write only once flushed: the
	# fsync flushed both legs once their blocks were written.
	if [ "$(flushes_of vda)" -le "$flushes0" ] || [ "$(flushes_of vdb)" -le "$flushes1" ]; then
		fail "the fsync did not flush both legs: flushes on vda $flushes0 -> $(flushes_of vda), on vdb $flushes1 -> $(flushes_of vdb)"
	fi
	leg_has /dev/vda /tmp/w $((1 << 20)) || fail "leg 0 lacks the write after the fsync"
	leg_has /dev/vdb /tmp/w $((1 << 20)) || fail "leg 1 lacks the write after the fsync"
	head -c 4096 /dev/urandom >/tmp/fua
	write_at /tmp/fua $((5 << 20)) dsync || fail "O_DSYNC write"
	leg_has /dev/vda /tmp/fua $((5 << 20)) || fail "leg 0 lacks the O_DSYNC write once it ended"
	leg_has /dev/vdb /tmp/fua $((5 << 20)) || fail "leg 1 lacks the O_DSYNC write once it ended"
	[ "$(cat "$sysfs/dirty_kb")" = 0 ] || fail "dirty_kb is $(cat "$sysfs/dirty_kb") after the flushes"
	echo "# the fsync and the O_DSYNC write ended with both legs holding their data"
	# The flusher's write may have read a block while it changed: the
	# legs may differ there until its next write of the block. So a block
	# dirty again keeps the bit that the flusher's write set: written,
	# flushed, and at once written again, well inside the bitmap's period.
	write_at /tmp/w $((1 << 20)) || fail "second write"
	fsync_disk || fail "second fsync: $(cat /tmp/fsync.out)"
	write_at /tmp/w $((1 << 20)) || fail "third write"
	sleep 12
	[ "$(cat "$sysfs/dirty_kb")" = 1024 ] ||
		fail "dirty_kb is $(cat "$sysfs/dirty_kb") after the third write, expected 1024"
	[ "$(cat "$sysfs/dirty_regions")" = 2 ] ||
		fail "$(cat "$sysfs/dirty_regions") dirty regions two periods after the fsyncs, expected 2: the regions of the 1 MiB dirty in RAM (2 and 3), not that of the O_DSYNC write"
	echo "# two periods later: the 2 regions with blocks dirty in RAM keep their bits, the other is clear"
	unload_sbull
	;;
lag)
	modprobe brd rd_nr=2 rd_size=$((REGION_SECTORS / 2 + 1024)) || fail "modprobe brd"
	leg0=$(dm_create sbull-leg0 "$(leg_plain /dev/vda)")
	leg1=$(dm_create sbull-leg1 "$(leg_plain /dev/vdb)")
	load_wb "sbulla=$leg0,sbulla=$leg1" legs_init=1 writeback_ms=5000
	head -c 1M /dev/urandom >/tmp/w
	t=$(now_ms)
	write_at /tmp/w $((2 << 20)) || fail "write"
	# Before writeback_ms, the flusher has not run: a look that comes
	# sooner finds the legs without the write (a slower one proves nothing).
	sleep 1
	if ! leg_has /dev/vdb /tmp/w $((2 << 20)) && [ $(($(now_ms) - t)) -lt 5000 ]; then
		echo "# $(($(now_ms) - t)) ms after the write, before writeback_ms: leg 1 lacks it"
	elif [ $(($(now_ms) - t)) -lt 5000 ]; then
		fail "leg 1 had the write $(($(now_ms) - t)) ms after it, before writeback_ms=5000"
	fi
	until leg_has /dev/vda /tmp/w $((2 << 20)) && leg_has /dev/vdb /tmp/w $((2 << 20)); do
		[ $(($(now_ms) - t)) -lt 60000 ] || fail "the legs lack a write 60 s after it, writeback_ms=5000"
		sleep 0.1
	done
	echo "# both legs had the write $(($(now_ms) - t)) ms after it, writeback_ms=5000"
	# Clean bitmaps first, so that only the regions below are dirty.
	for _ in $(seq 300); do
		[ "$(cat "$sysfs/dirty_regions")" != 0 ] || break
		sleep 0.1
	done
	[ "$(cat "$sysfs/dirty_regions")" = 0 ] || fail "regions still dirty 30 s after the write"

	# The cut: writes to regions 3, 10 and 20, sent by the flusher; leg 1
	# holds them, leg 0 has them.
	dm_switch sbull-leg1 "$(leg_slow_data /dev/vdb)"
	for r in 3 10 20; do
		head -c 4096 /dev/urandom >"/tmp/w$r"
		write_at "/tmp/w$r" $((r * 524288 + 8192)) || fail "write to region $r"
	done
	wait_held sbull-leg1 3
	for r in 3 10 20; do
		leg_has /dev/vda "/tmp/w$r" $((r * 524288 + 8192)) ||
			fail "leg 0 lacks the flusher's write to region $r"
	done
	cut_to_brd
	! leg_has /dev/ram1 /tmp/w3 $((3 * 524288 + 8192)) ||
		fail "leg 1 already had the write at the cut: the test cut too late"
	dm_switch sbull-leg1 "$(leg_plain /dev/vdb)"
	unload_sbull
	dmsetup remove_all || fail "dmsetup remove_all"

	load_wb "sbulla=/dev/ram0,sbulla=/dev/ram1"
	dmesg | grep -E 'sbull: sbulla: resync' | tail -n 2 | sed 's/^\[[^]]*\] /# /'
	[ "$(cat "$sysfs/regions_resynced")" = 3 ] ||
		fail "the resync after the cut copied $(cat "$sysfs/regions_resynced") regions, expected 3"
	expect_leg_is_store /dev/ram0
	expect_leg_is_store /dev/ram1
	echo "# after a cut with the flusher's writes on leg 0 only: 3 regions resynced, legs equal to the store"
	unload_sbull
	;;
fail)
	leg0=$(dm_create sbull-leg0 "$(leg_plain /dev/vda)")
	leg1=$(dm_create sbull-leg1 "$(leg_plain /dev/vdb)")
	load_wb "sbulla=$leg0,sbulla=$leg1" legs_init=1 writeback_ms=500
	fio_verify_midrun "leg 1 failed"
	dm_switch sbull-leg1 "0 $REGION_SECTORS error"
	fio_verify_clean
	fsync_disk || fail "fsync with leg 0 in service: $(cat /tmp/fsync.out)"
	expect_leg_state 0 in_sync
	expect_leg_state 1 failed
	expect_leg_is_store /dev/vda
	echo "# leg 1 failed under fio verify: fio clean, leg 0 holds the store after an fsync"

	dm_switch sbull-leg0 "0 $REGION_SECTORS error"
	head -c 4096 /dev/urandom >/tmp/w
	write_at /tmp/w 0 || fail "a write into RAM with the last leg failing"
	! fsync_disk || fail "fsync succeeded with no leg to hold the write"
	grep -q 'Input/output error' /tmp/fsync.out ||
		fail "fsync did not fail with EIO: $(cat /tmp/fsync.out)"
	expect_leg_state 0 failed
	must_fail write_at /tmp/w 0
	grep -q 'Input/output error' /tmp/must_fail.out ||
		fail "a write with no leg left did not fail with EIO: $(cat /tmp/must_fail.out)"
	echo "# the last leg failed: the fsync and the next write fail with EIO"
	unload_sbull
	;;
add)
	modprobe brd rd_nr=2 rd_size=$((REGION_SECTORS / 2 + 1024)) || fail "modprobe brd"
	load_mirror "$mode" sbulla=/dev/vda legs_init=1 writeback=sbulla \
		writeback_ms=600000
	wait_in_sync 0
	head -c 4096 /dev/urandom >/tmp/w
	off=$((7 * 524288 + 8192))
	write_at /tmp/w "$off" || fail "write"
	[ "$(cat "$sysfs/dirty_kb")" = 4 ] ||
		fail "dirty_kb is $(cat "$sysfs/dirty_kb") after a 4 KiB write, expected 4"
	echo "add /dev/vdb init" >"$LEGS" || fail "add /dev/vdb init"
	wait_in_sync 1
	[ "$(cat "$sysfs/dirty_kb")" = 4 ] ||
		fail "the block is no longer dirty in RAM (dirty_kb $(cat "$sysfs/dirty_kb")): the test needs it dirty"
	leg_has /dev/vdb /tmp/w "$off" || fail "the resync did not copy the dirty block to leg 1"
	! leg_has /dev/vda /tmp/w "$off" || fail "leg 0 has the dirty block: the flusher ran"
	echo "# the block dirty in RAM is on the new leg 1 and not on leg 0; bitmaps: leg 0 '$(disk_bits /dev/vda)', leg 1 '$(disk_bits /dev/vdb)'"
	for d in /dev/vda /dev/vdb; do
		[[ " $(disk_bits "$d") " == *" 7 "* ]] ||
			fail "the legs differ in region 7 (a block dirty in RAM, copied to the new leg only), yet $d's bitmap has bits '$(disk_bits "$d")'"
	done
	cut_to_brd
	unload_sbull
	load_mirror "$mode" sbulla=/dev/ram0,sbulla=/dev/ram1
	wait_in_sync 1
	dmesg | grep -E 'sbull: sbulla: resync' | tail -n 2 | sed 's/^\[[^]]*\] /# /'
	expect_leg_is_store /dev/ram0
	expect_leg_is_store /dev/ram1
	echo "# after a cut, the load from the copies resynced region 7: both legs equal the store"
	unload_sbull
	;;
cover)
	# The block dirty in RAM of "add", a third leg added: the resync's
	# copy of region 7 sets the region's bit (the legs are about to
	# differ there), in headers that leg 0 takes 8 s to write. Meanwhile
	# leg 2 is removed, which ends the resync's window, and an fsync sends
	# the block to the legs. The block must not reach leg 1 before leg 0's
	# header names region 7: a cut then would leave legs 0 and 1 differing
	# there, with no bit to say so.
	leg0=$(dm_create sbull-leg0 "$(leg_plain /dev/vda)")
	load_wb "sbulla=$leg0,sbulla=/dev/vdb" legs_init=1 writeback_ms=600000
	[[ " $(disk_bits /dev/vda) " != *" 7 "* ]] || fail "region 7 is dirty before the write"
	head -c 4096 /dev/urandom >/tmp/w
	off=$((7 * 524288 + 8192))
	write_at /tmp/w "$off" || fail "write"
	dm_switch sbull-leg0 "0 $REGION_SECTORS delay /dev/vda 0 0 /dev/vda 0 8000 /dev/vda 0 0"
	echo "add /dev/vdc init" >"$LEGS" || fail "add /dev/vdc init"
	# The next write to leg 0 is the bits of the resync's copy.
	wait_held sbull-leg0 1
	# The remove takes leg 2 out of the pass at once, then waits for the
	# pass (the legs table, for the remove: no sign to wait for).
	echo "remove 2" >"$LEGS" &
	remove_pid=$!
	sleep 1
	[ "$(dmsetup status sbull-leg0 | awk '{ print $5 }')" = 1 ] ||
		fail "the bits' write to leg 0 ended before the fsync: the case needs it held"
	fsync_disk &
	fsync_pid=$!
	for _ in $(seq 300); do
		leg_has /dev/vdb /tmp/w "$off" && break
		sleep 0.05
	done
	leg_has /dev/vdb /tmp/w "$off" || fail "the fsync did not send the block to leg 1 within 30 s"
	[[ " $(disk_bits /dev/vda) " == *" 7 "* ]] ||
		fail "leg 1 has the block of region 7 while leg 0 has neither it nor a bit for region 7 (bits '$(disk_bits /dev/vda)'): a cut now leaves them differing with no bit"
	echo "# leg 1 had the block once leg 0's header named region 7 (bits '$(disk_bits /dev/vda)')"
	wait "$fsync_pid" || fail "the fsync failed: $(cat /tmp/fsync.out)"
	wait "$remove_pid" || fail "remove 2"
	dm_switch sbull-leg0 "$(leg_plain /dev/vda)"
	expect_leg_is_store "$leg0"
	expect_leg_is_store /dev/vdb
	unload_sbull
	;;
switch)
	# Only the limit and the switch write back: no period in the test.
	load_mirror "$mode" "sbulla=/dev/vda,sbulla=/dev/vdb" legs_init=1 \
		writeback_max_mb=1 writeback_ms=600000
	wait_in_sync 0
	wait_in_sync 1
	FIO_SIZE=32m fio_verify_midrun "the mode switches"
	# Ten round trips, all while fio writes: its 32 MiB take 20 s at 400
	# IOPS, but it catches up after the switches' freezes, which a busy
	# machine makes long; a run that ends is verified, and another starts.
	runs=1
	for n in $(seq 10); do
		if ! kill -0 "$FIO_PID" 2>/dev/null; then
			fio_verify_clean
			FIO_SIZE=32m fio_verify_midrun "the mode switches"
			runs=$((runs + 1))
		fi
		echo writeback >"$sysfs/mode" || fail "switch to writeback"
		sleep 0.2
		echo writethrough >"$sysfs/mode" || fail "switch to writethrough"
		sleep 0.2
	done
	echo writeback >"$sysfs/mode" || fail "switch to writeback"
	fio_verify_clean
	echo writethrough >"$sysfs/mode" || fail "switch to writethrough"
	[ "$(cat "$sysfs/mode")" = writethrough ] || fail "mode is $(cat "$sysfs/mode")"
	expect_leg_is_store /dev/vda
	expect_leg_is_store /dev/vdb
	echo "# $n round trips between the modes under $runs fio verify run(s): clean, and both legs equal the store once back"
	must_fail sh -c "echo writearound >$sysfs/mode"
	unload_sbull
	;;
*)
	fail "unknown kind $kind"
	;;
esac

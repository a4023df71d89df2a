#!/usr/bin/env bash
# Case: lab 7: a mirrored write ends from dm-io's callback; a failing leg sets its error bit
# Needs: modules=brd,dm-flakey
# Lab 7 (docs/teaching/labs.md): with two legs on brd (one through a dm device), a
# write reaches sbull, then dm_io() sends it to both legs from a work
# item, and dm-io's notify callback ends it with an error bitset of 0; a
# 1 MiB write reaches each leg as one bio; a flush reaches sbull and the
# legs.
# When the dm leg turns into dm-flakey failing writes, the next write's
# bitset has bit 1 set, the leg leaves service and later writes go to
# leg 0 alone, while the writer sees no error. Loaded again (without
# legs_init) with the linear table back, sbull restores the store from
# leg 0 and resyncs leg 1.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

STORE=32768			# sectors: a 16 MiB store
REGION=$((8 + STORE))		# a leg region: 4 KiB header, then the store
LEGS=/sys/block/sbulla/mirror/legs
BLOCK_EVENTS="block_bio_queue block_bio_complete"

cleanup() {
	rmmod sbull 2>/dev/null || true
	dmsetup remove lab-leg 2>/dev/null || true
	rmmod brd 2>/dev/null || true
}
trap cleanup EXIT

# Like traced (lib.sh), with the block layer's bio events too.
traced_bios() {
	local e
	mount_tracefs
	for e in $BLOCK_EVENTS; do echo 1 >"$TRACING/events/block/$e/enable"; done
	traced "$@"
	for e in $BLOCK_EVENTS; do echo 0 >"$TRACING/events/block/$e/enable"; done
}

# Slot $1's state and progress in the legs table.
leg_state() {
	awk -v s="$1" '$1 == s { print $4, $5 }' "$LEGS"
}

# Wait (30 s at most) for both legs to be in sync; $1 names the step.
wait_in_sync() {
	local _
	for _ in $(seq 150); do
		[ "$(leg_state 0)/$(leg_state 1)" = "in_sync 100/in_sync 100" ] && return
		sleep 0.2
	done
	fail "$1: the legs are not in sync: $(cat "$LEGS")"
}

# The sizes, in sectors, of the write bios queued to the data area of
# the leg region at sector 0 of device $1 (MAJ,MIN): not to its header,
# which sbull rewrites when the legs change.
leg_bios() {
	sed -n "s/.* block_bio_queue: $1 W[A-Z]* \([0-9]*\) + \([0-9]*\) .*/\1 \2/p" \
		"$TRACING/trace" | awk '$1 >= 8 { print $2 }'
}

cleanup
modprobe brd rd_nr=2 rd_size=20480 || fail "modprobe brd"
modprobe -a dm-mod dm-flakey || fail "modprobe dm-mod dm-flakey"
wait_for_dev /dev/ram1
dmsetup create lab-leg <<<"0 $REGION linear /dev/ram1 0" ||
	fail "dmsetup create"
# No udev in the guest: no /dev/mapper/lab-leg, the node is /dev/dm-N.
dm=/dev/$(dmsetup info -c --noheadings -o blkdevname lab-leg)
wait_for_dev "$dm"
ram0=$(stat -c '%t,%T' /dev/ram0) ram0=$((16#${ram0%,*})),$((16#${ram0#*,}))

# The first load initialises the legs; the second finds sbull's header on
# them and restores the store from them.
init=legs_init=1 sum=
for mode in mq bio; do
	load_sbull request_mode=$mode ndevices=1 nsectors=$STORE $init \
		legs=sbulla=/dev/ram0,sbulla="$dm"
	init=
	wait_in_sync "$mode"
	# The second load restored the store from the legs.
	[ -z "$sum" ] || [ "$(checksum_range /dev/sbulla 0 $((STORE * 512)))" = "$sum" ] ||
		fail "$mode: the store was not restored from the legs"

	# A 4 KiB write: one dm_io() for both legs, one callback, no error.
	traced_bios dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 \
		oflag=direct status=none
	expect_events sbull_mirror_io "WRITE sector=0 sectors=8 legs=0x3"
	expect_events sbull_mirror_done "sector=0 legs=0x3 error_bits=0x0"
	[ "$(leg_bios "$ram0")" = 8 ] ||
		fail "$mode: ram0's bios: $(leg_bios "$ram0")"
	# The callback comes after the write reached sbull, in a kworker.
	grep -q "kworker.*sbull_mirror_done" "$TRACING/trace" ||
		fail "$mode: the callback did not run in a kworker: $(grep sbull_mirror_done "$TRACING/trace")"

	# A 1 MiB write: dm-io walks the store page by page into the bios.
	traced_bios dd if=/dev/urandom of=/dev/sbulla bs=1M count=1 \
		oflag=direct status=none
	# One bio per leg: 256 pages fit one bio.
	sizes=$(leg_bios "$ram0" | paste -sd' ')
	[ "$sizes" = 2048 ] ||
		fail "$mode: the 1 MiB write reached ram0 as bios of $sizes sectors, not one of 2048"
	echo "# $mode: sbull_mirror_io: $(events sbull_mirror_io | tr '\n' ' ')"
	echo "# $mode: a 1 MiB write reaches ram0 as bios of $sizes sectors"

	# A flush reaches a disk with a write cache: sbull and then the legs.
	[ "$(cat /sys/block/sbulla/queue/write_cache)" = "write back" ] ||
		fail "$mode: write_cache: $(cat /sys/block/sbulla/queue/write_cache)"
	reset_stats
	traced dd if=/dev/zero of=/dev/sbulla bs=4k count=1 conv=fsync status=none
	[ "$(stat_of flushes)" -ge 1 ] || fail "$mode: no flush reached sbull"
	events sbull_mirror_io | grep -q "^WRITE+PREFLUSH sector=0 sectors=0 legs=0x3$" ||
		fail "$mode: no empty flush to the legs: $(events sbull_mirror_io)"
	[ "$mode" = bio ] && break
	sum=$(checksum_range /dev/sbulla 0 $((STORE * 512)))
	unload_sbull
done


# Leg 1 now fails every write (up 0 s, down 1000 s); reads still work.
dmsetup reload lab-leg <<<"0 $REGION flakey /dev/ram1 0 0 1000 1 error_writes" ||
	fail "dmsetup reload"
dmsetup resume lab-leg || fail "dmsetup resume"
traced dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 oflag=direct status=none ||
	fail "the write failed, though leg 0 took it"
expect_events sbull_mirror_done "sector=0 legs=0x3 error_bits=0x2"
[ "$(leg_state 1)" = "failed 0" ] || fail "leg 1: $(cat "$LEGS")"
[ "$(leg_state 0)" = "in_sync 100" ] || fail "leg 0: $(cat "$LEGS")"
traced dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 oflag=direct status=none
expect_events sbull_mirror_io "WRITE sector=0 sectors=8 legs=0x1"
expect_events sbull_mirror_done "sector=0 legs=0x1 error_bits=0x0"

# Lab 7's "Change it" after step 4: unload, put the linear table back and
# load again without legs_init. The store comes back from leg 0, the
# newest; leg 1, behind since it failed, is resynced from the store.
sum=$(checksum_range /dev/sbulla 0 $((STORE * 512)))
unload_sbull
dmsetup reload lab-leg <<<"0 $REGION linear /dev/ram1 0" ||
	fail "dmsetup reload (linear again)"
dmsetup resume lab-leg || fail "dmsetup resume (linear again)"
load_sbull request_mode=bio ndevices=1 nsectors=$STORE \
	legs=sbulla=/dev/ram0,sbulla="$dm"
wait_in_sync "the reload after leg 1 failed"
[ "$(checksum_range /dev/sbulla 0 $((STORE * 512)))" = "$sum" ] ||
	fail "the reload after leg 1 failed: the store is not what was written"
# Leg 1's copy (after its 4 KiB header, on ram1 under the dm device) too.
[ "$(checksum_range /dev/ram1 4096 $((STORE * 512)))" = "$sum" ] ||
	fail "the reload after leg 1 failed: leg 1 was not resynced"
unload_sbull

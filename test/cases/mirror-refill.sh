#!/usr/bin/env bash
# Case: mirror: the disk serves I/O while its store is read back from a leg, and each fault during the refill keeps the data
# Needs: modules=brd,dm-delay
# A load with legs shows the disk at once and reads the store back from a
# leg behind it (sbull_refill.c). Here the store is 56 MiB, which the
# background pass reads in 14 reads of 4 MiB, two at a time, and the legs'
# reads are slowed by dm-delay ($DELAY ms each), so that the refill lasts
# about 14 s and each step lands inside it; refill must still say
# "refilling" after it.
#   serve      a read of a region the background pass has not reached
#              waits for that region alone (an on_demand read in the
#              trace) and returns the legs' data; a write into another
#              waits for its region and lands on the store and both legs;
#              fio verifies MiB 40 to 48, in random order, against what it
#              wrote there before the load; no resync follows.
#   writeback  the same write, in write-back mode, made durable by fsync.
#   source     the leg read from (the last: both are clean, of one epoch)
#              fails past its first 8 MiB (dm's error target): the refill
#              goes on from the other, and the store comes back whole.
#   lost       the only leg that holds the store, beside a blank leg
#              waiting to be resynced, fails past its first 16 MiB, while
#              its reads of MiB 8 to 16 are held 10 s: a read past 16 MiB
#              fails the leg and waits for the held reads; an O_DSYNC
#              write waits for a resync meanwhile. Once the held reads
#              land the refill is lost: both fail with EIO rather than
#              wait for ever, MiB 12 is served, past 16 MiB EIO; "lost" in
#              refill; rmmod ends; the next load, the leg whole, has it
#              all.
#   rmmod      removing the leg read from goes on from the other; removing
#              that one, the last, is refused while the refill runs; rmmod
#              during the refill is clean; the next load has it all.
#   cut        a power cut during the refill, after an O_DSYNC write: the
#              legs are copied as they are (brd), and sbull loaded from
#              the copies refills again, resyncs only the bitmap's
#              regions, and has the write.
# Usage: mirror-refill.sh MODE serve|writeback|source|lost|rmmod|cut
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1 kind=$2
DELAY=2000
STORE_SECTORS=$((56 * 2048))
STORE_BYTES=$((STORE_SECTORS * 512))
REGION_SECTORS=$((HDR_SECTORS + STORE_SECTORS))
REFILL=/sys/block/sbulla/mirror/refill
modprobe dm-delay || fail "modprobe dm-delay"
disks=(/dev/vda /dev/vdb)
[ "$kind" != lost ] || disks=(/dev/vda)

# The leg region on device $1 with the reads of its store $2 ms late.
leg_slow_reads() {
	echo "0 $HDR_SECTORS linear $1 0
$HDR_SECTORS $((REGION_SECTORS - HDR_SECTORS)) delay $1 $HDR_SECTORS $2 $1 $HDR_SECTORS 0 $1 $HDR_SECTORS 0"
}
# Leg region on device $1: the store's first 16 MiB read at once, then
# held 10 s up to 16 MiB, failing every I/O past it.
leg_lost() {
	echo "0 $((HDR_SECTORS + 16384)) linear $1 0
$((HDR_SECTORS + 16384)) 16384 delay $1 $((HDR_SECTORS + 16384)) 10000 $1 $((HDR_SECTORS + 16384)) 0 $1 $((HDR_SECTORS + 16384)) 0
$((HDR_SECTORS + 32768)) $((STORE_SECTORS - 32768)) error"
}
# Wait up to $1 s for process $2 to end (a task in D state ignores
# timeout's signal: poll instead); its status in $ended_rc.
ends_within() {
	local _
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$2" 2>/dev/null || return 1
	ended_rc=0
	wait "$2" || ended_rc=$?
}

# The same, failing every I/O past the store's first 8 MiB.
leg_fails_late() {
	echo "0 $HDR_SECTORS linear $1 0
$HDR_SECTORS 16384 delay $1 $HDR_SECTORS $2 $1 $HDR_SECTORS 0 $1 $HDR_SECTORS 0
$((HDR_SECTORS + 16384)) $((STORE_SECTORS - 16384)) error"
}

# Bytes $2 to $2 + $3 of the store as leg $1 (raw device) holds it.
leg_bytes() {
	dd if="$1" bs=1M skip=$((HDR_SECTORS * 512 + $2)) count="$3" \
		iflag=direct,skip_bytes,count_bytes status=none | sha256sum | cut -d' ' -f1
}
sbull_bytes() { checksum_range /dev/sbulla "$1" "$2"; }

expect_refilling() {
	local state
	state=$(cat "$REFILL")
	case $state in
	"refilling "*) ;;
	*) fail "$1: refill says '$state', not refilling: the step did not land inside the refill (or the disk waited for the whole store)" ;;
	esac
}

# Wait up to 60 s for refill to start with $1.
wait_refill() {
	local _
	for _ in $(seq 600); do
		case $(cat "$REFILL") in "$1"*) return 0 ;; esac
		sleep 0.1
	done
	fail "refill is '$(cat "$REFILL")', not '$1', after 60 s"
}

# The first load: legs made, a pattern fio can verify in the first 8 MiB,
# random bytes in the rest; unloaded clean.
legs='' legdev=()
for i in "${!disks[@]}"; do
	legdev+=("$(dm_create "sbull-leg$i" "$(leg_plain "${disks[$i]}")")")
	legs+=${legs:+,}sbulla=${legdev[$i]}
done
load_mirror "$mode" "$legs" legs_init=1
for i in "${!disks[@]}"; do
	wait_in_sync "$i"
done
FIO_PATTERN=(--name=pattern --filename=/dev/sbulla --rw=randwrite --bs=4k
	--offset=40m --size=8m --direct=1 --ioengine=psync --randseed=1234 --verify=crc32c
	--verify_state_save=0)
fio "${FIO_PATTERN[@]}" --do_verify=0 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out >&2; fail "fio could not write its pattern"; }
dd if=/dev/urandom of=/dev/sbulla bs=1M count=40 oflag=direct status=none ||
	fail "the random start"
dd if=/dev/urandom of=/dev/sbulla bs=1M seek=48 count=8 oflag=direct status=none ||
	fail "the random end"
[ "$(cat "$REFILL")" = none ] || fail "a store of new legs was refilled: $(cat "$REFILL")"
store=$(store_sum)
unload_sbull

# Every leg's reads slow, the source's (the last leg) failing late for
# source and lost; then the load that refills.
for i in "${!disks[@]}"; do
	table=$(leg_slow_reads "${disks[$i]}" "$DELAY")
	case $kind:$i in
	source:1) table=$(leg_fails_late "${disks[$i]}" "$DELAY") ;;
	lost:0) table=$(leg_lost "${disks[$i]}") ;;
	esac
	dm_switch "sbull-leg$i" "$table"
done
# lost: a blank leg beside, to be resynced once the refill is over.
more=()
if [ "$kind" = lost ]; then
	blank=$(dm_create sbull-blank "$(leg_plain /dev/vdb)")
	more=("$legs,sbulla=$blank" legs_init=1)
fi
kmsg_start /tmp/refill.log
start=$(date +%s%N)
if [ "$kind" = lost ]; then
	load_mirror "$mode" "${more[@]}"
else
	load_mirror "$mode" "$legs"
fi
took=$((($(date +%s%N) - start) / 1000000))
# The lost leg may fail before modprobe returns.
[ "$kind" = lost ] || expect_refilling "the load"
echo "# modprobe took $took ms; the refill: $(cat "$REFILL")"
"$(dirname "$0")/../../tools/sbullctl" list >/tmp/list
grep -Eq '^sbulla .* (refilling|lost) [0-9]+%$' /tmp/list ||
	fail "sbullctl list does not show the refill: $(cat /tmp/list)"

# Write 4 KiB of random bytes at MiB $1 with O_DSYNC; expected bytes in
# /tmp/w$1.
write_at() {
	head -c 4096 /dev/urandom >"/tmp/w$1"
	dd if="/tmp/w$1" of=/dev/sbulla bs=4k seek=$(($1 * 256)) oflag=direct,dsync \
		conv=notrunc status=none || fail "the write at MiB $1"
}
# The expected store: $store's bytes with /tmp/w$1 at MiB $1.
expected_with() {
	local f
	f=$(mktemp)
	dd if="${disks[0]}" of="$f" bs=1M skip=$((HDR_SECTORS * 512)) count="$STORE_BYTES" \
		iflag=direct,skip_bytes,count_bytes status=none
	dd if="/tmp/w$1" of="$f" bs=4k seek=$(($1 * 256)) conv=notrunc status=none
	sum_of "$f"
	rm -f "$f"
}

case $kind in
serve | writeback)
	[ "$kind" != writeback ] || echo writeback >/sys/block/sbulla/mirror/mode
	mount_tracefs
	echo 1 >$TRACING/events/sbull/sbull_refill/enable
	# MiB 54: far past where the background pass is.
	[ "$(sbull_bytes $((54 << 20)) 4096)" = "$(leg_bytes "${disks[0]}" $((54 << 20)) 4096)" ] ||
		fail "a read during the refill differs from the leg"
	expect_refilling "the read at MiB 54"
	grep -q "sbull_refill: .* sector=$((54 * 2048)) sectors=128 leg=[01] on_demand" $TRACING/trace ||
		fail "no on_demand read of the region at MiB 54: $(grep sbull_refill $TRACING/trace)"
	write_at 52
	expect_refilling "the write at MiB 52"
	[ "$kind" != writeback ] || sync /dev/sbulla
	fio "${FIO_PATTERN[@]}" --verify_only --verify_fatal=1 >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out >&2; fail "fio's verify during the refill"; }
	grep -q 'err= 0' /tmp/fio.out || fail "fio reported errors"
	echo 0 >$TRACING/events/sbull/sbull_refill/enable
	echo "# on demand: $(grep -c on_demand $TRACING/trace) reads; background: $(grep -c background $TRACING/trace)"
	wait_refill "refilled 100%"
	want=$(expected_with 52)
	[ "$(store_sum)" = "$want" ] || fail "the store after the refill is not the legs' store with the write"
	# The write reached both legs (write-back: the fsync sent it).
	for d in "${disks[@]}"; do
		[ "$(leg_bytes "$d" $((52 << 20)) 4096)" = "$(sum_of /tmp/w52)" ] ||
			fail "$d lacks the write made during the refill"
	done
	kmsg_stop /tmp/refill.log
	grep -q 'sbull: sbulla: restored 56 MiB in .* on demand' /tmp/refill.log ||
		fail "no line saying the refill ended: $(sbull_lines </tmp/refill.log)"
	! grep -q 'sbull: .*resync' /tmp/refill.log || fail "a clean load resynced"
	;;
source)
	[ "$(sbull_bytes $((54 << 20)) 1048576)" = "$(leg_bytes "${disks[0]}" $((54 << 20)) 1048576)" ] ||
		fail "a read past leg 1's failure differs from leg 0"
	expect_refilling "the failure of leg 1"
	wait_refill "refilled 100%"
	expect_leg_state 1 failed
	[ "$(store_sum)" = "$store" ] || fail "the store refilled from two legs differs"
	kmsg_stop /tmp/refill.log
	grep -q 'sbull: sbulla: restoring from leg 0 (.*) now' /tmp/refill.log ||
		fail "no line saying the refill went on from leg 0: $(sbull_lines </tmp/refill.log)"
	;;
lost)
	# The first 8 MiB are in at once.
	[ "$(sbull_bytes $((4 << 20)) 4096)" = "$(leg_bytes "${disks[0]}" $((4 << 20)) 4096)" ] ||
		fail "a read during the refill differs from the leg"
	expect_refilling "the first read"
	# MiB 30's read fails the leg; the held reads of MiB 8 to 16 are in
	# flight, so the refill is not lost yet, and the read waits.
	dd if=/dev/sbulla of=/dev/null bs=4k skip=$((30 * 256)) count=1 iflag=direct \
		status=none 2>/tmp/read30.err &
	read30=$!
	sleep 1
	expect_leg_state 0 failed
	# No complete copy: the O_DSYNC write waits for the blank leg's resync.
	dd if=/dev/zero of=/dev/sbulla bs=4k seek=$((4 * 256)) count=1 \
		oflag=direct,dsync conv=notrunc status=none 2>/tmp/dd.err &
	write4=$!
	expect_refilling "the failure of the leg"
	wait_refill "lost "
	[ "$(cat "$REFILL")" != "lost 100%" ] || fail "lost, with every region read back"
	ends_within 30 "$read30" || fail "the read of MiB 30 still waits 30 s after the refill was lost"
	{ [ "$ended_rc" != 0 ] && grep -q 'Input/output error' /tmp/read30.err; } ||
		fail "the read of MiB 30, past the leg's failure: not EIO: $(cat /tmp/read30.err)"
	ends_within 30 "$write4" ||
		fail "an O_DSYNC write still waits for a resync 30 s after the refill was lost"
	{ [ "$ended_rc" != 0 ] && grep -q 'Input/output error' /tmp/dd.err; } ||
		fail "an O_DSYNC write with no leg able to hold it: not EIO: $(cat /tmp/dd.err)"
	[ "$(sbull_bytes $((12 << 20)) 4096)" = "$(leg_bytes "${disks[0]}" $((12 << 20)) 4096)" ] ||
		fail "MiB 12, read back before the refill was lost, is not served"
	out=$(dd if=/dev/sbulla of=/dev/null bs=4k skip=$((20 * 256)) count=1 iflag=direct 2>&1) &&
		fail "a read of a region not read back, no leg left, succeeded"
	echo "$out" | grep -q 'Input/output error' || fail "not EIO: $out"
	kmsg_stop /tmp/refill.log
	grep -q 'sbull: sbulla: no leg in sync left to restore from' /tmp/refill.log ||
		fail "no line saying the refill was lost: $(sbull_lines </tmp/refill.log)"
	rmmod sbull &
	ends_within 60 $! || fail "rmmod after a lost refill did not end within 60 s"
	[ "$ended_rc" = 0 ] || fail "rmmod after a lost refill failed"
	assert_no_sbull_left
	dm_switch sbull-leg0 "$(leg_plain "${disks[0]}")"
	load_mirror "$mode" "$legs"
	[ "$(store_sum)" = "$store" ] || fail "the next load, the leg back, lacks the store"
	;;
rmmod)
	# The source is leg 1 (the last); removed, the refill reads leg 0.
	echo "remove 1" >"$LEGS" || fail "remove 1 during the refill"
	expect_refilling "remove 1"
	# Leg 0 is now the only leg and holds the rest of the store alone.
	if echo "remove 0" 2>/tmp/rm.err >"$LEGS"; then
		fail "the last leg was removed while the store was read back from it"
	fi
	grep -q 'busy' /tmp/rm.err || fail "remove 0: not EBUSY: $(cat /tmp/rm.err)"
	expect_refilling "remove 0"
	log=$(kernel_log_during unload_sbull)
	echo "$log" | grep -q 'sbull: sbulla: restore stopped at' ||
		fail "no line saying the refill stopped: $log"
	echo "$log" | grep -Eq 'sbull: .*1 of 1 legs .*clean' || fail "leg 0 was not marked clean: $log"
	kmsg_stop /tmp/refill.log
	grep -q 'sbull: sbulla: restoring from leg 0 (.*) now' /tmp/refill.log ||
		fail "no line saying the refill went on from leg 0: $(sbull_lines </tmp/refill.log)"
	dm_switch sbull-leg0 "$(leg_plain "${disks[0]}")"
	log=$(kernel_log_during load_mirror "$mode" "sbulla=${legdev[0]}")
	[ "$(store_sum)" = "$store" ] || fail "the load after an rmmod mid-refill lacks the store"
	! echo "$log" | grep -q 'sbull: .*resync' || fail "the load after a clean rmmod resynced: $log"
	;;
cut)
	write_at 52
	expect_refilling "the write at MiB 52"
	# The cut: what the legs hold now is all the next boot has.
	modprobe brd rd_nr=2 rd_size=$((REGION_SECTORS / 2 + 1024)) || fail "modprobe brd"
	for i in 0 1; do
		dd if="${disks[$i]}" of="/dev/ram$i" bs=4k count=$((REGION_SECTORS / 8)) \
			iflag=direct oflag=direct status=none || fail "the copy of leg $i"
	done
	want=$(expected_with 52)
	kmsg_stop /tmp/refill.log
	unload_sbull
	log=$(kernel_log_during load_mirror "$mode" sbulla=/dev/ram0,sbulla=/dev/ram1)
	echo "$log" | grep -q 'sbull: sbulla: restoring 56 MiB from leg' ||
		fail "the load after the cut did not refill: $log"
	wait_in_sync 0
	wait_in_sync 1
	[ "$(store_sum)" = "$want" ] || fail "the store after the cut lacks the acknowledged write"
	dmesg | grep -E 'sbull: sbulla: resyncing' | tail -n 1 | sed 's/^\[[^]]*\] /# /'
	dmesg | grep -Eq 'sbull: sbulla: resyncing [0-9]+ of [0-9]+ regions .*bitmap' ||
		fail "the crash resync was not the bitmap's: $(dmesg | grep 'sbull: sbulla: resync')"
	expect_leg_is_store /dev/ram0
	expect_leg_is_store /dev/ram1
	;;
*) fail "unknown kind $kind" ;;
esac
echo "# $kind: $(cat "$REFILL" 2>/dev/null || echo unloaded)"

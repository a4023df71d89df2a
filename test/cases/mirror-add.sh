#!/usr/bin/env bash
# Case: mirror: a leg added under fio is resynced and holds the store
# Needs: modules=dm-delay
# A leg added at run time, under fio's verified writes, is resynced from the
# store while the writes go on, and ends up holding the store byte for byte,
# the writes made during its resync included. Removing the first leg then
# leaves the new one in service.
# The new leg is a dm-delay device over /dev/vdb that holds each write back
# $write_delay ms: the resync (one dm_io() per 1 MiB chunk) then takes a
# second or more, long enough for fio's writes to land on both sides of its
# progress while it runs.
# Usage: mirror-add.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
write_delay=100
tracing=''
cleanup_trace() {
	[ -n "$tracing" ] || return 0
	tracing=''
	echo 0 >$TRACING/tracing_on
	echo 0 >$TRACING/events/sbull/sbull_mirror_io/enable
	echo local >$TRACING/trace_clock
}
trap cleanup_trace EXIT

# The leg $1's data area must equal the store byte for byte; if not, say
# which bytes differ ($2 says when). No write may be in flight.
expect_leg_equals_store() {
	local dev=$1 what=$2
	[ "$(leg_data_sum "$dev" 0)" != "$(store_sum)" ] || return 0
	dd if="$dev" of=/tmp/leg.img bs=1M skip=$((HDR_SECTORS * 512)) \
		count="$STORE_BYTES" iflag=direct,skip_bytes,count_bytes status=none
	dd if=/dev/sbulla of=/tmp/store.img bs=1M count="$STORE_BYTES" \
		iflag=direct,count_bytes status=none
	echo "# $what: $(cmp -l /tmp/leg.img /tmp/store.img | wc -l) bytes differ;" \
		"cmp -l leg store (byte offset in the store + 1, leg, store, octal):"
	cmp -l /tmp/leg.img /tmp/store.img | head | sed 's/^/#   /'
	fail "$what: the leg $dev does not hold the store"
}

modprobe dm-delay || fail "modprobe dm-delay"
# Reads go straight through, writes wait.
linear="0 $REGION_SECTORS linear /dev/vdb 0"
dm=$(dm_create sbull-slowleg \
	"0 $REGION_SECTORS delay /dev/vdb 0 0 /dev/vdb 0 $write_delay")

load_mirror "$mode" sbulla=/dev/vda legs_init=1
wait_in_sync 0
# A whole-store pass first: the resync has to copy real data, not zeros.
fill_random /dev/sbulla 16

# The writes that reach the new leg, with the markers of the polling below,
# in one trace; the global clock orders the CPUs' events.
mount_tracefs
tracing=1
echo 0 >$TRACING/tracing_on
echo global >$TRACING/trace_clock
echo >$TRACING/trace
echo 1 >$TRACING/events/sbull/sbull_mirror_io/enable
echo 1 >$TRACING/tracing_on

# iodepth 64: with every write to the new leg held back, 400 IOPS still fit.
fio --name=add --filename=/dev/sbulla --rw=randwrite --bs=4k --direct=1 \
	--ioengine=libaio --iodepth=64 --size=8m --rate_iops=100000,400 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
	>/tmp/fio.out 2>&1 &
fio=$!
# Writes held to 400 IOPS (8 MiB in 5 s): the add, once 1 MiB is written,
# lands mid-run.
echo 1 >/sys/block/sbulla/sbull/reset
# From here on, the watch forks nothing (a fork can take a good part of
# a second in a busy TCG guest): builtins only, and a read that times out
# on a FIFO nobody writes to for the sleep.
mkfifo /tmp/mirror-add.tick
exec 3<>/tmp/mirror-add.tick
rm /tmp/mirror-add.tick
for _ in $(seq 1200); do
	read -r bytes <"$SBULL_SYS/write_bytes"
	[ "$bytes" -lt $((1 << 20)) ] || break
	read -rt 0.05 -u 3 _ || true
done
kill -0 "$fio" 2>/dev/null || fail "fio ended before the add: $(cat /tmp/fio.out)"
echo "add $dm init" >"$LEGS" || fail "add $dm init refused"
# Each sighting of the new leg resyncing part-way, fio still running, leaves
# a marker in the trace after it: what precedes the last marker happened
# while the leg was resyncing. Every 50 ms until it is in sync.
seen=0 first_bytes='' last_bytes='' progresses='' after_add='' add_bytes=''
polls=0 start=$SECONDS
while :; do
	polls=$((polls + 1))
	state='' progress=''
	while read -r slot dev at st pr _; do
		[ "$slot" = 1 ] || continue
		after_add=${after_add:-"$slot $dev $at $st $pr"}
		[ "$dev" = "$dm" ] || fail "slot 1 is not $dm: $slot $dev $at"
		[ "$at" = 0 ] || fail "slot 1 does not start at 0: $slot $dev $at"
		state=$st progress=$pr
	done <"$LEGS"
	read -r bytes <"$SBULL_SYS/write_bytes"
	add_bytes=${add_bytes:-$bytes}
	case $state in
	in_sync) break ;;
	resyncing) ;;
	'') fail "slot 1 is not in the legs table: $(cat "$LEGS")" ;;
	*) fail "leg 1 is $state during its resync: $(cat "$LEGS")" ;;
	esac
	if [ "$progress" -gt 0 ] && [ "$progress" -lt 100 ] &&
		kill -0 "$fio" 2>/dev/null; then
		echo "resyncing $progress" >$TRACING/trace_marker
		seen=$((seen + 1))
		first_bytes=${first_bytes:-$bytes}
		last_bytes=$bytes
		case " $progresses " in *" $progress "*) ;; *) progresses+=" $progress" ;; esac
	fi
	[ $((SECONDS - start)) -lt 60 ] || fail "leg 1 still resyncing after 60 s: $(cat "$LEGS")"
	read -rt 0.05 -u 3 _ || true
done
resync_s=$((SECONDS - start))
echo 0 >$TRACING/tracing_on
exec 3<&-
echo "# right after the add: $after_add, $add_bytes bytes written; $polls polls, $bytes bytes at the last"
[ "$add_bytes" -lt $((8 << 20)) ] || fail "fio had written everything before the add"
expect_leg_state 0 in_sync
[ "$(leg_field 1 5)" = 100 ] || fail "leg 1 in_sync at $(leg_field 1 5)%: $(cat "$LEGS")"
fio_after=$(kill -0 "$fio" 2>/dev/null && echo yes || echo no)
echo "# resync watched for ~${resync_s} s: $seen sightings part-way under fio, progress:$progresses"
echo "# fio still writing when the resync ended: $fio_after"
# (a) The leg was seen part-way through its resync while fio ran.
[ "$seen" -gt 0 ] || fail "leg 1 never seen resyncing part-way while fio ran"
# (b) fio's writes completed during the resync, and some reached the new
# leg (bit 1 of legs=) while it was resyncing, before the last marker.
[ $((last_bytes - first_bytes)) -gt 0 ] ||
	fail "fio completed no write while the leg was resyncing ($first_bytes, then $last_bytes bytes)"
leg_writes=$(awk '
	/ tracing_mark_write: resyncing / { upto = n; next }
	/ sbull_mirror_io: / && match($0, /legs=0x[0-9a-f]+/) {
		v = substr($0, RSTART + 7, RLENGTH - 7)
		# bit 1 of the hex value: its last digit is 2, 3, 6, 7, a, b, e or f.
		if (index("2367abef", substr(v, length(v), 1))) n++
	}
	END { print upto + 0 }' $TRACING/trace)
echo "# fio wrote $((last_bytes - first_bytes)) bytes between the first and last sightings; $leg_writes writes went to the resyncing leg"
[ "$leg_writes" -gt 0 ] || fail "no write reached leg 1 while it was resyncing"
# The rest of fio's run at full speed: dm-delay sends what it holds back
# on its way out.
dm_switch sbull-slowleg "$linear"

wait "$fio" || { cat /tmp/fio.out >&2; fail "fio failed"; }
# Not before: under TCG, patching a tracepoint's jump while another vCPU
# runs through it has ended in an "Oops: int3" (a stale translation).
cleanup_trace
grep -q 'err= 0' /tmp/fio.out || { cat /tmp/fio.out >&2; fail "fio reported errors"; }
! grep -qi 'verify.*fail\|bad magic\|crc32c: verify' /tmp/fio.out || {
	cat /tmp/fio.out >&2
	fail "fio verify errors"
}
dmesg | grep -Ei 'sbull.*resync' | tail -n 2 | sed 's/^/# /'
# (c) Byte for byte, read back through the dm device.
expect_leg_state 1 in_sync
expect_leg_equals_store "$dm" "after the resync under fio"
expect_leg_is_store /dev/vda
[ "$(leg_field 0 7)" = "$(leg_field 1 7)" ] || fail "the legs' generations differ: $(cat "$LEGS")"

echo "remove 0" >"$LEGS" || fail "remove 0 refused"
awk '$1 == 0 { exit 1 }' "$LEGS" || fail "slot 0 still listed after remove: $(cat "$LEGS")"
expect_leg_state 1 in_sync
fill_random /dev/sbulla 2
expect_leg_equals_store "$dm" "after remove 0"
unload_sbull

#!/usr/bin/env bash
# Case: mirror: writes held for a failed leg end, a second failure on that leg included
# Needs: modules=dm-flakey,dm-delay
# A write that one leg takes and another fails is held until the survivor's
# header says the failed leg left (a crash before must not restore from
# it). Here a second write fails on a leg that is already failed: the leg
# (a dm device over /dev/vdb) fails writes to its first MiB at once, and
# answers writes past it 3 s late, with an error. The late write is sent
# first, while the leg is in sync; the early one fails the leg, and the
# failure is dealt with; then the late one fails on the failed leg. Both
# writes must end, without error, and the survivor must hold them.
# Usage: mirror-held.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe dm-delay || fail "modprobe dm-delay"
# The leg's sectors from $split on (a 4 KiB header and 1 MiB of store
# before) answer late.
split=$((HDR_SECTORS + 2048))
rest=$((REGION_SECTORS - split))
leg=$(dm_create sbull-leg "0 $REGION_SECTORS linear /dev/vdb 0")
load_mirror "$mode" "sbulla=/dev/vda,sbulla=$leg" legs_init=1
wait_in_sync 0
wait_in_sync 1

late=$(dm_create sbull-late "0 $rest flakey /dev/vdb $split 0 1000 1 error_writes")
dm_switch sbull-leg "0 $split flakey /dev/vdb 0 0 1000 1 error_writes
$split $rest delay $late 0 0 $late 0 3000"

# Write $1 (a 4 KiB file) at store byte $2, in the background.
write_at() {
	dd if="$1" of=/dev/sbulla bs=4k seek=$(($2 / 4096)) oflag=direct \
		status=none &
}
head -c 4096 /dev/urandom >/tmp/late
head -c 4096 /dev/urandom >/tmp/early
write_at /tmp/late $((2 << 20))
late_pid=$!
sleep 1
write_at /tmp/early 0
early_pid=$!
wait "$early_pid" || fail "the write that failed the leg failed"
expect_leg_state 1 failed
# A write held forever cannot be killed: wait for it with a deadline.
for _ in $(seq 150); do
	kill -0 "$late_pid" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$late_pid" 2>/dev/null ||
	fail "the write that failed on the already failed leg still hangs after 15 s"
wait "$late_pid" || fail "the write that failed on the already failed leg failed"
expect_leg_state 0 in_sync
expect_leg_state 1 failed
for w in early:0 late:$((2 << 20)); do
	[ "$(checksum_range /dev/vda $((HDR_SECTORS * 512 + ${w#*:})) 4096)" = \
		"$(sha256sum <"/tmp/${w%:*}" | cut -d' ' -f1)" ] ||
		fail "the ${w%:*} write is not on the surviving leg"
done
# Writes go on, to the survivor alone, without waiting.
timeout 10 dd if=/dev/urandom of=/dev/sbulla bs=4k count=16 oflag=direct \
	status=none || fail "writes after the failure failed or hung"
unload_sbull

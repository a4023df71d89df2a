#!/usr/bin/env bash
# Case: mirror: with no complete copy left, a flush waits for the resync that makes one, or fails
# Needs: modules=dm-flakey,dm-delay
# Leg 0 is in sync; leg 1 is added and its resync held (its dm device
# suspended). Leg 0 fails: no leg holds a complete copy. An fsync must not
# succeed before leg 1 has one: it waits, and succeeds once the resync is
# let go and ends. Again, but leg 1 is removed while the fsync waits: the
# fsync fails with EIO. Neither `resync` nor `remove` of the last leg in
# sync is taken while another leg is attached; nor a resync that waits
# for the leg's writes in flight while the only other in-sync leg fails:
# refused with EBUSY, the leg's header still that of a complete copy; nor
# one whose other leg fails as its headers say that the leg left. An
# unload with no leg in sync says that no copy is left.
# Usage: mirror-no-copy.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
modprobe dm-delay || fail "modprobe dm-delay"
good="0 $REGION_SECTORS linear /dev/vda 0"
bad="0 $REGION_SECTORS flakey /dev/vda 0 0 1000 1 error_writes"
slow="0 $REGION_SECTORS delay /dev/vdb 0 0 /dev/vdb 0 100"
# The same, but its header written 3 s late: the window between a leg
# coming into sync and its header saying so.
slow_header="0 $HDR_SECTORS delay /dev/vdb 0 0 /dev/vdb 0 3000
$HDR_SECTORS $((REGION_SECTORS - HDR_SECTORS)) delay /dev/vdb $HDR_SECTORS 0 /dev/vdb $HDR_SECTORS 100"
# Past what the resync may have copied before it is held.
offset=$((12 << 20))

# A write at $offset and an fsync of /dev/sbulla, in the background; its
# status and the legs table when it returned go to /tmp/fsync.out.
fsync_bg() {
	python3 - "$offset" <<-'EOF2' >/tmp/fsync.out 2>&1 &
		import os, sys
		fd = os.open("/dev/sbulla", os.O_WRONLY)
		os.pwrite(fd, os.urandom(4096), int(sys.argv[1]))
		try:
		    os.fsync(fd)
		    print("fsync ok")
		except OSError as e:
		    print("fsync", os.strerror(e.errno))
		print(open("/sys/block/sbulla/mirror/legs").read(), end="")
	EOF2
	FSYNC_PID=$!
	sleep 2
	kill -0 "$FSYNC_PID" 2>/dev/null ||
		fail "fsync returned while no leg held a complete copy: $(cat /tmp/fsync.out)"
}

# Leg 0 in sync on a flakey device, leg 1 added with its resync held, then
# leg 0 fails.
setup() {
	local leg0 leg1
	leg0=$(dm_create sbull-leg0 "$good")
	leg1=$(dm_create sbull-leg1 "$1")
	load_mirror "$mode" "sbulla=$leg0" legs_init=1
	wait_in_sync 0
	echo "add $leg1 init" >"$LEGS" || fail "add $leg1 init"
	dmsetup suspend sbull-leg1 || fail "dmsetup suspend sbull-leg1"
	dm_switch sbull-leg0 "$bad"
	# Leg 1 does not take this write yet (the resync copies it later): it
	# fails with leg 0, and fails leg 0.
	dd if=/dev/urandom of=/dev/sbulla bs=4k seek=$((offset / 4096)) count=1 \
		oflag=direct status=none 2>/dev/null || true
	expect_leg_state 0 failed
	expect_leg_state 1 resyncing
}

setup "$slow_header"
fsync_bg
dmsetup resume sbull-leg1 || fail "dmsetup resume sbull-leg1"
wait "$FSYNC_PID" || fail "fsync: $(cat /tmp/fsync.out)"
head -n1 /tmp/fsync.out | grep -qx 'fsync ok' || fail "fsync: $(cat /tmp/fsync.out)"
grep -q '^1 .* in_sync 100 ' /tmp/fsync.out ||
	fail "fsync returned before leg 1 was in sync: $(cat /tmp/fsync.out)"
# ... and before its header said so (GENERATION 0 is a resyncing header).
! grep -q '^1 .* in_sync 100 [0-9]* 0$' /tmp/fsync.out ||
	fail "fsync returned before leg 1's header said it was in sync: $(cat /tmp/fsync.out)"
echo "# fsync waited for the resync: $(sed -n 3p /tmp/fsync.out)"
cleanup_mirror

setup "$slow"
fsync_bg
# The remove waits for leg 1's writes in flight: let them go meanwhile.
(sleep 1 && dmsetup resume sbull-leg1) &
echo "remove 1" >"$LEGS" || fail "remove 1 (resyncing) refused"
wait "$FSYNC_PID" || true
head -n1 /tmp/fsync.out | grep -qx 'fsync Input/output error' ||
	fail "fsync with no complete copy and no resync: $(cat /tmp/fsync.out)"
cleanup_mirror

# A failed leg is not resynced while no leg is in sync: it may hold the
# newest copy on disk (unloading and loading again restores from it).
leg0=$(dm_create sbull-leg0 "$good")
load_mirror "$mode" "sbulla=$leg0" legs_init=1
wait_in_sync 0
dm_switch sbull-leg0 "$bad"
dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 oflag=direct status=none 2>/dev/null || true
expect_leg_state 0 failed
dm_switch sbull-leg0 "$good"
must_fail sh -c "echo 'resync 0' >$LEGS"
expect_leg_state 0 failed
# And the unload says that the store goes with no copy left.
log=$(kernel_log_during unload_sbull)
echo "$log" | grep -q 'sbull: sbulla: no leg holds a complete copy' ||
	fail "the unload with no leg in sync did not say that no copy is left: $log"
load_mirror "$mode" "sbulla=$leg0"
expect_leg_state 0 in_sync
cleanup_mirror

# The last leg in sync cannot be resynced or removed while another leg is
# attached: there would be no complete copy.
slow_dev=$(dm_create sbull-leg1 "$slow")
load_mirror "$mode" "sbulla=/dev/vda,sbulla=$slow_dev" legs_init=1
wait_in_sync 0
wait_in_sync 1
echo "remove 1" >"$LEGS" || fail "remove 1 refused"
echo "add $slow_dev" >"$LEGS" || fail "add $slow_dev (back to its set)"
dmsetup suspend sbull-leg1 || fail "dmsetup suspend sbull-leg1"
expect_leg_state 1 resyncing
must_fail sh -c "echo 'resync 0' >$LEGS"
must_fail sh -c "echo 'remove 0' >$LEGS"
expect_leg_state 0 in_sync
dmsetup resume sbull-leg1 || fail "dmsetup resume sbull-leg1"
wait_in_sync 1
cleanup_mirror

# "resync 0" takes leg 0 out and waits for its writes in flight (held 5 s
# by dm-delay); meanwhile leg 1, the only other leg in sync, fails. Leg 0
# is then the last complete copy: the command must be refused, and leg 0's
# header must not become a resync target's.
leg0=$(dm_create sbull-leg0 "$good")
leg1=$(dm_create sbull-leg1 "0 $REGION_SECTORS linear /dev/vdb 0")
load_mirror "$mode" "sbulla=$leg0,sbulla=$leg1" legs_init=1
wait_in_sync 0
wait_in_sync 1
dm_switch sbull-leg0 "$(leg_slow_data /dev/vda 5000)"
dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 oflag=direct status=none &
write_pid=$!
wait_held sbull-leg0 1
bash -c "echo 'resync 0' >$LEGS" >/tmp/resync.out 2>&1 &
resync_pid=$!
sleep 1
kill -0 "$resync_pid" 2>/dev/null ||
	fail "resync 0 returned before leg 0's write in flight landed: $(cat /tmp/resync.out)"
dm_switch sbull-leg1 "0 $REGION_SECTORS error"
dd if=/dev/urandom of=/dev/sbulla bs=4k seek=1 count=1 oflag=direct status=none 2>/dev/null || true
expect_leg_state 1 failed
rc=0
wait "$resync_pid" || rc=$?
wait "$write_pid" || true
[ "$rc" != 0 ] || fail "resync 0 was taken though leg 1 failed while it waited: leg 0 was the last complete copy ($(cat "$LEGS"))"
grep -q 'Device or resource busy' /tmp/resync.out ||
	fail "resync 0 failed, but not with EBUSY: $(cat /tmp/resync.out)"
[ "$(hdr_state /dev/vda)" = 2 ] ||
	fail "leg 0's header has state $(hdr_state /dev/vda) after the refused resync, expected 2 (dirty: a complete copy)"
[ "$(leg_field 0 4)" != resyncing ] || fail "leg 0 is resyncing: $(cat "$LEGS")"
echo "# resync 0 refused while leg 1 failed during its wait: $(sed 's/.*: //' /tmp/resync.out); leg 0 $(leg_field 0 4), its header dirty"
unload_sbull
cleanup_mirror

# The other leg fails as the headers saying that leg 0 left are written
# (held 5 s, then failing): still before leg 0 is stamped a resync target.
low1=$(dm_create sbull-low1 "0 $REGION_SECTORS linear /dev/vdb 0")
leg0=$(dm_create sbull-leg0 "$good")
leg1=$(dm_create sbull-leg1 "0 $REGION_SECTORS linear $low1 0")
load_mirror "$mode" "sbulla=$leg0,sbulla=$leg1" legs_init=1
wait_in_sync 0
wait_in_sync 1
dm_switch sbull-leg1 "0 $REGION_SECTORS delay $low1 0 0 $low1 0 5000"
bash -c "echo 'resync 0' >$LEGS" >/tmp/resync.out 2>&1 &
resync_pid=$!
wait_held sbull-leg1 1
dm_switch sbull-low1 "0 $REGION_SECTORS error"
rc=0
wait "$resync_pid" || rc=$?
[ "$rc" != 0 ] || fail "resync 0 was taken though leg 1 failed as the headers said that leg 0 left ($(cat "$LEGS"))"
grep -q 'Device or resource busy' /tmp/resync.out ||
	fail "resync 0 failed, but not with EBUSY: $(cat /tmp/resync.out)"
[ "$(hdr_state /dev/vda)" = 2 ] ||
	fail "leg 0's header has state $(hdr_state /dev/vda) after the refused resync, expected 2 (dirty: a complete copy)"
expect_leg_state 1 failed
echo "# resync 0 refused when leg 1 failed writing the headers that said leg 0 left"
unload_sbull

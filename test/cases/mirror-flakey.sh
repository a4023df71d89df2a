#!/usr/bin/env bash
# Case: mirror: a leg failing writes under fio verify is failed alone, uevent, resync
# Needs: modules=dm-flakey
# A leg that starts failing writes under fio's verified random writes is
# taken out of service (state failed, errors counted, one uevent) while fio
# sees no error and the other leg keeps every byte; `resync` brings the leg
# back once its device works again.
# Usage: mirror-flakey.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
linear="0 $REGION_SECTORS linear /dev/vdb 0"
dm=$(dm_create sbull-flakey "$linear")
load_mirror "$mode" "sbulla=/dev/vda,sbulla=$dm" legs_init=1
wait_in_sync 0
wait_in_sync 1
uevent_listen /tmp/uevents

fio_verify_midrun "the leg failed"
# Up 0 s, down 1000 s: every write fails from now on, reads still work.
dm_switch sbull-flakey "0 $REGION_SECTORS flakey /dev/vdb 0 0 1000 1 error_writes"
[ "$(stat_of write_bytes)" -lt $((8 << 20)) ] ||
	fail "fio had written everything before the switch took effect"
fio_verify_clean

expect_leg_state 0 in_sync
expect_leg_state 1 failed
[ "$(leg_field 1 6)" -gt 0 ] || fail "the failed leg counts no errors: $(cat "$LEGS")"
[ "$(leg_field 0 6)" = 0 ] || fail "the good leg counts errors: $(cat "$LEGS")"
expect_leg_is_store /dev/vda
# The uevent may trail the state change a little.
for _ in $(seq 50); do
	uevent_seen /tmp/uevents ACTION=change SBULL_LEG=1 SBULL_LEG_STATE=failed && break
	sleep 0.1
done
uevent_seen /tmp/uevents ACTION=change SBULL_LEG=1 SBULL_LEG_STATE=failed ||
	fail "no change uevent for the failed leg: $(cat /tmp/uevents)"
echo "# $(grep -h DEVPATH /tmp/uevents | sort -u | tr '\n' ' ')"

# The device works again: resync brings the leg back with the store.
dm_switch sbull-flakey "$linear"
echo "resync 1" >"$LEGS" || fail "resync 1 refused"
wait_in_sync 1
fill_random /dev/sbulla 1
expect_leg_is_store "$dm"
expect_leg_is_store /dev/vda
unload_sbull

#!/usr/bin/env bash
# Case: mirror: a remote leg over nbd: in sync after a flush, its server killed under fio verify, back with remove and add
# Needs: modules=nbd
# A leg served over TCP on the guest's loopback address, as a leg on
# another machine would be: qemu-nbd exports /dev/vdb, the kernel's nbd
# client (nbd-client) makes it /dev/nbd0, and sbull mirrors /dev/vda and
# /dev/nbd0. Checks: after a write and an fsync of the disk the remote
# leg holds the store; the server killed under fio's verified writes fails
# that leg alone, fio sees no error, and the local leg keeps every byte;
# the server back, the leg is removed, reconnected and added (no init: a
# leg of this set, behind), and the resync makes it equal to the store.
# With "writeback", the same in write-back mode, where the fsyncs put the
# data on the legs.
# Usage: mirror-nbd.sh MODE [writeback]
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
wb=()
[ "${2:-}" != writeback ] || wb=(writeback=sbulla)
port=10809
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up ||
	fail "no loopback interface"
modprobe nbd nbds_max=1 || fail "modprobe nbd"

# Serve /dev/vdb in the background (pid in SERVER), and connect nbd0.
serve() {
	qemu-nbd --fork --pid-file=/tmp/qemu-nbd.pid -f raw -x leg -t \
		-b 127.0.0.1 -p "$port" /dev/vdb || fail "qemu-nbd"
	SERVER=$(cat /tmp/qemu-nbd.pid)
	# -t: a request the server never answers fails after 5 s; without
	# it nbd waits for good, and so do sbull's writes.
	nbd-client -t 5 -N leg 127.0.0.1 "$port" /dev/nbd0 >/dev/null ||
		fail "nbd-client"
	wait_for_dev /dev/nbd0
}
disconnect() {
	nbd-client -d /dev/nbd0 >/dev/null 2>&1 || true
}
# shellcheck disable=SC2317 # called by the trap
stop_all() {
	disconnect
	[ -z "${SERVER:-}" ] || kill "$SERVER" 2>/dev/null || true
}
trap stop_all EXIT

serve
load_mirror "$mode" "sbulla=/dev/vda,sbulla=/dev/nbd0" legs_init=1 "${wb[@]}"
wait_in_sync 0
wait_in_sync 1
echo "# $(grep -m1 . "$LEGS" | cut -d' ' -f1-4) / $(sed -n 2p "$LEGS" | cut -d' ' -f1-4)"
fill_random /dev/sbulla 1
sync /dev/sbulla || fail "fsync of /dev/sbulla"
expect_leg_is_store /dev/vdb
expect_leg_is_store /dev/vda

# The server dies under fio verify: the remote leg fails, nothing else.
fio_verify_midrun "the server was killed"
kill -9 "$SERVER"
SERVER=''
fio_verify_clean
sync /dev/sbulla || fail "fsync of /dev/sbulla with leg 0 in service"
expect_leg_state 0 in_sync
expect_leg_state 1 failed
expect_leg_is_store /dev/vda
echo "# server killed under fio verify: leg 1 failed, fio clean, leg 0 holds the store"

# Back: the dead connection goes with the leg; a new one is added.
echo "remove 1" >"$LEGS" || fail "remove 1"
disconnect
serve
echo "add /dev/nbd0" >"$LEGS" || fail "add /dev/nbd0 (a leg of this set, behind) refused"
wait_in_sync 1 180
fill_random /dev/sbulla 1
sync /dev/sbulla || fail "fsync of /dev/sbulla"
expect_leg_is_store /dev/vdb
expect_leg_is_store /dev/vda
echo "# server back: leg removed, reconnected, added and resynced: equal to the store"
unload_sbull

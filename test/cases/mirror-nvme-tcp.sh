#!/usr/bin/env bash
# Case: mirror: a remote leg over NVMe/TCP: in sync after a flush, its target gone under writes, the leg failed and nothing lost
# Needs: modules=nvmet-tcp,nvme-tcp
# A leg served by the kernel's NVMe over TCP target (nvmet-tcp, set up in
# configfs) on the guest's loopback address, exporting /dev/vdb, and taken
# by the kernel's NVMe/TCP host (nvme-tcp, connected through
# /dev/nvme-fabrics: no nvme-cli needed). sbull mirrors /dev/vda and the
# NVMe namespace, in write-back mode if asked. Checks: after a write and an
# fsync the remote leg holds the store; with the target's port gone, the
# next writes and an fsync fail that leg alone (ctrl_loss_tmo=2), and the
# local leg holds the store.
# Usage: mirror-nvme-tcp.sh MODE [writeback]
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
wb=()
[ "${2:-}" != writeback ] || wb=(writeback=sbulla)
nqn=sbull-leg
cfs=/sys/kernel/config/nvmet
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up ||
	fail "no loopback interface"
modprobe -a nvmet nvmet-tcp nvme-tcp || fail "modprobe nvmet nvmet-tcp nvme-tcp"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config

# shellcheck disable=SC2317 # called by the trap
stop_all() {
	local c
	cleanup_sbull
	for c in /sys/class/nvme/nvme*; do
		[ -e "$c/delete_controller" ] && echo 1 >"$c/delete_controller" 2>/dev/null
	done
	rm -f "$cfs/ports/1/subsystems/$nqn" 2>/dev/null
	rmdir "$cfs/ports/1" "$cfs/subsystems/$nqn/namespaces/1" \
		"$cfs/subsystems/$nqn" 2>/dev/null || true
}
trap stop_all EXIT

# The target: /dev/vdb as namespace 1 of $nqn, on 127.0.0.1:4420.
mkdir "$cfs/subsystems/$nqn"
echo 1 >"$cfs/subsystems/$nqn/attr_allow_any_host"
mkdir "$cfs/subsystems/$nqn/namespaces/1"
echo -n /dev/vdb >"$cfs/subsystems/$nqn/namespaces/1/device_path"
echo 1 >"$cfs/subsystems/$nqn/namespaces/1/enable"
mkdir "$cfs/ports/1"
echo tcp >"$cfs/ports/1/addr_trtype"
echo ipv4 >"$cfs/ports/1/addr_adrfam"
echo 127.0.0.1 >"$cfs/ports/1/addr_traddr"
echo 4420 >"$cfs/ports/1/addr_trsvcid"
ln -s "$cfs/subsystems/$nqn" "$cfs/ports/1/subsystems/$nqn"

# The host: I/O fails 2 s after the target is lost (ctrl_loss_tmo), as
# nbd-client -t does for nbd.
echo "transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$nqn,ctrl_loss_tmo=2,reconnect_delay=1" \
	>/dev/nvme-fabrics || fail "connect to the NVMe/TCP target"
ns=''
for _ in $(seq 100); do
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$nqn" ] || continue
		for n in "$c"/nvme*n1 /sys/block/"${c##*/}"n1; do
			[ -e "$n" ] && ns=/dev/${n##*/}
		done
	done
	[ -n "$ns" ] && [ -b "$ns" ] && break
	sleep 0.1
done
{ [ -n "$ns" ] && [ -b "$ns" ]; } || fail "no namespace block device for $nqn"

load_mirror "$mode" "sbulla=/dev/vda,sbulla=$ns" legs_init=1 "${wb[@]}"
wait_in_sync 0
wait_in_sync 1
echo "# legs: /dev/vda and $ns (NVMe/TCP, /dev/vdb behind it), $(cat /sys/block/sbulla/mirror/mode)"
fill_random /dev/sbulla 1
sync /dev/sbulla || fail "fsync of /dev/sbulla"
expect_leg_is_store /dev/vdb
expect_leg_is_store /dev/vda

# The target's port goes: the remote leg fails, nothing else.
rm "$cfs/ports/1/subsystems/$nqn"
fill_random /dev/sbulla 1
sync /dev/sbulla || fail "fsync of /dev/sbulla with leg 0 in service"
expect_leg_state 0 in_sync
expect_leg_state 1 failed
expect_leg_is_store /dev/vda
echo "# target gone: leg 1 failed, the fsync went on with leg 0, which holds the store"
unload_sbull

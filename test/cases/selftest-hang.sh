#!/usr/bin/env bash
# Case: harness self-test: a case hung in the kernel panics the guest and fails (run.sh expects "not ok ... died or hung")
# Needs: modules=brd
# Timeout: 150
# ext4 on a device-mapper device that is then suspended (without freezing
# the file system): a sync waits for writeback that never ends, in
# TASK_UNINTERRUPTIBLE, and the hung-task detector panics the guest (30
# to 60 s; the time limit is well above, so that the panic, not it, ends
# the case). A direct write would not do: the block layer's wait for it
# wakes every half of the hung-task timeout precisely to stay unseen.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"
modprobe dm-mod || fail "modprobe dm-mod"
modprobe brd rd_nr=1 rd_size=16384 || fail "modprobe brd"
wait_for_dev /dev/ram0
echo "0 32768 linear /dev/ram0 0" | dmsetup create selftest-hang
dev=/dev/$(dmsetup info -c --noheadings -o blkdevname selftest-hang)
wait_for_dev "$dev"
mkfs_mount "$dev" "$SBULL_MNT"
dd if=/dev/zero of="$SBULL_MNT/f" bs=1M count=4 status=none
dmsetup suspend --nolockfs selftest-hang
# The case itself waits, so that nothing ends it but the panic.
exec sync

#!/usr/bin/env bash
# Case: harness self-test: a case hung in the kernel panics the guest and fails (run.sh expects "not ok ... died or hung")
# Timeout: 150
# A direct write to a suspended device-mapper device waits in the kernel,
# unkillable, for ever: the hung-task detector panics the guest (30 to 60
# s; the time limit is well above, so that the panic, not it, ends the case).
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"
modprobe dm-mod
echo "0 2048 zero" | dmsetup create selftest-hang
dmsetup suspend selftest-hang
dev=/dev/$(dmsetup info -c --noheadings -o blkdevname selftest-hang)
wait_for_dev "$dev"
# The case itself waits, so that nothing ends it but the panic.
exec dd if=/dev/zero of="$dev" bs=4k count=1 oflag=direct status=none

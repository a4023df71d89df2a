#!/usr/bin/env bash
# The mirror cases, run inside a guest booted with three --disk images of
# 64 MiB (/dev/vda, /dev/vdb, /dev/vdc), for each request mode. One TAP line
# per case, as in suite-guest.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/mirror-lib.sh
. "$here/mirror-lib.sh"

if [ "${SBULL_LIST:-}" != 1 ]; then
	for d in vda vdb vdc; do
		[ -b "/dev/$d" ] || { echo "not ok - mirror suite: no /dev/$d (guest.sh --disk)" && exit 1; }
	done
fi
# Each case starts with sbull unloaded and the leg devices plain.
RUN_CASE_CLEANUP=cleanup_mirror

read -ra modes <<<"${SBULL_MODES:-bio mq simple}"
for m in "${modes[@]}"; do
	for c in persist flakey all-fail add flush-discard remove-last; do
		run_case "mirror-$c" "$m"
	done
done
# The refill: serving I/O while the store is read back, in every mode;
# its faults, once a kernel.
for m in "${modes[@]}"; do
	run_case mirror-refill "$m" serve
done
for kind in writeback source lost rmmod cut; do
	run_case mirror-refill "${modes[0]}" "$kind"
done
# The held writes and the wait for a complete copy are the mirror's own,
# past the request path: once a kernel, for the hour.
run_case mirror-held "${modes[0]}"
run_case mirror-no-copy "${modes[0]}"
# The headers' histories, whatever the request path. The legs' write logs
# (90 s a run) once a kernel: the modes go round the kernels (run.sh).
run_case mirror-diverged "${modes[0]}"
# A cut in each window where a leg leaves service, in each mode once.
for kind in fail remove resync twice; do
	run_case mirror-cut "${modes[0]}" "$kind"
done
run_case mirror-log-writes "${modes[0]}"
run_case mirror-log-writes "${modes[0]}" writeback
# The write-intent bitmap's windows and the crash resync it bounds.
run_case mirror-bitmap "${modes[0]}"
# Write-back mode: each window, once a kernel (the path is the same for
# every request mode; the power cut runs it in mq and simple).
for kind in flush lag fail add cover switch; do
	run_case mirror-writeback "${modes[0]}" "$kind"
done
# A configfs disk's own legs, beside a disk of the parameters.
run_case mirror-configfs "${modes[0]}"
# A remote leg, over nbd on the loopback address, in both modes.
run_case mirror-nbd "${modes[0]}"
run_case mirror-nbd "${modes[0]}" writeback
# And over NVMe/TCP, in write-back mode, where a remote leg pays most.
run_case mirror-nvme-tcp "${modes[0]}" writeback
# The mirror's own parameters, refused as the others (bad-param); no leg
# device is touched, so the guest suite's cleanup is enough.
RUN_CASE_CLEANUP=cleanup_sbull
for p in region_kb=3000 writeback=sbullq writeback_ms=50 writeback_max_mb=0; do
	run_case bad-param "$p"
done
RUN_CASE_CLEANUP=cleanup_mirror
# What the request path does not change, once: a second kind of failing
# leg (mirror-flakey fails one in every mode), and the checks of the leg
# list.
run_case mirror-badblocks "${modes[0]}"
# The checks that open and look at a device, on every kernel; the others,
# of the leg list and the headers, on the first (SBULL_MIRROR_FIRST).
kinds=(missing sbull readonly zoned stacked runtime)
if [ "${SBULL_MIRROR_FIRST:-1}" = 1 ]; then
	kinds+=(small overlap overlap-disks partition too-many noheader init-sbull torn unknown-state)
fi
for kind in "${kinds[@]}"; do
	run_case mirror-bad-input "${modes[0]}" "$kind"
done

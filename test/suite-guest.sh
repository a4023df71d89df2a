#!/usr/bin/env bash
# The test cases, run inside the guest for each request mode. One TAP line
# per case (see run_case in lib.sh; each case file describes itself).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$here/lib.sh"

# SBULL_SIDE=1 (run.sh, on 6.12): the kernel that runs what no kernel
# changes (SBULL_ONCE) leaves to the first and the newest what they test
# of sbull's own checks and added paths (parameters, configfs values,
# polling, injection), for the hour; its data path runs whole.
side=${SBULL_SIDE:-0}
# SBULL_FIRST=1 (run.sh, on 6.1 beside the newest): polling and injection
# in simple mode only, the mode the newest does not run; it runs them in
# bio and mq.
first_kernel=${SBULL_FIRST:-0}

# Mode $1; $2 is "first" for the first mode of the run, which also takes
# what the block size changes and the request path does not (1024 and
# 2048-byte blocks; discard and I/O at the end with 4096-byte blocks).
run_mode() {
	local m=$1 first=${2:-} bs
	run_case load "$m" 512
	if [ "$first" = first ]; then
		for bs in 1024 2048; do
			run_case load "$m" "$bs"
		done
	fi
	run_case load "$m" 4096
	run_case load "$m" 4096 2048
	[ "$m" = bio ] || run_case mq-params "$m"
	if [ "$side" != 1 ] && { [ "$first_kernel" != 1 ] || [ "$m" = simple ]; }; then
		[ "$m" = bio ] || run_case poll "$m"
		run_case inject "$m"
	fi
	run_case nowait "$m"
	run_case ext4 "$m"
	run_case fio-verify "$m" --bs=512 --ioengine=libaio --direct=1
	run_case fio-verify "$m" --bs=4k --ioengine=io_uring --direct=1
	run_case fio-verify "$m" --bssplit=512/10:4k/50:64k/30:1m/10 \
		--ioengine=psync --direct=1
	run_case fio-verify "$m" --bssplit=512/10:4k/50:64k/30:1m/10 \
		--ioengine=io_uring --direct=0
	run_case fio-all-devices "$m"
	run_case partitions "$m"
	run_case discard "$m" 512
	run_case past-end "$m" 512
	if [ "$first" = first ]; then
		run_case discard "$m" 4096
		run_case past-end "$m" 4096
	fi
	run_case rmmod-busy "$m"
	run_case stats "$m"
	run_case trace "$m"
	# The write cache: its promise in every mode; its bound, seeds and
	# refusals once; ext4's crash states in mq.
	run_case cache "$m" durable
	if [ "$first" = first ]; then
		for kind in bound seeds bad; do
			run_case cache "$m" "$kind"
		done
	fi
	[ "$m" != mq ] || run_case cache-ext4 "$m"
}

if [ "$side" != 1 ]; then
	# LDD3's numbers: 0 simple, 1 mq, 2 bio.
	for n in 0 1 2; do
		run_case load "$n" 512
	done
	for p in request_mode=bogus hardsect_size=3000 hardsect_size=256 \
		nsectors=0 nsectors=1000000000000 ndevices=-1 ndevices=27 \
		nr_hw_queues=100000 queue_depth=0 poll_queues=100000 \
		sbull_major=4096; do
		run_case bad-param "$p"
	done
fi
run_case configfs
[ "$side" = 1 ] || run_case configfs-bad
# What no kernel changes, on one kernel (SBULL_ONCE, from run.sh).
if [ "${SBULL_ONCE:-1}" = 1 ]; then
	run_case configfs-churn
	run_case sbullctl
	run_case sbullctl-apply
fi
first=first
for mode in ${SBULL_MODES:-bio mq simple}; do
	run_mode "$mode" "$first"
	first=''
done
# The labs of docs/teaching/labs.md: each one's expected observation.
for lab in segments merging partial flush hwqueue end dmio read sidebyside cache refill; do
	run_case "lab-$lab"
done
run_case trace-demo
run_case trace-cmd

#!/usr/bin/env bash
# Case: lab 5: a request goes to its CPU's hardware queue
# Needs: cpus=2
# Lab 5 (docs/teaching/labs.md): with one hardware queue per CPU, a request goes to
# the queue that blk-mq's map gives the CPU that submitted it, its own.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# The hardware queue whose cpu_list names CPU $1.
queue_of_cpu() {
	local q
	for q in /sys/block/sbulla/mq/*/; do
		grep -qw "$1" "$q/cpu_list" && basename "$q" && return
	done
	fail "no hardware queue lists CPU $1: $(grep . /sys/block/sbulla/mq/*/cpu_list)"
}

load_sbull request_mode=mq nr_hw_queues=2 ndevices=1
q0=$(queue_of_cpu 0)
q1=$(queue_of_cpu 1)
[ "$q0" != "$q1" ] || fail "CPUs 0 and 1 share hardware queue $q0"
for cpu in 0 1; do
	q=$(queue_of_cpu "$cpu")
	traced taskset -c "$cpu" dd if=/dev/sbulla of=/dev/null bs=4k count=1 \
		iflag=direct status=none
	expect_events sbull_request "READ sector=0 bytes=4096 hwq=$q phys_segments=1"
	echo "# CPU $cpu: hwq=$q"
done
unload_sbull

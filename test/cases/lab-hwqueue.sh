#!/usr/bin/env bash
# Case: lab 5: a request goes to its CPU's hardware queue
# Needs: cpus=2
# Lab 5 (docs/labs.md): with one hardware queue per CPU, a request goes to
# the queue of the CPU that submitted it.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode=mq nr_hw_queues=2 ndevices=1
for cpu in 0 1; do
	traced taskset -c $cpu dd if=/dev/sbulla of=/dev/null bs=4k count=1 \
		iflag=direct status=none
	expect_events sbull_request "READ sector=0 bytes=4096 hwq=$cpu phys_segments=1"
done
unload_sbull

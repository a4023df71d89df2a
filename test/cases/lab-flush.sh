#!/usr/bin/env bash
# Case: lab 4: no flush reaches a disk without a write cache
# Lab 4 (docs/teaching/labs.md): sbull says it has no volatile write cache, so an
# fsync's flush is completed by the block layer and never reaches sbull.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode=mq ndevices=1
[ "$(cat /sys/block/sbulla/queue/write_cache)" = "write through" ] ||
	fail "write_cache: $(cat /sys/block/sbulla/queue/write_cache)"
reset_stats
dd if=/dev/zero of=/dev/sbulla bs=4k count=1 conv=fsync status=none
expect_stat write_bytes 4096 "one 4 KiB write"
expect_stat flushes 0 "no flush reaches sbull"
unload_sbull

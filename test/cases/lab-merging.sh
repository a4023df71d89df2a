#!/usr/bin/env bash
# Case: lab 2: blk-mq merges 256 sequential bios into few requests
# Lab 2 (docs/teaching/labs.md): writing back 1 MiB of dirty page cache sends one
# 4 KiB bio per block in every mode; in mq mode blk-mq merges them in the
# writeback's plug into far fewer requests.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

writes() {
	dd if=/dev/urandom of=/dev/sbulla bs=1M count=1 conv=fsync status=none ||
		fail "dd"
}

load_sbull request_mode=bio ndevices=1
reset_stats
writes
expect_stat bios 256 "bio mode, one bio per block"
expect_stat requests 0 "bio mode has no requests"
unload_sbull

load_sbull request_mode=mq ndevices=1
reset_stats
writes
bios=$(stat_of bios) requests=$(stat_of requests)
[ "$bios" = 256 ] || fail "mq mode: $bios bios, expected 256"
if [ "$requests" -lt 1 ] || [ "$requests" -gt 64 ]; then
	fail "mq mode: $requests requests for 256 bios, expected 1 to 64"
fi
echo "mq mode: $bios bios in $requests requests"
unload_sbull

#!/usr/bin/env bash
# Case: lab 1: a 12 KiB direct write at page offset 512 is four segments
# Lab 1 (docs/teaching/labs.md): with hardsect_size=4096, a 12 KiB direct write at
# byte 8192 from a buffer that starts 512 bytes into a page is four
# segments, cut at the page boundaries of the buffer, not of the disk;
# three from a page-aligned buffer, four again from one at offset 3584.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode=bio hardsect_size=4096 ndevices=1
traced direct_io_at -w /dev/sbulla 12288 8192 512
expect_events sbull_bio "WRITE sector=16 bytes=12288 segments=4"
expect_events sbull_segment "write sector=16 len=3584 page_offset=512
write sector=23 len=4096 page_offset=0
write sector=31 len=4096 page_offset=0
write sector=39 len=512 page_offset=0"
# Change it: a page-aligned buffer, then one 3584 bytes into a page.
traced direct_io_at -w /dev/sbulla 12288 8192 0
expect_events sbull_segment "write sector=16 len=4096 page_offset=0
write sector=24 len=4096 page_offset=0
write sector=32 len=4096 page_offset=0"
traced direct_io_at -w /dev/sbulla 12288 8192 3584
expect_events sbull_segment "write sector=16 len=512 page_offset=3584
write sector=17 len=4096 page_offset=0
write sector=25 len=4096 page_offset=0
write sector=33 len=3584 page_offset=0"
unload_sbull

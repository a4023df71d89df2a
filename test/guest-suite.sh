#!/usr/bin/env bash
# The test cases, run inside the guest for each request mode. One TAP line
# per case; a case also fails if the kernel logged a warning, oops or slab
# report while it ran.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$here/lib.sh"

run_mode() {
	local m=$1 bs
	run_case "$m: load with defaults, 4 devices of 64 MiB, rmmod" load.sh "$m" 512
	for bs in 1024 2048 4096; do
		run_case "$m: load with hardsect_size=$bs" load.sh "$m" "$bs"
	done
	run_case "$m: load with hardsect_size=4096 nsectors=2048" load.sh "$m" 4096 2048
	[ "$m" = bio ] ||
		run_case "$m: nr_hw_queues and queue_depth shape the tag set" mq-params.sh "$m"
	run_case "$m: RWF_NOWAIT direct I/O is taken (io_uring submits inline)" nowait.sh "$m"
	run_case "$m: ext4 files survive drop_caches, fsck -fn, remount" ext4.sh "$m"
	run_case "$m: fio verify bs=512 libaio direct" fio-verify.sh "$m" \
		--bs=512 --ioengine=libaio --direct=1
	run_case "$m: fio verify bs=4k io_uring direct" fio-verify.sh "$m" \
		--bs=4k --ioengine=io_uring --direct=1
	run_case "$m: fio verify bssplit psync direct" fio-verify.sh "$m" \
		--bssplit=512/10:4k/50:64k/30:1m/10 --ioengine=psync --direct=1
	run_case "$m: fio verify bssplit io_uring buffered" fio-verify.sh "$m" \
		--bssplit=512/10:4k/50:64k/30:1m/10 --ioengine=io_uring --direct=0
	run_case "$m: fio verify on all devices, 8 jobs randrw" fio-all-devices.sh "$m"
	run_case "$m: partitions, HDIO_GETGEO" partitions.sh "$m"
	for bs in 512 4096; do
		run_case "$m: discard, write-zeroes, fstrim (hardsect_size=$bs)" discard.sh "$m" "$bs"
		run_case "$m: last sector works, I/O past the end fails alone (hardsect_size=$bs)" past-end.sh "$m" "$bs"
	done
	run_case "$m: rmmod while mounted fails and loses nothing" rmmod-busy.sh "$m"
	run_case "$m: sysfs statistics count bios, requests, segments, bytes" stats.sh "$m"
	run_case "$m: tracepoints show each bio, request and segment" trace.sh "$m"
}

for n in 0 1 2; do
	run_case "request_mode=$n (LDD3's number) loads" load.sh "$n" 512
done
for p in request_mode=bogus hardsect_size=3000 hardsect_size=256 nsectors=0 \
	nsectors=1000000000000 ndevices=0 ndevices=27 nr_hw_queues=100000 \
	queue_depth=0 sbull_major=4096; do
	run_case "bad parameter $p: one clear error, nothing left" bad-param.sh "$p"
done
for mode in ${SBULL_MODES:-bio mq simple}; do
	run_mode "$mode"
done
# The labs of docs/labs.md: each one's expected observation.
run_case "lab 1: a 12 KiB direct write at page offset 512 is four segments" lab-segments.sh
run_case "lab 2: blk-mq merges 256 sequential bios into few requests" lab-merging.sh
run_case "lab 3: simple mode completes a request segment by segment" lab-partial.sh
run_case "lab 4: no flush reaches a disk without a write cache" lab-flush.sh
run_case "lab 5: a request goes to its CPU's hardware queue" lab-hwqueue.sh
run_case "lab 6: I/O at the end of the disk never becomes a bio" lab-end.sh
run_case "make trace-demo tells each mode's story" trace-demo.sh
run_case "trace-cmd lists, records and reports sbull's events" trace-cmd.sh

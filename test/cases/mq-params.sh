#!/usr/bin/env bash
# Case: nr_hw_queues and queue_depth shape the tag set
# nr_hw_queues and queue_depth shape the blk-mq tag set, as sysfs shows, and
# no I/O scheduler is chosen for sbull even with a single hardware queue,
# and a 1 MiB direct read reaches sbull as one request, not cut at 127 KiB.
# Usage: mq-params.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1" nr_hw_queues=2 queue_depth=16 ndevices=1
queues=$(find /sys/block/sbulla/mq -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$queues" = 2 ] || fail "$queues hardware queues, expected 2"
depth=$(cat /sys/block/sbulla/mq/0/nr_tags)
[ "$depth" = 16 ] || fail "$depth tags per queue, expected 16"
unload_sbull

load_sbull request_mode="$1" ndevices=1
queues=$(find /sys/block/sbulla/mq -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$queues" = "$(nproc)" ] || fail "$queues hardware queues by default, expected one per CPU ($(nproc))"
unload_sbull

load_sbull request_mode="$1" nr_hw_queues=1 ndevices=1
sched=$(cat /sys/block/sbulla/queue/scheduler)
case $sched in
*"[none]"*) ;;
*) fail "scheduler '$sched' with one hardware queue, expected [none]" ;;
esac
unload_sbull

load_sbull request_mode="$1" ndevices=1
max_kb=$(cat /sys/block/sbulla/queue/max_sectors_kb)
[ "$max_kb" -ge 1024 ] || fail "max_sectors_kb is $max_kb, expected at least 1024"
reads_before=$(awk '{ print $1 }' /sys/block/sbulla/stat)
dd if=/dev/sbulla of=/dev/null bs=1M count=1 iflag=direct status=none
reads=$(($(awk '{ print $1 }' /sys/block/sbulla/stat) - reads_before))
[ "$reads" = 1 ] || fail "a 1 MiB direct read took $reads requests, expected 1"
unload_sbull

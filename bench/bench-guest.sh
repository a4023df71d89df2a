#!/usr/bin/env bash
# The benchmark, inside one guest boot: the same fio matrix (bench/jobs/) on
# sbull in each request mode, brd and null_blk (memory_backed, blk-mq), all
# of the same size, repeated with the devices interleaved; plus the memcpy
# bound and the blk-mq queue scaling of sbull's mq mode. Every run is one
# row of $SBULL_RESULTS/raw.csv; bench/report.py summarises them.
#
# Environment: SBULL_BENCH_QUICK=1 (a small subset), SBULL_BENCH_REPS (3),
# SBULL_BENCH_RUNTIME (seconds per timed point, 2), SBULL_BENCH_SIZE_MB (256).
# Usage: bench-guest.sh MEMCPY_BW_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
memcpy_bw=$1
reps=${SBULL_BENCH_REPS:-3}
size_mb=${SBULL_BENCH_SIZE_MB:-256}
ncpu=$(nproc)
export RUNTIME=${SBULL_BENCH_RUNTIME:-2}
csv=$SBULL_RESULTS/raw.csv

devices=(sbull-bio sbull-mq sbull-simple brd null_blk)
if [ "${SBULL_BENCH_QUICK:-0}" = 1 ]; then
	timed=(randread-4k seqread-1m)
	configs=("libaio 32 1")
else
	timed=(randread-4k randwrite-4k randrw-4k randread-64k seqread-1m seqwrite-1m)
	configs=()
	for engine in libaio io_uring; do
		for qd in 1 32; do
			for jobs in 1 "$ncpu"; do
				configs+=("$engine $qd $jobs")
			done
		done
	done
fi

log() { echo "# $(date +%T) $*" >&2; }

# Load device $1 fresh and print its node; sbull's extra args follow.
setup() {
	local dev=$1
	shift
	case $dev in
	sbull-*)
		modprobe sbull request_mode="${dev#sbull-}" ndevices=1 \
			nsectors=$((size_mb * 2048)) "$@"
		echo /dev/sbulla
		;;
	brd)
		modprobe brd rd_nr=1 rd_size=$((size_mb * 1024))
		echo /dev/ram0
		;;
	null_blk)
		# configfs takes the size in MiB (the module's gb= only in GiB);
		# as many submit queues as sbull's mq mode has by default.
		modprobe null_blk nr_devices=0
		mountpoint -q /sys/kernel/config ||
			mount -t configfs none /sys/kernel/config
		# The disk is named after the configfs directory on 6.1.
		local d=/sys/kernel/config/nullb/nullb0
		mkdir "$d"
		echo "$size_mb" >"$d/size"
		echo 1 >"$d/memory_backed"
		echo 2 >"$d/queue_mode"
		echo "$ncpu" >"$d/submit_queues"
		echo 64 >"$d/hw_queue_depth"
		echo 1 >"$d/power"
		echo /dev/nullb0
		;;
	esac
	udevadm settle 2>/dev/null || sleep 0.5
}

teardown() {
	case $1 in
	sbull-*) rmmod sbull ;;
	brd) rmmod brd ;;
	null_blk)
		rmdir /sys/kernel/config/nullb/nullb0
		rmmod null_blk
		;;
	esac
}

fill() {
	dd if=/dev/urandom of=/tmp/fill bs=1M count=16 status=none
	for _ in $(seq $((size_mb / 16))); do cat /tmp/fill; done |
		dd of="$1" bs=1M iflag=fullblock oflag=direct status=none
}

# Run the points "workload:engine:qd:jobs"... on $dev in one fio process
# (fio takes seconds to start under TCG) and append a row per point.
run_points() {
	"$here/fio-batch.py" "$csv" "$rep" "$name" "$dev" "$size_mb" "$@"
}

echo "rep,workload,engine,iodepth,jobs,device,read_iops,write_iops,read_mibs,write_mibs" >"$csv"
log "kernel $(uname -r), $ncpu vCPUs, $size_mb MiB devices, $reps repetitions"
for rep in $(seq "$reps"); do
	log "repetition $rep: memcpy bound"
	echo "$rep,memcpy-1m,,,1,memcpy,,,$("$memcpy_bw" 2),"  >>"$csv"

	# Rotate the device order each repetition so drift hits all alike.
	order=("${devices[@]:rep % 5}" "${devices[@]:0:rep % 5}")
	for name in "${order[@]}"; do
		log "repetition $rep: $name, filled"
		dev=$(setup "$name")
		fill "$dev"
		points=()
		for job in "${timed[@]}"; do
			for config in "${configs[@]}"; do
				points+=("$job:${config// /:}")
			done
		done
		run_points "${points[@]}"
		teardown "$name"
	done

	log "repetition $rep: first-touch writes"
	for config in "${configs[@]}"; do
		for name in "${order[@]}"; do
			dev=$(setup "$name")
			run_points "randwrite-4k-first:${config// /:}"
			teardown "$name"
		done
	done

	log "repetition $rep: sbull mq scaling"
	for hwq in 1 2 4; do
		[ "$hwq" -le "$ncpu" ] || continue
		name=sbull-mq-hwq$hwq
		dev=$(setup sbull-mq nr_hw_queues="$hwq")
		fill "$dev"
		run_points randread-4k:libaio:32:1 randread-4k:libaio:32:2
		teardown sbull-mq
	done
done
log "done: $(($(wc -l <"$csv") - 1)) runs"

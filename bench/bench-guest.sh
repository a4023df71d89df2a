#!/usr/bin/env bash
# The benchmark, inside one guest boot: the same fio matrix (bench/jobs/) on
# sbull in each request mode, brd and null_blk (memory_backed, blk-mq), all
# of the same size, repeated with the devices interleaved; plus the memcpy
# bound, the blk-mq queue scaling of sbull's mq mode, polled I/O on the
# blk-mq devices with a poll queue and, last, profiles
# (bench/profile-guest.sh). Every run is one
# row of $SBULL_RESULTS/raw.csv; bench/report.py summarises them.
#
# Environment: SBULL_BENCH_QUICK=1 (a small subset on 256 MiB devices, no
# profiles), SBULL_BENCH_REPS (3), SBULL_BENCH_RUNTIME (seconds per timed
# point, 2), SBULL_BENCH_SIZE_MB (1024).
# Usage: bench-guest.sh MEMCPY_BW_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
memcpy_bw=$1
reps=${SBULL_BENCH_REPS:-3}
export RUNTIME=${SBULL_BENCH_RUNTIME:-2}
csv=$SBULL_RESULTS/raw.csv
quick=${SBULL_BENCH_QUICK:-0}
# Filling 1 GiB devices takes most of a quick run's time under TCG.
[ "$quick" != 1 ] || export SBULL_BENCH_SIZE_MB=${SBULL_BENCH_SIZE_MB:-256}
# shellcheck source=bench/devices.sh
. "$here/devices.sh"

devices=(sbull-bio sbull-mq sbull-simple brd null_blk)
if [ "$quick" = 1 ]; then
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

	# Each point writes its own region of one fresh device.
	for name in "${order[@]}"; do
		log "repetition $rep: $name, first-touch writes"
		dev=$(setup "$name")
		points=()
		for config in "${configs[@]}"; do
			points+=("randwrite-4k-first:${config// /:}")
		done
		run_points "${points[@]}"
		teardown "$name"
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

	# Polled I/O: each blk-mq device with one poll queue, read with
	# io_uring at QD 1 without and with hipri (IORING_SETUP_IOPOLL).
	log "repetition $rep: polled I/O"
	for base in sbull-mq sbull-simple null_blk; do
		name=$base-poll
		if [ "$base" = null_blk ]; then
			dev=$(POLL_QUEUES=1 setup null_blk)
		else
			dev=$(setup "$base" poll_queues=1)
		fi
		fill "$dev"
		run_points randread-4k:io_uring:1:1 randread-4k-poll:io_uring:1:1
		teardown "$base"
	done
done
log "done: $(($(wc -l <"$csv") - 1)) runs"
[ "$quick" != 1 ] || exit 0
log "profiles"
"$here/profile-guest.sh"

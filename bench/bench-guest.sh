#!/usr/bin/env bash
# The benchmark, inside one guest boot: the same fio matrix (bench/jobs/) on
# sbull in each request mode, brd and null_blk (memory_backed, blk-mq), all
# of the same size, repeated with the devices interleaved; plus the memcpy
# bound, the blk-mq queue scaling of sbull's mq mode, polled I/O on the
# blk-mq devices with a poll queue and, last, profiles
# (bench/profile-guest.sh). Every run is one
# row of $SBULL_RESULTS/raw.csv; bench/report.py summarises them. Points
# whose repetitions disagree by more than 1.3x (bench/noise.py) are then
# repeated, a repetition at a time, until they agree or have run
# SBULL_BENCH_MAX_REPS times.
#
# Environment: SBULL_BENCH_QUICK=1 (a small subset on 256 MiB devices, no
# profiles), SBULL_BENCH_REPS (3), SBULL_BENCH_MAX_REPS (6),
# SBULL_BENCH_RUNTIME (seconds per timed point, 2), SBULL_BENCH_SIZE_MB
# (1024).
# Usage: bench-guest.sh MEMCPY_BW_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
memcpy_bw=$1
reps=${SBULL_BENCH_REPS:-3}
max_reps=${SBULL_BENCH_MAX_REPS:-6}
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

# Run the points "workload:engine:qd:jobs"... of device $1 (a name of
# raw.csv's device column) in one fio process (fio takes seconds to start
# under TCG), on the device loaded fresh and filled, or left unwritten for
# first-touch points, and append a row per point for repetition $rep. The
# main loop and the repetition of noisy points both run through here, so
# that a point runs the same way each time.
run_points() {
	local name=$1 base dev
	shift
	case $name in
	memcpy)
		echo "$rep,memcpy-1m,,,1,memcpy,,,$("$memcpy_bw" 2)," >>"$csv"
		return
		;;
	sbull-mq-hwq*)
		base=sbull-mq
		dev=$(setup sbull-mq nr_hw_queues="${name#sbull-mq-hwq}")
		;;
	null_blk-poll)
		base=null_blk
		dev=$(POLL_QUEUES=1 setup null_blk)
		;;
	*-poll)
		base=${name%-poll}
		dev=$(setup "$base" poll_queues=1)
		;;
	*)
		base=$name
		dev=$(setup "$name")
		;;
	esac
	[[ $1 == *-first:* ]] || fill "$dev"
	# A first-touch point's region stays the size it has in the main
	# loop, where ${#configs[@]} of them share the device.
	FIRST_TOUCH_REGIONS=${#configs[@]} "$here/fio-batch.py" "$csv" "$rep" \
		"$name" "$dev" "$size_mb" "$@"
	teardown "$base"
}

filled=()
for job in "${timed[@]}"; do
	for config in "${configs[@]}"; do
		filled+=("$job:${config// /:}")
	done
done
first=()
for config in "${configs[@]}"; do
	first+=("randwrite-4k-first:${config// /:}")
done

echo "rep,workload,engine,iodepth,jobs,device,read_iops,write_iops,read_mibs,write_mibs" >"$csv"
log "kernel $(uname -r), $ncpu vCPUs, $size_mb MiB devices, $reps repetitions"
for rep in $(seq "$reps"); do
	log "repetition $rep: memcpy bound"
	run_points memcpy

	# Rotate the device order each repetition so drift hits all alike.
	order=("${devices[@]:rep % 5}" "${devices[@]:0:rep % 5}")
	for name in "${order[@]}"; do
		log "repetition $rep: $name, filled"
		run_points "$name" "${filled[@]}"
	done

	# Each point writes its own region of one fresh device.
	for name in "${order[@]}"; do
		log "repetition $rep: $name, first-touch writes"
		run_points "$name" "${first[@]}"
	done

	log "repetition $rep: sbull mq scaling"
	for hwq in 1 2 4; do
		[ "$hwq" -le "$ncpu" ] || continue
		run_points "sbull-mq-hwq$hwq" randread-4k:libaio:32:1 \
			randread-4k:libaio:32:2
	done

	# The write cache: mq with and without one, 4 KiB random writes
	# without a flush and with an fsync every 32 (what it costs to keep
	# the old contents of what is at risk, and to make it durable).
	# (The filled loop has sbull mq's randwrite-4k at QD 32 but in a
	# quick run.)
	log "repetition $rep: the write cache"
	cached=(randwrite-4k:libaio:32:1 randwrite-4k:libaio:1:1
		randwrite-4k-fsync32:libaio:1:1)
	run_points sbull-mq-cache "${cached[@]}"
	[ "$quick" = 1 ] || cached=("${cached[@]:1}")
	run_points sbull-mq "${cached[@]}"

	# Polled I/O: each blk-mq device with one poll queue, read with
	# io_uring at QD 1 without and with hipri (IORING_SETUP_IOPOLL).
	log "repetition $rep: polled I/O"
	for base in sbull-mq sbull-simple null_blk; do
		run_points "$base-poll" randread-4k:io_uring:1:1 \
			randread-4k-poll:io_uring:1:1
	done
done

# Points whose repetitions disagree run again (devices.sh).
rerun_noisy "$csv" "$reps" "$max_reps"
log "done: $(($(wc -l <"$csv") - 1)) runs, $rep repetitions at most"
[ "$quick" != 1 ] || exit 0
log "profiles"
"$here/profile-guest.sh"

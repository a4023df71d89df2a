# shellcheck shell=bash
# The benchmark's devices, sourced by bench-guest.sh, bench-mirror-guest.sh
# and profile-guest.sh:
# sbull in a request mode, brd and null_blk (memory_backed, blk-mq), each
# the same size (SBULL_BENCH_SIZE_MB, 1 GiB: room for
# eight first-touch points of 128 MiB on one fresh device), loaded fresh.

size_mb=${SBULL_BENCH_SIZE_MB:-1024}
ncpu=$(nproc)

# Load device $1 fresh and print its node; sbull's extra args follow.
setup() {
	local dev=$1
	shift
	case $dev in
	sbull-*-cache)
		# A write cache as large as a drive's (64 MiB).
		dev=${dev%-cache}
		modprobe sbull request_mode="${dev#sbull-}" ndevices=1 \
			nsectors=$((size_mb * 2048)) cache_kb=65536 "$@"
		echo /dev/sbulla
		;;
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
		# The polled point's: as many poll queues as sbull's (POLL_QUEUES).
		echo "${POLL_QUEUES:-0}" >"$d/poll_queues"
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

# A median of 3 is one outlier away from another conclusion: run the
# points whose repetitions in raw.csv $1 disagree (bench/noise.py) again,
# each round a new repetition (the global rep, after the first $2), until
# their runs agree or they have $3 of them (the report then flags them
# noisy). A group of points runs as the caller's run_points runs it.
rerun_noisy() {
	local csv=$1 max_reps=$3 again group n
	local -a groups args
	rep=$2
	while [ "$rep" -lt "$max_reps" ]; do
		again=$("${BASH_SOURCE[0]%/*}/noise.py" --max-reps "$max_reps" "$csv")
		[ -n "$again" ] || break
		mapfile -t groups <<<"$again"
		rep=$((rep + 1))
		n=${#groups[@]}
		groups=("${groups[@]:rep % n}" "${groups[@]:0:rep % n}")
		for group in "${groups[@]}"; do
			read -ra args <<<"$group"
			log "repetition $rep, noisy points: $group"
			run_points "${args[@]}"
		done
	done
}

#!/usr/bin/env bash
# `make bench-mirror`, inside one guest boot: what sbull's mirror costs.
# Two brd disks (ram0, ram1) are the legs, so that the legs are RAM-fast
# and what is measured is the mirror itself. The devices, all of the same
# size and interleaved, their order rotated each repetition:
#   sbull-MODE-N  sbull in request mode MODE with N legs (0, 1: ram0,
#                 2: ram0 and ram1; 2wb: the same two in write-back mode),
#                 reloaded and resynced for each run;
#   dm-raid1      the device mapper's mirror target over ram0 and ram1
#                 (core log, nosync: no initial copy);
#   brd           ram0 alone, the reference without a mirror.
# On each, one fio process (bench/fio-batch.py) runs 1 MiB sequential
# writes and 4 KiB random writes, then the same reads (libaio, direct,
# 1 job; QD 8 for 1 MiB, 32 for 4 KiB), then 4 KiB random writes with an
# fsync every 32 (psync, QD 1). Every run is a row of
# $SBULL_RESULTS/raw.csv; the resync of each sbull load with legs a row of
# resync.csv; bench/report-mirror.py summarises them. Points whose
# repetitions disagree by more than 1.3x (bench/noise.py) are then
# repeated, a repetition at a time, until they agree or have run
# SBULL_BENCH_MAX_REPS times.
#
# Without legs= in sbull.ko's parameters (the mirror not built yet), only
# the 0-leg sbull runs are made.
#
# Then the resync after a crash with 1% of the bitmap's regions dirty,
# against a whole resync: crash-resync.csv.
#
# Environment: SBULL_BENCH_REPS (3), SBULL_BENCH_MAX_REPS (6),
# SBULL_BENCH_RUNTIME (seconds per point, 4: the run then takes about 18
# minutes, more with noisy points repeated), SBULL_BENCH_RAMP (seconds of
# ramp before each, 2), SBULL_BENCH_SIZE_MB (256), SBULL_MIRROR_MODES
# ("bio mq"), SBULL_MIRROR_LEGS ("0 1 2 2wb"), SBULL_MIRROR_REGION
# (dm-raid1's region, in sectors: 1024).
# Usage: bench-mirror-guest.sh
set -euo pipefail
# A failed modprobe or resync inside $(mirror_setup ...) must stop the run.
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
reps=${SBULL_BENCH_REPS:-3}
max_reps=${SBULL_BENCH_MAX_REPS:-6}
export RUNTIME=${SBULL_BENCH_RUNTIME:-4}
export RAMP=${SBULL_BENCH_RAMP:-2}
export SBULL_BENCH_SIZE_MB=${SBULL_BENCH_SIZE_MB:-256}
read -ra modes <<<"${SBULL_MIRROR_MODES:-bio mq}"
read -ra leg_counts <<<"${SBULL_MIRROR_LEGS:-0 1 2 2wb}"
region=${SBULL_MIRROR_REGION:-1024}
csv=$SBULL_RESULTS/raw.csv
resync_csv=$SBULL_RESULTS/resync.csv
# shellcheck source=bench/devices.sh
. "$here/devices.sh"

sectors=$((size_mb * 2048))
# A leg region: sbull's 4 KiB header, then the store.
hdr_kb=4
legs=(/dev/ram0 /dev/ram1)
points=(seqwrite-1m:libaio:8:1 randwrite-4k:libaio:32:1
	seqread-1m:libaio:8:1 randread-4k:libaio:32:1
	randwrite-4k-fsync32:psync:1:1)

log() { echo "# $(date +%T) $*" >&2; }

have_legs=0
if modinfo -F parm sbull | grep -q '^legs:'; then
	have_legs=1
fi

devices=()
for mode in "${modes[@]}"; do
	for n in "${leg_counts[@]}"; do
		if [ "$n" != 0 ] && [ "$have_legs" = 0 ]; then
			log "sbull.ko has no legs= parameter: no sbull-$mode-$n"
			continue
		fi
		devices+=("sbull-$mode-$n")
	done
done
devices+=(dm-raid1 brd)

# Wait until every leg of sbulla is in sync; print the seconds it took.
# EPOCHREALTIME: the wait is often shorter than 2 s.
wait_in_sync() {
	local n=$1 start=$EPOCHREALTIME f=/sys/block/sbulla/mirror/legs
	while :; do
		if [ -e "$f" ] && [ "$(awk '$4 == "in_sync"' "$f" | wc -l)" -eq "$n" ] &&
			[ "$(wc -l <"$f")" -eq "$n" ]; then
			awk -v a="$start" -v b="$EPOCHREALTIME" \
				'BEGIN { printf "%.1f\n", b - a }'
			return 0
		fi
		if [ $((${EPOCHREALTIME%.*} - ${start%.*})) -ge 900 ]; then
			log "legs not in sync after 900 s:"
			cat "$f" >&2
			return 1
		fi
		sleep 0.2
	done
}

# Load device $1 (a name from $devices) and print its node.
mirror_setup() {
	local name=$1 mode n spec i secs wb=()
	case $name in
	sbull-*)
		mode=${name#sbull-}
		n=${mode#*-}
		mode=${mode%-*}
		if [ "$n" != "${n%wb}" ]; then
			n=${n%wb}
			wb=(writeback=sbulla)
		fi
		if [ "$n" = 0 ]; then
			setup "sbull-$mode"
			return
		fi
		# Wipe what an earlier run left in the legs (an sbull header
		# would be taken for a leg to restore from): every run starts
		# from a fresh leg, initialised and resynced.
		spec=
		for i in $(seq 0 $((n - 1))); do
			dd if=/dev/zero of="${legs[i]}" bs="${hdr_kb}k" count=1 \
				oflag=direct status=none
			spec=$spec${spec:+,}sbulla=${legs[i]}
		done
		setup "sbull-$mode" legs_init=1 legs="$spec" "${wb[@]}" >/dev/null
		secs=$(wait_in_sync "$n")
		echo "$rep,$name,$secs" >>"$resync_csv"
		log "$name: legs in sync after $secs s"
		echo /dev/sbulla
		;;
	dm-raid1)
		dmsetup create mirror --table "0 $sectors mirror core 2 $region nosync 2 ${legs[0]} 0 ${legs[1]} 0 1 handle_errors" >&2
		udevadm settle 2>/dev/null || sleep 0.5
		# No udev in the guest: make /dev/mapper/mirror ourselves.
		dmsetup mknodes mirror
		log "dm-raid1: $(dmsetup status mirror)"
		echo /dev/mapper/mirror
		;;
	brd)
		echo "${legs[0]}"
		;;
	esac
}

mirror_teardown() {
	case $1 in
	sbull-*) teardown sbull-any ;;
	dm-raid1) dmsetup remove mirror ;;
	esac
}

# Run points "workload:engine:qd:jobs"... on device $1 for repetition
# $rep, loaded for them: the main loop's and the noisy points' runs alike.
run_points() {
	local name=$1 dev
	shift
	dev=$(mirror_setup "$name")
	"$here/fio-batch.py" "$csv" "$rep" "$name" "$dev" "$size_mb" "$@"
	mirror_teardown "$name"
}

echo "rep,workload,engine,iodepth,jobs,device,read_iops,write_iops,read_mibs,write_mibs" >"$csv"
echo "rep,device,seconds" >"$resync_csv"
setup_line="$ncpu vCPUs, $size_mb MiB devices, $RUNTIME s per point after $RAMP s of ramp, dm-raid1 region $region sectors"
echo "$setup_line" >"$SBULL_RESULTS/setup.txt"
log "kernel $(uname -r), $setup_line, $reps repetitions"
log "devices: ${devices[*]}"
modprobe dm_mirror
# The legs: room for the header and the store; written once, so that brd
# has allocated their pages before anything is measured (zeroes: a copy is
# a copy, and /dev/zero is the quickest source under TCG).
modprobe brd rd_nr=2 rd_size=$((size_mb * 1024 + hdr_kb))
for leg in "${legs[@]}"; do
	dd if=/dev/zero of="$leg" bs=1M count="$size_mb" oflag=direct \
		status=none
done
log "brd legs filled"

ndev=${#devices[@]}
for rep in $(seq "$reps"); do
	# Rotate the device order each repetition so drift hits all alike.
	order=("${devices[@]:rep % ndev}" "${devices[@]:0:rep % ndev}")
	for name in "${order[@]}"; do
		log "repetition $rep: $name"
		run_points "$name" "${points[@]}"
	done
done

# Points whose repetitions disagree run again (devices.sh).
# A device's points run in the main loop's order.
rerun_noisy "$csv" "$reps" "$max_reps"

# The resync after a crash, with 1% of the regions of the write-intent
# bitmap dirty, against a whole resync, on the same two legs (through
# dm-linear over the brd disks). The crash: once the regions are written,
# the legs fail every write (dm's error target), so that rmmod cannot
# mark them clean, as a crash leaves them; back on dm-linear, sbull loads
# with the set dirty and copies the bitmap's regions to leg 1. Then
# "resync 1" copies the whole store. Both durations as the kernel log
# gives them, in ms.
# Print field $1 of the last "resynced leg(s)" kernel line: "N of M
# regions, X MiB, in T ms".
resynced() {
	dmesg | grep 'sbull: sbulla: resynced leg' | tail -n 1 |
		sed -E 's/.*: ([0-9]+) of ([0-9]+) regions, ([0-9]+) MiB, in ([0-9]+) ms.*/\1 \2 \3 \4/' |
		cut -d' ' -f"$1"
}
crash_resync() {
	local table i spec='' regions dirty r
	table="0 $((sectors + hdr_kb * 2)) linear"
	for i in 0 1; do
		dd if=/dev/zero of="${legs[i]}" bs="${hdr_kb}k" count=1 \
			oflag=direct status=none
		dmsetup create "leg$i" --table "$table ${legs[i]} 0"
		dmsetup mknodes "leg$i"
		spec=$spec${spec:+,}sbulla=/dev/mapper/leg$i
	done
	setup sbull-mq legs_init=1 legs="$spec" >/dev/null
	wait_in_sync 2 >/dev/null
	regions=$(($(cat /sys/block/sbulla/mirror/region_size) / 512))
	regions=$((sectors / regions))
	dirty=$(((regions + 99) / 100))
	for r in $(seq 0 $((dirty - 1))); do
		dd if=/dev/urandom of=/dev/sbulla bs=4k count=1 \
			seek=$((r * (regions / dirty) * sectors / regions / 8)) \
			oflag=direct status=none
	done
	for i in 0 1; do
		dmsetup reload "leg$i" --table "0 $((sectors + hdr_kb * 2)) error"
		dmsetup resume "leg$i"
	done
	rmmod sbull
	for i in 0 1; do
		dmsetup reload "leg$i" --table "$table ${legs[i]} 0"
		dmsetup resume "leg$i"
	done
	setup sbull-mq legs="$spec" >/dev/null
	wait_in_sync 2 >/dev/null
	echo "$rep,bitmap,$(resynced 1),$(resynced 2),$(resynced 3),$(resynced 4)" >>"$crash_csv"
	echo "resync 1" >/sys/block/sbulla/mirror/legs
	sleep 0.5
	wait_in_sync 2 >/dev/null
	echo "$rep,whole,$(resynced 1),$(resynced 2),$(resynced 3),$(resynced 4)" >>"$crash_csv"
	log "crash resync: $(tail -n 2 "$crash_csv" | tr '\n' ' ')"
	rmmod sbull
	dmsetup remove leg0 leg1
}
if [ "$have_legs" = 1 ]; then
	crash_csv=$SBULL_RESULTS/crash-resync.csv
	echo "rep,kind,regions_copied,regions,mib,ms" >"$crash_csv"
	for rep in $(seq "$reps"); do
		crash_resync
	done
fi
rmmod brd
log "done: $(($(wc -l <"$csv") - 1)) runs"

#!/usr/bin/env bash
# `make bench-refill`, inside one guest boot with a --disk image
# (/dev/vda) of at least the largest store and 4 KiB: how soon
# a disk with legs serves its first I/O after the load, while its store is
# read back from a leg (sbull_refill.c), and how fast the refill reads.
# For each store size (SBULL_REFILL_SIZES_MB, "64 2048"):
#   first-read   from the start of `modprobe sbull` to the end of one 4 KiB
#                O_DIRECT read at a random offset, with one leg (vda, a
#                store written whole at a first load) and without legs;
#                SBULL_BENCH_REPS (3) times each, interleaved. The target:
#                legs add at most 10%, or 50 ms.
#   refill       the refill's own rate, from its kernel line ("restored N
#                MiB in T ms"), with no I/O beside it, against a plain
#                `dd` read of the same bytes of the leg (1 MiB, O_DIRECT),
#                just after: both find the image in the host's cache alike.
#                The target: 0.8x.
#   verify       fio's random 4 KiB reads, verifying a pattern written at
#                the first load (the first 256 MiB at most), started at
#                the load, during the refill; then the same once the
#                refill is done.
# Rows in $SBULL_RESULTS/refill.csv; bench/report-refill.py writes the
# table.
# Usage: bench-refill-guest.sh
set -euo pipefail
reps=${SBULL_BENCH_REPS:-3}
read -ra sizes <<<"${SBULL_REFILL_SIZES_MB:-64 2048}"
csv=$SBULL_RESULTS/refill.csv
leg=/dev/vda

log() { echo "# $(date +%T) $*" >&2; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Load sbull with store $1 MiB and more parameters; print the ms from the
# modprobe to the end of a 4 KiB read at a random offset, and of those the
# ms modprobe took.
first_read() {
	local mb=$1 start loaded blocks
	shift
	blocks=$((mb * 256))
	start=$(now_ms)
	modprobe sbull ndevices=1 nsectors=$((mb * 2048)) "$@"
	while [ ! -b /dev/sbulla ]; do sleep 0.01; done
	loaded=$(now_ms)
	dd if=/dev/sbulla of=/dev/null bs=4k count=1 iflag=direct status=none \
		skip=$((SRANDOM % blocks))
	echo "$(($(now_ms) - start)) $((loaded - start))"
}

# Wait for the refill of sbulla to end; its kernel line's MiB/s.
refill_rate() {
	local f=/sys/block/sbulla/mirror/refill
	while [ "$(cat "$f")" != "refilled 100%" ]; do
		case $(cat "$f") in lost*) log "refill lost"; return 1 ;; esac
		sleep 0.2
	done
	dmesg | sed -n 's/.*sbulla: restored .* (\([0-9]*\) MiB\/s).*/\1/p' | tail -n 1
}

# fio's random reads verifying the pattern of $1 MiB; its read IOPS.
fio_verify() {
	fio --name=pattern --filename=/dev/sbulla --rw=randwrite --bs=4k \
		--size="$1m" --direct=1 --ioengine=libaio --iodepth=8 \
		--randseed=1234 --verify=crc32c --verify_state_save=0 \
		--verify_only --verify_fatal=1 --output-format=json |
		python3 -c 'import json, sys
j = json.load(sys.stdin)["jobs"][0]
assert j["error"] == 0, j["error"]
print(round(j["read"]["iops"]))'
}

echo "size_mb,rep,point,value" >"$csv"
log "kernel $(uname -r), stores: ${sizes[*]} MiB, $reps repetitions"
for mb in "${sizes[@]}"; do
	pattern=$((mb < 256 ? mb : 256))
	# The first load: a store on the leg, a fio pattern in its start.
	dd if=/dev/zero of="$leg" bs=4k count=1 oflag=direct status=none
	modprobe sbull ndevices=1 nsectors=$((mb * 2048)) legs=sbulla="$leg" legs_init=1
	while ! grep -q in_sync /sys/block/sbulla/mirror/legs; do sleep 0.5; done
	fio --name=pattern --filename=/dev/sbulla --rw=randwrite --bs=4k \
		--size="${pattern}m" --direct=1 --ioengine=libaio --iodepth=8 \
		--randseed=1234 --verify=crc32c --verify_state_save=0 \
		--do_verify=0 >/dev/null
	rmmod sbull
	log "$mb MiB: the leg holds the store"
	for rep in $(seq "$reps"); do
		read -r total load <<<"$(first_read "$mb")"
		printf '%s\n' "$mb,$rep,first-read-nolegs,$total" \
			"$mb,$rep,modprobe-nolegs,$load" >>"$csv"
		rmmod sbull
		read -r total load <<<"$(first_read "$mb" legs=sbulla="$leg")"
		printf '%s\n' "$mb,$rep,first-read-legs,$total" \
			"$mb,$rep,modprobe-legs,$load" >>"$csv"
		echo "$mb,$rep,refill-mibs,$(refill_rate)" >>"$csv"
		rmmod sbull
		start=$(now_ms)
		dd if="$leg" of=/dev/null bs=1M count="$mb" iflag=direct status=none
		echo "$mb,$rep,dd-mibs,$((mb * 1000 / ($(now_ms) - start + 1)))" >>"$csv"
		modprobe sbull ndevices=1 nsectors=$((mb * 2048)) legs=sbulla="$leg"
		echo "$mb,$rep,verify-during-iops,$(fio_verify "$pattern")" >>"$csv"
		refill_rate >/dev/null
		echo "$mb,$rep,verify-after-iops,$(fio_verify "$pattern")" >>"$csv"
		rmmod sbull
		log "$mb MiB: repetition $rep done"
	done
done

#!/usr/bin/env bash
# Where the CPU goes in 4 KiB random writes (QD 32, libaio) on sbull `mq`
# without legs, on sbull with two brd legs in write-back mode, and on
# dm-raid1 over the same two brd disks: a system-wide perf profile
# (cpu-clock, TCG has no hardware counters) of each, by command and by
# symbol, into $SBULL_RESULTS/prof-<device>.txt. Run in a bench guest:
#   scripts/qemu/guest.sh --bench --mem 3G --module KO --results DIR -- \
#       bench/profile-mirror-guest.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export SBULL_BENCH_SIZE_MB=256 RUNTIME=8 RAMP=2
# shellcheck source=bench/devices.sh
. "$here/devices.sh"
legs=(/dev/ram0 /dev/ram1)

# Profile fio's point on device $2, named $1; the second half of the run.
prof() {
	local name=$1 dev=$2 view=(--stdio --time 50%-100% --percent-limit 1)
	perf record -q -a -e cpu-clock -F 4999 -o /tmp/perf.data -- \
		"$here/fio-batch.py" /tmp/prof.csv 1 "$name" "$dev" "$size_mb" \
		randwrite-4k:libaio:32:1 2>/dev/null
	{
		echo "# $name: randwrite-4k QD 32, $(uname -r); fio: $(tail -n 1 /tmp/prof.csv)"
		echo "# all samples, by command:"
		perf report -i /tmp/perf.data "${view[@]}" --sort comm 2>/dev/null |
			grep -v '^#' | grep .
		echo "# by command and symbol:"
		perf report -i /tmp/perf.data "${view[@]}" --sort comm,sym 2>/dev/null |
			grep -v '^#' | grep .
	} >"$SBULL_RESULTS/prof-$name.txt"
}

modprobe dm_mirror
modprobe brd rd_nr=2 rd_size=$((size_mb * 1024 + 4))
for l in "${legs[@]}"; do
	dd if=/dev/zero of="$l" bs=1M count="$size_mb" oflag=direct status=none
done

dev=$(setup sbull-mq)
prof sbull-mq-0 "$dev"
teardown sbull-mq

for l in "${legs[@]}"; do	# no sbull header left: a new set
	dd if=/dev/zero of="$l" bs=4k count=1 oflag=direct status=none
done
dev=$(setup sbull-mq legs_init=1 writeback=sbulla \
	legs="sbulla=${legs[0]},sbulla=${legs[1]}")
until [ "$(awk '$4 == "in_sync"' /sys/block/sbulla/mirror/legs | wc -l)" = 2 ]; do
	sleep 0.2
done
prof sbull-mq-2wb "$dev"
teardown sbull-mq

dmsetup create mirror --table "0 $((size_mb * 2048)) mirror core 2 1024 nosync 2 ${legs[0]} 0 ${legs[1]} 0 1 handle_errors"
dmsetup mknodes mirror
prof dm-raid1 /dev/mapper/mirror
dmsetup remove mirror
rmmod brd

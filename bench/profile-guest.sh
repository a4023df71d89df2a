#!/usr/bin/env bash
# Where the time goes: a system-wide perf profile (cpu-clock samples, as
# TCG has no hardware counters) of 4k random reads on a filled device and
# of first-touch 4k random writes, for sbull in each mode and for brd;
# and of 4k random writes on sbull mq without and with a write cache.
# Only fio's own samples count: it submits and, with a RAM disk, completes
# every I/O in its own context.
# Writes profile-<device>-<workload>.txt (the share of each module and the
# hottest symbols) to $SBULL_RESULTS. Run in the guest by bench-guest.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export RUNTIME=8	# the report keeps the second half: fio has started
# shellcheck source=bench/devices.sh
. "$here/devices.sh"

# Profile one fio point on $dev; $1 is the point, $2 the report's name.
profile() {
	local data=/tmp/perf.data report=$SBULL_RESULTS/profile-$2.txt
	local view=(--stdio --comms fio --percentage relative --time 50%-100%)
	perf record -q -a -e cpu-clock -F 4999 -o "$data" -- \
		"$here/fio-batch.py" /tmp/profile.csv 1 "$name" "$dev" \
		"$size_mb" "$1" 2>/dev/null
	{
		echo "# $2: $1, $(uname -r)"
		echo "# fio's samples in the second half of the run, by function"
		perf report -i "$data" "${view[@]}" --sort sym 2>/dev/null |
			awk '$3 ~ /^(sbull|brd)_/ { d += $1 } $3 ~ /^mem(cpy|set)/ { c += $1 }
			END { printf "# in the driver: %.1f%%, in memcpy/memset: %.1f%%\n", d, c }'
		echo "# hottest symbols:"
		perf report -i "$data" "${view[@]}" --sort dso,sym \
			--percent-limit 0.7 2>/dev/null | grep -v '^#' | grep .
	} >"$report"
}

# SBULL_PROFILES: which sets ("modes cache", the default).
profiles=${SBULL_PROFILES:-modes cache}
if [[ " $profiles " == *" modes "* ]]; then
	for name in sbull-bio sbull-mq sbull-simple brd; do
		dev=$(setup "$name")
		profile randwrite-4k-first:libaio:32:1 "$name-first-touch"
		profile randread-4k:libaio:32:1 "$name-randread"
		teardown "$name"
	done
fi
# The write cache's cost: 4k random writes on a filled device, without
# and with one.
if [[ " $profiles " == *" cache "* ]]; then
	for name in sbull-mq sbull-mq-cache; do
		dev=$(setup "$name")
		fill "$dev"
		profile randwrite-4k:libaio:32:1 "$name-randwrite"
		teardown "$name"
	done
fi

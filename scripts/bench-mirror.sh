#!/usr/bin/env bash
# `make bench-mirror`: build sbull, boot one guest and run
# bench/bench-mirror-guest.sh in it (sbull with 0, 1 and 2 legs on brd in
# each request mode, dm-raid1 over the same brd disks, brd alone), then
# write table.md to results/bench-mirror-<date>-<series>/ next to raw.csv.
# Environment: SERIES (6.1), SBULL_BENCH_MODULE; the guest also takes
# SBULL_BENCH_REPS, SBULL_BENCH_RUNTIME, SBULL_BENCH_RAMP,
# SBULL_BENCH_SIZE_MB, SBULL_MIRROR_MODES, SBULL_MIRROR_LEGS and
# SBULL_MIRROR_REGION (see bench/bench-mirror-guest.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

bench_setup bench-mirror
modinfo -F parm "$ko" | grep -q '^legs:' ||
	echo "bench-mirror: $ko has no legs= parameter: sbull runs without legs only" >&2
# The host's load average every 10 s while the guest runs: other work on
# these 2 cores (the guest alone keeps about 2 busy) skews the figures.
while sleep 10; do cut -d' ' -f1 /proc/loadavg; done >"$out/host-load" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT
start=$SECONDS
scripts/qemu/guest.sh --series "$series" --module "$ko" --bench --mem 3G \
	--timeout 3600 --results "$out" -- bench/bench-mirror-guest.sh \
	2> >(tee "$out/guest.log" >&2)
kill "$sampler"
# The guest's share, then the whole run's (build and boot included).
echo "$((SECONDS - start)) $SECONDS" >"$out/wall-seconds"
bench/report-mirror.py "$out" "$(bench_title)"
echo "results in $out: table.md, raw.csv" >&2

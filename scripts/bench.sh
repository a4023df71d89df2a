#!/usr/bin/env bash
# `make bench`: build sbull, boot one guest and run bench/bench-guest.sh in
# it (sbull in each mode, brd and null_blk, the memcpy bound), then write
# table.md, raw.csv and chart.png to results/bench-<date>-<series>/.
# Environment: SERIES (6.1), QUICK=1 for a subset of a few minutes; the
# guest also takes SBULL_BENCH_REPS, SBULL_BENCH_RUNTIME, SBULL_BENCH_SIZE_MB.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

series=${SERIES:-6.1}
scripts/install-deps.sh
release=$(scripts/qemu/fetch-kernel.sh "$series")
ko=$(scripts/build-module.sh "$release")
memcpy_bw=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}/bench/memcpy-bw
mkdir -p "$(dirname "$memcpy_bw")"
gcc -O2 -Wall -Wextra -o "$memcpy_bw" bench/memcpy-bw.c

out=results/bench-$(date +%F)-$series
[ "${QUICK:-0}" != 1 ] || out=$out-quick
rm -rf "$out"
mkdir -p "$out"
SBULL_BENCH_QUICK=${QUICK:-0} scripts/qemu/guest.sh --series "$series" \
	--module "$ko" --bench --mem 3G --timeout 10800 --results "$out" -- \
	bench/bench-guest.sh "$memcpy_bw"
accel=${ACCEL:-tcg}
bench/report.py "$out" "kernel $release, QEMU ${accel^^}, $(date +%F)"
echo "results in $out: table.md, raw.csv, chart.png" >&2

#!/usr/bin/env bash
# `make bench`: build sbull, boot one guest and run bench/bench-guest.sh in
# it (sbull in each mode, brd and null_blk, the memcpy bound), then write
# table.md, raw.csv and chart.png to results/bench-<date>-<series>/.
# Environment: SERIES (6.1), QUICK=1 for a subset of a few minutes,
# SBULL_BENCH_MODULE; the guest also takes SBULL_BENCH_REPS,
# SBULL_BENCH_RUNTIME, SBULL_BENCH_SIZE_MB.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

suffix=''
[ "${QUICK:-0}" != 1 ] || suffix=-quick
bench_setup bench "$suffix"
memcpy_bw=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}/bench/memcpy-bw
mkdir -p "$(dirname "$memcpy_bw")"
gcc -O2 -Wall -Wextra -o "$memcpy_bw" bench/memcpy-bw.c

SBULL_BENCH_QUICK=${QUICK:-0} scripts/qemu/guest.sh --series "$series" \
	--module "$ko" --bench --mem 3G --timeout 10800 --results "$out" -- \
	bench/bench-guest.sh "$memcpy_bw"
bench/report.py "$out" "$(bench_title)"
echo "results in $out: table.md, raw.csv, chart.png" >&2

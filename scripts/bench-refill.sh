#!/usr/bin/env bash
# `make bench-refill`: build sbull, boot one guest with a leg disk and run
# bench/bench-refill-guest.sh in it (the time to the first read after a
# load with a leg and without, the refill's rate against dd, fio's
# verified reads during the refill), then write table.md to
# results/bench-refill-<date>-<series>/ next to refill.csv.
# Environment: SERIES (6.1), SBULL_BENCH_MODULE; the guest also takes
# SBULL_BENCH_REPS and SBULL_REFILL_SIZES_MB.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

bench_setup bench-refill
# The leg: the largest store, its header, and room to spare.
largest=$(tr ' ' '\n' <<<"${SBULL_REFILL_SIZES_MB:-64 2048}" | sort -n | tail -n 1)
truncate -s $((largest + 4))M "$out/leg.img"
trap 'rm -f "$out/leg.img"' EXIT
start=$SECONDS
# The store, the page cache and fio: twice the largest store, 1 GiB more.
scripts/qemu/guest.sh --series "$series" --module "$ko" --bench \
	--mem $((largest * 2 + 1024))M --timeout 3600 --results "$out" \
	--disk "$out/leg.img" -- bench/bench-refill-guest.sh \
	2> >(tee "$out/guest.log" >&2)
echo "$((SECONDS - start))" >"$out/wall-seconds"
bench/report-refill.py "$out" "$(bench_title)"
echo "results in $out: table.md, refill.csv" >&2

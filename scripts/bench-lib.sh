# shellcheck shell=bash
# What the benchmarks' host scripts (scripts/bench*.sh) share, sourced from
# the repository's root.

# The kernel and the module for SERIES (6.1 by default), and an empty
# results directory results/$1-DATE-SERIES$2: sets series, release, ko
# (SBULL_BENCH_MODULE, to measure that sbull.ko, or one built now) and out.
bench_setup() {
	series=${SERIES:-6.1}
	scripts/install-deps.sh
	release=$(scripts/qemu/fetch-kernel.sh "$series")
	ko=${SBULL_BENCH_MODULE:-}
	[ -n "$ko" ] || ko=$(scripts/build-module.sh "$release")
	out=results/$1-$(date +%F)-$series${2:-}
	rm -rf "$out"
	mkdir -p "$out"
}

# The title of a results table: the kernel, the accelerator, the date.
bench_title() {
	local accel=${ACCEL:-tcg}
	echo "kernel $release, QEMU ${accel^^}, $(date +%F)"
}

#!/usr/bin/env bash
# The whole test suite (`make check`): host-side static checks, then the
# guest suite in a QEMU guest on each kernel. Prints TAP and ends with one
# line "N passed, N failed"; exits non-zero on any failure.
# Environment: SERIES (default "6.1 6.12"), SBULL_MODES (default all three).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# Number the results, turn any other line into a TAP comment, and close
# with the plan and the counts. Line by line, so that CI shows progress.
tap_count() {
	local line n=0 pass=0 failed=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok - "*)
			n=$((n + 1)) pass=$((pass + 1))
			echo "ok $n - ${line#ok - }"
			;;
		"not ok - "*)
			n=$((n + 1)) failed=$((failed + 1))
			echo "not ok $n - ${line#not ok - }"
			;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done
	printf '1..%d\n%d passed, %d failed\n' "$n" "$pass" "$failed"
	[ "$failed" = 0 ] && [ "$n" -gt 0 ]
}

# A failed set-up step is a failed test; said on stderr, as it may run in $().
step() {
	local desc=$1
	shift
	"$@" || { echo "not ok - $desc (exit $?)" >&2; return 1; }
}

# The mirror's cases, in a guest with three blank 64 MiB disks for legs,
# then the power cut test, which boots its own guests.
mirror() {
	local series=$1 ko=$2 disks start=$SECONDS
	disks=$(mktemp -d)
	truncate -s 64M "$disks"/vd{a,b,c}.img
	if scripts/guest.sh --series "$series" --module "$ko" --timeout 900 \
		--disk "$disks/vda.img" --disk "$disks/vdb.img" \
		--disk "$disks/vdc.img" -- test/mirror-suite.sh; then
		echo "ok - [$series] mirror guest run ended cleanly, kernel log clean"
	else
		echo "not ok - [$series] mirror guest run ended cleanly, kernel log clean"
	fi
	rm -rf "$disks"
	test/power-cut.sh "$series" "$ko"
	echo "# [$series] mirror tests: $((SECONDS - start)) s"
}

suite() {
	local series ko deb='' start=$SECONDS last
	local -A releases

	step "install the dependencies" scripts/install-deps.sh || return
	for series in ${SERIES:-6.1 6.12}; do
		releases[$series]=$(step "fetch kernel $series" \
			scripts/fetch-kernel.sh "$series") || return
	done
	test/static-checks.sh "${releases[@]}"
	deb=$(step "make deb" scripts/build-deb.sh) &&
		echo "ok - make deb: sbull-dkms builds, lintian clean" &&
		step "make dkms-install and dkms-remove" test/dkms-tree.sh "$deb" &&
		echo "ok - make dkms-install puts the package's tree in /usr/src"

	last=$(echo "${SERIES:-6.1 6.12}" | awk '{ print $NF }')
	for series in ${SERIES:-6.1 6.12}; do
		ko=$(step "[$series] build sbull.ko" \
			scripts/build-module.sh "${releases[$series]}") || continue
		if scripts/guest.sh --series "$series" --module "$ko" \
			--timeout 1500 -- test/guest-suite.sh; then
			echo "ok - [$series] guest run ended cleanly, kernel log clean"
		else
			echo "not ok - [$series] guest run ended cleanly, kernel log clean"
		fi
		mirror "$series" "$ko"
		# The package once, on the last kernel: dpkg -i compiles sbull in
		# the guest (5 minutes under TCG), the same source that the host
		# builds for every kernel with W=1 and sparse above.
		if [ -z "$deb" ] || [ "$series" != "$last" ]; then
			continue
		fi
		if scripts/guest.sh --series "$series" --timeout 1200 -- \
			test/dkms-guest.sh "$deb"; then
			echo "ok - [$series] DKMS guest run ended cleanly, kernel log clean"
		else
			echo "not ok - [$series] DKMS guest run ended cleanly, kernel log clean"
		fi
	done
	echo "# wall time: $((SECONDS - start)) s"
}

suite 2>&1 | tap_count

#!/usr/bin/env bash
# The whole test suite (`make check`): host-side static checks and the
# package, then for each kernel the guest suite, the mirror suite and the
# power cut in QEMU guests. Prints TAP and ends with one line
# "N passed, N failed, N skipped"; exits non-zero on any failure.
# Environment:
#   SERIES       kernels, default "6.1 6.12 latest" (latest: the newest of
#                Debian's sid and trixie-backports, see latest-root.sh)
#   MIRROR_SERIES  kernels that also run the mirror suite and the power
#                cut, default "6.1 latest" (CI's time: see README); the
#                mirror suite's and the power cut's request modes go
#                round them so that each mode runs on some kernel: bio
#                and mq on the first, simple on the second, and round
#                again
#   GRADE_SERIES the kernel that tests the grader (make grade), 6.12
#   CASES        only these cases (names of test/cases/*.sh, or
#                static-checks, deb, dkms, power-cut, grade), on each kernel;
#                dkms-guest (the package installed in a guest, 5 minutes
#                a kernel) runs only when named
#   SBULL_MODES  request modes, default "bio mq simple" (the guest suite
#                on every kernel but the first: "bio mq", the core suite)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

series_list=${SERIES:-6.1 6.12 latest}
mirror_series=${MIRROR_SERIES:-6.1 latest}
grade_series=${GRADE_SERIES:-6.12}
# The kernel that runs the cases no kernel changes (configfs-churn,
# sbullctl), for the hour; every kernel does if it is not in SERIES.
once_series=${ONCE_SERIES:-6.12}
export SBULL_CASES=${CASES:-}

# Number the results, turn any other line into a TAP comment, and close
# with the plan and the counts. Line by line, so that CI shows progress.
tap_count() {
	local line n=0 pass=0 failed=0 skipped=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok - "*" # SKIP "*)
			n=$((n + 1)) skipped=$((skipped + 1))
			echo "ok $n - ${line#ok - }"
			;;
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
	printf '1..%d\n%d passed, %d failed, %d skipped\n' "$n" "$pass" "$failed" "$skipped"
	[ "$failed" = 0 ] && [ "$pass" -gt 0 ]
}

# A step whose failure is a failed test; said on stderr, as it may run in
# $(). A step that reports its own TAP lines fails here only when it ended
# without finishing (its status).
step() {
	local desc=$1 rc=0
	shift
	"$@" || rc=$?
	[ "$rc" = 0 ] || echo "not ok - $desc (exit $rc)" >&2
	return "$rc"
}

# case_selected: is $1 (a case or a host job) selected by CASES? The
# guest runners ask the same question.
# shellcheck source=test/lib.sh
. "$repo/test/lib.sh"

# Does the guest runner $1 have a selected case?
has_cases() {
	[ -n "$(SBULL_LIST=1 "$1")" ]
}

# Is kernel $1 in the list $2?
in_list() {
	[[ " $2 " == *" $1 "* ]]
}

# One guest on kernel $1 for what $2 names; the rest are guest.sh's
# arguments, the command after "--".
guest_run() {
	local series=$1 what=$2
	shift 2
	if scripts/guest.sh --series "$series" "$@"; then
		echo "ok - [$series] $what: the guest run ended cleanly, kernel log clean"
	else
		echo "not ok - [$series] $what: the guest run ended cleanly, kernel log clean"
	fi
}

# The request modes of the mirror suite on the $1-th kernel of
# MIRROR_SERIES (from 0), unless SBULL_MODES says: bio, then simple, for
# the hour (simple mode's mirrored writes are mq's, ended whole; the power
# cut runs mq).
mirror_modes() {
	if [ -n "${SBULL_MODES:-}" ]; then
		echo "$SBULL_MODES"
	elif [ $(($1 % 2)) = 0 ]; then
		echo bio
	else
		echo simple
	fi
}

# The mirror's cases, in a guest with three blank 64 MiB disks for legs,
# in the modes $3.
mirror() {
	local series=$1 ko=$2 disks start=$SECONDS
	local SBULL_MODES=$3 SBULL_MIRROR_FIRST=$4
	export SBULL_MODES SBULL_MIRROR_FIRST
	disks=$(mktemp -d)
	truncate -s 64M "$disks"/vd{a,b,c}.img
	guest_run "$series" "mirror suite ($SBULL_MODES)" \
		--module "$ko" --timeout 1200 --disk "$disks/vda.img" \
		--disk "$disks/vdb.img" --disk "$disks/vdc.img" -- \
		test/mirror-suite.sh
	rm -rf "$disks"
	echo "# [$series] mirror suite: $((SECONDS - start)) s"
}

# The guest suite on kernel $1 with module $2. All three modes on the first
# kernel of SERIES; the others run the core suite, for the hour: bio and mq
# mode (simple is mq's path, a segment at a time; the newest kernel's
# mirror suite runs it, and 6.12's grader test reads and writes in it),
# unless SBULL_MODES says.
guest_suite() {
	local series=$1 ko=$2 SBULL_ONCE=1 SBULL_SIDE=0 SBULL_FIRST=0
	local SBULL_MODES=${SBULL_MODES:-}
	if [ -z "$SBULL_MODES" ] && [ "$series" != "${series_list%% *}" ]; then
		SBULL_MODES="bio mq"
	fi
	if in_list "$once_series" "$series_list" && [ "$series" != "$once_series" ]; then
		SBULL_ONCE=0
	fi
	# The side kernel (guest-suite.sh), when the first and the newest run too.
	if [ "$series" = "$once_series" ] && in_list "${series_list%% *}" "$series_list" &&
		in_list latest "$series_list" && [ "$series" != "${series_list%% *}" ]; then
		SBULL_SIDE=1
	fi
	# The first kernel, in three modes, beside the newest (guest-suite.sh).
	if [ "$series" = "${series_list%% *}" ] && [ -z "${SBULL_MODES:-}" ] &&
		[ "$series" != latest ] && in_list latest "$series_list"; then
		SBULL_FIRST=1
	fi
	export SBULL_MODES SBULL_ONCE SBULL_SIDE SBULL_FIRST
	guest_run "$series" "guest suite" --module "$ko" --timeout 1800 -- \
		test/guest-suite.sh
}

# The package on the newest kernel: DKMS builds it in that kernel's root
# (its kbuild cannot run in a guest with Debian 12's userland).
dkms_latest() {
	local deb=$1 root
	root=$(scripts/latest-root.sh)
	test/dkms-latest.sh "$root" "$deb"
}

# The power cut's modes for mirror modes $1: the same, the last one in
# write-back ("bio mq" -> "bio mq+writeback"); a single mode in both, but
# bio, whose mirror suite alone leaves mq out: "bio mq+writeback".
power_cut_modes() {
	if [ "${1% *}" != "$1" ]; then
		echo "${1% *} ${1##* }+writeback"
	elif [ "$1" = bio ]; then
		echo "bio mq+writeback"
	else
		echo "$1 $1+writeback"
	fi
}

suite() {
	local series ko deb='' start=$SECONDS t nth_mirror=0 modes
	local -A releases

	step "install the dependencies" scripts/install-deps.sh || return
	for series in $series_list; do
		releases[$series]=$(step "fetch kernel $series" \
			scripts/fetch-kernel.sh "$series") || return
		echo "# kernel $series: ${releases[$series]}"
	done
	if case_selected static-checks; then
		step "static checks ran to the end" test/static-checks.sh "${releases[@]}" || true
	fi
	if (case_selected deb || case_selected dkms || case_selected dkms-guest) &&
		deb=$(step "make deb" scripts/build-deb.sh); then
		echo "ok - make deb: sbull-dkms builds, lintian clean"
		if step "make dkms-install and dkms-remove" test/dkms-tree.sh "$deb"; then
			echo "ok - make dkms-install puts the package's tree in /usr/src"
		fi
	fi

	for series in $series_list; do
		t=$SECONDS
		ko=$(step "[$series] build sbull.ko" \
			scripts/build-module.sh "${releases[$series]}") || continue
		if has_cases test/guest-suite.sh; then
			guest_suite "$series" "$ko"
		fi
		# The grader's proof on one kernel, for the hour.
		if [ "$series" = "$grade_series" ] && case_selected grade; then
			step "[$series] the grader's test ran to the end" \
				test/grade-check.sh "$series" || true
		fi
		if in_list "$series" "$mirror_series"; then
			modes=$(mirror_modes "$nth_mirror")
			nth_mirror=$((nth_mirror + 1))
			if has_cases test/mirror-suite.sh; then
				mirror "$series" "$ko" "$modes" \
					"$([ "$nth_mirror" = 1 ] && echo 1 || echo 0)"
			fi
			# In the same modes as the mirror suite: every mode on
			# some kernel, for the hour; the last in write-back
			# (a kernel with one mode: in both).
			if case_selected power-cut; then
				step "[$series] power cut ran to the end" \
					env SBULL_MODES="$(power_cut_modes "$modes")" \
					test/power-cut.sh "$series" "$ko" || true
			fi
		fi
		if [ -n "$deb" ] && [ "$series" = latest ] && case_selected dkms; then
			step "[latest] DKMS in the newest kernel's root ran to the end" \
				dkms_latest "$deb" || true
		fi
		# dpkg -i in a guest compiles for 5 minutes under TCG: only
		# when asked for by name, to keep make check within the hour.
		if [ -n "$deb" ] && [[ " $SBULL_CASES " == *" dkms-guest "* ]]; then
			guest_run "$series" "DKMS guest" --timeout 1200 -- \
				test/dkms-guest.sh "$deb"
		fi
		echo "# [$series] ${releases[$series]}: $((SECONDS - t)) s"
	done
	echo "# wall time: $((SECONDS - start)) s"
}

suite 2>&1 | tap_count

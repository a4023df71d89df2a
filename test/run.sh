#!/usr/bin/env bash
# The whole test suite (`make check`): host-side checks and the package,
# then for each kernel its guest jobs (the guest suite, the mirror suite,
# the power cut, the grader's test, DKMS), each in QEMU guests.
#
# Verdicts (docs/testing.md):
# - The plan comes first: "1..N" and every test point's label, from the
#   runners themselves (SBULL_LIST=1). Every planned point gets exactly
#   one result line; one that did not run is "not ok ... not run".
# - Every case is bounded: its own time limit in the guest (lib.sh's
#   run_case), a hung task panics the guest (hung_task_timeout_secs=30),
#   and a guest that dies or hangs is booted again for the cases after the
#   one it died in, which fails.
# - A global deadline (SBULL_DEADLINE_MIN, 80 minutes): past it, nothing
#   new starts, and what did not run fails "not run (deadline)".
# - It ends with the per-case times, the ten slowest, and one line
#   "N passed, N failed"; it exits non-zero on any failure.
#
# Environment:
#   SERIES       kernels, default "6.1 6.12 latest" (latest: the newest of
#                Debian's sid and trixie-backports, see latest-root.sh)
#   CASES        only these cases (names of test/cases/*.sh, or the host
#                jobs static-checks, deb, dkms, power-cut, grade, boot; dkms-guest,
#                the package installed in a guest, 5 minutes a kernel, runs
#                only when named), on each kernel
#   SBULL_MODES  the request modes of every guest and mirror job, instead
#                of the matrix's (jobs_of below)
#   SBULL_DEADLINE_MIN  the global deadline, in minutes (80)
#   SBULL_JOBS   how many jobs run at once (2; see run_queue)
#   SBULL_ALLOW_SKIP=1  a case whose module the kernel lacks is skipped
#                rather than failed: for a kernel of your own, never CI
#   SBULL_CHECK_DIR     where the guests' consoles and kernel logs go
#                (default: a new directory in /tmp, named at the start)
#   SBULL_PLAN_ONLY=1   print the plan, each kernel labelled by its
#                series, and stop: nothing is installed, fetched or run
#                (docs/testing.md's matrix is made from it)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

series_list=${SERIES:-6.1 6.12 latest}
# The job lines carry modes comma-separated: "mq bio" is "mq,bio".
if [ -n "${SBULL_MODES:-}" ]; then
	read -ra modes_given <<<"$SBULL_MODES"
	SBULL_MODES=$(IFS=, && echo "${modes_given[*]}")
fi
export SBULL_CASES=${CASES:-}
start_epoch=$(date +%s)
deadline=$((start_epoch + ${SBULL_DEADLINE_MIN:-80} * 60))
# The guests' cases start only before it (lib.sh's run_case).
export SBULL_DEADLINE=$deadline
check_dir=${SBULL_CHECK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/sbull-check.XXXXXX")}
mkdir -p "$check_dir"

# shellcheck source=test/lib.sh
. "$repo/test/lib.sh"

# ---- TAP ----------------------------------------------------------------

# The label of a result line: what follows "ok - " or "not ok - ", up to
# the first ": " or " # ".
label_of() {
	local l=${1#not ok - }
	l=${l#ok - }
	l=${l%%: *}
	echo "${l%% # *}"
}

# Number the results, turn any other line into a TAP comment, and close
# with the planned points that never reported, the times, and the counts.
# Line by line, so that CI shows progress.
tap_count() {
	local line n=0 pass=0 failed=0 skipped=0 label t
	local -A seen=()
	local -a order=() times=()
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"ok - "* | "not ok - "*)
			n=$((n + 1))
			label=$(label_of "$line")
			seen[$label]=1
			if [ "${line#ok - }" != "$line" ]; then
				pass=$((pass + 1))
				[[ $line != *" # SKIP "* ]] || skipped=$((skipped + 1))
				echo "ok $n - ${line#ok - }"
			else
				failed=$((failed + 1))
				echo "not ok $n - ${line#not ok - }"
			fi
			;;
		"1.."*) echo "$line" ;;
		"# plan: "*)
			order+=("${line#\# plan: }")
			echo "$line"
			;;
		"# time: "*)
			times+=("${line#\# time: }")
			echo "$line"
			;;
		"# start: "*) ;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done
	for label in "${order[@]}"; do
		[ -z "${seen[$label]:-}" ] || continue
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n - $label: not run (its runner ended without it)"
	done
	if [ "${#times[@]}" -gt 0 ]; then
		echo "# The ten slowest test points:"
		for t in "${times[@]}"; do
			printf '%s\t%s\n' "${t##*: }" "${t%: *}"
		done | sort -t$'\t' -k1,1nr | head -n 10 |
			awk -F'\t' '{ printf "#   %6s  %s\n", $1, $2 }'
	fi
	echo "# wall time: $(($(date +%s) - start_epoch)) s; logs in $check_dir"
	[ "$skipped" = 0 ] || echo "# $skipped of the passed points were skipped (SBULL_ALLOW_SKIP=1)"
	echo "$pass passed, $failed failed"
	[ "$failed" = 0 ] && [ "$pass" -gt 0 ]
}

# A host step that is one test point: ok if "$@" succeeds, its output
# shown when it fails; "# time:" after it.
point() {
	local label=$1 desc=$2 out rc=0 t=$SECONDS
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" = 0 ]; then
		echo "ok - $label: $desc"
	else
		echo "not ok - $label: $desc (exit $rc)"
		tail -n 30 <<<"$out" | sed 's/^/#   /'
	fi
	echo "# time: $label: $((SECONDS - t)) s"
	return "$rc"
}

past_deadline() {
	[ "$(date +%s)" -ge "$deadline" ]
}

# ---- the matrix: what runs on which kernel --------------------------------

# Is kernel $1 in the list $2?
in_list() {
	[[ " $2 " == *" $1 "* ]]
}

first_series=${series_list%% *}

# The jobs of kernel $1, one a line: a job and its variables. See
# docs/testing.md for why each runs where it does.
#   suite VAR=VALUE...   the guest suite (suite-guest.sh)
#   mirror MODES FIRST   the mirror suite in MODES; FIRST=1: the leg
#                        list's checks too
#   power-cut MODES      the power cut, a boot per mode and one more
#   selftest             the harness's own verdicts (selftest-guest.sh)
#   grade                the grader's own test
#   dkms                 the package in the newest kernel's root
#   dkms-guest           the package installed in a guest (by name only)
#   boot                 systemd as PID 1 brings a disk up and down (boot.sh)
jobs_of() {
	local s=$1 modes once=1 side=0 first=0
	# The guest suite: all three modes on the first kernel; the core
	# (bio and mq) on the others. What no kernel changes (configfs-churn,
	# sbullctl) once, on 6.12; 6.12 leaves sbull's own checks (parameters,
	# configfs values, polling, injection) to the first and the newest.
	modes=bio\ mq\ simple
	[ "$s" = "$first_series" ] || modes="bio mq"
	if in_list 6.12 "$series_list" && [ "$s" != 6.12 ]; then
		once=0
	fi
	if [ "$s" = 6.12 ] && [ "$s" != "$first_series" ] &&
		in_list "$first_series" "$series_list" && in_list latest "$series_list"; then
		side=1
	fi
	if [ "$s" = "$first_series" ] && [ "$s" != latest ] && in_list latest "$series_list"; then
		first=1
	fi
	echo "suite SBULL_MODES=${SBULL_MODES:-${modes// /,}} SBULL_ONCE=$once SBULL_SIDE=$side SBULL_FIRST=$first"
	# The mirror: every mode on some kernel, the per-mode cases in bio
	# and mq on the first (the LTS most users run), in simple on the
	# newest, in mq on 6.12; the power cut likewise.
	case $s in
	"$first_series")
		echo selftest
		echo "mirror ${SBULL_MODES:-bio,mq} 1"
		echo "power-cut ${SBULL_MODES:-bio,mq+writeback}" ;;
	6.12)
		echo "mirror ${SBULL_MODES:-mq} 0"
		echo grade
		echo boot ;;
	latest)
		echo "mirror ${SBULL_MODES:-simple} 0"
		echo "power-cut ${SBULL_MODES:-simple,simple+writeback}"
		echo dkms ;;
	esac
	if [[ " $SBULL_CASES " == *" dkms-guest "* ]]; then
		echo dkms-guest
	fi
}

# ---- jobs: each lists its points (list) or runs them (run) ---------------

# The guest suite or the mirror suite of kernel $2 as job line $3: list
# its cases, or run them in guests, booting again after a guest that died
# in a case, at most three boots.
job_guest() {
	local action=$1 series=$2 kind=$3 runner what modes=$4 first=${5:-}
	local -a env=()
	case $kind in
	suite)
		runner=test/suite-guest.sh what="guest suite"
		read -ra env <<<"${*:4}"
		env=("${env[@]//,/ }") ;;
	mirror)
		runner=test/mirror-guest.sh what="mirror suite (${modes//,/ })"
		env=("SBULL_MODES=${modes//,/ }" "SBULL_MIRROR_FIRST=$first") ;;
	esac
	if [ "$action" = list ]; then
		env SBULL_LIST=1 SBULL_KLABEL="${klabel[$series]}" "${env[@]}" "$runner" |
			cut -f1
		echo "[${klabel[$series]}] $what boots"
		return
	fi
	guest_cases "$series" "$what" "$kind" "$runner" "${env[@]}"
}

# Run runner $4 (a guest suite) on kernel $1 with variables "${@:5}" in as
# many boots as it takes; $2 names it, $3 is its kind (mirror: blank disks).
guest_cases() {
	local series=$1 what=$2 kind=$3 runner=$4 label line t
	shift 4
	local -a env=("$@") gargs=() left=()
	local plan done_file out res boot=0 rc budget started clean=1 why=''
	plan=$(env SBULL_LIST=1 SBULL_KLABEL="${klabel[$series]}" "${env[@]}" "$runner")
	done_file=$check_dir/$series-$kind.done
	: >"$done_file"
	while :; do
		left=()
		budget=120
		while IFS=$'\t' read -r label t; do
			[ -n "$label" ] || continue
			grep -qxF -- "$label" "$done_file" || { left+=("$label") && budget=$((budget + t)); }
		done <<<"$plan"
		[ "${#left[@]}" -gt 0 ] || break
		if past_deadline; then
			why="not run (deadline)"
			break
		fi
		if [ "$boot" = 4 ]; then
			why="not run (four boots ended early)"
			break
		fi
		boot=$((boot + 1))
		# Never past the deadline, but for the case in progress.
		[ "$budget" -le $((deadline - $(date +%s) + 300)) ] ||
			budget=$((deadline - $(date +%s) + 300))
		res=$check_dir/$series-$kind-boot$boot
		out=$res.tap
		gargs=(--series "$series" --module "${ko[$series]}" --timeout "$budget" --results "$res")
		if [ "$kind" = mirror ]; then
			mkdir -p "$res.disks"
			truncate -s 64M "$res.disks"/vd{a,b,c}.img
			gargs+=(--disk "$res.disks/vda.img" --disk "$res.disks/vdb.img" --disk "$res.disks/vdc.img")
		fi
		rc=0
		env SBULL_KLABEL="${klabel[$series]}" SBULL_DONE_FILE="$done_file" \
			"${env[@]}" scripts/qemu/guest.sh "${gargs[@]}" -- "$runner" \
			2>"$res.err" | tee "$out" || rc=${PIPESTATUS[0]}
		rm -rf "$res.disks"
		started=''
		while IFS= read -r line; do
			case $line in
			"# start: "*) started=${line#\# start: } ;;
			"ok - "* | "not ok - "*)
				label=$(label_of "$line")
				echo "$label" >>"$done_file"
				[ "$label" != "$started" ] || started='' ;;
			esac
		done <"$out"
		[ "$rc" = 0 ] && continue
		clean=''
		grep -v '^results: ' "$res.err" | tail -n 40 | sed 's/^/# guest.sh: /'
		if [ -n "$started" ]; then
			echo "not ok - $started: the guest died or hung in it (guest.sh exited $rc: 124 timed out, 125 died, see above and $res/console.log)"
			echo "$started" >>"$done_file"
		fi
	done
	for label in "${left[@]}"; do
		echo "not ok - $label: $why"
	done
	if [ -n "$clean" ]; then
		echo "ok - [${klabel[$series]}] $what boots: $boot boot(s), each ended cleanly, kernel log clean"
	else
		echo "not ok - [${klabel[$series]}] $what boots: $boot boot(s), not all ended cleanly (logs in $check_dir)"
	fi
}

# The harness's own verdicts (selftest-guest.sh), on kernel $2: each of
# its cases must get the verdict it is made for. Its own TAP lines are
# not the run's: each expectation is one point.
job_selftest() {
	local action=$1 series=$2 k=${klabel[$2]} out want label line
	local -a expect=(
		"selftest-needs|not ok - \\[$k\\] selftest-needs: .*needs module sbull_no_such_module"
		"selftest-leftover|not ok - \\[$k\\] selftest-leftover: .*could not unload sbull"
		"selftest-timeout|not ok - \\[$k\\] selftest-timeout: .*timed out after 5 s"
		"selftest-hang|not ok - \\[$k\\] selftest-hang: .*died or hung in it"
		"selftest-after|^ok - \\[$k\\] selftest-after: "
		"summary|not ok - \\[$k\\] harness self-test boots: "
	)
	if [ "$action" = list ]; then
		for want in "${expect[@]}"; do
			echo "[$k] harness ${want%%|*}"
		done
		return
	fi
	past_deadline && return
	out=$(guest_cases "$series" "harness self-test" selftest test/selftest-guest.sh 2>&1)
	for want in "${expect[@]}"; do
		label="[$k] harness ${want%%|*}"
		line=$(grep -E -- "${want#*|}" <<<"$out" | head -n 1 || true)
		if [ -n "$line" ]; then
			echo "ok - $label: the runner said: ${line:0:160}"
		else
			echo "not ok - $label: expected a line matching /${want#*|}/"
			grep -E '^(not )?ok - ' <<<"$out" | sed 's/^/#   /'
		fi
	done
}

job_power_cut() {
	local action=$1 series=$2 modes=${3//,/ } rc=0
	if [ "$action" = list ]; then
		SBULL_LIST=1 SBULL_KLABEL="${klabel[$series]}" SBULL_MODES="$modes" \
			test/power-cut.sh "$series" -
		return
	fi
	past_deadline && return
	SBULL_KLABEL="${klabel[$series]}" SBULL_MODES="$modes" \
		test/power-cut.sh "$series" "${ko[$series]}" || rc=$?
	[ "$rc" = 0 ] || echo "# power-cut.sh exited $rc"
}

job_grade() {
	local action=$1 series=$2
	if [ "$action" = list ]; then
		SBULL_LIST=1 scripts/grade/grade-check.sh "$series" "${klabel[$series]}"
		return
	fi
	past_deadline && return
	scripts/grade/grade-check.sh "$series" "${klabel[$series]}" || echo "# grade-check.sh exited $?"
}

job_dkms() {
	local action=$1 series=$2 root
	if [ "$action" = list ]; then
		SBULL_LIST=1 test/dkms-latest.sh - -
		return
	fi
	if [ -z "$deb" ] || past_deadline; then
		return
	fi
	root=$(scripts/qemu/latest-root.sh) && test/dkms-latest.sh "$root" "$deb" ||
		echo "# dkms-latest.sh exited $?"
}

job_boot() {
	local action=$1 series=$2
	if [ "$action" = list ]; then
		SBULL_LIST=1 SBULL_KLABEL="${klabel[$series]}" test/boot.sh "$series" - -
		return
	fi
	if [ -z "$deb" ] || past_deadline; then
		return
	fi
	SBULL_KLABEL="${klabel[$series]}" test/boot.sh "$series" "${ko[$series]}" "$deb" ||
		echo "# boot.sh exited $?"
}

job_dkms_guest() {
	local action=$1 series=$2
	if [ "$action" = list ]; then
		SBULL_LIST=1 SBULL_KLABEL="${klabel[$series]}" test/dkms-guest.sh -
		return
	fi
	[ -n "$deb" ] || return 0
	scripts/qemu/guest.sh --series "$series" --timeout 1200 \
		--results "$check_dir/$series-dkms-guest" -- test/dkms-guest.sh "$deb" ||
		echo "# the DKMS guest exited $?"
}

# Job line $2 of kernel $1: action $3 (list or run).
job() {
	local series=$1 action=$3 kind
	local -a words
	read -ra words <<<"$2"
	kind=${words[0]}
	case $kind in
	suite | mirror)
		case_selected_any "$kind" || return 0
		job_guest "$action" "$series" "$kind" "${words[@]:1}" ;;
	power-cut)
		case_selected power-cut || return 0
		job_power_cut "$action" "$series" "${words[1]}" ;;
	grade)
		case_selected grade || return 0
		job_grade "$action" "$series" ;;
	selftest)
		case_selected selftest || return 0
		job_selftest "$action" "$series" ;;
	dkms)
		case_selected dkms || return 0
		job_dkms "$action" "$series" ;;
	dkms-guest) job_dkms_guest "$action" "$series" ;;
	boot)
		case_selected boot || return 0
		job_boot "$action" "$series" ;;
	esac
}

# Does the guest or mirror suite have a selected case?
case_selected_any() {
	local runner=test/suite-guest.sh
	[ "$1" = suite ] || runner=test/mirror-guest.sh
	[ -z "$SBULL_CASES" ] || [ -n "$(SBULL_LIST=1 SBULL_MODES="bio mq simple" "$runner")" ]
}

# ---- host checks -----------------------------------------------------------

host_list() {
	if case_selected static-checks; then
		SBULL_LIST=1 test/static-checks.sh "${release[@]}"
	fi
	if case_selected deb || case_selected dkms || case_selected dkms-guest ||
		case_selected boot; then
		echo "make deb"
		echo "make dkms-install and dkms-remove"
	fi
}

deb=''
host_run() {
	if case_selected deb || case_selected dkms || case_selected dkms-guest ||
		case_selected boot; then
		local t=$SECONDS
		if deb=$(scripts/build-deb.sh 2>"$check_dir/deb.err"); then
			echo "ok - make deb: sbull-dkms builds, lintian clean"
		else
			echo "not ok - make deb: sbull-dkms builds, lintian clean"
			tail -n 30 "$check_dir/deb.err" | sed 's/^/#   /'
			deb=''
		fi
		echo "# time: make deb: $((SECONDS - t)) s"
		if [ -n "$deb" ]; then
			point "make dkms-install and dkms-remove" \
				"make dkms-install puts the package's tree in /usr/src" \
				test/dkms-tree.sh "$deb" || true
		fi
	fi
}

# ---- the queue: jobs two at a time ---------------------------------------

# Each guest is one host thread (guest.sh runs TCG single-threaded), so
# SBULL_JOBS (2) jobs run at once, on as many cores; longest first, each
# taking the next when it ends.

# A job's weight: seconds it took in a full run on this project's CI
# machine (two cores, TCG), rounded; the order matters, not the numbers.
job_weight() {
	local -a words
	local commas
	read -ra words <<<"$2"
	commas=${words[1]:-}
	commas=${commas//[^,]/}
	case ${words[0]} in
	static-checks) echo 420 ;;
	suite) echo $((400 * (${#commas} + 1))) ;;
	mirror) echo $((600 * (${#commas} + 1) + 300 * words[2])) ;;
	power-cut) echo $((150 * (${#commas} + 1))) ;;
	grade) echo 300 ;;
	dkms) echo 240 ;;
	boot) echo 300 ;;
	*) echo 120 ;;
	esac
}

# The jobs to run, heaviest first: "WEIGHT<tab>SERIES<tab>JOB LINE".
queue_of() {
	local series job_line
	if case_selected static-checks; then
		printf '%s\t-\tstatic-checks\n' "$(job_weight - static-checks)"
	fi
	for series in $series_list; do
		[ -n "${fetched[$series]:-}" ] || continue
		while IFS= read -r job_line; do
			printf '%s\t%s\t%s\n' "$(job_weight "$series" "$job_line")" "$series" "$job_line"
		done < <(jobs_of "$series")
	done | sort -s -t$'\t' -k1,1nr
}

# Copy a job's output to the run's in blocks, a case's lines together:
# a block ends with a case's "# time:" line (or the job's end), and is
# written under a lock, so that two jobs' lines never interleave within
# one case's.
relay() {
	local line block=''
	while IFS= read -r line; do
		block+=$line$'\n'
		[[ $line == "# time: "* ]] || continue
		flock "$check_dir/.relay" printf '%s' "$block"
		block=''
	done
	[ -z "$block" ] || flock "$check_dir/.relay" printf '%s' "$block"
}

# Job line $2 of kernel $1 ("-": the host's static checks), its output
# relayed, and its time.
run_one() {
	local series=$1 job_line=$2 t=$SECONDS name
	{
		if [ "$series" = - ]; then
			name=static-checks
			test/static-checks.sh "${release[@]}" || echo "# static-checks.sh exited $?"
		else
			name="[${klabel[$series]}] ${job_line%% *}"
			job "$series" "$job_line" run || true
		fi
		echo "# job $name took $((SECONDS - t)) s"
	} 2>&1 | relay
}

run_queue() {
	local series job_line i
	local -a queue=()
	mapfile -t queue < <(queue_of)
	for i in "${queue[@]}"; do
		IFS=$'\t' read -r _ series job_line <<<"$i"
		while [ "$(jobs -rp | wc -l)" -ge "${SBULL_JOBS:-2}" ]; do
			wait -n || true
		done
		run_one "$series" "$job_line" &
	done
	wait
}

# ---- the run -------------------------------------------------------------

declare -A release=() klabel=() ko=() fetched=()

# Every point of every job, one a line.
plan_points() {
	local series job_line
	echo "deps"
	for series in $series_list; do
		echo "[${klabel[$series]}] kernel"
	done
	host_list
	for series in $series_list; do
		while IFS= read -r job_line; do
			job "$series" "$job_line" list
		done < <(jobs_of "$series")
	done
}

suite() {
	local series job_line built
	local -a plan=()
	local deps_rc=0
	echo "# logs: $check_dir; deadline: $(date -d "@$deadline" +%T)"
	# Before the plan, which needs the kernels; reported after it.
	scripts/install-deps.sh >"$check_dir/deps.log" 2>&1 || deps_rc=$?
	for series in $series_list; do
		klabel[$series]=$series
		if release[$series]=$(scripts/qemu/fetch-kernel.sh "$series" 2>"$check_dir/fetch-$series.err"); then
			fetched[$series]=1
			klabel[$series]=$(echo "${release[$series]}" | cut -d. -f1,2)
		else
			unset "release[$series]"
		fi
	done

	# The plan: every point of every job, before anything runs.
	mapfile -t plan < <(plan_points)
	echo "1..${#plan[@]}"
	printf '# plan: %s\n' "${plan[@]}"
	if [ "$(printf '%s\n' "${plan[@]}" | sort | uniq -d | head -n 1)" != "" ]; then
		echo "# the plan names a point twice: $(printf '%s\n' "${plan[@]}" | sort | uniq -d | head -n 3 | tr '\n' ';')"
		echo "not ok - plan: every point named once"
	fi

	if [ "$deps_rc" = 0 ]; then
		echo "ok - deps: the dependencies are installed"
	else
		echo "not ok - deps: the dependencies are installed (exit $deps_rc)"
		tail -n 30 "$check_dir/deps.log" | sed 's/^/#   /'
	fi
	for series in $series_list; do
		if [ -z "${fetched[$series]:-}" ]; then
			echo "not ok - [${klabel[$series]}] kernel: fetched and sbull.ko built: the download failed"
			tail -n 20 "$check_dir/fetch-$series.err" | sed 's/^/#   /'
			continue
		fi
		# The guests load a copy: the static checks build again (W=1,
		# sparse) in the same build directory while they run.
		ko[$series]=$check_dir/sbull-$series.ko
		if built=$(scripts/build-module.sh "${release[$series]}" 2>"$check_dir/build-$series.err") &&
			cp "$built" "${ko[$series]}"; then
			echo "ok - [${klabel[$series]}] kernel: ${release[$series]} fetched and sbull.ko built"
		else
			echo "not ok - [${klabel[$series]}] kernel: ${release[$series]} fetched and sbull.ko built: the build failed"
			tail -n 20 "$check_dir/build-$series.err" | sed 's/^/#   /'
			unset "fetched[$series]"
		fi
	done
	host_run
	run_queue
}

if [ "${SBULL_PLAN_ONLY:-}" = 1 ]; then
	for series in $series_list; do
		klabel[$series]=$series
	done
	plan_points
	exit 0
fi
suite 2>&1 | tap_count

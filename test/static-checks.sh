#!/usr/bin/env bash
# Host-side checks, one TAP line each: a warning-free build with W=1 and
# sparse for every kernel given, checkpatch --strict, kernel-doc, shellcheck.
# Usage: static-checks.sh RELEASE...
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

# Test point $1, described by $2: run "$@"; ok if it succeeds and prints
# nothing. With SBULL_LIST=1, only its label.
check() {
	local label=$1 desc=$2 out t=$SECONDS
	shift 2
	if [ "${SBULL_LIST:-}" = 1 ]; then
		echo "$label"
		return
	fi
	if out=$("$@" 2>&1) && [ -z "$out" ]; then
		echo "ok - $label: $desc"
	else
		echo "not ok - $label: $desc"
		echo "$out" | head -n 30 | sed 's/^/#   /'
	fi
	echo "# time: $label: $((SECONDS - t)) s"
}

# kbuild's notes (no vmlinux for BTF, ...) are not warnings.
build_warnings() {
	local out
	out=$(scripts/build-module.sh "$1" W=1 C=1 2>&1 >/dev/null) || {
		echo "$out"
		return 1
	}
	echo "$out" | grep -E 'warning:|error:' || true
}

# The driver's sources; the trace header, with a layout of its own, is
# checked apart below.
mapfile -t sources < <(scripts/sources.sh | grep -vx sbull_trace.h)
for release in "$@"; do
	check "[$(echo "$release" | cut -d. -f1,2)] build with W=1 and sparse (C=1)" \
		"no warnings" build_warnings "$release"
done

checkpatch=checkpatch.pl
[ "${SBULL_LIST:-}" = 1 ] || checkpatch=$(scripts/fetch-checkpatch.sh)
check "checkpatch --strict" "the driver's sources" "$checkpatch" --strict \
	--no-tree --quiet -f "${sources[@]}"
# Kernel versions are told apart by probes of their headers (Kbuild), in
# sbull_compat.h alone, never by version number: print any line that does
# otherwise.
version_checks() {
	local others
	mapfile -t others < <(printf '%s\n' "${sources[@]}" sbull_trace.h |
		grep -vx sbull_compat.h)
	grep -nE 'LINUX_VERSION_CODE|KERNEL_VERSION' sbull_compat.h "${others[@]}"
	grep -nE '^#(if|elif).*SBULL_HAVE_' "${others[@]}"
	return 0
}
check "API probes" "used in sbull_compat.h alone, no version checks" version_checks
# TRACE_EVENT() has a layout of its own, that of include/trace/events/.
check "checkpatch --strict sbull_trace.h" "TRACE_EVENT layout allowed" \
	"$checkpatch" --strict --no-tree --quiet \
	--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f sbull_trace.h
# kernel-doc from the first kernel given whose headers are the host's (the
# newest kernel's are in its own root: latest-root.sh).
kernel_doc=''
for r in "$@"; do
	[ -z "$kernel_doc" ] && [ -e "/lib/modules/$r/build/scripts/kernel-doc" ] &&
		kernel_doc=/lib/modules/$r/build/scripts/kernel-doc
done
kernel_doc=${kernel_doc:-$(find /usr/src -maxdepth 3 -path '*/linux-headers-*/scripts/kernel-doc' | head -n 1)}
check "kernel-doc" "on every function it documents" \
	perl "$kernel_doc" -none -Werror \
	"${sources[@]}" sbull_trace.h
# The mirror's layers call down only (sbull_mirror_internal.h); what goes
# up is printed.
mirror_layers() {
	local out
	out=$(scripts/mirror-layers.py) || { grep -e UP -e 'go up' -e 'does not exist' <<<"$out"; return 1; }
}
check "mirror layers" "calls go down only (scripts/mirror-layers.py)" mirror_layers
# The matrix of docs/testing.md is the plan's (test/matrix.sh).
check "docs/testing.md matrix" "the plan's, test/matrix.sh --check" \
	test/matrix.sh --check
mapfile -t shells < <(git ls-files -co --exclude-standard '*.sh' .ci/run tools/sbullctl)
check "shellcheck" "every shell script" shellcheck -x "${shells[@]}"
# The benchmark report's noise rules (bench/noise.py), on made-up runs.
bench_unit() {
	python3 -m unittest -q bench/noise_test.py 2>&1 | grep -v -e '^-*$' -e '^Ran ' -e '^OK$' || true
}
check "bench noise rules" "bench/noise_test.py" bench_unit
# Every module parameter is in README's table and, commented out, in the
# package's /etc/modprobe.d/sbull.conf.
params_documented() {
	local p
	local -a params
	# shellcheck disable=SC2046 # one source file a line
	mapfile -t params < <(grep -ho 'module_param[a-z_]*( *[a-z_]*' \
		$(scripts/sources.sh | grep '\.c$') | sed 's/.*( *//' | sort -u)
	for p in "${params[@]}"; do
		grep -q "^| \`$p\` |" README.md || echo "README.md's table lacks $p"
		grep -q "^# options sbull $p=" debian/modprobe.d/sbull.conf ||
			echo "debian/modprobe.d/sbull.conf lacks $p"
	done
}
check "parameters documented" "README's table and the package's modprobe.d" params_documented

#!/usr/bin/env bash
# make grade: grade student trees (make exercises) in one QEMU guest.
# For each tree: look for the classic mistakes in its exercise regions,
# build it for Debian's 6.1 kernel (or SERIES), run the exercise checks of
# test/cases/exercise.sh in the guest, and print a score per exercise and
# a hint for each mistake found.
# A crash ends the guest (oops=panic); the next one goes on with the rest.
# Usage: grade.sh [--summary] [TREE...]   (default: exercises/)
# Environment: EX (the exercises to grade, default "1 2 3 4 5"), SERIES.
# --summary: one line per tree and exercise, for test/grade-check.sh:
# "score TREE N GOT TOTAL MISTAKE..." (MISTAKE: page_address, cur_bytes,
# submit_bio, sleep).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

summary=''
if [ "${1:-}" = --summary ]; then
	summary=1
	shift
fi
[ $# -gt 0 ] || set -- "$repo/exercises"
exercises=${EX:-1 2 3 4 5}
series=${SERIES:-6.1}
titles=('' 'copy one segment (sbull_xfer.c)' 'walk a bio (sbull_queue.c)'
	'walk a request (sbull_queue.c)' 'complete segment by segment (sbull_queue.c)'
	'send a write to the legs with dm_io() (sbull_mirror.c)')
# The runtime checks of each exercise (test/cases/exercise.sh).
checks=(0 3 3 4 3 2)

declare -A hint=(
	[page_address]="page_address() on a bio_vec's page: a page in high memory has no kernel mapping to copy through. Map it with kmap_local_page(), unmap with kunmap_local()."
	[cur_bytes]="bio_cur_bytes(), bio_iovec(bio) or blk_rq_cur_bytes() give the bio's current segment (the first one, as the walk leaves the bio alone), not the one being walked: copy bvec.bv_len bytes."
	[submit_bio]="sbull_mq_fops has a .submit_bio: the block layer then hands every bio to it and bypasses blk-mq (requests stays 0). The blk-mq modes need a table without it."
	[sleep]="the notify callback sbull_mirror_endio() may sleep: dm-io calls it in any context, a leg's interrupt handler included. Never sleep there (no mutex, msleep, wait, GFP_KERNEL)."
)

# The lines of exercise $2's regions in tree $1.
region() {
	awk -v n="$2" '
		$0 ~ "EXERCISE " n " END" { on = 0 }
		on { print }
		$0 ~ "EXERCISE " n " BEGIN" { on = 1 }
	' "$1"/sbull*.c
}

# The lines of the block that starts at the line matching $2 in file $1,
# up to its closing brace in column 1 (a function body, a table).
block() {
	awk -v start="$2" 'index($0, start) { on = 1 } on { print } on && /^}/ { exit }' "$1"
}

# The classic mistakes of exercise $2 in tree $1, one name a line.
mistakes() {
	local tree=$1 n=$2
	case $n in
	1) region "$tree" 1 | grep -q 'page_address(' && echo page_address ;;
	3) block "$tree/sbull_queue.c" 'sbull_mq_fops = {' | grep -q '\.submit_bio' &&
		echo submit_bio ;;
	5) { region "$tree" 5 && block "$tree/sbull_mirror.c" 'void sbull_mirror_endio('; } |
		grep -Eq '\b(msleep|ssleep|usleep_range|mutex_lock|down|down_interruptible|wait_for_completion[a-z_]*|wait_event[a-z_]*|schedule|schedule_timeout|cond_resched|might_sleep|flush_work|flush_workqueue|synchronize_rcu|vmalloc)\(|GFP_KERNEL' &&
		echo sleep ;;
	esac
	case $n in
	1 | 2 | 3 | 4) region "$tree" "$n" | grep -Eq '\b(bio_cur_bytes|blk_rq_cur_bytes|blk_rq_cur_sectors)\(|bio_iovec\(bio\)' &&
		echo cur_bytes ;;
	esac
	return 0
}

scripts/install-deps.sh >&2
release=$(scripts/fetch-kernel.sh "$series")
trees=()
declare -A built=() ko=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Build the trees, two at a time (the builds are short and mostly waiting).
i=0
for tree in "$@"; do
	tree=$(cd "$tree" && pwd) || exit 2
	[ -e "$tree/sbull_xfer.c" ] || { echo "grade: no sbull tree in $tree (make exercises)" >&2 && exit 2; }
	trees+=("$tree")
	while [ "$(jobs -pr | wc -l)" -ge 2 ]; do
		wait -n || true
	done
	SBULL_SRC=$tree scripts/build-module.sh "$release" >"$work/$i.ko" 2>"$work/$i.log" &
	i=$((i + 1))
done
wait
for i in "${!trees[@]}"; do
	tree=${trees[i]}
	if [ -s "$work/$i.ko" ]; then
		ko[$tree]=$(cat "$work/$i.ko")
		built[$tree]=1
	else
		echo "grade: $tree does not build for $release:" >&2
		grep -E 'error' "$work/$i.log" | head -n 20 >&2 || true
	fi
done

out=$work/guest.out
touch "$out"

# The guest's lines for tree $1: its variant's blocks.
variant_lines() {
	awk -v v="# variant $1" '/^# variant / { on = ($0 == v) } on' "$out"
}

# The exercises of tree $1 that the guest has ended, one a line.
ended() {
	variant_lines "$1" | sed -n 's/^\(not \)\{0,1\}ok - .* exercise \([0-9]*\): .*/\2/p'
}

# The exercises of tree $1 still to run: neither ended nor crashed.
pending_of() {
	local n list=''
	for n in $exercises; do
		[ -z "${crashed[$1 $n]:-}" ] || continue
		ended "$1" | grep -qx "$n" || list+="$n "
	done
	echo "${list% }"
}

# The guest's arguments (args) for every tree's pending exercises, and the
# first of them (first: "TREE N").
collect() {
	local tree pending
	args=() first=''
	for tree in "${trees[@]}"; do
		[ -n "${built[$tree]:-}" ] || continue
		pending=$(pending_of "$tree")
		[ -n "$pending" ] || continue
		[ -n "$first" ] || first="$tree ${pending%% *}"
		args+=("$tree" "${ko[$tree]}" "$pending")
	done
}

# Guests until every exercise of every tree that builds has ended. An oops
# panics the guest (oops=panic), so a student's crash ends that guest at
# once; the exercise it was in is marked as crashed, and the next guest
# goes on with the rest.
declare -A crashed=()
runs=0
collect
while [ ${#args[@]} -gt 0 ] && [ "$runs" -lt 8 ]; do
	runs=$((runs + 1))
	mkdir -p "$work/results.$runs"
	scripts/guest.sh --series "$series" --timeout 1500 --append oops=panic \
		--results "$work/results.$runs" --module "${args[1]}" -- \
		test/grade-guest.sh "${args[@]}" >>"$out" 2>/dev/null || true
	collect
	if [ -n "$first" ]; then
		crashed[$first]=$(grep -a -m 4 -E 'BUG:|Oops:|RIP:|Kernel panic' \
			"$work/results.$runs/console.log" || echo "the guest timed out")
		collect
	fi
done

for tree in "${trees[@]}"; do
	[ -n "$summary" ] || echo "== $tree ($release)"
	lines=$(variant_lines "$tree")
	for n in $exercises; do
		found=$(mistakes "$tree" "$n" | sort -u | tr '\n' ' ')
		total=$((checks[n] + 2)) got=0
		[ -n "$found" ] || got=1
		ex_lines=$(awk -v n="$n" '/^(not )?ok - .* exercise / { on = ($0 ~ "exercise " n ":") } on' <<<"$lines")
		if [ -n "${built[$tree]:-}" ]; then
			got=$((got + $(grep -c '^# check .*: ok$' <<<"$ex_lines" || true)))
			! grep -q '^ok - ' <<<"$ex_lines" || got=$((got + 1))
		fi
		if [ -n "$summary" ]; then
			echo "score $tree $n $got $total $found"
			continue
		fi
		echo "exercise $n, ${titles[n]}: $got/$total"
		grep '^# check .*FAIL' <<<"$ex_lines" | sed 's/^# check /   failed: /' || true
		for m in $found; do
			echo "   hint: ${hint[$m]}"
		done
		[ -n "${built[$tree]:-}" ] || echo "   the tree does not build"
		if [ -n "${crashed[$tree $n]:-}" ]; then
			echo "   the kernel crashed (or the guest hung) in this exercise:"
			echo "     ${crashed[$tree $n]//$'\n'/$'\n'     }"
		fi
		grep '^#   kernel: ' <<<"$ex_lines" | sed 's/^#  /  /' || true
	done
done

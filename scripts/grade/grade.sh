#!/usr/bin/env bash
# make grade: grade student trees (make exercises) in QEMU guests.
# Exercise N of a tree is graded alone: the reference driver (this
# repository's) with the tree's regions of exercise N in place of its own,
# so that the exercises can be done in any order and a mistake costs only
# its exercise. For each: look for the classic mistakes in the regions,
# build for Debian's 6.1 kernel (or SERIES), run cases/exercise.sh N
# in the guest, and print a score and a hint for each mistake found.
# An oops, a hung task or a soft lockup panics the guest; the exercise it
# was in is marked as crashed, and the next guest goes on with the rest.
# Usage: grade.sh [--summary] [TREE...]   (default: exercises/)
# Environment: EX (the exercises to grade, default "1 2 3 4 5 6"), SERIES.
# --summary: one line per tree and exercise, for scripts/grade/grade-check.sh:
# "score TREE N GOT TOTAL MISTAKE..." (MISTAKE: page_address, cur_bytes,
# submit_bio, sleep, sync_dm_io, preflush).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# The driver's source files (Kbuild's list), one a line.
sources=$("$repo/scripts/sources.sh")
cd "$repo"

summary=''
if [ "${1:-}" = --summary ]; then
	summary=1
	shift
fi
[ $# -gt 0 ] || set -- "$repo/exercises"
exercises=${EX:-1 2 3 4 5 6}
series=${SERIES:-6.1}
titles=('' 'copy one segment (sbull_xfer.c)' 'walk a bio (sbull_queue.c)'
	'walk a request (sbull_queue.c)' 'complete segment by segment (sbull_queue.c)'
	'send a write to the legs with dm_io() (sbull_writethrough.c)'
	'make writes durable: flush and FUA (sbull_cache.c)')
# The runtime checks of each exercise (cases/exercise.sh).
checks=(0 3 3 5 4 2 8)

declare -A hint=(
	[page_address]="page_address() on a bio_vec's page: a page in high memory has no kernel mapping to copy through. Map it with kmap_local_page(), unmap with kunmap_local()."
	[cur_bytes]="bio_cur_bytes(), bio_iovec(bio) or blk_rq_cur_bytes() give the bio's current segment (the first one, as the walk leaves the bio alone), not the one being walked: copy bvec.bv_len bytes."
	[submit_bio]="sbull_mq_fops has a .submit_bio: the block layer then hands every bio to it and bypasses blk-mq (requests stays 0). The blk-mq modes need a table without it."
	[sleep]="the notify callback sbull_wt_endio() may sleep: dm-io calls it in any context, a leg's interrupt handler included. Never sleep there (no mutex, msleep, wait, GFP_KERNEL allocation, dm_io())."
	[preflush]="a flush reaches a bio-based driver as a write bio with REQ_PREFLUSH (empty, or carrying data), not as REQ_OP_FLUSH, which only blk-mq sends: test opf & REQ_PREFLUSH too."
	[sync_dm_io]="dm_io() without a notify.fn waits for the legs, in the worker, one write at a time: give it notify.fn = sbull_wt_notify and the write as its context, and let the callback end the write."
)

# C code of stdin without its comments.
code_only() {
	perl -0pe 's{/\*.*?\*/}{}gs; s{//[^\n]*}{}g'
}

# The code of exercise $1's regions in the files after it.
region() {
	local n=$1
	shift
	awk -v n="$n" '
		$0 ~ "EXERCISE " n " END" { on = 0 }
		on { print }
		$0 ~ "EXERCISE " n " BEGIN" { on = 1 }
	' "$@" | code_only
}

# The code of the function that starts at the line matching $2 in file $1.
function_code() {
	awk -v start="$2" 'index($0, start) { on = 1 } on { print } on && /^}/ { exit }' "$1" |
		code_only
}

# The classic mistakes of exercise $2 in tree $1, one name a line.
mistakes() {
	local tree=$1 n=$2 code
	# shellcheck disable=SC2046 # one source file a line
	code=$(cd "$tree" && region "$n" $(grep '\.c$' <<<"$sources"))
	case $n in
	1) grep -q 'page_address(' <<<"$code" && echo page_address ;;
	3) grep -q '\.submit_bio' <<<"$code" && echo submit_bio ;;
	5)
		function_code "$tree/sbull_writethrough.c" 'void sbull_wt_endio(' |
			grep -Eq '\b(msleep|msleep_interruptible|ssleep|usleep_range|fsleep|mutex_lock[a-z_]*|down|down_read|down_write|down_interruptible|down_killable|down_timeout|wait_for_completion[a-z_]*|wait_event[a-z_]*|wait_var_event[a-z_]*|schedule|schedule_timeout[a-z_]*|cond_resched|might_sleep|flush_work|flush_workqueue|synchronize_rcu|vmalloc|kvmalloc|sbull_dm_io|dm_io)\(|GFP_(KERNEL|NOIO|NOFS)' &&
			echo sleep
		grep -q 'dm_io(' <<<"$code" && ! grep -q 'notify\.fn' <<<"$code" && echo sync_dm_io
		;;
	6) grep -q 'REQ_OP_FLUSH' <<<"$code" && ! grep -q 'REQ_PREFLUSH' <<<"$code" &&
		echo preflush ;;
	esac
	case $n in
	1 | 2 | 3) grep -Eq '\b(bio_cur_bytes|blk_rq_cur_bytes|blk_rq_cur_sectors)\(|bio_iovec\(bio\)' <<<"$code" &&
		echo cur_bytes ;;
	esac
	return 0
}

# The reference driver with tree $1's regions of exercise $2 in place of
# its own, written to directory $3. Fails when the tree's markers of that
# exercise are not the reference's.
splice() {
	local tree=$1 n=$2 out=$3 f
	mkdir -p "$out"
	cp "$repo"/Kbuild "$repo"/Makefile "$repo"/VERSION "$out"/
	for f in $sources; do
		f=$repo/$f
		[ "${f%.c}" != "$f" ] || { cp "$f" "$out"/ && continue; }
		[ -e "$tree/${f##*/}" ] || return 1
		awk -v n="$n" '
			FNR == NR {	# the tree'"'"'s file: its regions, in order
				if ($0 ~ "EXERCISE " n " END") on = 0
				if (on) text[k] = text[k] $0 "\n"
				if ($0 ~ "EXERCISE " n " BEGIN") { on = 1; text[++k] = "" }
				next
			}
			$0 ~ "EXERCISE " n " END" { skip = 0 }
			skip { next }
			{ print }
			$0 ~ "EXERCISE " n " BEGIN" {
				if (!(++r in text)) exit 1
				printf "%s", text[r]
				skip = 1
			}
			END { if (r != k) exit 1 }
		' "$tree/${f##*/}" "$f" >"$out/${f##*/}" || return 1
	done
}

scripts/install-deps.sh >&2
release=$(scripts/qemu/fetch-kernel.sh "$series")
trees=()
declare -A ko=() why=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One source per tree and exercise, built once per distinct content (the
# reference's regions are often all there is), two builds at a time.
builds=()
for tree in "$@"; do
	tree=$(cd "$tree" && pwd) || exit 2
	[ -e "$tree/sbull_xfer.c" ] || { echo "grade: no sbull tree in $tree (make exercises)" >&2 && exit 2; }
	trees+=("$tree")
	for n in $exercises; do
		rm -rf "$work/splice"
		if ! splice "$tree" "$n" "$work/splice"; then
			why[$tree $n]="its EXERCISE $n BEGIN/END markers are not those of make exercises"
			continue
		fi
		h=$(cat "$work/splice"/* | cksum | tr ' ' -)
		ko[$tree $n]=$h
		[ ! -d "$work/src-$h" ] || continue
		mv "$work/splice" "$work/src-$h"
		builds+=("$h")
	done
done
for h in "${builds[@]}"; do
	while [ "$(jobs -pr | wc -l)" -ge 2 ]; do
		wait -n || true
	done
	SBULL_SRC=$work/src-$h scripts/build-module.sh "$release" >"$work/$h.ko" 2>"$work/$h.log" &
done
wait
for key in "${!ko[@]}"; do
	h=${ko[$key]}
	if [ -s "$work/$h.ko" ]; then
		ko[$key]=$(cat "$work/$h.ko")
	else
		unset "ko[$key]"
		why[$key]="it does not build for $release: $(grep -m 5 'error' "$work/$h.log" || true)"
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

# Which tree runs each module and exercise: an exercise whose module is
# another tree's (the same code, often the reference's) runs once.
declare -A runner=() graded_by=()
for tree in "${trees[@]}"; do
	for n in $exercises; do
		[ -n "${ko[$tree $n]:-}" ] || continue
		: "${runner[${ko[$tree $n]} $n]:=$tree}"
		graded_by[$tree $n]=${runner[${ko[$tree $n]} $n]}
	done
done

# The guest's arguments (args: TREE KO N, for grade-guest.sh) for every
# exercise still to run, neither ended nor crashed, and the first of them
# (first: "TREE N").
collect() {
	local tree n ran
	args=() first=''
	for tree in "${trees[@]}"; do
		ran=$(ended "$tree")
		for n in $exercises; do
			[ -n "${ko[$tree $n]:-}" ] || continue
			[ "${graded_by[$tree $n]}" = "$tree" ] || continue
			[ -z "${crashed[$tree $n]:-}" ] || continue
			! grep -qx "$n" <<<"$ran" || continue
			[ -n "$first" ] || first="$tree $n"
			args+=("$tree" "${ko[$tree $n]}" "$n")
		done
	done
}

# Guests until every exercise that builds has ended. A guest that ends
# with work left ended inside the first of it: that one crashed (or hung).
declare -A crashed=()
runs=0
collect
while [ ${#args[@]} -gt 0 ] && [ "$runs" -lt 8 ]; do
	runs=$((runs + 1))
	mkdir -p "$work/results.$runs"
	lines=$(wc -l <"$out")
	scripts/qemu/guest.sh --series "$series" --timeout 1500 \
		--append "oops=panic hung_task_panic=1 hung_task_timeout_secs=30 softlockup_panic=1" \
		--results "$work/results.$runs" --module "${args[1]}" -- \
		scripts/grade/grade-guest.sh "${args[@]}" >>"$out" 2>/dev/null || true
	if ! tail -n +$((lines + 1)) "$out" | grep -q '^# variant '; then
		echo "grade: the guest ran no exercise (see $work/results.$runs/console.log)" >&2
		break
	fi
	collect
	if [ -n "$first" ]; then
		crashed[$first]=$(grep -a -m 4 -E 'BUG:|Oops:|RIP:|Kernel panic|blocked for more than|soft lockup' \
			"$work/results.$runs/console.log" || echo "the guest timed out")
		collect
	fi
done

for tree in "${trees[@]}"; do
	[ -n "$summary" ] || echo "== $tree ($release)"
	for n in $exercises; do
		found=$(mistakes "$tree" "$n" | sort -u | tr '\n' ' ')
		found=${found% }
		total=$((checks[n] + 2)) got=0
		by=${graded_by[$tree $n]:-$tree}
		ex_lines=$(variant_lines "$by" |
			awk -v n="$n" '/^(not )?ok - .* exercise / { on = ($0 ~ "exercise " n ":") } on')
		passed=$(grep -c '^# check .*: ok$' <<<"$ex_lines" || true)
		# The mark for no classic mistake goes with working code only.
		if [ "$passed" -gt 0 ]; then
			got=$((passed + 1))
			[ -n "$found" ] || got=$((got + 1))
			! grep -q '^not ok - ' <<<"$ex_lines" || got=$((got - 1))
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
		[ -z "${why[$tree $n]:-}" ] || echo "   not graded: ${why[$tree $n]}"
		if [ -n "${crashed[$by $n]:-}" ]; then
			echo "   the kernel crashed (or the guest hung) in this exercise:"
			echo "     ${crashed[$by $n]//$'\n'/$'\n'     }"
		fi
		grep '^#   kernel: ' <<<"$ex_lines" | sed 's/^#  /  /' || true
	done
done

#!/usr/bin/env bash
# make exercises: write the student tree. A copy of the driver in which
# each region between "EXERCISE N BEGIN" and "EXERCISE N END" is replaced
# by a TODO, so that the exercises never drift from the code. The student
# tree builds, and fails every exercise until they are written. An
# existing student tree is kept unless FORCE=1.
# Usage: exercises.sh [DIR]   (default: exercises/ in the repository)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/exercises}

# What a region leaves behind besides its TODO, where an empty region
# would not do, by "N.K" (the K-th region of exercise N in file order;
# "@@" between lines): the build needs the blk-mq table, and a request or
# a write never completed would hang its caller, so exercise 4's stub
# fails the whole request and exercise 5's fail the write as if every leg
# had.
stubs=(
	'3.2=const struct block_device_operations sbull_mq_fops;	/* empty */'
	'4.1=blk_update_request(rq, BLK_STS_IOERR, blk_rq_bytes(rq));	/* fails it */'
	'5.1=sbull_leg_fail(m, legs);@@sbull_bitmap_end(m, mio->sector, mio->nr_sectors);@@sbull_leg_put(m, legs);@@mio->end_io(mio, BLK_STS_IOERR);	/* fails it */@@sbull_wt_answered(m);'
	'5.2=sbull_wt_endio(~0UL, mio);	/* as if every leg failed */'
)

# Replace the regions of file $1 (read) into file $2.
strip_regions() {
	awk -v stubs="$(printf '%s\n' "${stubs[@]}")" '
	BEGIN {
		n = split(stubs, list, "\n")
		for (i = 1; i <= n; i++) {
			k = substr(list[i], 1, index(list[i], "=") - 1)
			stub[k] = substr(list[i], index(list[i], "=") + 1)
		}
	}
	match($0, /EXERCISE [0-9]+ BEGIN/) {
		n = substr($0, RSTART + 9, RLENGTH - 15)
		key = n "." ++seen[n]
		indent = $0
		sub(/[^ \t].*/, "", indent)
		print
		print indent "/* TODO: write this part (docs/teaching/exercises.md, exercise " n ") */"
		if (key in stub) {
			lines = split(stub[key], l, "@@")
			for (i = 1; i <= lines; i++)
				print indent l[i]
		}
		skip = 1
		next
	}
	/EXERCISE [0-9]+ END/ { skip = 0 }
	!skip { print }
	' "$1" >"$2"
}

if [ -e "$out" ]; then
	if [ ! -e "$out/.sbull-exercises" ]; then
		echo "exercises.sh: $out exists and is not a student tree; not touching it" >&2
		exit 1
	fi
	if [ "${FORCE:-}" != 1 ]; then
		echo "exercises.sh: $out exists, with your work in it; FORCE=1 starts again" >&2
		exit 1
	fi
fi
rm -rf "$out"
mkdir -p "$out"
touch "$out/.sbull-exercises"
cp "$repo"/Kbuild "$repo"/Makefile "$repo"/VERSION "$out"/
for f in $("$repo/scripts/sources.sh"); do
	strip_regions "$repo/$f" "$out/$f"
done
n=$(grep -ho 'EXERCISE [0-9]* BEGIN' "$out"/*.c | sort -u | wc -l)
echo "exercises: $out ($n exercises; docs/teaching/exercises.md; make grade)"

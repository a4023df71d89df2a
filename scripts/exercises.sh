#!/usr/bin/env bash
# make exercises: write the student tree. A copy of the driver in which
# each region between "EXERCISE N BEGIN" and "EXERCISE N END" is replaced
# by a TODO, so that the exercises never drift from the code. The student
# tree builds, and fails every exercise until they are written.
# Usage: exercises.sh [DIR]   (default: exercises/ in the repository)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/exercises}

# What a region leaves behind besides its TODO, where nothing would not
# do: a request or a write that is never completed would hang its caller.
# So exercise 4's stub fails the whole request, and exercise 5's fails the
# write as if every leg had.
stub4='blk_update_request(rq, BLK_STS_IOERR, blk_rq_bytes(rq));	/* fails it */'
stub5='sbull_mirror_endio(~0UL, mio);	/* as if every leg failed */'

# Replace the regions of file $1 (read) into file $2.
strip_regions() {
	awk -v stub4="$stub4" -v stub5="$stub5" '
	match($0, /EXERCISE [0-9]+ BEGIN/) {
		n = substr($0, RSTART + 9, RLENGTH - 15)
		indent = $0
		sub(/[^ \t].*/, "", indent)
		print
		print indent "/* TODO: write this part (docs/exercises.md, exercise " n ") */"
		if (n == 4)
			print indent stub4
		if (n == 5)
			print indent stub5
		skip = 1
		next
	}
	/EXERCISE [0-9]+ END/ { skip = 0 }
	!skip { print }
	' "$1" >"$2"
}

if [ -e "$out" ] && [ ! -e "$out/.sbull-exercises" ]; then
	echo "exercises.sh: $out exists and is not a student tree; not touching it" >&2
	exit 1
fi
rm -rf "$out"
mkdir -p "$out"
touch "$out/.sbull-exercises"
cp "$repo"/Kbuild "$repo"/Makefile "$repo"/VERSION "$out"/
for f in "$repo"/sbull*.c "$repo"/sbull*.h; do
	strip_regions "$f" "$out/$(basename "$f")"
done
n=$(grep -ho 'EXERCISE [0-9]* BEGIN' "$out"/*.c | sort -u | wc -l)
echo "exercises: $out ($n exercises; docs/exercises.md; make grade)"

#!/usr/bin/env bash
# The grader's own test (make check): on kernel series $1 (labelled $2),
# the reference source scores full marks; the student tree of make
# exercises, with every TODO left, fails every exercise; and a copy of the
# reference with one classic mistake injected in an exercise region loses
# the marks of that exercise, and only those, with the hint that names
# it. Prints TAP lines; with SBULL_LIST=1, their labels only.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# The driver's source files (Kbuild's list), one a line.
sources=$("$repo/scripts/sources.sh")
series=$1 k=${2:-$1}
trees=(reference todo page_address cur_bytes submit_bio sleep preflush)
if [ "${SBULL_LIST:-}" = 1 ]; then
	for t in "${trees[@]}"; do
		echo "[$k] grader $t tree"
	done
	exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The reference's sources, as Kbuild lists them, into directory $1.
copy_tree() {
	local f
	cp "$repo"/Kbuild "$repo"/Makefile "$repo"/VERSION "$1"/
	for f in $sources; do
		cp "$repo/$f" "$1"/
	done
}

# A copy of the reference in $work/$1, with the edit of python3 code $2
# (s: the text of file f) applied to file $3.
inject() {
	local name=$1 code=$2 file=$3
	mkdir -p "$work/$name"
	copy_tree "$work/$name"
	python3 - "$work/$name/$file" "$code" <<'PY'
import sys
f, code = sys.argv[1], sys.argv[2]
s = open(f).read()
old = s
exec(code)
if s == old:
    sys.exit(f"the injection left {f} unchanged")
open(f, "w").write(s)
PY
}

# The mistakes: tree name, its exercise, the mistake grade.sh must name.
inject page_address "s = s.replace('kmap_local_page(bvec->bv_page)', 'page_address(bvec->bv_page)').replace('\tkunmap_local(buf);\n', '')" sbull_xfer.c
inject cur_bytes "s = s.replace('sbull_xfer_segment(dev, iter.bi_sector, &bvec, write);', 'bvec.bv_len = bio_iovec(bio).bv_len;\n\t\tsbull_xfer_segment(dev, iter.bi_sector, &bvec, write);')" sbull_queue.c
inject submit_bio "i = s.index('sbull_mq_fops = {'); s = s[:i] + s[i:].replace('.owner\t\t= THIS_MODULE,', '.owner\t\t= THIS_MODULE,\n\t.submit_bio\t= sbull_submit_bio,', 1)" sbull_queue.c
inject sleep "s = s.replace('\tif (failed)\n\t\tsbull_leg_fail(m, failed);', '\tmsleep(1);\n\tif (failed)\n\t\tsbull_leg_fail(m, failed);', 1)" sbull_writethrough.c
inject preflush "s = s.replace('if (op == REQ_OP_FLUSH || (opf & REQ_PREFLUSH)) {', 'if (op == REQ_OP_FLUSH) {', 1)" sbull_cache.c
declare -A exercise_of=([page_address]=1 [cur_bytes]=2 [submit_bio]=3 [sleep]=5 [preflush]=6)

"$repo/scripts/grade/exercises.sh" "$work/todo" >/dev/null
mkdir -p "$work/reference"
copy_tree "$work/reference"

SERIES=$series "$repo/scripts/grade/grade.sh" --summary "$work"/{reference,todo,page_address,cur_bytes,submit_bio,sleep,preflush} \
	>"$work/scores"

# Tree $1: the exercises that lose marks must be exactly $2, each with
# mistake $3 found (none if empty); the others score full marks.
expect() {
	local tree=$1 losing=" $2 " mistake=$3 _ n got total found ok=1 why='' seen=0
	while read -r _ _ n got total found; do
		if [[ $losing == *" $n "* ]]; then
			[ "$got" -lt "$total" ] || { ok='' && why+=" exercise $n kept its marks;"; }
			[ "$found" = "$mistake" ] || { ok='' && why+=" exercise $n: mistakes found: '${found}';"; }
		elif [ "$got" != "$total" ] || [ -n "$found" ]; then
			ok='' why+=" exercise $n: $got/$total${found:+ ($found)};"
		fi
		seen=$((seen + 1))
	done < <(grep "^score $work/$tree " "$work/scores")
	[ "$seen" = 6 ] || ok='' why+=" $seen exercises graded, not 6;"
	if [ -n "$ok" ]; then
		echo "ok - [$k] grader $tree tree: $4"
	else
		echo "not ok - [$k] grader $tree tree: $4:$why"
	fi
}

expect reference '' '' 'full marks in every exercise'
expect todo '1 2 3 4 5 6' '' 'every exercise fails with its TODOs left'
for m in page_address cur_bytes submit_bio sleep preflush; do
	expect "$m" "${exercise_of[$m]}" "$m" \
		"$m injected: exercise ${exercise_of[$m]} alone loses marks, with the hint"
done

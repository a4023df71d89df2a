#!/usr/bin/env bash
# The grader's guest runner. Arguments come in threes, TREE KO EXERCISES:
# install the sbull.ko at KO as the guest's sbull module and run the
# exercise case for each of EXERCISES ("1 2", say). Prints "# variant
# TREE" before each module's TAP lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$here/../../test/lib.sh"
# make check's CASES must not deselect the exercise case, kept here.
unset SBULL_CASES
SBULL_CASES_DIR=$here/cases

installed=/lib/modules/$(uname -r)/extra/sbull.ko
while [ $# -ge 3 ]; do
	# A module that did not unload would be graded in the next's place.
	if [ -e /sys/module/sbull ]; then
		echo "# grade-guest: sbull did not unload; stopping" >&2
		exit 1
	fi
	echo "# variant $1"
	cp "$2" "$installed"
	for n in $3; do
		run_case exercise "$n"
	done
	shift 3
done

#!/usr/bin/env bash
# Case: a bad module parameter fails the load with one clear kernel line, nothing left, a good load after
# A bad parameter fails the load with one kernel error line that names the
# parameter and the accepted values; nothing is left registered; a good load
# works right after.
# Usage: bad-param.sh PARAM=VALUE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

param=$1
log=$(kernel_log_during must_fail modprobe sbull "$param")
lines=$(echo "$log" | sbull_lines | grep -c . || true)
[ "$lines" = 1 ] || fail "expected one kernel line from sbull, got $lines: $log"
echo "$log" | grep -q "sbull: ${param%%=*}=.*: accepted values are" ||
	fail "the error does not name ${param%%=*} and its accepted values: $log"
echo "# $(echo "$log" | sbull_lines)"
assert_no_sbull_left

load_sbull ndevices=1
unload_sbull

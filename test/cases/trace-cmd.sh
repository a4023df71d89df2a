#!/usr/bin/env bash
# Case: trace-cmd lists, records and reports sbull's events
# sbull's events are visible to trace-cmd as well: listed, recorded around
# one 8 KiB direct read in simple mode, and reported.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode=simple ndevices=1
mount_tracefs
trace-cmd list -e sbull | grep -qx sbull:sbull_segment ||
	fail "trace-cmd list -e sbull: $(trace-cmd list -e sbull)"
trace-cmd record -q -o /tmp/sbull.dat -e sbull \
	dd if=/dev/sbulla of=/dev/null bs=8k count=1 iflag=direct status=none \
	>/tmp/trace-cmd.out 2>&1 || fail "trace-cmd record: $(cat /tmp/trace-cmd.out)"
report=$(trace-cmd report -i /tmp/sbull.dat 2>/dev/null)
[ "$(grep -c 'sbull_segment: .* read sector=[08] len=4096 page_offset=0' <<<"$report")" = 2 ] ||
	fail "trace-cmd report, segments: $report"
[ "$(grep -c 'sbull_partial: ' <<<"$report")" = 2 ] ||
	fail "trace-cmd report, partial completions: $report"
unload_sbull

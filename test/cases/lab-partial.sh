#!/usr/bin/env bash
# Case: lab 3: simple mode completes a request segment by segment
# Lab 3 (docs/teaching/labs.md): a 64 KiB direct read is one request; simple mode
# completes it segment by segment (16 partial completions, the last with
# nothing left), mq mode all at once (none).
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

for mode in simple mq; do
	load_sbull request_mode=$mode ndevices=1
	traced dd if=/dev/sbulla of=/dev/null bs=64K count=1 iflag=direct status=none
	[ "$(events sbull_request | wc -l)" = 1 ] ||
		fail "$mode: sbull_request events: $(events sbull_request)"
	partial=$(events sbull_partial)
	if [ $mode = simple ]; then
		[ "$(echo "$partial" | wc -l)" = 16 ] ||
			fail "simple: partial completions: $partial"
		[ "$(echo "$partial" | tail -1)" = "sector=120 done=4096 left=0" ] ||
			fail "simple: last partial completion: $(echo "$partial" | tail -1)"
	else
		[ -z "$partial" ] || fail "mq: partial completions: $partial"
	fi
	unload_sbull
done

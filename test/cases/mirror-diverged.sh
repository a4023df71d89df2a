#!/usr/bin/env bash
# Case: mirror: two legs with different histories are never both in service; the load says so
# Two legs of one set, each loaded alone and written: their histories part.
# A load with both must refuse, naming both legs, and write to neither:
# whatever the generation counters say (equal after one load each, or
# higher on the leg loaded more often). The way on is the documented one:
# load the leg to keep, then `add DEV init` the other, which is resynced (a
# plain `add` is refused: it would drop that leg's writes).
# Usage: mirror-diverged.sh MODE
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1
both=sbulla=/dev/vda,sbulla=/dev/vdb

# Load leg $1 alone and write 1 MiB of random data at MiB $2; the store's
# checksum is left in $store.
write_alone() {
	load_mirror "$mode" "sbulla=$1"
	dd if=/dev/urandom of=/dev/sbulla bs=1M seek="$2" count=1 oflag=direct \
		status=none || fail "writing to sbulla with $1 alone"
	store=$(store_sum)
	unload_sbull
}

# A load with both legs must fail with one line naming both, and leave the
# legs' first MiB (headers included) as they were.
expect_refused() {
	local before log lines
	before=$(checksum_range /dev/vda 0 $((1 << 20)))$(checksum_range /dev/vdb 0 $((1 << 20)))
	log=$(kernel_log_during must_fail modprobe sbull request_mode="$mode" \
		ndevices=1 nsectors="$STORE_SECTORS" legs="$both")
	assert_no_sbull_left
	lines=$(echo "$log" | sbull_lines)
	if ! grep -q vda <<<"$lines" || ! grep -q vdb <<<"$lines" ||
		! grep -qi histor <<<"$lines"; then
		fail "$1: the refusal does not name both legs and their histories: $log"
	fi
	[ "$(echo "$lines" | grep -c .)" = 1 ] || fail "$1: not one error line: $log"
	echo "# $1: ${lines#\[*\] }"
	[ "$(checksum_range /dev/vda 0 $((1 << 20)))$(checksum_range /dev/vdb 0 $((1 << 20)))" = "$before" ] ||
		fail "$1: the refused load wrote to a leg"
}

load_mirror "$mode" "$both" legs_init=1
wait_in_sync 1
unload_sbull

# One load each: the generation counters are equal.
write_alone /dev/vda 1
write_alone /dev/vdb 2
expect_refused "equal generations"

# vdb loaded once more: its counter is ahead, its history still lacks vda's.
write_alone /dev/vdb 3
expect_refused "a higher generation on one side"

# The way on: keep vdb, add vda back; it is resynced from vdb's store.
# A plain add would overwrite vda's own writes: refused, with one line;
# "init" says to.
load_mirror "$mode" sbulla=/dev/vdb
[ "$(store_sum)" = "$store" ] || fail "vdb alone did not restore its own store"
before=$(checksum_range /dev/vda 0 $((1 << 20)))
log=$(kernel_log_during must_fail bash -c "echo 'add /dev/vda' >$LEGS")
lines=$(echo "$log" | sbull_lines)
if ! grep -q "holds writes" <<<"$lines" || [ "$(echo "$lines" | grep -c .)" != 1 ]; then
	fail "add of a leg with writes the store lacks: not one refusal line: $log"
fi
echo "# add /dev/vda: ${lines#\[*\] }"
[ "$(checksum_range /dev/vda 0 $((1 << 20)))" = "$before" ] ||
	fail "the refused add wrote to vda"
! grep -q '^1 ' "$LEGS" || fail "the refused add left a leg: $(cat "$LEGS")"
echo "add /dev/vda init" >"$LEGS" || fail "add /dev/vda init (same set) was refused"
wait_in_sync 1
expect_leg_is_store /dev/vda 0
unload_sbull
load_mirror "$mode" "$both"
[ "$(store_sum)" = "$store" ] || fail "the reload with both legs lost vdb's store"
expect_leg_state 0 in_sync
expect_leg_state 1 in_sync
unload_sbull

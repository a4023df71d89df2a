#!/usr/bin/env bash
# The mirror cases, run inside a guest booted with three --disk images of
# 64 MiB (/dev/vda, /dev/vdb, /dev/vdc), for each request mode. One TAP line
# per case, as in guest-suite.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/mirror-lib.sh
. "$here/mirror-lib.sh"

for d in vda vdb vdc; do
	[ -b "/dev/$d" ] || { echo "not ok - mirror suite: no /dev/$d (guest.sh --disk)" && exit 1; }
done
# Each case starts with sbull unloaded and the leg devices plain.
RUN_CASE_CLEANUP=cleanup_mirror

read -ra modes <<<"${SBULL_MODES:-bio mq simple}"
for m in "${modes[@]}"; do
	run_case "$m: mirror: ext4 survives rmmod and a reload from the legs; newest generation wins" \
		mirror-persist.sh "$m"
	run_case "$m: mirror: a leg failing writes under fio verify is failed alone, uevent, resync" \
		mirror-flakey.sh "$m"
	run_case "$m: mirror: all legs failed: writes get EIO, reads work" \
		mirror-all-fail.sh "$m"
	run_case "$m: mirror: a leg added under fio is resynced and holds the store" \
		mirror-add.sh "$m"
	run_case "$m: mirror: fsync flushes and discards reach the legs" \
		mirror-flush-discard.sh "$m"
done
# What the request path does not change, once: a second kind of failing
# leg (mirror-flakey.sh fails one in every mode), and the checks of the
# leg list.
run_case "${modes[0]}: mirror: null_blk leg with bad blocks is failed, writes go on" \
	mirror-badblocks.sh "${modes[0]}"
for kind in missing small overlap overlap-disks partition too-many sbull readonly noheader; do
	run_case "${modes[0]}: mirror: bad leg ($kind): one clear error, nothing left, device untouched" \
		mirror-bad-input.sh "${modes[0]}" "$kind"
done
run_case "${modes[0]}: mirror: bad commands to the legs file are refused, table unchanged" \
	mirror-bad-input.sh "${modes[0]}" runtime

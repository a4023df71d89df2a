#!/usr/bin/env bash
# Case: fio writes crc32c-checked blocks, the page cache is dropped, every block reads back verified
# fio writes random blocks with crc32c checksums, the page cache is dropped,
# and a second pass reads every block back through the device and verifies
# it. Four jobs, each on its own 16 MiB quarter of /dev/sbulla.
# Usage: fio-verify.sh MODE FIO_OPTION...
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1
shift
load_sbull request_mode="$mode" ndevices=1

job=(--name=verify --filename=/dev/sbulla --rw=randwrite --numjobs=4
	--iodepth=32 --size=4m --offset_increment=16m --verify=crc32c
	--verify_fatal=1 --verify_state_save=0 --group_reporting "$@")
fio "${job[@]}" --do_verify=0 --end_fsync=1 >/tmp/fio-write.out 2>&1 ||
	{ cat /tmp/fio-write.out >&2; fail "fio write pass"; }
echo 3 >/proc/sys/vm/drop_caches
fio "${job[@]}" --verify_only=1 >/tmp/fio-verify.out 2>&1 ||
	{ cat /tmp/fio-verify.out >&2; fail "fio verify pass"; }
grep -q 'err= 0' /tmp/fio-verify.out || fail "fio reported errors"
unload_sbull

#!/usr/bin/env bash
# Case: partitions from sfdisk stay apart; HDIO_GETGEO answers
# Two partitions appear after sfdisk; a filesystem made and filled on the
# first leaves the second untouched; HDIO_GETGEO answers LDD3's geometry.
# Usage: partitions.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1" ndevices=1
sectors=$(blockdev --getsz /dev/sbulla)

# 4 heads x 16 sectors: a cylinder is 64 sectors of 512 bytes.
geo=$(sfdisk -g /dev/sbulla)
[ "$geo" = "/dev/sbulla: $((sectors / 64)) cylinders, 4 heads, 16 sectors/track" ] ||
	fail "HDIO_GETGEO said: $geo"

printf 'label: dos\n,32MiB,L\n,,L\n' | sfdisk -q /dev/sbulla || fail "sfdisk"
wait_for_dev /dev/sbulla1
wait_for_dev /dev/sbulla2

p2_size=$(blockdev --getsize64 /dev/sbulla2)
fill_random /dev/sbulla2 $((p2_size >> 20))
before=$(checksum_range /dev/sbulla2 0 "$p2_size")

mkfs_mount /dev/sbulla1 "$SBULL_MNT"
head -c 20M /dev/urandom >"$SBULL_MNT/file"
sync
umount "$SBULL_MNT"
e2fsck -fn /dev/sbulla1 >/dev/null 2>&1 || fail "e2fsck on sbulla1"

[ "$(checksum_range /dev/sbulla2 0 "$p2_size")" = "$before" ] ||
	fail "writing to sbulla1 changed sbulla2"
unload_sbull

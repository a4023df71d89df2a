#!/usr/bin/env bash
# blkdiscard and blkdiscard -z zero exactly the range asked for; fstrim on a
# mounted ext4 reaches the device.
# Usage: discard.sh MODE HARDSECT_SIZE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1" hardsect_size="$2" ndevices=1
dev=/dev/sbulla
size=$(blockdev --getsize64 $dev)
zeros=$(head -c 1M /dev/zero | sha256sum | cut -d' ' -f1)

for zeroing in "" -z; do
	fill_random $dev 4
	after=$(checksum_range $dev $((2 << 20)) $((2 << 20)))
	blkdiscard $zeroing -o $((1 << 20)) -l $((1 << 20)) $dev ||
		fail "blkdiscard $zeroing"
	[ "$(checksum_range $dev $((1 << 20)) $((1 << 20)))" = "$zeros" ] ||
		fail "blkdiscard $zeroing: the range does not read back as zeros"
	[ "$(checksum_range $dev $((2 << 20)) $((2 << 20)))" = "$after" ] ||
		fail "blkdiscard $zeroing: changed data past the range"
	[ "$(checksum_range $dev 0 $((1 << 20)))" != "$zeros" ] ||
		fail "blkdiscard $zeroing: zeroed data before the range"
done

blkdiscard $dev || fail "blkdiscard of the whole device"
[ "$(checksum_range $dev 0 "$size")" = "$(head -c "$size" /dev/zero | sha256sum | cut -d' ' -f1)" ] ||
	fail "the whole device does not read back as zeros"

mkfs_mount $dev "$SBULL_MNT"
head -c 8M /dev/urandom >"$SBULL_MNT/file"
sync
rm "$SBULL_MNT/file"
sync
trimmed=$(fstrim -v "$SBULL_MNT") || fail "fstrim"
[ "$(echo "$trimmed" | grep -o '[0-9]* bytes' | cut -d' ' -f1)" -gt $((8 << 20)) ] ||
	fail "fstrim trimmed too little: $trimmed"
umount "$SBULL_MNT"
unload_sbull

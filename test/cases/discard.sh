#!/usr/bin/env bash
# Case: discard, write-zeroes and fstrim zero exactly their range
# blkdiscard and blkdiscard -z zero exactly the range asked for: the range
# reads back as zeros, the data before and after it is unchanged byte for
# byte; fstrim on a mounted ext4 reaches the device (sbull counts discards).
# Usage: discard.sh MODE HARDSECT_SIZE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1" hardsect_size="$2" ndevices=1
dev=/dev/sbulla
size=$(blockdev --getsize64 $dev)
zeros=$(head -c 1M /dev/zero | sha256sum | cut -d' ' -f1)
# The range zeroed: 1 MiB at 1 MiB, inside the 4 MiB of random data; the
# rest of the device, before and after it, must not change.
start=$((1 << 20)) len=$((1 << 20))
end=$((start + len))

for zeroing in "" -z; do
	what="blkdiscard${zeroing:+ $zeroing}"
	fill_random $dev 4
	before=$(checksum_range $dev 0 $start)
	after=$(checksum_range $dev $end $((size - end)))
	blkdiscard $zeroing -o $start -l $len $dev ||
		fail "$what"
	got=$(checksum_range $dev $start $len)
	[ "$got" = "$zeros" ] ||
		fail "$what: the range reads back as sha256 $got, expected zeros"
	got=$(checksum_range $dev 0 $start)
	[ "$got" = "$before" ] ||
		fail "$what: data before the range changed: sha256 $got, was $before"
	got=$(checksum_range $dev $end $((size - end)))
	[ "$got" = "$after" ] ||
		fail "$what: data after the range changed: sha256 $got, was $after"
done

# A discard or write-zeroes is a memset the driver cannot interrupt: it
# comes in pieces of at most 8 MiB, so the whole device takes several.
for limit in discard_max_hw_bytes write_zeroes_max_bytes; do
	got=$(cat "/sys/block/sbulla/queue/$limit")
	if [ "$got" -le 0 ] || [ "$got" -gt $((8 << 20)) ]; then
		fail "$limit is $got, expected 1 to 8 MiB"
	fi
done
discards=$(stat_of discards)
blkdiscard $dev || fail "blkdiscard of the whole device"
got=$(stat_of discards)
[ $((got - discards)) -ge $((size >> 23)) ] ||
	fail "a whole-device blkdiscard reached sbull as $((got - discards)) discards, expected at least $((size >> 23))"
[ "$(checksum_range $dev 0 "$size")" = "$(head -c "$size" /dev/zero | sha256sum | cut -d' ' -f1)" ] ||
	fail "the whole device does not read back as zeros"

mkfs_mount $dev "$SBULL_MNT"
head -c 8M /dev/urandom >"$SBULL_MNT/file"
sync
rm "$SBULL_MNT/file"
sync
discards=$(stat_of discards)
trimmed=$(fstrim -v "$SBULL_MNT") || fail "fstrim"
[ "$(echo "$trimmed" | grep -o '[0-9]* bytes' | cut -d' ' -f1)" -gt $((8 << 20)) ] ||
	fail "fstrim trimmed too little: $trimmed"
# fstrim's discards must reach sbull itself, not stop in the block layer.
got=$(stat_of discards)
echo "# discards counted by sbulla: $discards before fstrim, $got after"
[ "$got" -gt "$discards" ] ||
	fail "fstrim: sbulla's discards counter is $got, expected more than $discards"
umount "$SBULL_MNT"
unload_sbull

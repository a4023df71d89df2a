#!/usr/bin/env bash
# Case: lab 9: a bio disk and an mq disk in one boot; the same writeback reaches one as 256 bios, the other as a few requests
# Lab 9 (docs/teaching/labs.md): configfs makes a bio disk (sbulla) and an mq disk
# (sbullb) side by side. 1 MiB written back to each: both count 256 bios
# and 256 segments; the bio disk 0 requests and 256 sbull_bio events with
# its minor, the mq disk 1 to 64 requests, as many sbull_request events
# with its minor, and no sbull_bio event. A direct 1 MiB write: one
# sbull_bio for the bio disk, one sbull_request for the mq disk.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

modprobe sbull ndevices=0 || fail "modprobe sbull ndevices=0"
a=$(cfs_create bio request_mode=bio size=16M)
b=$(cfs_create mq request_mode=mq size=16M)
[ "$a $b" = "/dev/sbulla /dev/sbullb" ] || fail "disks $a $b"

# Events named $1 of the disk of minor $2 in the trace.
count_events() {
	grep -c " $1: [0-9]*,$2 " "$TRACING/trace" || true
}
writeback_both() {
	local d
	for d in a b; do
		dd if=/dev/urandom of="/dev/sbull$d" bs=1M count=1 "$@" status=none ||
			fail "dd to sbull$d"
	done
}
for d in a b; do
	echo 1 >"/sys/block/sbull$d/sbull/reset"
done
traced writeback_both conv=fsync
c() { cat "/sys/block/sbull$1/sbull/$2"; }
[ "$(c a bios) $(c a requests) $(c a segments)" = "256 0 256" ] ||
	fail "bio disk: bios, requests, segments $(c a bios) $(c a requests) $(c a segments)"
[ "$(c b bios) $(c b segments)" = "256 256" ] ||
	fail "mq disk: bios, segments $(c b bios) $(c b segments)"
requests=$(c b requests)
if [ "$requests" -lt 1 ] || [ "$requests" -gt 64 ]; then
	fail "mq disk: $requests requests for 256 bios, expected 1 to 64"
fi
[ "$(count_events sbull_bio 0)" = 256 ] || fail "bio disk: $(count_events sbull_bio 0) sbull_bio events"
[ "$(count_events sbull_request 0)" = 0 ] || fail "bio disk has sbull_request events"
[ "$(count_events sbull_request 16)" = "$requests" ] ||
	fail "mq disk: $(count_events sbull_request 16) sbull_request events for $requests requests"
[ "$(count_events sbull_bio 16)" = 0 ] || fail "mq disk has sbull_bio events"
echo "# writeback: bio disk 256 bios; mq disk 256 bios in $requests requests"

traced writeback_both oflag=direct
[ "$(count_events sbull_bio 0) $(count_events sbull_request 16)" = "1 1" ] ||
	fail "direct: $(count_events sbull_bio 0) sbull_bio, $(count_events sbull_request 16) sbull_request"
cfs_remove bio
cfs_remove mq
unload_sbull

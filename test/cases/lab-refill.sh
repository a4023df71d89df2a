#!/usr/bin/env bash
# Case: lab 11: a disk comes back at once; a read waits for its region alone, between the refill's background reads
# Needs: modules=brd,dm-delay
# Lab 11 (docs/teaching/labs.md): a 56 MiB store kept on a brd leg, the
# leg's reads slowed 2 s by dm-delay. sbull loaded again (with no disk,
# for the trace to be on first) and the disk made in configfs with that
# leg, it shows at once: refill says "refilling", below 100%. A read of block 12000
# (4 KiB blocks: sector 96000) is served after an on_demand read of its
# 64 KiB region (sectors=128, at sector 96000), issued while background
# reads of 4 MiB (sectors=8192) go on before and after it, and returns
# what was written; refill is still below 100% once it is back. The
# leg's block_bio_queue events show the same reads.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

STORE=$((56 * 2048))
modprobe brd rd_nr=1 rd_size=$((STORE / 2 + 4)) || fail "modprobe brd"
modprobe dm-delay || fail "modprobe dm-delay"
load_sbull ndevices=1 nsectors=$STORE legs=sbulla=/dev/ram0 legs_init=1
for _ in $(seq 300); do
	grep -q in_sync /sys/block/sbulla/mirror/legs && break
	sleep 0.2
done
grep -q in_sync /sys/block/sbulla/mirror/legs || fail "the leg is not in sync"
head -c $((4096 * 12001)) /dev/urandom >/tmp/pattern
dd if=/tmp/pattern of=/dev/sbulla bs=1M oflag=direct status=none || fail "the pattern"
unload_sbull
dmsetup create slow --table "0 $(blockdev --getsz /dev/ram0) delay /dev/ram0 0 2000" ||
	fail "dmsetup create slow"
slow=/dev/$(dmsetup info -c --noheadings -o blkdevname slow)
wait_for_dev "$slow"
dm=$(dmsetup info -c --noheadings -o major,minor --separator , slow)

load_sbull_bare() {
	modprobe --first-time sbull ndevices=0 || fail "modprobe sbull ndevices=0"
}
load_sbull_bare
mount_tracefs
T=/sys/kernel/tracing
echo >$T/trace
echo 1 >$T/events/sbull/sbull_refill/enable
echo "dev == $(((${dm%,*} << 20) | ${dm#*,}))" >$T/events/block/block_bio_queue/filter
echo 1 >$T/events/block/block_bio_queue/enable
dev=$(cfs_create lab size=$((STORE * 512)) legs="$slow")
[ "$dev" = /dev/sbulla ] || fail "the disk is $dev"
state=$(cat /sys/block/sbulla/mirror/refill)
echo "# after modprobe: $state"
[[ $state == "refilling "* ]] || fail "refill is '$state' after the load"
cmp <(dd if=/dev/sbulla bs=4k skip=12000 count=1 iflag=direct status=none) \
	<(dd if=/tmp/pattern bs=4k skip=12000 count=1 status=none) ||
	fail "block 12000 differs from what was written"
state=$(cat /sys/block/sbulla/mirror/refill)
echo "# after the read: $state"
[[ $state == "refilling "* ]] || fail "refill is '$state' once the read is back"
echo 0 >$T/events/sbull/sbull_refill/enable
echo 0 >$T/events/block/block_bio_queue/enable
echo 0 >$T/events/block/block_bio_queue/filter
events=$(sed -n 's/.*sbull_refill: [0-9]*,[0-9]* //p' $T/trace)
echo "$events" | sed 's/^/# /' | head -n 8
# The on_demand read of block 12000's region, with background reads before
# and after it.
awk '/ on_demand$/ && /sector=96000 sectors=128 / { d = NR }
	/ background$/ { if (!d) before++; else after++ }
	END { exit !(d && before && after) }' <<<"$events" ||
	fail "no on_demand read of sector 96000 between background reads"
# Each refill read is a read of the leg, past its 4 KiB header.
grep -Eq "block_bio_queue: $dm R[A-Z]* $((96000 + 8)) \\+ 128 " $T/trace ||
	fail "the leg saw no 64 KiB read at sector 96008: $(grep block_bio_queue $T/trace | head)"
cfs_remove lab
unload_sbull
dmsetup remove slow
rmmod brd

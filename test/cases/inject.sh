#!/usr/bin/env bash
# Case: injection on a disk that keeps its data: badblocks fail exactly the I/Os that touch them, once heals; completion_nsec and mbps hold completions back
# A configfs disk in MODE, 8 MiB of random data. Bad ranges: 4 KiB at
# 1 MiB (reads and writes), 4 KiB at 2 MiB (writes), 4 KiB at 3 MiB
# (reads, once), and two "once" ranges side by side at 5 MiB. Fifteen
# direct I/Os around them fail with EIO exactly where they touch a range
# of their direction (an I/O that spans into one fails whole); a "once"
# range fails one read, then heals and reads back the data it held, and
# an I/O over two of them heals both. The errors counter grows by the number of EIOs,
# the list shows the two ranges left, and once they are removed the disk
# holds the data plus exactly the writes that succeeded. completion_nsec
# of 20 ms makes every read take 20 ms at least, and with 0.2 ms fio
# verifies clean; mbps=2 makes 4 MiB take 2 s at least, but a discard
# is not paced, and a new rate does not wait out the old one's backlog. In the blk-mq
# modes a disk with a poll queue honours the delay on polled I/O too.
# Usage: inject.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=$1
modprobe sbull ndevices=0 || fail "modprobe sbull ndevices=0"
dev=$(cfs_create i request_mode="$mode" size=8M)
dir=$SBULL_CFS/i
sys=/sys/block/${dev#/dev/}/sbull
head -c 8M /dev/urandom >/tmp/expected
dd if=/tmp/expected of="$dev" bs=1M oflag=direct status=none || fail "fill $dev"

echo "+2048-2055" >"$dir/badblocks"
echo "+4096-4103 w" >"$dir/badblocks"
echo "+6144-6151 r once" >"$dir/badblocks"
echo "+10240-10247 once" >"$dir/badblocks"
echo "+10248-10255 once" >"$dir/badblocks"
listed=$(cat "$dir/badblocks")
[ "$listed" = "2048-2055 rw
4096-4103 w
6144-6151 r once
10240-10247 rw once
10248-10255 rw once" ] || fail "badblocks lists: $listed"

# Direct I/Os OP:OFFSET:LENGTH in order; prints "ok" or "EIO" for each, and
# applies each write that succeeded to /tmp/expected.
direct_ios() {
	python3 - "$dev" "$@" <<-'PY'
		import mmap, os, sys
		dev, ops = sys.argv[1], sys.argv[2:]
		fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
		buf = mmap.mmap(-1, 1 << 20)
		with open("/tmp/expected", "r+b") as expected:
		    for spec in ops:
		        op, off, length = spec[0], *map(int, spec[2:].split(":"))
		        view = memoryview(buf)[:length]
		        if op == "w":
		            view[:] = os.urandom(length)
		        try:
		            (os.pwritev if op == "w" else os.preadv)(fd, [view], off)
		        except OSError as e:
		            print("EIO" if e.errno == 5 else f"errno {e.errno}")
		            continue
		        if op == "w":
		            expected.seek(off)
		            expected.write(view)
		        print("ok")
	PY
}
K=4096 M=1048576
ops=("r:$((M - K)):$K" "r:$M:$K" "r:$((M + K)):$K" "r:$((M - K)):$((2 * K))"
	"w:$M:$K" "w:$((M + K)):$K" "r:$((2 * M)):$K" "w:$((2 * M)):$K"
	"w:$((2 * M + 512)):512" "r:$((3 * M)):$K" "r:$((3 * M)):$K"
	"w:$((3 * M)):$K" "r:$((4 * M)):$((16 * K))" "r:$((5 * M)):$((2 * K))"
	"r:$((5 * M)):$((2 * K))")
want="ok EIO ok EIO EIO ok ok EIO EIO EIO ok ok ok EIO ok"
errors=$(cat "$sys/errors")
got=$(direct_ios "${ops[@]}" | tr '\n' ' ')
[ "${got% }" = "$want" ] || fail "I/O results:
 ${ops[*]}
 got:  $got
 want: $want"
echo "# ${ops[*]}: $want"
[ $(($(cat "$sys/errors") - errors)) = 7 ] ||
	fail "errors grew by $(($(cat "$sys/errors") - errors)), expected 7"
listed=$(cat "$dir/badblocks")
[ "$listed" = "2048-2055 rw
4096-4103 w" ] || fail "after the once range healed, badblocks lists: $listed"
echo "-0-16383" >"$dir/badblocks"
[ -z "$(cat "$dir/badblocks")" ] || fail "badblocks not cleared: $(cat "$dir/badblocks")"
cmp "$dev" /tmp/expected || fail "the disk is not its data plus the writes that succeeded"

# Each of 5 direct reads takes 20 ms at least.
echo 20000000 >"$dir/completion_nsec"
quickest=$(python3 - "$dev" <<-'PY'
	import mmap, os, sys, time
	fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
	buf = mmap.mmap(-1, 4096)
	times = []
	for i in range(5):
	    t = time.monotonic()
	    os.preadv(fd, [buf], i * 4096)
	    times.append(time.monotonic() - t)
	print(f"{min(times):.4f}")
PY
)
awk -v t="$quickest" 'BEGIN { exit !(t >= 0.020) }' ||
	fail "completion_nsec=20 ms: a read took $quickest s"
echo "# completion_nsec=20000000: the quickest of 5 reads took $quickest s"
echo 200000 >"$dir/completion_nsec"
fio --name=delayed --filename="$dev" --rw=randwrite --bs=4k --size=2m \
	--ioengine=libaio --iodepth=16 --direct=1 --verify=crc32c \
	--verify_fatal=1 --verify_state_save=0 >/tmp/fio.out 2>&1 ||
	{ cat /tmp/fio.out >&2; fail "fio verify with completion_nsec=200000"; }
echo 0 >"$dir/completion_nsec"

# 4 MiB at 2 MiB/s: 2 s at least (a lower bound only: no machine is too slow).
echo 2 >"$dir/mbps"
start=$(date +%s.%N)
dd if=/dev/zero of="$dev" bs=256k count=16 oflag=direct status=none || fail "dd at mbps=2"
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
awk -v t="$took" 'BEGIN { exit !(t >= 2.0) }' || fail "mbps=2: 4 MiB took $took s"
echo "# mbps=2: 4 MiB written in $took s"
# Seconds that "$@" takes.
seconds_of() {
	local start
	start=$(date +%s.%N)
	"$@"
	awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'
}
# Discards move no data: not paced. At mbps=1 a paced discard of 8 MiB
# would take 8 s; compared with the same discard unpaced, in this boot,
# not with a time that a busy emulated machine may exceed.
echo 0 >"$dir/mbps"
t0=$(seconds_of blkdiscard "$dev") || fail "blkdiscard"
echo 1 >"$dir/mbps"
t1=$(seconds_of blkdiscard "$dev") || fail "blkdiscard at mbps=1"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b < 3 * a + 4) }' ||
	fail "mbps=1: a discard of 8 MiB took $t1 s, unpaced $t0 s: paced as 8 MiB of data"
echo "# discards of 8 MiB: $t0 s unpaced, $t1 s at mbps=1 (not paced: 8 s if they were)"
# A new rate starts afresh: the old rate's backlog (16 MiB at 1 MiB/s
# queued, capped at 10 s) does not hold a read at the new one; compared
# with the same read in this boot without a backlog.
echo 1024 >"$dir/mbps"
t0=$(seconds_of dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none) ||
	fail "read at mbps=1024"
echo 1 >"$dir/mbps"
fio --name=backlog --filename="$dev" --rw=write --bs=1m --size=8m --loops=2 \
	--iodepth=16 --ioengine=libaio --direct=1 >/dev/null 2>&1 &
backlog=$!
sleep 1
echo 1024 >"$dir/mbps"
t1=$(seconds_of dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct status=none) ||
	fail "read at mbps=1024 after mbps=1"
wait "$backlog" || fail "fio of the backlog"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b < 3 * a + 4) }' ||
	fail "a read at mbps=1024 took $t1 s after a backlog at mbps=1, $t0 s without: it waited for the backlog"
echo "# a 4 KiB read at mbps=1024: $t0 s, and $t1 s after a backlog of mbps=1 (9 s if it waited)"
echo 0 >"$dir/mbps"
cfs_remove i

# Polled I/O waits out the delay too: ->poll() ends it no sooner.
if [ "$mode" != bio ]; then
	dev=$(cfs_create p request_mode="$mode" size=8M poll_queues=1 \
		completion_nsec=5000000)
	fio --name=polled --filename="$dev" --rw=randwrite --bs=4k --size=256k \
		--ioengine=io_uring --hipri=1 --iodepth=4 --direct=1 \
		--clocksource=clock_gettime \
		--verify=crc32c --verify_fatal=1 --verify_state_save=0 \
		--output-format=json >/tmp/fio.json 2>/tmp/fio.err ||
		{ cat /tmp/fio.err >&2; fail "polled fio with completion_nsec"; }
	min=$(python3 -c 'import json; j = json.load(open("/tmp/fio.json"))["jobs"][0]
print(min(j[d]["lat_ns"]["min"] for d in ("read", "write")))')
	[ "$min" -ge 5000000 ] || fail "polled I/O ended in $min ns, under completion_nsec"
	[ "$(cat "/sys/block/${dev#/dev/}/sbull/polled")" -gt 0 ] || fail "nothing was polled"
	echo "# polled, completion_nsec=5000000: the quickest I/O took $min ns"
	cfs_remove p
fi
unload_sbull

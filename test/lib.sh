# shellcheck shell=bash
# Helpers shared by the test cases in test/cases/, which run inside the guest.
# A case exits 0 when its behaviour holds; fail() says why it does not.

SBULL_MNT=/mnt/sbull
# test/, for the runners' run_case.
SBULL_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Run a command that must fail; its output is kept for the caller to check.
must_fail() {
	if "$@" >/tmp/must_fail.out 2>&1; then
		fail "succeeded but should have failed: $*"
	fi
}

load_sbull() {
	modprobe sbull "$@" || fail "modprobe sbull $*"
	wait_for_dev /dev/sbulla
}

# Without udev in the guest, devtmpfs creates the nodes; give it a moment.
wait_for_dev() {
	local _
	for _ in $(seq 50); do
		[ -b "$1" ] && return 0
		sleep 0.1
	done
	fail "$1 did not appear"
}

unload_sbull() {
	rmmod sbull || fail "rmmod sbull"
	assert_no_sbull_left
}

assert_no_sbull_left() {
	local left
	left=$(ls -d /sys/block/sbull* 2>/dev/null || true)
	[ -z "$left" ] || fail "left behind: $left"
	! grep -qw sbull /proc/devices || fail "sbull still in /proc/devices"
	[ ! -e /sys/module/sbull ] || fail "module sbull still loaded"
}

# The kernel log lines that appear while "$@" runs.
kernel_log_during() {
	local before
	before=$(dmesg | wc -l)
	"$@" || true
	dmesg | tail -n "+$((before + 1))"
}

# Bytes of device $1 from byte $2, $3 bytes long, as a checksum.
checksum_range() {
	dd if="$1" bs=1M skip="$2" count="$3" \
		iflag=direct,skip_bytes,count_bytes status=none |
		sha256sum | cut -d' ' -f1
}

# Issue BLKDISCARD (or BLKZEROOUT with -z) on device $1 for $3 bytes at
# byte $2 as given: unlike blkdiscard(8), no clamping to the device's end.
blk_range_ioctl() {
	python3 - "$@" <<-'EOF'
		import fcntl, os, struct, sys
		args = sys.argv[1:]
		req = 0x1277  # BLKDISCARD
		if args[0] == "-z":
		    req = 0x127f  # BLKZEROOUT
		    args = args[1:]
		dev, off, length = args[0], int(args[1]), int(args[2])
		fd = os.open(dev, os.O_WRONLY)
		try:
		    fcntl.ioctl(fd, req, struct.pack("QQ", off, length))
		except OSError as e:
		    sys.exit(f"{dev}: {os.strerror(e.errno)}")
	EOF
}

fill_random() {
	dd if=/dev/urandom of="$1" bs=1M count="$2" oflag=direct status=none ||
		fail "filling $1 with $2 MiB"
}

mkfs_mount() {
	mkfs.ext4 -q -F "$1" || fail "mkfs.ext4 $1"
	mkdir -p "$2"
	mount -t ext4 "$1" "$2" || fail "mount $1"
}

# Leave the guest as each case found it, whatever happened.
cleanup_sbull() {
	local mnt
	while read -r _ mnt _; do
		case $mnt in "$SBULL_MNT"*) umount "$mnt" 2>/dev/null || true ;; esac
	done < <(tac /proc/mounts)
	if [ -e /sys/module/sbull ]; then
		rmmod sbull 2>/dev/null || true
	fi
}

# For the guest runners (guest-suite.sh, mirror-suite.sh): run case $2 of
# cases/ with the arguments after it, and print one TAP line described by
# $1. A case also fails if the kernel logged a warning, oops or slab report
# while it ran. Its own '#' lines are kept; the rest of its output only on
# failure. RUN_CASE_CLEANUP (default cleanup_sbull) then puts the guest back.
run_case() {
	local desc=$1 before kernel bad_log
	shift
	kernel=$(uname -r | cut -d. -f1,2)
	bad_log=$SBULL_TEST_DIR/../scripts/kernel-log-bad.txt
	before=$(dmesg | wc -l)
	if "$SBULL_TEST_DIR/cases/$1" "${@:2}" >/tmp/case.log 2>&1 &&
		! dmesg | tail -n "+$((before + 1))" | grep -Eqf "$bad_log"; then
		echo "ok - [$kernel] $desc"
	else
		echo "not ok - [$kernel] $desc"
		grep -v '^#' /tmp/case.log | tail -n 20 | sed 's/^/#   /' || true
		dmesg | tail -n "+$((before + 1))" | grep -Ef "$bad_log" -A5 |
			sed 's/^/#   kernel: /' || true
	fi
	grep '^#' /tmp/case.log || true
	"${RUN_CASE_CLEANUP:-cleanup_sbull}"
}

# sbull's statistics and tracepoints, for the cases that watch the driver.
SBULL_SYS=/sys/block/sbulla/sbull
TRACING=/sys/kernel/tracing

# Counter $1 of sbulla, e.g. "bios".
stat_of() {
	cat "$SBULL_SYS/$1"
}

# Counter $1 must read $2; $3 says why.
expect_stat() {
	local got
	got=$(stat_of "$1")
	[ "$got" = "$2" ] || fail "$1 is $got, expected $2 ($3)"
}

reset_stats() {
	echo 1 >"$SBULL_SYS/reset"
}

mount_tracefs() {
	mountpoint -q $TRACING || mount -t tracefs nodev $TRACING
}

# Run "$@" with sbull's events on, into an empty trace.
traced() {
	mount_tracefs
	echo 0 >$TRACING/tracing_on
	echo >$TRACING/trace
	echo 1 >$TRACING/events/sbull/enable
	echo 1 >$TRACING/tracing_on
	"$@"
	echo 0 >$TRACING/tracing_on
	echo 0 >$TRACING/events/sbull/enable
}

# The traced events named $1, without task, CPU, time and device.
events() {
	sed -n "s/.* $1: [0-9]*,[0-9]* //p" $TRACING/trace
}

expect_events() {
	local got
	got=$(events "$1")
	[ "$got" = "$2" ] || fail "$1 events:
$got
expected:
$2"
}

# A direct read (or write, with -w) of $2 bytes at byte $3 of device $1,
# with the buffer starting $4 bytes into a page: what dd cannot do.
direct_io_at() {
	python3 - "$@" <<-'EOF'
		import mmap, os, sys
		write = sys.argv[1] == "-w"
		dev, length, pos, offset = sys.argv[1 + write:]
		length, pos, offset = int(length), int(pos), int(offset)
		buf = mmap.mmap(-1, offset + length + mmap.PAGESIZE)
		view = memoryview(buf)[offset:offset + length]
		fd = os.open(dev, (os.O_WRONLY if write else os.O_RDONLY) | os.O_DIRECT)
		n = (os.pwritev if write else os.preadv)(fd, [view], pos)
		sys.exit(0 if n == length else f"{n} bytes, not {length}")
	EOF
}

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

# The kernel log from now on, streamed into file $1 by a follower (the
# ring buffer may wrap while a case runs; a stream never loses a line),
# between two marker lines written to /dev/kmsg. kmsg_stop ends it.
KMSG_PID=''
kmsg_start() {
	dmesg --follow-new >"$1" &
	KMSG_PID=$!
	kmsg_mark "$1" begin
}

# Write a marker line and wait until the follower has it in file $1.
kmsg_mark() {
	local mark _
	mark="sbull-test: $2 $$.$RANDOM"
	for _ in $(seq 50); do
		echo "$mark" >/dev/kmsg
		grep -qF "$mark" "$1" && return 0
		sleep 0.1
	done
	fail "the kernel log follower never saw its $2 marker"
}

kmsg_stop() {
	kmsg_mark "$1" end
	kill "$KMSG_PID"
	wait "$KMSG_PID" 2>/dev/null || true
	KMSG_PID=''
}

# The kernel log lines that appear while "$@" runs (whatever its status).
kernel_log_during() {
	local log
	log=$(mktemp)
	kmsg_start "$log"
	"$@" || true
	kmsg_stop "$log"
	grep -v '^\[ *[0-9.]*\] sbull-test: ' "$log" || true
	rm -f "$log"
}

# sbull's own lines of the kernel log on stdin: not the lines the kernel
# prints about the module's first load (taint, signature).
sbull_lines() {
	grep 'sbull: ' | grep -v -e 'taints kernel' -e 'module verification failed' || true
}

# The lines of stdin that match scripts/kernel-log-bad.txt, with $1 lines
# of context. Status 0 with lines printed, 1 without; a missing or empty
# pattern file is an error (status 2), never "nothing bad".
bad_kernel_lines() {
	local patterns=$SBULL_TEST_DIR/../scripts/kernel-log-bad.txt rc=0
	[ -s "$patterns" ] || { echo "no patterns in $patterns" && return 2; }
	grep -E -A "${1:-0}" -f "$patterns" || rc=$?
	return "$rc"
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

# The disks made in configfs: a directory each (sbull_configfs.c).
SBULL_CFS=/sys/kernel/config/sbull

# Make directory $1 of $SBULL_CFS with the settings NAME=VALUE after it,
# power it on and print the disk's node, e.g. /dev/sbulle.
cfs_create() {
	local dir=$SBULL_CFS/$1 kv name
	shift
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	mkdir "$dir" || fail "mkdir $dir"
	for kv in "$@"; do
		echo "${kv#*=}" >"$dir/${kv%%=*}" || fail "$dir: ${kv%%=*}=${kv#*=} refused"
	done
	echo 1 >"$dir/power" || fail "$dir: power=1 refused"
	name=$(cat "$dir/disk_name")
	[ -n "$name" ] || fail "$dir: powered, but disk_name is empty"
	wait_for_dev "/dev/$name"
	echo "/dev/$name"
}

# Write $2 to the power attribute of directory $1 of $SBULL_CFS.
cfs_power() {
	echo "$2" >"$SBULL_CFS/$1/power"
}

# Power off and remove directory $1 of $SBULL_CFS.
cfs_remove() {
	echo 0 >"$SBULL_CFS/$1/power" || fail "$1: power=0 refused"
	rmdir "$SBULL_CFS/$1" || fail "rmdir $1"
}

# Leave the guest as each case found it, whatever happened.
cleanup_sbull() {
	local mnt dir
	while read -r _ mnt _; do
		case $mnt in "$SBULL_MNT"*) umount "$mnt" 2>/dev/null || true ;; esac
	done < <(tac /proc/mounts)
	for dir in "$SBULL_CFS"/*/; do
		[ -d "$dir" ] || continue
		echo 0 >"$dir/power" 2>/dev/null || true
		rmdir "$dir" 2>/dev/null || true
	done
	if [ -e /sys/module/sbull ]; then
		rmmod sbull 2>/dev/null || true
	fi
}

# For the guest runners (guest-suite.sh, mirror-suite.sh): run case
# cases/$1.sh with the arguments after it, and print one TAP line: the
# kernel, the case and its arguments, and the case's "# Case:" line, its
# description. Its "# Needs:" line names what it needs, "cpus=N",
# "mem=MIB" and "modules=A,B"; if the guest lacks one, the case is skipped
# (TAP "# SKIP" with the reason). A case also fails if the kernel logged a
# warning, oops or slab report while it ran. Its own '#' lines are kept;
# the rest of its output only on failure. RUN_CASE_CLEANUP (default
# cleanup_sbull) then puts the guest back.
# SBULL_CASES (names, space-separated) runs only those cases; with
# SBULL_LIST=1 nothing runs and each selected case's name is printed.
run_case() {
	local name=$1 file desc label kernel why log bad start needs=0 rc=0
	shift
	file=$SBULL_TEST_DIR/cases/$name.sh
	case_selected "$name" || return 0
	if [ "${SBULL_LIST:-}" = 1 ]; then
		echo "$name"
		return 0
	fi
	kernel=$(uname -r | cut -d. -f1,2)
	desc=$(sed -n 's/^# Case: //p' "$file" 2>/dev/null)
	label="[$kernel] $name${*:+ $*}: ${desc:-no case file, or no \"# Case:\" line in it}"
	if [ -z "$desc" ]; then
		echo "not ok - $label"
		return 0
	fi
	why=$(case_missing_needs "$file") || needs=$?
	case $needs in
	0) echo "ok - $label # SKIP $why" && return 0 ;;
	2) echo "not ok - $label: $why" && return 0 ;;
	esac
	log=$(mktemp)
	kmsg_start "$log"
	start=$SECONDS
	"$file" "$@" >/tmp/case.log 2>&1 || rc=$?
	kmsg_stop "$log"
	# Status 1: no bad line; 0 (bad lines) or 2 (no patterns) fail.
	bad=$(bad_kernel_lines 5 <"$log") || [ $? = 1 ] || rc=1
	[ -z "$bad" ] || rc=1
	if [ "$rc" = 0 ]; then
		echo "ok - $label"
	else
		echo "not ok - $label"
		grep -v '^#' /tmp/case.log | tail -n 20 | sed 's/^/#   /' || true
		[ -z "$bad" ] || printf '#   kernel: %s\n' "${bad//$'\n'/$'\n'#   kernel: }"
	fi
	rm -f "$log"
	grep '^#' /tmp/case.log || true
	# Where the suite's hour goes, for whoever has to trim it.
	echo "# time: $name${*:+ $*}: $((SECONDS - start)) s"
	"${RUN_CASE_CLEANUP:-cleanup_sbull}"
}

# Is case $1 among SBULL_CASES (all are when it is empty)?
case_selected() {
	local c
	[ -z "${SBULL_CASES:-}" ] && return 0
	for c in $SBULL_CASES; do
		[ "${c%.sh}" = "$1" ] && return 0
	done
	return 1
}

# What of its "# Needs:" line the guest lacks, said in words; status 1 if
# nothing is missing, 2 for a need this function does not know.
case_missing_needs() {
	local need needs value m
	read -ra needs < <(sed -n 's/^# Needs: //p' "$1")
	for need in "${needs[@]}"; do
		value=${need#*=}
		case $need in
		cpus=*)
			[ "$(nproc)" -ge "$value" ] ||
				{ echo "needs $value CPUs, the guest has $(nproc)" && return 0; } ;;
		mem=*)
			[ "$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)" -ge "$value" ] ||
				{ echo "needs $value MiB of memory" && return 0; } ;;
		modules=*)
			for m in ${value//,/ }; do
				modprobe -n -q "$m" ||
					{ echo "needs module $m, which this kernel lacks" && return 0; }
			done ;;
		*) echo "unknown need $need in $1" && return 2 ;;
		esac
	done
	return 1
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

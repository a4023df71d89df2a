# shellcheck shell=bash
# Helpers shared by the test cases in test/cases/, which run inside the guest.
# A case exits 0 when its behaviour holds; fail() says why it does not.

SBULL_MNT=/mnt/sbull
# test/, for the runners' run_case; without a fork, as every case sources
# this file (a fork costs a tenth of a second under TCG).
SBULL_TEST_DIR=${BASH_SOURCE[0]%/*}
[ "$SBULL_TEST_DIR" != "${BASH_SOURCE[0]}" ] || SBULL_TEST_DIR=.
[ "${SBULL_TEST_DIR#/}" != "$SBULL_TEST_DIR" ] || SBULL_TEST_DIR=$PWD/$SBULL_TEST_DIR

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

# --first-time: a module still loaded is a case's leftover, not a load.
load_sbull() {
	modprobe --first-time sbull "$@" || fail "modprobe --first-time sbull $*"
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

# The kernel log lines that "$@" writes (whatever its status), read from
# dmesg after a marker line written before: cheaper than kernel_log_during's
# follower, for a step that logs a line or two and returns. Never a count
# of the whole ring buffer, which wraps: if the marker is gone, the case
# fails rather than read the wrong lines.
log_after_mark() {
	local mark out
	mark="sbull-test: mark $$.$RANDOM$RANDOM"
	echo "$mark" >/dev/kmsg
	"$@" || true
	out=$(dmesg | awk -v m="$mark" 'seen { print } index($0, m) { seen = 1 }
		END { exit !seen }') || fail "the kernel log wrapped past the marker of: $*"
	[ -z "$out" ] || echo "$out"
}

# sbull's own lines of the kernel log on stdin: not the lines the kernel
# prints about the module's first load (taint, signature).
sbull_lines() {
	grep 'sbull: ' | grep -v -e 'taints kernel' -e 'module verification failed' || true
}

# The lines of stdin that match scripts/qemu/kernel-log-bad.txt, with $1 lines
# of context. Status 0 with lines printed, 1 without; a missing or empty
# pattern file is an error (status 2), never "nothing bad".
bad_kernel_lines() {
	local patterns=$SBULL_TEST_DIR/../scripts/qemu/kernel-log-bad.txt rc=0
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
	local mnt dir i
	local -a mounts
	mapfile -t mounts </proc/mounts
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		read -r _ mnt _ <<<"${mounts[i]}"
		case $mnt in "$SBULL_MNT"*) umount "$mnt" 2>/dev/null || true ;; esac
	done
	for dir in "$SBULL_CFS"/*/; do
		[ -d "$dir" ] || continue
		echo 0 >"$dir/power" 2>/dev/null || true
		rmdir "$dir" 2>/dev/null || true
	done
	if [ -e /sys/module/sbull ]; then
		rmmod sbull 2>/dev/null || true
	fi
}

# The kernel's label in the cases' labels: run.sh's (SBULL_KLABEL), or
# this kernel's major.minor.
if [ -z "${SBULL_KLABEL:-}" ]; then
	IFS=. read -r _maj _min _ < <(uname -r)
	SBULL_KLABEL=$_maj.$_min
fi

# Read the header of case file $1, the comment lines at its top, into
# CASE_DESC ("# Case:"), CASE_NEEDS ("# Needs:") and CASE_TIMEOUT
# ("# Timeout:", in seconds; SBULL_CASE_TIMEOUT, 300, without one). In
# bash alone: a fork costs a tenth of a second under TCG, and every case
# pays this.
case_header() {
	local line
	CASE_DESC='' CASE_NEEDS='' CASE_TIMEOUT=${SBULL_CASE_TIMEOUT:-300}
	[ -r "$1" ] || return 0
	while IFS= read -r line; do
		case $line in
		"# Case: "*) CASE_DESC=${line#\# Case: } ;;
		"# Needs: "*) CASE_NEEDS=${line#\# Needs: } ;;
		"# Timeout: "*) CASE_TIMEOUT=${line#\# Timeout: } ;;
		"#"*) ;;
		*) break ;;
		esac
	done <"$1"
}

# Is label $1 among those a previous boot of this run reported
# (SBULL_DONE_FILE, one a line)?
case_done() {
	local line
	[ -n "${SBULL_DONE_FILE:-}" ] && [ -s "$SBULL_DONE_FILE" ] || return 1
	while IFS= read -r line; do
		[ "$line" != "$1" ] || return 0
	done <"$SBULL_DONE_FILE"
	return 1
}

# The kernel log of the whole run, streamed by one follower (started by
# the first case; a stream never loses a line as the ring buffer wraps).
# Each case writes a begin and an end marker line to /dev/kmsg, and its
# lines are those between.
RUN_LOG=/tmp/run-kmsg.log
RUN_LOG_PID=''
RUN_LOG_N=0

# Write marker $1 to the kernel log until the follower has it (it may not
# have opened the log yet, the first time).
run_log_mark() {
	local _
	for _ in {1..100}; do
		echo "sbull-test: $1" >/dev/kmsg
		grep -qF "sbull-test: $1" "$RUN_LOG" && return 0
		sleep 0.1
	done
	return 1
}

# For run_case: the kernel log lines since marker "$1 begin", once the
# end marker is written and streamed.
run_log_lines() {
	run_log_mark "$1 end" || echo "the kernel log follower lost marker $1"
	sed -n "/sbull-test: $1 begin\$/,/sbull-test: $1 end\$/p" "$RUN_LOG"
}

# For the guest runners (suite-guest.sh, mirror-guest.sh): run case
# cases/$1.sh (of SBULL_CASES_DIR, if set) with the arguments after it, and print one TAP line: its
# label (case_label), and the case's "# Case:" line, its description;
# after a failure, why and the end of its output. Before it, "# start:
# LABEL", so that run.sh knows which case a guest that died was in; after
# it, "# time: LABEL: N s".
# - "# Needs:" names what the case needs: "cpus=N", "mem=MIB",
#   "modules=A,B". A guest that lacks one fails the case, unless
#   SBULL_ALLOW_SKIP=1 (a user's own kernel) makes it a TAP skip.
# - "# Timeout: N" bounds it (default 300 s): then it is killed and fails,
#   "timed out". A task stuck in the kernel cannot be killed: the guest's
#   hung-task panic ends the boot, and run.sh boots again for the rest.
# - It starts with sbull unloaded and tracing reset (tracing_reset), or
#   fails without running; the cleanup (RUN_CASE_CLEANUP, default
#   cleanup_sbull) must unload it, or the case
#   fails and the runner exits (status 3): run.sh boots again for the
#   cases after it.
# - It fails if the kernel logged a warning, oops or slab report while it
#   ran (the lines it caused, streamed: never the whole ring buffer).
# SBULL_CASES (names, space-separated) runs only those cases; with
# SBULL_LIST=1 nothing runs, and each selected case prints its label and
# time limit, tab-separated. A label in SBULL_DONE_FILE is not run again;
# past SBULL_DEADLINE (seconds since the epoch), a case is not started,
# and fails "not run (deadline)".
run_case() {
	local name=$1 file label why='' bad start mark line needs=0 rc=0
	shift
	file=${SBULL_CASES_DIR:-$SBULL_TEST_DIR/cases}/$name.sh
	case_selected "$name" || return 0
	# "[6.1] mirror-cut bio fail", as run.sh plans it; never with ": ".
	label="[$SBULL_KLABEL] $name${*:+ $*}"
	case_header "$file"
	if [ "${SBULL_LIST:-}" = 1 ]; then
		printf '%s\t%s\n' "$label" "$CASE_TIMEOUT"
		return 0
	fi
	case_done "$label" && return 0
	if [ -z "$CASE_DESC" ]; then
		echo "not ok - $label: no case file, or no \"# Case:\" line in it"
		return 0
	fi
	if [ "${SBULL_DEADLINE:-0}" -gt 0 ] && [ "$(printf '%(%s)T' -1)" -ge "$SBULL_DEADLINE" ]; then
		echo "not ok - $label: $CASE_DESC: not run (deadline)"
		return 0
	fi
	if [ -n "$CASE_NEEDS" ]; then
		why=$(case_missing_needs "$file" "$CASE_NEEDS") || needs=$?
		case $needs in
		0)
			if [ "${SBULL_ALLOW_SKIP:-}" = 1 ]; then
				echo "ok - $label: $CASE_DESC # SKIP $why"
			else
				echo "not ok - $label: $CASE_DESC: $why (SBULL_ALLOW_SKIP=1 allows it)"
			fi
			return 0 ;;
		2) echo "not ok - $label: $CASE_DESC: $why" && return 0 ;;
		esac
		why=''
	fi
	if [ -e /sys/module/sbull ]; then
		echo "not ok - $label: $CASE_DESC: sbull was still loaded before it, not run"
		"${RUN_CASE_CLEANUP:-cleanup_sbull}"
		return 0
	fi
	if [ -z "$RUN_LOG_PID" ]; then
		dmesg --follow-new >"$RUN_LOG" &
		RUN_LOG_PID=$!
		run_log_mark "follower $$" ||
			{ echo "not ok - $label: $CASE_DESC: the kernel log follower did not start" && return 0; }
	fi
	tracing_reset
	RUN_LOG_N=$((RUN_LOG_N + 1))
	mark="case $$.$RUN_LOG_N"
	echo "# start: $label"
	echo "sbull-test: $mark begin" >/dev/kmsg
	start=$SECONDS
	# timeout signals the case's process group: its own processes (fio,
	# dd in the background) go with it; -k: those that ignore TERM.
	timeout -k 10 "$CASE_TIMEOUT" "$file" "$@" >/tmp/case.log 2>&1 || rc=$?
	case $rc in
	124 | 137) why="timed out after $CASE_TIMEOUT s" ;;
	esac
	# The cleanup is not bounded here: a cleanup stuck in the kernel is a
	# hung task, which panics the guest.
	"${RUN_CASE_CLEANUP:-cleanup_sbull}" >/tmp/cleanup.log 2>&1 || true
	if [ -e /sys/module/sbull ]; then
		rc=1
		why="${why:+$why; }the cleanup could not unload sbull"
	fi
	# Status 1: no bad line; 0 (bad lines) or 2 (no patterns) fail.
	bad=$(run_log_lines "$mark" | bad_kernel_lines 5) || [ $? = 1 ] || rc=1
	[ -z "$bad" ] || rc=1
	if [ "$rc" = 0 ]; then
		echo "ok - $label: $CASE_DESC"
	else
		echo "not ok - $label: $CASE_DESC${why:+: $why}"
		grep -v '^#' /tmp/case.log | tail -n 20 | sed 's/^/#   /' || true
		[ -z "$bad" ] || printf '#   kernel: %s\n' "${bad//$'\n'/$'\n'#   kernel: }"
	fi
	while IFS= read -r line; do
		[ "${line#\#}" = "$line" ] || echo "$line"
	done </tmp/case.log
	echo "# time: $label: $((SECONDS - start)) s"
	# A guest that cannot unload sbull is no clean slate for the next
	# case: this boot ends, and run.sh boots again for the rest.
	if [ -e /sys/module/sbull ]; then
		echo "# sbull could not be unloaded: this boot ends here"
		exit 3
	fi
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

# What the guest lacks of case file $1's needs $2 (its "# Needs:" line), said
# in words; status 1 if nothing is missing, 2 for a need this function
# does not know.
case_missing_needs() {
	local need value m
	local -a needs
	read -ra needs <<<"$2"
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

# For run_case: tracing as a fresh boot has it (on, no event, empty), so
# that no case depends on what the one before it left (traced() ends with
# tracing off).
tracing_reset() {
	mountpoint -q $TRACING || return 0
	echo 0 >$TRACING/events/enable
	echo >$TRACING/trace
	echo 1 >$TRACING/tracing_on
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

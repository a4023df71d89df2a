#!/usr/bin/env bash
# Case: each bad configfs value is refused with an errno and one kernel line naming it and the accepted values; no disk is made
# For each bad value below, in a new configfs directory: the settings are
# written in order, and the last must fail (EINVAL for a value of the wrong
# form) with one kernel line from sbull that names the setting at fault
# (for power=1, the one that does not fit) and the accepted values. No
# disk exists afterwards, and the directory goes with rmdir. At the end the
# module unloads.
# Usage: configfs-bad.sh
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

# The setting the line must name, then the settings to write, "|" between.
bad_values=(
	"size|size=12Q"
	"size|size=0"
	"hardsect_size|hardsect_size=3000"
	"request_mode|request_mode=bogus"
	"nr_hw_queues|nr_hw_queues=100000"
	"queue_depth|queue_depth=0"
	"poll_queues|poll_queues=100000"
	"read_only|read_only=maybe"
	"legs|legs=/dev/vdb,,/dev/vdc"
	"legs|legs=1,2,3,4,5,6,7,8,9"
	"power|power=2"
	"size|hardsect_size=4096|size=1000|power=1"
	"legs|legs=/dev/nope|power=1"
	"poll_queues|request_mode=bio|poll_queues=1|power=1"
	"badblocks|badblocks=+5-2"
	"badblocks|badblocks=+1-2 r w"
	"badblocks|badblocks=-1-2 once"
	"completion_nsec|completion_nsec=99999999999"
	"mbps|mbps=-1"
	# All the memory available now: more than a disk may take.
	"size|size=$(awk '/^MemAvailable:/ { print $2 * 1024 }' /proc/meminfo)|power=1"
)

dir=$SBULL_CFS/bad
write_setting() { echo "${1#*=}" >"$dir/${1%%=*}"; }

# The kernel log lines that "$@" writes: printk stores a line before the
# write that caused it returns (lib.sh's log_after_mark).
log_during() {
	log_after_mark "$@"
}

# $1: the setting to be named; the rest: the settings, the last refused.
expect_refused() {
	local name=$1 last=${*: -1} kv log lines left
	shift
	mkdir "$dir" || fail "mkdir $dir"
	for kv in "${@:1:$#-1}"; do
		write_setting "$kv" || fail "$kv refused"
	done
	log=$(log_during must_fail write_setting "$last")
	case $last in
	power=1) ;;
	*) grep -q 'Invalid argument' /tmp/must_fail.out ||
		fail "$last: $(cat /tmp/must_fail.out); expected EINVAL" ;;
	esac
	lines=$(echo "$log" | sbull_lines)
	[ "$(echo "$lines" | grep -c .)" = 1 ] ||
		fail "$*: expected one kernel line from sbull: $log"
	echo "$lines" | grep -q "sbull: configfs bad/$name=.*[:;] accepted" ||
		fail "$*: the line does not name $name and the accepted values: $lines"
	echo "# $(sed 's/.*: //' /tmp/must_fail.out): ${lines#*sbull: }"
	left=$(ls -d /sys/block/sbull* 2>/dev/null || true)
	[ -z "$left" ] || fail "$*: left behind: $left"
	[ "$(cat "$dir/power")" = 0 ] || fail "$*: power reads $(cat "$dir/power")"
	rmdir "$dir" || fail "rmdir $dir"
}

modprobe sbull ndevices=0 || fail "modprobe sbull ndevices=0"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
for b in "${bad_values[@]}"; do
	IFS='|' read -ra args <<<"$b"
	expect_refused "${args[@]}"
done
unload_sbull

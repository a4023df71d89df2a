#!/usr/bin/env bash
# Boot a Debian kernel in QEMU (TCG) on a writable overlay of the host's root
# and run one command there, as root, in the current directory.
#
# Usage: guest.sh [--series 6.1|6.12|latest] [--module PATH/sbull.ko] [--mem 1G]
#                 [--cpus 2] [--timeout SECONDS] [--results DIR]
#                 [--append "KERNEL ARGS"] [--bench] [--shell]
#                 [--systemd SETUP] [--end poweroff|reboot|kill]
#                 [--disk FILE]... [--] COMMAND [ARG...]
#
# The command's stdout and stderr stream live to guest.sh's (two streams:
# their relative order is not kept), and its exit status becomes guest.sh's.
# The run fails anyway (status 1 if the command succeeded) when the kernel
# logged a warning, oops or slab report; 124 when it hit --timeout; 125 when
# the guest ended without a status (panic, ...).
# In the guest, the command runs as root in the same directory, stdin
# /dev/null, with PATH, HOME, LANG, the host's SBULL_* variables,
# SBULL_RESULTS=/results (the --results DIR, read-write) and
# SBULL_KREL=<release>; with --module, sbull.ko is installed in
# /lib/modules/<release>/extra so that `modprobe sbull` works.
# The results DIR (a new temp dir by default) gets console.log and
# dmesg.log. V=1 streams the console to stderr; ACCEL=kvm replaces TCG.
# --disk FILE (repeatable): a raw image on the host, made by the caller,
# attached as a virtio-blk disk: /dev/vda, /dev/vdb, ... in the order given,
# present (virtio_blk loaded, nodes made) before the command runs. Its cache
# mode is writeback: what the guest wrote is in the file once QEMU has
# ended, even when QEMU was killed (it sits in the host's page cache).
# --bench: boot for measuring, not testing: no slub_debug (it saves a stack
# trace at every allocation) and the TSC as clocksource (TCG's HPET costs an
# emulated MMIO read per timestamp, and the block layer takes several per
# I/O).
# --shell: an interactive shell on the console instead of a command, no
# timeout; exiting it powers the guest off and gives guest.sh its status
# (Ctrl-A x ends QEMU).
# --systemd SETUP: boot systemd as PID 1, as a Debian machine boots. Before
# it starts, SETUP (a command, run in the guest's root as root, with the
# job's environment) installs what the boot is to bring up; then systemd
# boots to sbull-job.target, whose one service runs COMMAND once
# basic.target is reached (local file systems mounted, udev running).
# --end says how the guest ends once COMMAND has: poweroff (the default),
# reboot (systemd's clean reboot, which QEMU, run with -no-reboot, ends
# on), or kill (the host kills QEMU with SIGKILL once COMMAND's status has
# arrived: a power cut, the guest's writes to its disks kept as far as
# they reached QEMU).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)

series=6.1 module='' mem=1G cpus=2 timeout=1800 results='' append='' shell='' bench=''
systemd='' end=poweroff
disks=()
boot_args=slub_debug=FZPU
usage() {
	echo "usage: $0 [--series 6.1|6.12|latest] [--module FILE.ko] [--mem SIZE]" \
		"[--cpus N] [--timeout SECONDS] [--results DIR] [--append ARGS]" \
		"[--bench] [--shell] [--systemd SETUP] [--end poweroff|reboot|kill]" \
		"[--disk FILE]... [--] COMMAND [ARG...]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--series | --module | --mem | --cpus | --timeout | --results | --append | --disk | \
		--systemd | --end)
		[ $# -ge 2 ] || usage ;;
	esac
	case $1 in
	--series) series=$2 && shift ;;
	--module) module=$(realpath "$2") && shift ;;
	--mem) mem=$2 && shift ;;
	--cpus) cpus=$2 && shift ;;
	--timeout) timeout=$2 && shift ;;
	--results) results=$2 && shift ;;
	--append) append=$2 && shift ;;
	--disk)
		[ -f "$2" ] || { echo "no file $2" >&2 && exit 2; }
		disks+=("$(realpath "$2")") && shift
		;;
	--systemd) systemd=$2 && shift ;;
	--end)
		case $2 in poweroff | reboot | kill) end=$2 ;; *) usage ;; esac
		shift ;;
	--bench) boot_args='clocksource=tsc tsc=reliable' bench=1 ;;
	--shell) shell=1 ;;
	--) shift && break ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ -n "$shell" ] || [ $# -gt 0 ] || usage
[ -z "$module" ] || [ -f "$module" ] || { echo "no file $module" >&2 && exit 2; }

release=$("$repo/scripts/qemu/fetch-kernel.sh" "$series")
initrd=$("$repo/scripts/qemu/mkinitramfs.sh" "$release")
kdir=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}/kernels/$release
kernel=$kdir/vmlinux # see fetch-kernel.sh
[ -e "$kernel" ] || kernel=$kdir/boot/vmlinuz-$release
# The kernel's checkers: a task blocked 30 s, a CPU stuck in the kernel
# (a soft lockup) and an RCU stall panic the guest with their stacks (the
# harness then fails the case it was in, and boots again for the rest);
# KFENCE samples allocations where the kernel has it (6.12 and later
# build it in, off by default), beside slub_debug.
checkers='sysctl.kernel.hung_task_timeout_secs=30 sysctl.kernel.hung_task_panic=1'
checkers+=' softlockup_panic=1 sysctl.kernel.panic_on_rcu_stall=1'
if grep -q '^CONFIG_KFENCE=y' "$kdir/boot/config-$release" 2>/dev/null; then
	checkers+=' kfence.sample_interval=100'
fi
[ -n "$bench" ] || [ -n "$shell" ] || boot_args+=" $checkers"

if [ -z "$results" ]; then
	results=$(mktemp -d "${TMPDIR:-/tmp}/sbull-results.XXXXXX")
	echo "results: $results" >&2
fi
mkdir -p "$results"
results=$(realpath "$results")
rm -f "$results/console.log" "$results/dmesg.log"

# The run's private files, seen by the guest through the host root: the
# stage it runs as PID 1, the job it reads, and what its ports write.
run=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$run"' EXIT
touch "$run"/{stdout,stderr,status} "$results/console.log"

# depmod in the guest reads every module over 9p under TCG (40 s on 6.1,
# 80 s on 6.12): run it here, on a tree of symlinks to the kernel's modules
# plus sbull.ko, and let the guest copy in sbull.ko and the modules.* files.
modtree=''
if [ -n "$module" ]; then
	mkdir -p "$run/tree/lib/modules"
	cp -rs "$kdir/lib/modules/$release" "$run/tree/lib/modules/"
	modtree=$run/tree/lib/modules/$release
	install -D -m 644 "$module" "$modtree/extra/sbull.ko"
	depmod -b "$run/tree" "$release"
fi

cwd=$PWD
cmd=("$@")
mapfile -d '' -t host_env < <(env -0 | grep -z '^SBULL_' || true)
term=${TERM:-linux}
size=
[ -z "$shell" ] || ! [ -t 0 ] || size=$(stty size)
ndisks=${#disks[@]}
[ "$ndisks" -le 26 ] || { echo "at most 26 disks (vda to vdz)" >&2 && exit 2; }
declare -p cwd cmd host_env modtree shell term size ndisks systemd end >"$run/job"

cat >"$run/stage" <<'STAGE'
#!/bin/bash
# PID 1 of the guest, after switch_root: run the job, save dmesg, send the
# exit status to the host, power off.
set -uo pipefail
. "$(dirname "$0")/job"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
krel=$(uname -r)

# The serial ports to the host, by name.
port() {
	local p
	for p in /sys/class/virtio-ports/*; do
		[ "$(cat "$p/name")" != "$1" ] || echo "/dev/${p##*/}"
	done
}

env=(PATH="$PATH" HOME=/root LANG=C.UTF-8 "${host_env[@]}"
	SBULL_RESULTS=/results SBULL_KREL="$krel")
# The --disk images: without udev, nothing loads virtio_blk on its own;
# devtmpfs makes the nodes, once the driver has probed each disk. Each disk
# carries its index as serial number, to catch a probe order that is not
# the order given.
attach_disks() {
	local i dev try letters=abcdefghijklmnopqrstuvwxyz
	[ "$ndisks" = 0 ] && return
	modprobe virtio_blk || return
	for ((i = 0; i < ndisks; i++)); do
		dev=vd${letters:i:1}
		for try in $(seq 100); do
			[ -b "/dev/$dev" ] && break
			[ "$try" = 100 ] || sleep 0.1
		done
		[ "$(cat "/sys/block/$dev/serial" 2>/dev/null)" = "sbull-disk$i" ] || {
			echo "guest.sh: /dev/$dev is not --disk number $((i + 1))" >&2
			return 1
		}
	done
}

# sbull.ko and the modules.* files that depmod made on the host.
install_module() {
	[ -z "$modtree" ] && return
	mkdir -p "/lib/modules/$krel/extra" &&
		cp "$modtree/extra/sbull.ko" "/lib/modules/$krel/extra/" &&
		cp "$modtree"/modules.* "/lib/modules/$krel/"
}

# systemd as PID 1: SETUP, then a target whose service runs the job
# (sbull-job, below) once basic.target is reached.
boot_systemd() {
	local unit=/etc/systemd/system
	install_module || return
	# The host root is a container's: systemd would take the guest for
	# one (no reboot(2) at shutdown, units skipped).
	rm -f /.dockerenv
	# Nor may systemd-tmpfiles empty /tmp, which is the host's: this stage
	# and its job live there (and emptying it takes a minute over 9p).
	mkdir -p /etc/tmpfiles.d
	echo 'd /tmp 1777 root root -' >/etc/tmpfiles.d/tmp.conf
	(cd "$cwd" && env -i "${env[@]}" bash -c "$systemd") || return
	cat >"$unit/sbull-job.target" <<-EOF
		[Unit]
		Description=The sbull test job's boot
		Requires=basic.target sbull-job.service
		After=basic.target sbull-job.service
		AllowIsolate=yes
	EOF
	cat >"$unit/sbull-job.service" <<-EOF
		[Unit]
		Description=The sbull test job
		After=basic.target

		[Service]
		Type=oneshot
		ExecStart=$(dirname "$0")/stage --job
		StandardInput=null
		StandardOutput=journal+console
	EOF
	exec /lib/systemd/systemd --unit=sbull-job.target --show-status=1
}

# In systemd's boot, the job's service: the command, then the end.
if [ "${1:-}" = --job ]; then
	{ attach_disks && cd "$cwd" && env -i "${env[@]}" "${cmd[@]}"; } \
		</dev/null >"$(port sbull.stdout)" 2>"$(port sbull.stderr)"
	rc=$?
	dmesg >/results/dmesg.log
	echo "$rc" >"$(port sbull.status)"
	case $end in
	reboot) systemctl reboot --no-block ;;
	kill) sleep infinity ;;
	*) systemctl poweroff --no-block ;;
	esac
	exit 0
fi

if [ -n "$systemd" ]; then
	boot_systemd
	echo "guest.sh: systemd did not start" >/dev/kmsg
	rc=1
elif [ -n "$shell" ]; then
	console=/dev/ttyS0
	[ -z "$size" ] || stty -F "$console" rows "${size% *}" cols "${size#* }"
	install_module
	attach_disks
	# setsid -c: the console becomes the shell's terminal, for job control.
	cd "$cwd" && env -i "${env[@]}" TERM="$term" setsid -c bash -l \
		<"$console" >"$console" 2>&1
	rc=$?
else
	{ install_module && attach_disks && cd "$cwd" &&
		env -i "${env[@]}" "${cmd[@]}"; } \
		</dev/null >"$(port sbull.stdout)" 2>"$(port sbull.stderr)"
	rc=$?
fi
dmesg >/results/dmesg.log
echo "$rc" >"$(port sbull.status)"
exec busybox poweroff -f
STAGE
chmod +x "$run/stage"

# q35, not pc: on pc, enabling each virtio-pci device (its ACPI interrupt
# link) took 2.4 s under TCG.
# For tests, TCG runs the vCPUs in one host thread (SBULL_TCG_THREAD=multi
# for one each, as benchmarks do): with a thread per vCPU, a guest that
# patches its own code (a static key flipped as a tracepoint is enabled)
# was seen to loop for ever in exc_int3 on one vCPU while another
# patched, its translated code stale. One thread a guest also lets make
# check run two guests at once on two cores.
threads=single
[ -z "$bench" ] || threads=multi
accel=${ACCEL:-tcg}
[ "$accel" != tcg ] || accel=tcg,thread=${SBULL_TCG_THREAD:-$threads}
qemu=(qemu-system-x86_64 -machine q35 -accel "$accel" -m "$mem"
	-smp "$cpus" -nodefaults -no-user-config -nographic -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 $boot_args sbull_kernel=$kdir sbull_stage=$run/stage $append"
	-virtfs 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap'
	-virtfs "local,path=$results,mount_tag=results,security_model=none"
	-device virtio-serial-pci -device virtio-rng-pci)
for i in "${!disks[@]}"; do
	qemu+=(-drive "file=${disks[i]},format=raw,if=none,id=disk$i,cache=writeback"
		-device "virtio-blk-pci,drive=disk$i,serial=sbull-disk$i")
done
for p in stdout stderr status; do
	qemu+=(-chardev "file,id=$p,path=$run/$p,append=on"
		-device "virtserialport,chardev=$p,name=sbull.$p")
done

qemu_status=0
if [ -n "$shell" ]; then
	# The console on stdio; Ctrl-C goes to the guest, Ctrl-A x ends QEMU.
	"${qemu[@]}" -chardev "stdio,id=con,mux=on,signal=off,logfile=$results/console.log" \
		-serial chardev:con -mon chardev=con || qemu_status=$?
else
	# A guest that dies before its init has switched to the host root
	# (no sbull code has run yet) is booted once more: under a loaded
	# host, TCG has been seen to crash a kernel while it patches its own
	# code at boot ("Oops: int3" in sched_clock_cpu; in crng_make_state
	# when the random pool became ready mid-run, which the init now waits
	# for).
	for attempt in 1 2; do
		timeout -k 10 "$timeout" "${qemu[@]}" \
			-chardev "file,id=con,path=$results/console.log,append=on" \
			-serial chardev:con &
		qpid=$!
		pids+=("$qpid")
		# Copy a file as it grows, until QEMU has ended and it is read
		# to the end.
		follow() { tail -n +1 -s 0.1 -f --pid="$qpid" "$1"; }
		follow "$run/stdout" &
		pids+=($!)
		follow "$run/stderr" >&2 &
		pids+=($!)
		if [ "${V:-}" = 1 ]; then
			follow "$results/console.log" >&2 &
			pids+=($!)
		fi
		# --end kill: the power cut, once the job's status is in.
		if [ "$end" = kill ]; then
			# QEMU is timeout's child: kill it, not timeout.
			(while [ ! -s "$run/status" ] && kill -0 "$qpid" 2>/dev/null; do
				sleep 0.2
			done
			pkill -KILL -P "$qpid" 2>/dev/null || true) &
			pids+=($!)
		fi
		qemu_status=0
		wait "$qpid" || qemu_status=$?
		wait "${pids[@]:1}"
		pids=()
		if [ "$attempt" = 2 ] || [ -s "$run/status" ] ||
			grep -q 'sbull-guest: init done' "$results/console.log"; then
			break
		fi
		echo "guest.sh: the guest died while booting, before its init was done; booting again (see console-boot-failed.log)" >&2
		mv "$results/console.log" "$results/console-boot-failed.log"
		touch "$results/console.log"
	done
fi

rc=$(cat "$run/status")
if [ "$qemu_status" = 124 ]; then
	echo "guest.sh: timed out after $timeout s; the console's end:" >&2
	tail -n 30 "$results/console.log" >&2
	rc=124
elif [ -z "$rc" ]; then
	echo "guest.sh: the guest ended without an exit status; the console's end:" >&2
	tail -n 30 "$results/console.log" >&2
	rc=125
fi

# Print the bad kernel-log lines of stdin, with some context, if any.
# The patterns (warnings, oopses, KFENCE, UBSAN, slab reports, hung tasks
# and RCU stalls) are shared with the test suite's per-case check.
bad_lines() {
	local lines patterns=$repo/scripts/qemu/kernel-log-bad.txt st=0
	if [ ! -s "$patterns" ]; then
		echo "guest.sh: no patterns in $patterns: the kernel log is not checked" >&2
		[ "$rc" != 0 ] || rc=1
		return
	fi
	lines=$(grep -E -C 3 -f "$patterns") || st=$?
	[ "$st" = 1 ] && return 0
	[ "$st" = 0 ] || lines="grep failed ($st) on $patterns"
	echo "guest.sh: bad kernel log lines in $1:" >&2
	head -n 100 <<<"$lines" >&2
	[ "$rc" != 0 ] || rc=1
}
# dmesg.log has the log up to the command's end; console.log also what came
# after, or all of it when the guest died before saving dmesg.
dmesg=$results/dmesg.log
[ -f "$dmesg" ] || dmesg=/dev/null
bad_lines dmesg.log <"$dmesg"
bad_lines "console.log (lines not in dmesg.log)" < <(tr -d '\r' \
	<"$results/console.log" | grep -vxFf "$dmesg")
exit "$rc"

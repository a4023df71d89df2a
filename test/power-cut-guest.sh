#!/usr/bin/env bash
# The guest side of power-cut.sh, in a guest booted with three --disk
# images: the legs /dev/vda and /dev/vdb, and /dev/vdc, a log that is not a
# leg. Steps, in the order given:
# MODE is a request mode, or one with "+writeback" (mq+writeback): the write
# boot then runs the disk in write-back mode, where an fsync is all that
# keeps a file.
#   verify MODE  load sbull in MODE from the legs (no legs_init): the store
#                is restored, ext4 replays its journal and is fsck-clean,
#                and every file in the log is there with its checksum.
#   write MODE   load sbull in MODE on the legs, make an ext4, write files
#                of random content, each fsynced and then logged (name and
#                sha256, one synced direct write of a sector on vdc); after
#                FILES of them, cut the power (sysrq b: the guest resets,
#                QEMU's -no-reboot ends it) while the writer goes on: files
#                being written and fsynced, an unsynced one beside them.
# Prints "power-cut: verified MODE N" or "power-cut: verify failed MODE:
# WHY", and "power-cut: cutting power MODE N" just before the cut.
# Usage: power-cut-guest.sh [verify MODE] [write MODE]
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/mirror-lib.sh"

legs=sbulla=/dev/vda,sbulla=/dev/vdb
params=(ndevices=1 nsectors="$STORE_SECTORS" legs="$legs")
files=${SBULL_POWER_CUT_FILES:-40}

# The module parameters for MODE.
mode_params() {
	echo "request_mode=${1%+writeback}"
	[ "$1" = "${1%+writeback}" ] || echo writeback=sbulla
}

# The log's records, one per sector from sector 1: "NAME SHA256".
read_log() {
	python3 - <<-'EOF'
		with open("/dev/vdc", "rb") as f:
		    f.seek(512)
		    while True:
		        rec = f.read(512).rstrip(b"\0")
		        if not rec:
		            break
		        print(rec.decode())
	EOF
}

verify() {
	local mode=$1 log n
	# shellcheck disable=SC2046 # one parameter a line
	log=$(kernel_log_during modprobe sbull $(mode_params "$mode") "${params[@]}")
	[ -e /dev/sbulla ] || fail "modprobe after the power cut failed: $log"
	echo "$log" | grep -Ei 'sbull.*restor' | sed 's/^/# /'
	echo "$log" | grep -Eiq 'sbull.*restor' || fail "no restore line in the kernel log: $log"
	mkdir -p "$SBULL_MNT"
	mount -t ext4 /dev/sbulla "$SBULL_MNT" || fail "mount (journal replay) failed"
	read_log | awk '{ print $2 "  " $1 }' >/tmp/power-cut.sums
	n=$(wc -l </tmp/power-cut.sums)
	[ "$n" -gt 0 ] || fail "the log holds no file"
	(cd "$SBULL_MNT" && sha256sum --quiet -c /tmp/power-cut.sums) >&2 ||
		fail "logged files missing or changed"
	umount "$SBULL_MNT"
	e2fsck -fn /dev/sbulla >/tmp/fsck.out 2>&1 || { cat /tmp/fsck.out >&2; fail "e2fsck found errors"; }
	# A leg may have missed the last writes before the cut: once the
	# resyncs are over, both hold the store.
	wait_in_sync 0
	wait_in_sync 1
	expect_leg_is_store /dev/vda
	expect_leg_is_store /dev/vdb
	echo "# legs after the restore: $(tr '\n' ';' <"$LEGS")"
	dmesg | grep -E 'sbull: .*resync' | sed 's/^/# /'
	unload_sbull
	echo "$n" >/tmp/power-cut.n
}

write() {
	local mode=$1 d
	# A new set: legs_init takes only legs without an sbull header.
	for d in /dev/vda /dev/vdb /dev/vdc; do
		dd if=/dev/zero of="$d" bs=1M count=1 oflag=direct status=none
	done
	# shellcheck disable=SC2046 # one parameter a line
	load_sbull $(mode_params "$mode") "${params[@]}" legs_init=1
	# The cut must find a whole mirror, not fresh legs still being copied.
	wait_in_sync 0
	wait_in_sync 1
	mkfs_mount /dev/sbulla "$SBULL_MNT"
	python3 - "$SBULL_MNT" "$files" "$mode" <<-'EOF'
		import hashlib, mmap, os, random, sys, threading, time
		mnt, files, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		log = os.open("/dev/vdc", os.O_WRONLY | os.O_DIRECT | os.O_DSYNC)
		buf = mmap.mmap(-1, 512)
		dirfd = os.open(mnt, os.O_RDONLY)
		def cut():
		    # A file on its way when the power goes: never synced, never
		    # logged; and the writer's fsyncs in flight.
		    with open(f"{mnt}/unsynced", "wb") as f:
		        f.write(os.urandom(1 << 20))
		    print(f"power-cut: cutting power {mode} {files}", flush=True)
		    time.sleep(1)  # for the line to reach the host first
		    with open("/proc/sysrq-trigger", "w") as f:
		        f.write("b")
		i = 0
		while True:
		    if i == files:
		        threading.Thread(target=cut, daemon=True).start()
		    name = f"f{i:03d}"
		    data = os.urandom(random.randint(1, 64) * 1024 + random.randint(0, 4095))
		    fd = os.open(f"{mnt}/{name}", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
		    os.write(fd, data)
		    os.fsync(fd)
		    os.close(fd)
		    os.fsync(dirfd)  # the name too, not only the data
		    buf.seek(0)
		    buf.write(f"{name} {hashlib.sha256(data).hexdigest()}".encode().ljust(512, b"\0"))
		    os.pwrite(log, buf, 512 * (i + 1))
		    i += 1
		    if i > files + 10000:
		        sys.exit("still running after sysrq b")
	EOF
}

while [ $# -ge 2 ]; do
	case $1 in
	verify)
		# In a subshell: fail() ends the step, not the script. Waited
		# for, not tested with `if`, which would turn set -e off in it.
		(verify "$2") 2>/tmp/verify.err &
		if wait $!; then
			echo "power-cut: verified $2 $(cat /tmp/power-cut.n)"
		else
			echo "power-cut: verify failed $2: $(grep FAIL /tmp/verify.err || tail -n 1 /tmp/verify.err)"
			sed 's/^/# /' /tmp/verify.err
			cleanup_sbull
		fi
		;;
	write) write "$2" ;;
	*) fail "unknown step $1" ;;
	esac
	shift 2
done

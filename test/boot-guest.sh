#!/usr/bin/env bash
# One boot of boot.sh, run by systemd once basic.target is reached and
# the fstab line's mount has been tried. $1 says which:
#   first   the disk made by sbull.service; ext4 made, mounted, 8 files
#           written and fsynced, their sums kept in /results (boot.sh
#           hands them to the next boot's)
#   clean   after a clean reboot: mounted by fstab, the files there, the
#           store read back and nothing resynced; 4 more files fsynced
#   cut     after QEMU was killed: refilled, the bitmap's regions alone
#           resynced, every fsynced file intact, e2fsck clean
# Prints "boot-guest: PHASE done" when every check passed.
# Usage: boot-guest.sh first|clean|cut
set -euo pipefail
phase=$1
state=${SBULL_RESULTS:?}
mnt=/mnt/data
dev=/dev/sbull/data
fail() {
	echo "boot-guest: $phase: FAIL: $*" >&2
	echo "# FAIL: $*"
	exit 1
}

# When, in seconds since the kernel started, unit $1 became active.
active_at() {
	local us
	us=$(systemctl show -P ActiveEnterTimestampMonotonic "$1")
	awk -v us="$us" 'BEGIN { printf "%.1f", us / 1e6 }'
}
say_times() {
	echo "# $phase boot: sbull.service done at $(active_at sbull.service) s, $mnt mounted at $(active_at mnt-data.mount) s, the job at $(cut -d' ' -f1 /proc/uptime) s"
}

# Write $2 files named $1N of random sizes, each fsynced; their sums
# into $state/$1.sha.
write_files() {
	local i
	for i in $(seq "$2"); do
		head -c $((i * 37000 + 1)) /dev/urandom >"$mnt/$1$i"
		python3 -c 'import os, sys; f = os.open(sys.argv[1], os.O_RDONLY); os.fsync(f)' "$mnt/$1$i"
	done
	python3 -c 'import os, sys; os.fsync(os.open(sys.argv[1], os.O_RDONLY))' "$mnt"
	(cd "$mnt" && sha256sum "$1"*) >"$state/$1.sha"
}

check_files() {
	local f
	for f in "$@"; do
		(cd "$mnt" && sha256sum -c --quiet "$state/$f.sha") ||
			fail "the files of $f.sha differ"
	done
}

systemctl is-active -q sbull.service || fail "sbull.service is not active: $(systemctl status sbull.service 2>&1 | tail -n 5)"
[ -b "$dev" ] || fail "no $dev (udev's rule)"
sbullctl list | sed 's/^/# /'
case $phase in
first)
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" ||
		fail "mkfs.ext4"
	mount "$mnt" || fail "mount $mnt (the fstab line)"
	write_files f 8
	say_times
	;;
clean)
	findmnt -n "$mnt" >/dev/null || fail "$mnt was not mounted at boot"
	say_times
	# Marked clean at shutdown: both legs in sync from the load on.
	[ "$(awk '$4 == "in_sync"' /sys/block/sbull?/mirror/legs | wc -l)" = 2 ] ||
		fail "after a clean reboot, the legs are not both in sync: $(cat /sys/block/sbull?/mirror/legs)"
	check_files f
	dmesg | grep -q 'sbull: sbull[a-z]: restoring 64 MiB from leg' ||
		fail "the store was not read back from a leg: $(dmesg | grep 'sbull:' | tail -n 5)"
	! dmesg | grep -q 'sbull: .*resync' ||
		fail "a clean reboot resynced: $(dmesg | grep 'sbull: .*resync')"
	write_files g 4
	# Not fsynced: the cut may keep it or not.
	head -c 100000 /dev/urandom >"$mnt/unsynced"
	;;
cut)
	say_times
	dmesg | grep -q 'sbull: sbull[a-z]: restoring 64 MiB from leg' ||
		fail "the store was not read back from a leg"
	for _ in $(seq 300); do
		[ "$(awk '$4 == "in_sync"' /sys/block/sbull?/mirror/legs | wc -l)" = 2 ] && break
		sleep 0.2
	done
	dmesg | grep 'sbull: .*resync' | sed 's/^\[[^]]*\] /# /'
	! dmesg | grep -q 'sbull: .*resyncing [0-9]* MiB' ||
		fail "the crash resynced a whole leg"
	dmesg | grep -Eq 'sbull: .*resynced leg\(s\) [01]: ' ||
		fail "no resync after the crash: $(dmesg | grep 'sbull:' | tail -n 8)"
	check_files f g
	umount "$mnt" || fail "umount"
	e2fsck -fn "$dev" >/tmp/fsck.out 2>&1 || { cat /tmp/fsck.out >&2; fail "e2fsck -fn"; }
	;;
*) fail "unknown phase" ;;
esac
echo "boot-guest: $phase done"

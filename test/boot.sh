#!/usr/bin/env bash
# A RAM disk that comes back by itself, in a guest that boots systemd as
# PID 1 (guest.sh --systemd): the Debian package's files unpacked into the
# guest's root and its unit enabled (test/boot-setup-guest.sh), a disk of
# /etc/sbull/disks.conf with two legs on virtio disks whose images outlive
# the guest, and an /etc/fstab line that mounts it. Three boots on the same
# images (the disk in write-back mode, so that a completed fsync is on the
# legs only if sbull put it there), each running test/boot-guest.sh once
# systemd has reached basic.target:
#   first   sbull.service made the disk; ext4 made and mounted, files
#           written and fsynced; then systemd's clean reboot (sbull.service
#           stopped after the file system is unmounted: the legs clean);
#   clean   after the clean reboot: mounted at boot by fstab, every file
#           there, nothing resynced; more files fsynced; then QEMU killed;
#   cut     after the power cut: the store refilled, only the bitmap's
#           regions resynced, every fsynced file intact, fsck clean.
# Each boot's time to the mounted disk is printed. The test points are
# "[K] boot clean reboot" and "[K] boot power cut"; with SBULL_LIST=1
# they are listed, and nothing runs.
# Usage: boot.sh SERIES KO DEB
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
series=${1:?usage: $0 SERIES KO DEB} ko=${2:?} deb=${3:?}
k=${SBULL_KLABEL:-$series}
if [ "${SBULL_LIST:-}" = 1 ]; then
	echo "[$k] boot clean reboot"
	echo "[$k] boot power cut"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truncate -s 72M "$tmp/leg0.img" "$tmp/leg1.img"

# Boot $1 (first, clean, cut), ending with $2; stdout in $tmp/$1.out,
# stderr in $tmp/$1.err, guest.sh's status in $rc. The sums of the files
# the boots before wrote go into its results directory (the guest's
# /results, where it writes its own), before it starts.
prev=''
boot() {
	rc=0
	mkdir -p "$tmp/$1"
	[ -z "$prev" ] || cp "$tmp/$prev"/*.sha "$tmp/$1/" 2>/dev/null || true
	prev=$1
	scripts/qemu/guest.sh --series "$series" \
		--module "$ko" --timeout 900 --results "$tmp/$1" \
		--systemd "test/boot-setup-guest.sh $deb" --end "$2" \
		--disk "$tmp/leg0.img" --disk "$tmp/leg1.img" -- \
		test/boot-guest.sh "$1" >"$tmp/$1.out" 2>"$tmp/$1.err" || rc=$?
	grep '^#' "$tmp/$1.out" || true
}

explain() {
	echo "#   guest.sh exited $rc"
	cat "$tmp/$1.out" "$tmp/$1.err" | grep -v '^results: ' | tail -n 40 | sed 's/^/#   /'
}

# A boot passed: its job said so, and guest.sh found no bad kernel line.
passed() {
	grep -q "^boot-guest: $1 done$" "$tmp/$1.out" &&
		! grep -q 'bad kernel log lines' "$tmp/$1.err"
}

start=$SECONDS
boot first reboot
# The clean reboot's shutdown is in the console only: the unit's stop.
clean=$(tr -d '\r' <"$tmp/first/console.log" | grep -c 'sbull: sbull[a-z]: 2 of 2 legs flushed and marked clean' || true)
if [ "$rc" = 0 ] && passed first && [ "$clean" -ge 1 ]; then
	boot clean kill
	if [ "$rc" = 0 ] && passed clean; then
		echo "ok - [$k] boot clean reboot: systemd's reboot marked the legs clean; the next boot mounted the disk by fstab with every file and no resync"
	else
		echo "not ok - [$k] boot clean reboot: systemd's reboot marked the legs clean; the next boot mounted the disk by fstab with every file and no resync"
		explain clean
	fi
else
	echo "not ok - [$k] boot clean reboot: the first boot made, filled and cleanly rebooted the disk (legs marked clean at shutdown: $clean)"
	explain first
	rc=1
fi
echo "# time: [$k] boot clean reboot: $((SECONDS - start)) s"

start=$SECONDS
if [ -s "$tmp/clean/g.sha" ]; then
	boot cut poweroff
	if [ "$rc" = 0 ] && passed cut; then
		echo "ok - [$k] boot power cut: QEMU killed; the next boot refilled, resynced only the bitmap's regions, every fsynced file intact, fsck clean"
	else
		echo "not ok - [$k] boot power cut: QEMU killed; the next boot refilled, resynced only the bitmap's regions, every fsynced file intact, fsck clean"
		explain cut
	fi
else
	echo "not ok - [$k] boot power cut: no boot before it wrote its files"
fi
echo "# time: [$k] boot power cut: $((SECONDS - start)) s"

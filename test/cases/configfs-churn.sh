#!/usr/bin/env bash
# Case: configfs: 20 disks made and removed twice while fio verifies two others; power toggled beside a disk under load, refused on it
# sbulla and sbullb, made at load, run a verifying fio throughout. Twice,
# 20 configfs disks (bio, mq and simple in turn, 4 MiB each) are made; a
# fio job verifies all 20 at once; then all 20 are removed. Then, with fio
# verifying configfs disk "hot", power=0 of "hot" is refused with EBUSY
# while another disk's power is toggled ten times. Every fio run ends
# clean, and no disk is left but the two of the parameters.
# Usage: configfs-churn.sh
# Needs: mem=512
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

modes=(bio mq simple)
# fio verifying disks "$@" in the background (each block read back soon
# after it is written, verify_backlog) until fio_background_clean stops
# it; its pid in FIO_PID, its output in /tmp/fio-bg.out.
fio_background() {
	local args=() d
	for d in "$@"; do
		args+=(--name="${d#/dev/}" --filename="$d")
	done
	fio "${args[@]}" --rw=randwrite --bs=4k --size=4m --ioengine=libaio \
		--iodepth=4 --direct=1 --verify=crc32c --verify_fatal=1 \
		--verify_backlog=64 --verify_state_save=0 --time_based \
		--runtime=600 >/tmp/fio-bg.out 2>&1 &
	FIO_PID=$!
}
# The fio of fio_background() must still run, and end clean when stopped,
# each of its $1 jobs (SIGINT: status 128 after a clean stop).
fio_background_clean() {
	local rc=0
	kill -0 "$FIO_PID" 2>/dev/null ||
		{ cat /tmp/fio-bg.out >&2; fail "fio ended before it was stopped"; }
	kill -INT "$FIO_PID"
	wait "$FIO_PID" || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 128 ] ||
		{ cat /tmp/fio-bg.out >&2; fail "fio under the churn: status $rc"; }
	[ "$(grep -c 'err= 0' /tmp/fio-bg.out)" = "$1" ] ||
		{ cat /tmp/fio-bg.out >&2; fail "fio reported errors"; }
}

load_sbull ndevices=2 nsectors=16384
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
fio_background /dev/sbulla /dev/sbullb
for round in 1 2; do
	disks=()
	for i in $(seq 20); do
		disks+=("$(cfs_create "d$i" size=4M request_mode="${modes[i % 3]}")")
	done
	jobs=()
	for d in "${disks[@]}"; do
		jobs+=(--name="${d#/dev/}" --filename="$d")
	done
	fio "${jobs[@]}" --rw=randwrite --bs=4k --size=2m --ioengine=libaio \
		--iodepth=2 --direct=1 --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 >/tmp/fio.out 2>&1 ||
		{ cat /tmp/fio.out >&2; fail "round $round: fio on the 20 disks"; }
	[ "$(grep -c 'err= 0' /tmp/fio.out)" = 20 ] || fail "round $round: fio errors"
	for i in $(seq 20); do
		cfs_remove "d$i"
	done
	left=$(find /sys/block -maxdepth 1 -name 'sbull*' | wc -l)
	[ "$left" = 2 ] || fail "round $round: $left disks after the removal"
	echo "# round $round: 20 disks made, verified and removed"
done
fio_background_clean 2

# power=0 refused on a disk under fio; another toggled beside it.
hot=$(cfs_create hot size=8M request_mode=mq)
mkdir "$SBULL_CFS/cold"
fio_background "$hot"
sleep 2
must_fail cfs_power hot 0
grep -qi busy /tmp/must_fail.out || fail "power=0 under fio: $(cat /tmp/must_fail.out)"
for _ in $(seq 10); do
	cfs_power cold 1 || fail "power=1 of cold"
	cfs_power cold 0 || fail "power=0 of cold"
done
fio_background_clean 1
[ -b "$hot" ] || fail "the refused power=0 removed $hot"
cfs_remove hot
rmdir "$SBULL_CFS/cold"
unload_sbull

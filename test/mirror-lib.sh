# shellcheck shell=bash
# Helpers for the mirror cases (test/cases/mirror-*.sh), which run in a guest
# booted with three --disk images: /dev/vda, /dev/vdb, /dev/vdc (64 MiB each).
# shellcheck source=test/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A 16 MiB store keeps each resync and restore short under TCG.
STORE_SECTORS=32768
STORE_BYTES=$((STORE_SECTORS * 512))
# What a leg region holds: the 4 KiB header, then the store.
HDR_SECTORS=8
# shellcheck disable=SC2034 # for the cases
REGION_SECTORS=$((HDR_SECTORS + STORE_SECTORS))
LEGS=/sys/block/sbulla/mirror/legs

# Load one 16 MiB sbulla in mode $1 with the legs $2 (the legs= value);
# the other arguments are more module parameters.
load_mirror() {
	local mode=$1 legs=$2
	shift 2
	load_sbull request_mode="$mode" ndevices=1 nsectors="$STORE_SECTORS" \
		legs="$legs" "$@"
}

# Field $2 of slot $1's line in the legs table: 1 slot, 2 device, 3 start,
# 4 state, 5 progress, 6 errors, 7 generation.
leg_field() {
	awk -v slot="$1" -v f="$2" '$1 == slot { print $f; found = 1 }
		END { exit !found }' "$LEGS" || fail "no slot $1 in the legs table: $(cat "$LEGS")"
}

# Slot $1 must be in state $2.
expect_leg_state() {
	local got
	got=$(leg_field "$1" 4)
	[ "$got" = "$2" ] || fail "leg $1 is $got, expected $2: $(cat "$LEGS")"
}

# Wait up to $2 seconds (default 120) for slot $1 to be in_sync at 100%.
wait_in_sync() {
	local try
	for try in $(seq $((${2:-120} * 5))); do
		[ "$(leg_field "$1" 4) $(leg_field "$1" 5)" = "in_sync 100" ] && return 0
		[ "$(leg_field "$1" 4)" != failed ] ||
			fail "leg $1 failed while waiting for its resync: $(cat "$LEGS")"
		[ "$try" = $((${2:-120} * 5)) ] || sleep 0.2
	done
	fail "leg $1 not in sync after ${2:-120} s: $(cat "$LEGS")"
}

# Checksum of the data area of the leg region at sector $2 of device $1:
# what must equal the store.
leg_data_sum() {
	checksum_range "$1" $((($2 + HDR_SECTORS) * 512)) "$STORE_BYTES"
}

store_sum() {
	checksum_range /dev/sbulla 0 "$STORE_BYTES"
}

# fio's verified random writes to /dev/sbulla in the background (pid in
# FIO_PID, output in /tmp/fio.out), held to 400 IOPS (FIO_SIZE, 8 MiB, in
# 5 s); back once 2 MiB are written, so that what the caller does next
# lands mid-run whatever the guest's speed. $1 says what that is, for the
# failure.
fio_verify_midrun() {
	local _
	fio --name=mirror --filename=/dev/sbulla --rw=randwrite --bs=4k \
		--direct=1 --ioengine=libaio --iodepth=8 --size="${FIO_SIZE:-8m}" \
		--rate_iops=100000,400 --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_state_save=0 >/tmp/fio.out 2>&1 &
	FIO_PID=$!
	for _ in $(seq 600); do
		[ "$(stat_of write_bytes)" -lt $((2 << 20)) ] || break
		sleep 0.1
	done
	kill -0 "$FIO_PID" 2>/dev/null ||
		fail "fio ended before $1: $(cat /tmp/fio.out)"
}

# fio of fio_verify_midrun() must end without an error or a bad block.
fio_verify_clean() {
	wait "$FIO_PID" || { cat /tmp/fio.out >&2; fail "fio failed"; }
	grep -q 'err= 0' /tmp/fio.out || { cat /tmp/fio.out >&2; fail "fio reported errors"; }
	! grep -qi 'verify.*fail\|bad magic\|crc32c: verify' /tmp/fio.out ||
		fail "fio verify errors"
}

# The leg at sector $2 (default 0) of device $1 must hold the store, byte
# for byte. No write may be in flight.
expect_leg_is_store() {
	local leg store
	leg=$(leg_data_sum "$1" "${2:-0}")
	store=$(store_sum)
	[ "$leg" = "$store" ] ||
		fail "the leg $1:${2:-0} does not hold the store (leg $leg, store $store)"
}

# Create device-mapper device $1 with table $2 (lines) and print its node. Without
# udev, dmsetup makes no /dev/mapper link; devtmpfs makes /dev/dm-N.
dm_create() {
	local dev
	modprobe -a dm-mod dm-flakey || fail "modprobe dm-mod dm-flakey"
	dmsetup create "$1" <<<"$2" || fail "dmsetup create $1 $2"
	dev=/dev/$(dmsetup info -c --noheadings -o blkdevname "$1")
	wait_for_dev "$dev"
	echo "$dev"
}

# Swap device-mapper device $1's table for $2 under the I/O that runs.
dm_switch() {
	dmsetup reload "$1" <<<"$2" || fail "dmsetup reload $1 $2"
	dmsetup resume "$1" || fail "dmsetup resume $1"
}

# Device-mapper tables for a leg region on device $1: as it is; or with the
# writes to its store (not the header block) held $2 ms, 60000 by default.
leg_plain() { echo "0 $REGION_SECTORS linear $1 0"; }
leg_slow_data() {
	echo "0 $HDR_SECTORS linear $1 0
$HDR_SECTORS $((REGION_SECTORS - HDR_SECTORS)) delay $1 $HDR_SECTORS 0 $1 $HDR_SECTORS ${2:-60000} $1 $HDR_SECTORS 0"
}

# Wait until dm-delay device $1 holds $2 writes, at most 60 s.
wait_held() {
	local _
	for _ in $(seq 600); do
		[ "$(dmsetup status "$1" | awk '$3 == "delay" { n += $5 } END { print n + 0 }')" -lt "$2" ] || return 0
		sleep 0.1
	done
	fail "no $2 writes held on $1 after 60 s: $(dmsetup status "$1")"
}

sum_of() { sha256sum <"$1" | cut -d' ' -f1; }

# The bits set in the bitmap of the header block at sector $2 (default 0)
# of device $1 (its last 3 KiB, little-endian bit order), read past the
# page cache, space-separated.
disk_bits() {
	dd if="$1" bs=512 skip="${2:-0}" count="$HDR_SECTORS" iflag=direct \
		status=none | python3 -c '
import sys
d = sys.stdin.buffer.read()[1024:4096]
print(" ".join(str(i) for i in range(len(d) * 8) if d[i // 8] >> (i % 8) & 1))'
}

# The state field of the header at sector $2 (default 0) of device $1:
# 1 clean, 2 dirty, 3 resyncing (sbull_header.c).
hdr_state() {
	dd if="$1" bs=512 skip="${2:-0}" count=1 iflag=direct status=none |
		od -An -t u4 -j 48 -N 4 | tr -d ' '
}

# Listen for kernel uevents in the background, one "KEY=VALUE" line per
# field and an empty line after each event, into file $1; returns once the
# socket is bound, so that no event raised afterwards is missed. The
# listener's pid is in UEVENT_PID; it is killed when the case exits.
uevent_listen() {
	rm -f "$1.ready"
	python3 - "$1" <<-'EOF' &
		import os, socket, sys
		NETLINK_KOBJECT_UEVENT = 15
		s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_KOBJECT_UEVENT)
		s.bind((0, 1))  # the kernel's multicast group
		open(sys.argv[1] + ".ready", "w").close()
		with open(sys.argv[1], "w") as out:
		    while True:
		        fields = s.recv(65536).split(b"\0")
		        out.write("\n".join(f.decode(errors="replace") for f in fields[1:] if f))
		        out.write("\n\n")
		        out.flush()
	EOF
	UEVENT_PID=$!
	# shellcheck disable=SC2064 # the pid of this listener, now
	trap "kill $UEVENT_PID 2>/dev/null || true" EXIT
	local _
	for _ in $(seq 100); do
		[ -e "$1.ready" ] && return 0
		sleep 0.1
	done
	fail "the uevent listener did not start"
}

# An event of file $1 with every KEY=VALUE given after it.
uevent_seen() {
	local file=$1
	shift
	awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		/^$/ { if (ok(n)) found = 1; delete got; next }
		{ got[$0] = 1 }
		function ok(n,   i) { for (i = 1; i <= n; i++) if (!(w[i] in got)) return 0; return 1 }
		END { exit !found }' "$file"
}

# Leave the guest as each mirror case found it: sbull unloaded first, as it
# holds its legs open; then the devices the legs were on.
cleanup_mirror() {
	local d ro
	# A loop device over a file on sbull keeps its file system mounted.
	[ ! -e /sys/module/loop ] || losetup -D 2>/dev/null || true
	cleanup_sbull
	[ ! -e /sys/module/loop ] || losetup -D 2>/dev/null || true
	[ ! -e /sys/module/dm_mod ] || dmsetup remove_all 2>/dev/null || true
	if [ -d /sys/kernel/config/nullb ]; then
		for d in /sys/kernel/config/nullb/*/; do
			[ -d "$d" ] || continue
			echo 0 >"$d/power" 2>/dev/null || true
			rmdir "$d" 2>/dev/null || true
		done
	fi
	[ ! -e /sys/module/null_blk ] || rmmod null_blk 2>/dev/null || true
	[ ! -e /sys/module/brd ] || rmmod brd 2>/dev/null || true
	# Each step only where needed: a fork costs a tenth of a second.
	for d in /dev/vd?; do
		read -r ro <"/sys/block/${d#/dev/}/ro" || ro=0
		[ "$ro" = 0 ] || blockdev --setrw "$d" 2>/dev/null || true
	done
	# No case's sbull headers for the next (legs_init takes only devices
	# without one), nor its partition table (later legs would overlap vdX1).
	# Write-zeroes, which QEMU does without moving 64 MiB through the
	# emulated disk; written zeroes where the disk lacks it.
	for d in /dev/vd?; do
		blkdiscard -z "$d" 2>/dev/null ||
			dd if=/dev/zero of="$d" bs=1M oflag=direct status=none 2>/dev/null || true
	done
	if [ -e /dev/vdc1 ]; then
		blockdev --rereadpt /dev/vdc 2>/dev/null || true
	fi
}

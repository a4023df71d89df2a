#!/usr/bin/env bash
# Case: mirror: a bad leg is refused with one clear error, nothing left, devices untouched
# Needs: modules=null_blk,loop
# A bad leg fails the load with one kernel error line naming it, leaves
# nothing registered, and leaves the devices named untouched; at run time,
# a bad `add` (or other command) written to the legs file is refused with
# an error and one kernel line, and the legs table stays as it was.
# Usage: mirror-bad-input.sh MODE missing|small|overlap|overlap-disks|
#        partition|too-many|sbull|readonly|noheader|init-sbull|torn|
#        unknown-state|zoned|runtime|stacked
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1 kind=$2
vda_sectors=$(blockdev --getsz /dev/vda)
params=(ndevices=1 nsectors="$STORE_SECTORS" legs_init=1)
# The ranges that must come out unchanged, DEV:FIRST_SECTOR:SECTORS: every
# region named (reading whole disks costs seconds under TCG).
checked=("/dev/vda:0:$REGION_SECTORS")
case $kind in
missing)
	legs=sbulla=/dev/vda,sbulla=/dev/vdz named=/dev/vdz ;;
small)
	# One sector short of the header and the store.
	checked=(/dev/vda:$((vda_sectors - REGION_SECTORS + 1)):$((REGION_SECTORS - 1)))
	legs=sbulla=/dev/vda:$((vda_sectors - REGION_SECTORS + 1)) named=/dev/vda ;;
overlap)
	# The second region starts at the first one's last sector.
	checked=(/dev/vda:0:$((2 * REGION_SECTORS)))
	legs=sbulla=/dev/vda,sbulla=/dev/vda:$((REGION_SECTORS - 1)) named=/dev/vda ;;
overlap-disks)
	params=(ndevices=2 nsectors="$STORE_SECTORS" legs_init=1)
	checked=(/dev/vda:0:$((REGION_SECTORS + 100)))
	legs=sbulla=/dev/vda,sbullb=/dev/vda:100 named=/dev/vda ;;
partition)
	# vdc1 starts at sector 2048 of vdc, inside the region at vdc:0.
	echo 'start=2048, size=65536' | sfdisk -q /dev/vdc || fail "sfdisk /dev/vdc"
	wait_for_dev /dev/vdc1
	checked=(/dev/vdc:0:$((2048 + REGION_SECTORS)))
	legs=sbulla=/dev/vdc,sbulla=/dev/vdc1 named=/dev/vdc ;;
too-many)
	# Nine small regions side by side: only the count is wrong.
	params=(ndevices=1 nsectors=2048 legs_init=1)
	checked=(/dev/vda:0:$((9 * (2048 + HDR_SECTORS))))
	legs=sbulla=/dev/vda
	for i in $(seq 8); do
		legs+=,sbulla=/dev/vda:$((i * (2048 + HDR_SECTORS)))
	done
	named=sbulla ;;
sbull)
	params=(ndevices=2 nsectors="$STORE_SECTORS" legs_init=1)
	legs=sbulla=/dev/vda,sbulla=/dev/sbullb named=/dev/sbullb ;;
readonly)
	blockdev --setro /dev/vdb || fail "blockdev --setro"
	checked=("/dev/vda:0:$REGION_SECTORS" "/dev/vdb:0:$REGION_SECTORS")
	legs=sbulla=/dev/vda,sbulla=/dev/vdb named=/dev/vdb ;;
noheader)
	# Whatever an earlier case left there, no header now.
	dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct status=none
	params=(ndevices=1 nsectors="$STORE_SECTORS")
	legs=sbulla=/dev/vda named=/dev/vda ;;
init-sbull)
	# legs_init initialises devices without an sbull header, and keeps
	# the legs of a set: never a leg of another set than the others',
	# which it would silently destroy.
	load_mirror "$mode" sbulla=/dev/vda legs_init=1
	wait_in_sync 0
	unload_sbull
	load_mirror "$mode" sbulla=/dev/vdb legs_init=1
	wait_in_sync 0
	unload_sbull
	checked+=("/dev/vdb:0:$REGION_SECTORS")
	reason='another mirror set'
	legs=sbulla=/dev/vda,sbulla=/dev/vdb named=/dev/vdb ;;
torn)
	# A header with sbull's magic that does not check out, as a header
	# write torn by a crash leaves it (one byte of its history changed,
	# its crc not): legs_init must not take it for a blank device.
	load_mirror "$mode" sbulla=/dev/vda legs_init=1
	wait_in_sync 0
	unload_sbull
	python3 - <<-'EOF' || fail "tearing the header"
		with open("/dev/vda", "r+b") as f:
		    f.seek(520)
		    b = f.read(1)
		    f.seek(520)
		    f.write(bytes([b[0] ^ 0xff]))
	EOF
	reason='does not check out'
	legs=sbulla=/dev/vda named=vda ;;
unknown-state)
	# A header whose state this sbull does not know, crc intact: no
	# restore source.
	load_mirror "$mode" sbulla=/dev/vda legs_init=1
	wait_in_sync 0
	unload_sbull
	python3 - <<-'EOF' || fail "rewriting the header's state"
		import struct, zlib
		with open("/dev/vda", "r+b") as f:
		    hdr = bytearray(f.read(4096))
		    struct.pack_into("<I", hdr, 48, 7)        # state
		    # The crc ends version 2 at byte 576, version 3 at 584.
		    end = {2: 576, 3: 584}[struct.unpack_from("<I", hdr, 8)[0]]
		    crc = zlib.crc32(bytes(hdr[:end])) ^ 0xffffffff  # crc32_le(~0, ...)
		    struct.pack_into("<I", hdr, end, crc)
		    f.seek(0)
		    f.write(hdr)
	EOF
	params=(ndevices=1 nsectors="$STORE_SECTORS")
	# Refused as no copy, not as a broken header.
	reason='no leg given holds a complete copy'
	legs=sbulla=/dev/vda named=/dev/vda ;;
zoned)
	modprobe null_blk nr_devices=1 zoned=1 zone_size=64 gb=1 ||
		fail "modprobe null_blk zoned=1"
	wait_for_dev /dev/nullb0
	legs=sbulla=/dev/vda,sbulla=/dev/nullb0 named=/dev/nullb0 ;;
runtime | stacked) ;;
*) fail "unknown kind $kind" ;;
esac

# Checksum of DEV:FIRST_SECTOR:SECTORS.
range_sum() {
	local dev=${1%%:*} rest=${1#*:}
	checksum_range "$dev" $((${rest%:*} * 512)) $((${rest#*:} * 512))
}

# One write of command $1 to the legs file, which must be refused with an
# errno and one kernel line from sbull, and leave the table and the range
# $2 (DEV:FIRST_SECTOR:SECTORS, if given) as they were.
refused() {
	local table sum='' log lines
	table=$(cat "$LEGS")
	[ -z "${2:-}" ] || sum=$(range_sum "$2")
	# bash, not dash: dash says "I/O error" whatever the errno.
	log=$(kernel_log_during must_fail bash -c "echo '$1' >$LEGS")
	echo "# '$1': $(sed 's/.*: //' /tmp/must_fail.out)"
	[ -z "${2:-}" ] || [ "$(range_sum "$2")" = "$sum" ] || fail "'$1' changed $2"
	[ "$(cat "$LEGS")" = "$table" ] || fail "'$1' changed the legs table: $(cat "$LEGS")"
	lines=$(echo "$log" | sbull_lines | grep -c . || true)
	[ "$lines" = 1 ] || fail "'$1': expected one kernel line from sbull, got $lines: $log"
	echo "#   $(echo "$log" | sbull_lines | sed 's/^\[[^]]*\] //')"
}

if [ "$kind" = runtime ]; then
	load_mirror "$mode" sbulla=/dev/vda legs_init=1
	wait_in_sync 0
	refused "add /dev/vdz init"
	refused "add /dev/vda:100 init"
	refused "add /dev/sbulla init"
	refused "add /dev/vdc:$((vda_sectors - REGION_SECTORS + 1)) init" \
		/dev/vdc:$((vda_sectors - REGION_SECTORS + 1)):$((REGION_SECTORS - 1))
	dd if=/dev/zero of=/dev/vdb bs=4k count=1 oflag=direct status=none
	refused "add /dev/vdb" /dev/vdb:0:$REGION_SECTORS
	blockdev --setro /dev/vdb
	refused "add /dev/vdb init" /dev/vdb:0:$REGION_SECTORS
	blockdev --setrw /dev/vdb
	refused "remove 5"
	refused "resync 7"
	refused "frobnicate 0"
	# The same device, once writable and with init, is taken.
	echo "add /dev/vdb init" >"$LEGS" || fail "a good add after the bad ones"
	wait_in_sync 1
	unload_sbull
	exit 0
fi

# A leg built on sbull sends the mirror's writes back into sbull: a dm
# device over sbulla (and vdb, to be large enough), a partition of sbulla
# past its 15 minors and a dm device over it, and a loop device over
# a sparse file in sbulla's own ext4 (taken before, its resync never ended
# and sync hung). A loop device over a file elsewhere is a fine leg.
if [ "$kind" = stacked ]; then
	load_mirror "$mode" sbulla=/dev/vda legs_init=1
	wait_in_sync 0
	on_sbull=$(dm_create sbull-on-sbull "0 $STORE_SECTORS linear /dev/sbulla 0
$STORE_SECTORS $HDR_SECTORS linear /dev/vdb 0")
	refused "add $on_sbull init" /dev/vdb:0:$HDR_SECTORS
	dmsetup remove sbull-on-sbull || fail "dmsetup remove"
	# Partitions past the disk's 15 minors have another major number.
	{ echo 'label: gpt'; for _ in $(seq 16); do echo 'size=256KiB'; done; } |
		sfdisk -q /dev/sbulla || fail "sfdisk /dev/sbulla"
	wait_for_dev /dev/sbulla16
	refused "add /dev/sbulla16 init"
	on_sbull=$(dm_create sbull-on-sbull "0 512 linear /dev/sbulla16 0
512 $REGION_SECTORS linear /dev/vdb 0")
	refused "add $on_sbull init" /dev/vdb:0:$HDR_SECTORS
	dmsetup remove sbull-on-sbull || fail "dmsetup remove"
	sfdisk -q --delete /dev/sbulla || fail "sfdisk --delete /dev/sbulla"
	modprobe loop || fail "modprobe loop"
	mkfs_mount /dev/sbulla "$SBULL_MNT"
	truncate -s $((REGION_SECTORS * 512)) "$SBULL_MNT/leg" || fail "truncate"
	loop=$(losetup -f --show "$SBULL_MNT/leg") || fail "losetup"
	refused "add $loop init"
	losetup -d "$loop"
	umount "$SBULL_MNT" || fail "umount"
	fsck.ext4 -fn /dev/sbulla >/tmp/fsck.out 2>&1 ||
		fail "fsck after the refused add: $(cat /tmp/fsck.out)"
	truncate -s $((REGION_SECTORS * 512)) /tmp/leg || fail "truncate"
	loop=$(losetup -f --show /tmp/leg) || fail "losetup"
	echo "add $loop init" >"$LEGS" || fail "a loop device over a file in /tmp refused"
	wait_in_sync 1
	expect_leg_is_store "$loop"
	unload_sbull
	losetup -d "$loop"
	rm -f /tmp/leg
	exit 0
fi

declare -A before
for range in "${checked[@]}"; do
	before[$range]=$(range_sum "$range")
done
log=$(kernel_log_during must_fail modprobe sbull request_mode="$mode" "${params[@]}" legs="$legs")
echo "$log" | sbull_lines | sed 's/^/# /'
assert_no_sbull_left
for range in "${checked[@]}"; do
	[ "$(range_sum "$range")" = "${before[$range]}" ] ||
		fail "the failed load changed $range (DEV:FIRST_SECTOR:SECTORS)"
done
lines=$(echo "$log" | sbull_lines | grep -c . || true)
[ "$lines" = 1 ] || fail "expected one kernel line from sbull, got $lines: $log"
echo "$log" | sbull_lines | grep -qF -- "$named" ||
	fail "the error does not name $named: $log"
[ -z "${reason:-}" ] || echo "$log" | grep -qF -- "$reason" ||
	fail "the error does not say \"$reason\": $log"
# modprobe prints the errno of the load: one it does not misread (it
# takes ENOENT for an unknown symbol or parameter).
echo "# modprobe said: $(tail -n 1 /tmp/must_fail.out)"
! grep -q 'Unknown symbol' /tmp/must_fail.out ||
	fail "modprobe reads the refusal as an unknown symbol: $(cat /tmp/must_fail.out)"

# Regions that touch without overlapping are fine.
if [ "$kind" = overlap ]; then
	load_mirror "$mode" sbulla=/dev/vda,sbulla=/dev/vda:"$REGION_SECTORS" legs_init=1
	wait_in_sync 1
	unload_sbull
fi

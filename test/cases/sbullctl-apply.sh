#!/usr/bin/env bash
# Case: sbullctl apply and down: the disks of a configuration file come up with their settings and names, go down with their legs clean, and come back with their data
# A file with two disks: "data", mq, 4096-byte blocks, two brd legs
# initialised (legs-init) and in write-back mode; "scratch", bio, no legs.
# apply makes both ("sbullctl name" and udev's rule, run by udevadm test,
# give data's name), a second apply changes nothing; data is written
# (write-back: at risk on the legs) and down removes both, refused first
# while data is mounted. With legs-init dropped from the file, apply
# brings data back with what was written and no resync. A file with an
# unknown key, or a bad value, makes nothing and names the line.
# Usage: sbullctl-apply.sh
# Needs: modules=brd
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

ctl=$SBULL_TEST_DIR/../tools/sbullctl
conf=/tmp/sbull-disks.conf
cleanup() {
	umount "$SBULL_MNT" 2>/dev/null || true
	"$ctl" down --config "$conf" >/dev/null 2>&1 || true
	cleanup_sbull
	rmmod brd 2>/dev/null || true
}
trap cleanup EXIT
modprobe brd rd_nr=2 rd_size=16384 || fail "modprobe brd"

write_conf() {
	cat >"$conf" <<-EOF
		# two disks
		[data]
		size = 8M
		mode = mq
		bs = 4096
		legs = /dev/ram0,/dev/ram1
		$1
		writeback = yes

		[scratch]
		size = 4M   # no legs: empty at each apply
		mode = bio
	EOF
}

# A file with an error makes nothing and names the line.
for bad in "colour = red" "read-only = maybe"; do
	write_conf "$bad"
	must_fail "$ctl" apply --config "$conf"
	grep -q "$conf:7: " /tmp/must_fail.out || fail "no file:line for '$bad': $(cat /tmp/must_fail.out)"
	echo "# '$bad': $(cat /tmp/must_fail.out)"
	[ ! -d /sys/kernel/config/sbull ] || [ -z "$(ls /sys/kernel/config/sbull)" ] ||
		fail "a disk was made from a bad file: $(ls /sys/kernel/config/sbull)"
done

write_conf "legs-init = yes"
"$ctl" apply --config "$conf" || fail "apply"
data=$(cat /sys/kernel/config/sbull/data/disk_name)
scratch=$(cat /sys/kernel/config/sbull/scratch/disk_name)
[ "$(cat "/sys/block/$data/queue/logical_block_size")" = 4096 ] || fail "data's block size"
[ "$(cat "/sys/block/$data/sbull/mode")" = mq ] || fail "data's mode"
[ "$(cat "/sys/block/$scratch/sbull/mode")" = bio ] || fail "scratch's mode"
[ "$(cat "/sys/block/$data/size")" = 16384 ] || fail "data's size"
[ "$(cat "/sys/block/$data/mirror/mode")" = writeback ] || fail "data's mirror mode"
[ "$("$ctl" name "$data")" = data ] || fail "sbullctl name $data"
# udev's rule, as udevd would run it, with this tree's sbullctl.
mkdir -p /etc/udev/rules.d
sed "s#/usr/sbin/sbullctl#$ctl#" "$SBULL_TEST_DIR/../tools/60-sbull.rules" \
	>/etc/udev/rules.d/60-sbull.rules
udevadm test --action=add "/sys/block/$data" >/tmp/udev.out 2>&1 || true
grep -q "sbull/data" /tmp/udev.out || fail "udev's rule gives no /dev/sbull/data: $(grep -i sbull /tmp/udev.out | tail -n 5)"
rm /etc/udev/rules.d/60-sbull.rules
"$ctl" apply --config "$conf" >/tmp/apply2.out || fail "second apply"
grep -q "data: up already" /tmp/apply2.out || fail "second apply: $(cat /tmp/apply2.out)"

head -c 4M /dev/urandom >/tmp/apply-data
dd if=/tmp/apply-data of="/dev/$data" bs=1M oflag=direct status=none || fail "write data"
mkfs.ext4 -q -F "/dev/$scratch" || fail "mkfs scratch"
mkdir -p "$SBULL_MNT"
mount "/dev/$scratch" "$SBULL_MNT" || fail "mount scratch"
must_fail "$ctl" down --config "$conf"
grep -q busy /tmp/must_fail.out || fail "down of a mounted disk: $(cat /tmp/must_fail.out)"
umount "$SBULL_MNT"
"$ctl" down --config "$conf" || fail "down"
[ -z "$(ls /sys/kernel/config/sbull)" ] || fail "left after down: $(ls /sys/kernel/config/sbull)"

write_conf ""
"$ctl" apply --config "$conf" || fail "apply again"
data=$(cat /sys/kernel/config/sbull/data/disk_name)
cmp -n $((4 << 20)) /tmp/apply-data "/dev/$data" || fail "data did not come back from its legs"
[ "$(cat "/sys/block/$data/mirror/regions_resynced")" = 0 ] ||
	fail "data resynced $(cat "/sys/block/$data/mirror/regions_resynced") regions after a clean down"
echo "# data came back from its legs after down and apply, no resync"

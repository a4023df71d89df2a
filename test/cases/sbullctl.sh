#!/usr/bin/env bash
# Case: sbullctl: create (loading sbull), list and list --json, stats, remove; clear errors and exit codes, --help everywhere
# With sbull not loaded, "sbullctl create" loads it with no disk of its own
# and makes a bio disk (16 MiB, 4096-byte blocks), then an mq disk with 2
# queues and a poll queue, then one with a brd leg. list shows each with
# its size, mode, block size, origin, legs and bytes written, and list
# --json the same as JSON; stats shows the counters of a known write and the histograms as
# bars. A bad size fails with status 1 and the kernel's line, leaving no
# directory; remove of an open disk fails with status 1 ("busy") and
# works once it is closed; a disk of the module parameters is refused.
# Wrong usage exits 2; --help of each command exits 0.
# Usage: sbullctl.sh
# Needs: modules=brd
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

ctl=$SBULL_TEST_DIR/../tools/sbullctl

# "$ctl" "$@" must exit with status $1; its stderr in /tmp/ctl.err.
expect_status() {
	local want=$1 rc=0
	shift
	"$ctl" "$@" >/tmp/ctl.out 2>/tmp/ctl.err || rc=$?
	[ "$rc" = "$want" ] ||
		fail "sbullctl $*: status $rc, expected $want: $(cat /tmp/ctl.out /tmp/ctl.err)"
}

for c in "" create remove list stats; do
	# shellcheck disable=SC2086 # no command: none
	expect_status 0 $c --help
	grep -q "Usage: sbullctl" /tmp/ctl.out || fail "sbullctl $c --help: $(cat /tmp/ctl.out)"
done
expect_status 2
expect_status 2 bogus
expect_status 2 create --bogus
expect_status 2 create --size
expect_status 2 remove foo

[ ! -e /sys/module/sbull ] || fail "sbull is loaded before the case"
a=$("$ctl" create --size 16M --mode bio --bs 4096) || fail "create a bio disk"
b=$("$ctl" create --size 32M --mode mq --queues 2 --poll 1 --name polled) ||
	fail "create an mq disk"
[ "$a $b" = "/dev/sbulla /dev/sbullb" ] || fail "created $a and $b"
[ "$(cat /sys/block/sbullb/queue/io_poll)" = 1 ] || fail "sbullb has no poll queue"
[ "$(find /sys/block/sbullb/mq -mindepth 1 -maxdepth 1 | wc -l)" = 3 ] ||
	fail "sbullb: expected 3 hardware queues"
modprobe brd rd_nr=1 rd_size=65536 || fail "modprobe brd"
c=$("$ctl" create --size 16M --legs /dev/ram0 --legs-init) || fail "create a mirrored disk"

expect_status 1 create --size 12Q
grep -q "size=12Q refused: sbull: configfs disk3/size=12Q: accepted values" /tmp/ctl.err ||
	fail "the refusal does not give the kernel's reason: $(cat /tmp/ctl.err)"
[ ! -e "$SBULL_CFS/disk3" ] || fail "the refused create left its directory"

dd if=/dev/urandom of="$a" bs=64k count=16 oflag=direct status=none
for _ in $(seq 100); do
	"$ctl" list | grep -q '^sbullc .*/dev/ram0=in_sync' && break
	sleep 0.1
done
"$ctl" list >/tmp/list || fail "list"
sed 's/^/# /' /tmp/list
[ "$(wc -l </tmp/list)" = 4 ] || fail "list: expected a header and 3 disks"
grep -Eq '^sbulla +16M +bio +4096 +disk1 +- +[0-9.]+[BKM] +1M +ready$' /tmp/list ||
	fail "list: sbulla's line is wrong"
grep -Eq '^sbullb +32M +mq +512 +polled +- ' /tmp/list || fail "list: sbullb's line is wrong"
grep -Eq '^sbullc +16M +mq +512 +disk2 +/dev/ram0=in_sync ' /tmp/list ||
	fail "list: sbullc's line is wrong"
"$ctl" list --json >/tmp/list.json || fail "list --json"
python3 - <<-'PY' || fail "list --json: $(cat /tmp/list.json)"
	import json
	disks = {d["name"]: d for d in json.load(open("/tmp/list.json"))}
	assert sorted(disks) == ["sbulla", "sbullb", "sbullc"], disks
	a = disks["sbulla"]
	assert (a["size"], a["mode"], a["block_size"], a["origin"], a["write_bytes"]) == \
		(16 << 20, "bio", 4096, "disk1", 1 << 20), a
	assert disks["sbullc"]["legs"] == "/dev/ram0=in_sync", disks["sbullc"]
	assert all(d["state"] == "ready" for d in disks.values()), disks
PY

"$ctl" stats sbulla >/tmp/stats || fail "stats"
grep -Eq '^  write_bytes +1048576$' /tmp/stats || fail "stats: $(cat /tmp/stats)"
# 256 segments of 4096 bytes written, and the partition scan's reads.
grep -Eq '^ +4096 +25[6-9] #{40}$' /tmp/stats ||
	fail "stats: no full bar of 256 segments of 4096 bytes and a few: $(cat /tmp/stats)"

exec 3<"$a"
expect_status 1 remove sbulla
grep -q busy /tmp/ctl.err || fail "remove of an open disk: $(cat /tmp/ctl.err)"
exec 3<&-
expect_status 0 remove /dev/sbulla
[ ! -e /sys/block/sbulla ] || fail "remove left sbulla"
[ ! -e "$SBULL_CFS/disk1" ] || fail "remove left the directory of sbulla"
expect_status 1 remove sbulla
grep -q "no such disk" /tmp/ctl.err || fail "remove of a missing disk: $(cat /tmp/ctl.err)"
for d in sbullb sbullc; do
	expect_status 0 remove "$d"
done
unload_sbull
rmmod brd

load_sbull ndevices=1
expect_status 1 remove sbulla
grep -q "module parameters" /tmp/ctl.err || fail "remove of a parameter disk: $(cat /tmp/ctl.err)"
"$ctl" list | grep -Eq '^sbulla +64M +mq +512 +param ' || fail "list: the parameter disk"
unload_sbull

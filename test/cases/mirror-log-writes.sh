#!/usr/bin/env bash
# Case: mirror: each fsync is durable on every leg: dm-log-writes logs of the legs, replayed up to a flush, restore ext4 with the synced files
# Needs: modules=dm-log-writes,brd
# Timeout: 600
# QEMU's virtio disks keep every write across a reset, flushed or not, so
# a power cut cannot tell a mirror that flushes its legs from one that does
# not. dm-log-writes can: under each leg it logs the writes in the order
# they became durable, a plain write only once a later flush is done, a
# FUA write at once. Two legs, each on a log-writes device (data: a region
# of vda; logs: vdb and vdc); ext4 on sbulla, files written and fsynced
# one by one, a mark "fsync-N" in both logs after each fsync returned.
# Then a leg's log is replayed (test/replay-log.py) onto a fresh brd up to
# a durable point, as a power cut there would leave the leg, and sbull is
# loaded from that brd alone (no legs_init: the header must be there): the
# store is restored, ext4's journal replays, the files synced by then have
# their checksums and e2fsck -fn is clean. The points: the last FLUSH or
# FUA entry before a few fsync marks (the files up to that one), the last
# FLUSH before one (a cut before the journal's commit block), and the end of
# each log (the leg as rmmod left it, byte for byte).
# With "writeback", the disk is in write-back mode with writeback_ms of
# 600 s: only the flushes that fsync and O_DSYNC send make the files
# durable on the legs (the flusher's flush after it wrote the dirty blocks
# back). Every other file is written with O_DSYNC instead of an fsync, and
# the replays end at the last FLUSH on the leg before the mark: without
# that flush, the writes before the mark would be in no such prefix.
# Usage: mirror-log-writes.sh MODE [writeback]
set -euo pipefail
# shellcheck source=test/mirror-lib.sh
. "$(dirname "$0")/../mirror-lib.sh"

mode=$1 wb=${2:-}
files=${SBULL_LOGW_FILES:-12}
wb_params=()
[ "$wb" != writeback ] || wb_params=(writeback=sbulla writeback_ms=600000)
replay_log=$SBULL_TEST_DIR/replay-log.py
sums=/tmp/logw.sums
legs_logs=(/dev/vdb /dev/vdc)
lw_names=(logw0 logw1)

modprobe -a dm-mod dm-log-writes || fail "modprobe dm-mod dm-log-writes"
data=() legs=''
for i in 0 1; do
	data+=("$(dm_create "logw-data$i" "0 $REGION_SECTORS linear /dev/vda $((i * REGION_SECTORS))")")
	dev=$(dm_create "${lw_names[i]}" "0 $REGION_SECTORS log-writes ${data[i]} ${legs_logs[i]}")
	legs+=${legs:+,}sbulla=$dev
done
[ "$(cat "/sys/block/${data[0]#/dev/}/queue/write_cache")" = "write back" ] ||
	fail "the legs' data devices have no write cache: the block layer would drop the flushes before dm-log-writes"

load_mirror "$mode" "$legs" legs_init=1 "${wb_params[@]}"
wait_in_sync 0
wait_in_sync 1
mkfs_mount /dev/sbulla "$SBULL_MNT"
[ -z "$wb" ] || sync -f "$SBULL_MNT" || fail "syncfs after mkfs"
: >"$sums"
for i in $(seq "$files"); do
	head -c $((i * 5000 + 17)) /dev/urandom >"/tmp/f$i"
	if [ -n "$wb" ] && [ $((i % 2)) = 0 ]; then
		# An O_DSYNC write, then the directory's fsync (its name).
		dd if="/tmp/f$i" of="$SBULL_MNT/f$i" bs=64k oflag=dsync status=none ||
			fail "O_DSYNC write of f$i"
		sync "$SBULL_MNT" || fail "fsync of the directory of f$i"
	else
		cp "/tmp/f$i" "$SBULL_MNT/f$i"
		# fsync the file, then its directory (its name).
		sync "$SBULL_MNT/f$i" "$SBULL_MNT" || fail "fsync of f$i"
	fi
	for lw in "${lw_names[@]}"; do
		dmsetup message "$lw" 0 mark "fsync-$i" || fail "dmsetup message $lw 0 mark fsync-$i"
	done
	(cd "$SBULL_MNT" && sha256sum "f$i") >>"$sums"
done
echo "# $files files written, each fsynced then marked in both logs (at $SECONDS s)"
umount "$SBULL_MNT"
unload_sbull
for i in 0 1; do
	status=$(dmsetup status "${lw_names[i]}") || fail "dmsetup status ${lw_names[i]}"
	[[ $status != *logging_disabled* ]] ||
		fail "${lw_names[i]} stopped logging (log full or a log write failed): $status"
done
# Removing a log-writes device logs the writes it still holds and a last
# mark, and writes the super with the count of entries.
for lw in "${lw_names[@]}"; do
	dmsetup remove "$lw" || fail "dmsetup remove $lw"
done
for i in 0 1; do
	list=/tmp/logw$i.list
	"$replay_log" list "${legs_logs[i]}" >"$list" ||
		fail "replay-log.py list ${legs_logs[i]}"
	# The entry lists, to look at when a replay fails.
	cp "$list" "${SBULL_RESULTS:-/tmp}/logw-$mode-leg$i.list" 2>/dev/null || true
	[[ $(tail -n 1 "$list") == *" MARK dm-log-writes-end" ]] ||
		fail "the log on ${legs_logs[i]} does not end with the mark dm-log-writes-end: $(tail -n 1 "$list")"
	echo "# leg $i: $(wc -l <"$list") log entries, $(grep -c ' FLUSH' "$list" || true) with FLUSH, $(grep -c 'FUA' "$list" || true) with FUA"
done

# A zeroed device for a replay: brd, fresh.
fresh_brd() {
	rmmod brd 2>/dev/null || true
	modprobe brd rd_nr=1 rd_size=$((REGION_SECTORS / 2)) || fail "modprobe brd"
	wait_for_dev /dev/ram0
}

# The number of fsync marks before entry $2 in the list of leg $1: the
# files whose fsync had returned when that entry was logged.
synced_before() {
	awk -v end="$2" '$1 < end && $4 == "MARK" && $5 ~ /^fsync-/ { n++ } END { print n + 0 }' "/tmp/logw$1.list"
}

# Replay leg $1's log up to entry $2 (included) onto a fresh brd, load
# sbull from that brd alone, and check that ext4 mounts, holds f1 to f$3
# with their checksums, and is fsck-clean. $4 says which replay it is.
check_replay() {
	local leg=$1 end=$2 n=$3 what="leg $1, $4" klog there start=$SECONDS
	fresh_brd
	"$replay_log" replay "${legs_logs[leg]}" /dev/ram0 --end "$end" ||
		fail "$what: replay-log.py replay ${legs_logs[leg]} /dev/ram0 --end $end"
	if [ -n "${5:-}" ]; then
		[ "$(checksum_range /dev/ram0 0 $((REGION_SECTORS * 512)))" = \
			"$(checksum_range "$5" 0 $((REGION_SECTORS * 512)))" ] ||
			fail "$what: the replay up to entry $end differs from the leg's data device $5"
	fi
	klog=$(kernel_log_during load_mirror "$mode" sbulla=/dev/ram0 "${wb_params[@]}")
	[ -e /dev/sbulla ] ||
		fail "$what: sbull did not load from the replay up to entry $end: $(echo "$klog" | sbull_lines)"
	echo "$klog" | grep -q 'sbull: .*restored' ||
		fail "$what: no restore from the replay up to entry $end in the kernel log: $(echo "$klog" | sbull_lines)"
	mkdir -p "$SBULL_MNT"
	mount -t ext4 /dev/sbulla "$SBULL_MNT" ||
		fail "$what: ext4 of the replay up to entry $end does not mount (journal replay)"
	there=$(find "$SBULL_MNT" -maxdepth 1 -type f -printf '%f\n' | sort -V | paste -sd ' ' -)
	if [ "$n" -gt 0 ] &&
		! (cd "$SBULL_MNT" && head -n "$n" "$sums" | sha256sum --quiet -c) >/tmp/logw.check 2>&1; then
		fail "$what: the replay up to entry $end should hold f1 to f$n with their checksums; files there: ${there:-none}; $(grep -v '^sha256sum: WARNING' /tmp/logw.check | tr '\n' ' ')"
	fi
	umount "$SBULL_MNT"
	e2fsck -fn /dev/sbulla >/tmp/fsck.out 2>&1 ||
		{ cat /tmp/fsck.out >&2; fail "$what: e2fsck -fn of the replay up to entry $end found errors"; }
	unload_sbull
	rmmod brd
	echo "# $what: entries 0 to $end replayed${5:+, equal to $5}, f1 to f$n intact (files there: ${there:-none}), fsck clean ($((SECONDS - start)) s)"
}

# The index of the last entry of leg $1's log with FLUSH ($2 --flush) or
# with FLUSH or FUA ($2 --durable) before the mark $3, or in the whole log.
last_entry() {
	"$replay_log" find "${legs_logs[$1]}" "$2" ${3:+--before-mark "$3"}
}

# A power cut right after an fsync returned leaves a leg as its log up to
# the last durable entry (FLUSH or FUA) before the mark: here the journal's
# commit block, written with FUA after a flush. That file and the earlier
# ones must be there. A few marks spread over the run, on both legs, to
# keep the case short under TCG.
# In write-back mode, the last FLUSH before the mark: what the flusher's
# flush made durable, the whole promise of that mode.
durable=--durable
[ -z "$wb" ] || durable=--flush
for check in "0 1" "1 $((files / 2))" "0 $files"; do
	read -r leg i <<<"$check"
	end=$(last_entry "$leg" "$durable" "fsync-$i") ||
		fail "no $durable entry before the mark fsync-$i in ${legs_logs[leg]}"
	check_replay "$leg" "$end" "$i" "right after fsync-$i"
done
# A cut at the last flush before a mark, before the commit block: ext4
# replays no part of that transaction; each file whose fsync had returned
# by then (its mark is before that flush) is there.
i=$((files / 2 + 1))
end=$(last_entry 0 --flush "fsync-$i") ||
	fail "no FLUSH entry before the mark fsync-$i in ${legs_logs[0]}"
check_replay 0 "$end" "$(synced_before 0 "$end")" "at the last flush before fsync-$i"
# The whole log up to its last durable entry (the header that rmmod wrote
# after a flush, with FUA): the leg as unloaded, byte for byte.
for leg in 0 1; do
	end=$(last_entry "$leg" --durable) || fail "no FLUSH or FUA entry in ${legs_logs[leg]}"
	check_replay "$leg" "$end" "$files" "at the last durable entry" "${data[leg]}"
done

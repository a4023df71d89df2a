#!/usr/bin/env bash
# Power cut: a guest writes fsynced files on ext4 over a mirrored sbulla
# (legs on two virtio disks) and is reset with sysrq b mid-work; the next
# boot, on the same disk images, loads sbull from the legs and must find an
# fsck-clean ext4 holding every file the first boot had logged as synced.
# For each request mode; one boot verifies the previous mode and cuts the
# next one, so N modes take N + 1 boots. Prints TAP lines.
# The test points are labelled "[K] power cut (MODE) cut", "... restore"
# and "[K] power cut boots" (K: SBULL_KLABEL, or SERIES); with SBULL_LIST=1
# they are listed, and nothing runs.
# Usage: power-cut.sh SERIES KO (KO: sbull.ko from scripts/build-module.sh)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
series=${1:?usage: $0 SERIES KO} ko=${2:?usage: $0 SERIES KO}
read -ra modes <<<"${SBULL_MODES:-bio mq simple}"
k=${SBULL_KLABEL:-$series}
if [ "${SBULL_LIST:-}" = 1 ]; then
	for mode in "${modes[@]}"; do
		echo "[$k] power cut ($mode) cut"
		echo "[$k] power cut ($mode) restore"
	done
	echo "[$k] power cut boots"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truncate -s 64M "$tmp/leg0.img" "$tmp/leg1.img"
truncate -s 4M "$tmp/log.img"

# One boot on the three images running power-cut-guest.sh with "$@"; its
# stdout in $tmp/out, stderr in $tmp/err, the status of guest.sh in $rc.
boot() {
	rc=0
	rm -rf "$tmp/results"
	scripts/qemu/guest.sh --series "$series" --module "$ko" --timeout 600 \
		--results "$tmp/results" --disk "$tmp/leg0.img" \
		--disk "$tmp/leg1.img" --disk "$tmp/log.img" -- \
		test/power-cut-guest.sh "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# The boot's output, as TAP comments, when something failed.
explain() {
	echo "#   guest.sh exited $rc"
	cat "$tmp/out" "$tmp/err" | grep -v '^results: ' | tail -n 40 | sed 's/^/#   /'
}

prev=''
for mode in "${modes[@]}" ''; do
	args=()
	[ -z "$prev" ] || args+=(verify "$prev")
	[ -z "$mode" ] || args+=(write "$mode")
	start=$SECONDS
	boot "${args[@]}"
	grep '^#' "$tmp/out" || true
	# A warning or oops is a failure even when the guest died on purpose.
	bad=''
	! grep -q 'bad kernel log lines' "$tmp/err" || bad=' (bad kernel log lines)'
	if [ -n "$prev" ]; then
		n=$(sed -n "s/^power-cut: verified $prev \([0-9]*\)$/\1/p" "$tmp/out")
		if [ -n "$n" ] && [ -z "$bad" ]; then
			echo "ok - [$k] power cut ($prev) restore: restored from the legs, fsck clean, all $n logged files intact"
		else
			echo "not ok - [$k] power cut ($prev) restore: restored from the legs, fsck clean, all logged files intact$bad"
			explain
		fi
	fi
	if [ -n "$mode" ]; then
		# 125: the guest ended without an exit status, as sysrq b does.
		n=$(sed -n "s/^power-cut: cutting power $mode \([0-9]*\)$/\1/p" "$tmp/out")
		if [ "$rc" = 125 ] && [ -n "$n" ] && [ -z "$bad" ]; then
			echo "ok - [$k] power cut ($mode) cut: guest reset after $n fsynced files, with fsyncs in flight"
		else
			echo "not ok - [$k] power cut ($mode) cut: guest reset after the fsynced files, with fsyncs in flight$bad"
			explain
		fi
	elif [ "$rc" = 0 ]; then
		echo "ok - [$k] power cut boots: the last verify boot ended cleanly"
	else
		echo "not ok - [$k] power cut boots: the last verify boot ended cleanly"
		explain
	fi
	echo "# time: [$k] power cut boot (${args[*]}): $((SECONDS - start)) s"
	prev=$mode
done

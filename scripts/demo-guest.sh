#!/usr/bin/env bash
# The demo, inside the guest: for each request mode, load sbull, put ext4 on
# /dev/sbulla and round-trip files through it, run short fio jobs on
# /dev/sbullb, and print a table of what fio measured.
set -euo pipefail

mnt=/mnt/sbull
fio_common=(--filename=/dev/sbullb --direct=1 --ioengine=libaio --runtime=5
	--time_based --output-format=terse)

# Print field $1 of fio's terse output for the job in the remaining args.
fio_field() {
	local field=$1
	shift
	fio --name=demo "${fio_common[@]}" "$@" | cut -d';' -f"$field"
}

say() { printf '\n== %s\n' "$*"; }

results=()
for mode in bio mq simple; do
	say "modprobe sbull request_mode=$mode"
	modprobe sbull request_mode="$mode"
	lsblk -o NAME,SIZE,LOG-SEC,ROTA /dev/sbulla /dev/sbullb

	say "mkfs.ext4 /dev/sbulla, mount, copy files, remount, compare"
	mkfs.ext4 -q /dev/sbulla
	mkdir -p "$mnt"
	mount /dev/sbulla "$mnt"
	cp -r /usr/share/doc/fio "$mnt/"
	head -c 16M /dev/urandom >"$mnt/random.bin"
	(cd "$mnt" && find . -type f -print0 | xargs -0 sha256sum) >/tmp/sums
	umount "$mnt"
	mount /dev/sbulla "$mnt"
	(cd "$mnt" && sha256sum --quiet -c /tmp/sums)
	echo "$(wc -l </tmp/sums) files read back equal; $(df -h --output=used "$mnt" | tail -1) used"
	umount "$mnt"

	say "fio on /dev/sbullb (5 s per job)"
	read_iops=$(fio_field 8 --rw=randread --bs=4k --iodepth=32)
	write_iops=$(fio_field 49 --rw=randwrite --bs=4k --iodepth=32)
	seq_kib=$(fio_field 7 --rw=read --bs=1m --iodepth=4)
	results+=("$(printf '| %-6s | %12s | %13s | %13s |' "$mode" \
		"$read_iops" "$write_iops" "$((seq_kib / 1024))")")
	rmmod sbull
done

say "fio results, kernel $(uname -r) (QEMU TCG: compare the modes, not the numbers)"
echo "| mode   | 4k randread  | 4k randwrite  | 1M seq read   |"
echo "|        | IOPS (qd 32) | IOPS (qd 32)  | MiB/s (qd 4)  |"
echo "|--------|--------------|---------------|---------------|"
printf '%s\n' "${results[@]}"

#!/usr/bin/env bash
# Case: lab 8: a buffered 4 KiB read brings a readahead window; the cache serves the rest
# Lab 8 (docs/teaching/labs.md): the first buffered 4 KiB read at byte 0 of a disk
# nobody has open reaches sbull as one 16 KiB readahead request, the
# folios inserted into the page cache (locked) before it; reads inside
# that window then reach nothing while the disk stays open. A 4 KiB read
# elsewhere is read alone; the last close drops the cache; with
# readahead off, the first read is 4 KiB.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

read4k() {
	dd if=/dev/sbulla of=/dev/null bs=4k skip="$1" count=1 status=none
}

# The sbull_request events of a buffered read of block $1, without hwq=.
requests_of_read() {
	traced read4k "$1"
	events sbull_request | sed 's/ hwq=.*//'
}

load_sbull request_mode=mq ndevices=1
exec 3</dev/sbulla		# kept open: the last close drops the cache
blockdev --flushbufs /dev/sbulla
reset_stats
echo 1 >"$TRACING/events/filemap/mm_filemap_add_to_page_cache/enable"
got=$(requests_of_read 0)
echo 0 >"$TRACING/events/filemap/mm_filemap_add_to_page_cache/enable"
[ "$got" = "READ sector=0 bytes=16384" ] ||
	fail "the first 4 KiB read: $got, expected one 16 KiB request"
# The folios went into the cache (locked) before the request was made.
# The block device's inode number is its dev_t, the kernel's encoding.
ino=$(printf 'ino %x ' $(((0x$(stat -c %t /dev/sbulla) << 20) | 0x$(stat -c %T /dev/sbulla))))
order=$(grep -e "mm_filemap_add_to_page_cache: .* $ino" -e sbull_request \
	"$TRACING/trace" | sed 's/.*\(mm_filemap_add_to_page_cache\|sbull_request\).* \(ofs=[0-9]*\|sector=[0-9]*\).*/\1 \2/')
printf '# %s\n' "${order//$'\n'/, }"
if [ "$(echo "$order" | head -1)" != "mm_filemap_add_to_page_cache ofs=0" ] ||
	[ "$(echo "$order" | tail -1)" != "sbull_request sector=0" ]; then
	fail "not folio 0 into the cache first, the request last: $order"
fi

for block in 0 3; do
	got=$(requests_of_read $block)
	[ -z "$got" ] || fail "block $block, in the window, reached sbull: $got"
done
expect_stat requests 1 "one request for four reads in the window"

got=$(requests_of_read 256)
[ "$got" = "READ sector=2048 bytes=4096" ] ||
	fail "a 4 KiB read at 1 MiB: $got, expected one 4 KiB request"

exec 3<&-
got=$(requests_of_read 0)
[ "$got" = "READ sector=0 bytes=16384" ] ||
	fail "after the last close: $got, expected the window read again"

# 64 KiB at 2 MiB, 4 KiB at a time: the windows grow (4, 16, 32, 64 and
# 128 KiB on 6.1; 7.3 sized them 4, 16, 28, 16 and 32): the last request
# is larger than the first, the largest 4 times the first at least, and
# together they cover the 64 KiB read.
traced dd if=/dev/sbulla of=/dev/null bs=4k skip=512 count=16 status=none
sizes=$(events sbull_request | sed 's/.* bytes=\([0-9]*\).*/\1/' | paste -sd' ')
echo "# 64 KiB at 2 MiB: $sizes"
awk -v s="$sizes" 'BEGIN { n = split(s, a, " "); if (n < 2) exit 1
	for (i = 1; i <= n; i++) { t += a[i]; if (a[i] > max) max = a[i] }
	exit !(a[n] > a[1] && max >= 4 * a[1] && t >= 65536) }' ||
	fail "the readahead windows of a 64 KiB read do not grow: $sizes"

blockdev --setra 0 /dev/sbulla
got=$(requests_of_read 0)
[ "$got" = "READ sector=0 bytes=4096" ] ||
	fail "with readahead off: $got, expected one 4 KiB request"
unload_sbull

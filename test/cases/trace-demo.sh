#!/usr/bin/env bash
# Case: make trace-demo tells each mode's story
# make trace-demo's story holds what it promises: for each mode, the system
# calls, the block layer's events and sbull's, down to the two segments of
# the direct read into a buffer 512 bytes into a page.
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

story=$("$(dirname "$0")/../../scripts/trace-demo-guest.sh") ||
	fail "trace-demo-guest.sh"
count() {
	grep -c -e "$1" <<<"$story" || true
}
expect_count() {
	[ "$(count "$1")" = "$2" ] || fail "$(count "$1") lines match '$1', expected $2:
$story"
}
expect_count "^==== request_mode=" 3
expect_count " sys_pwrite64(" 3
expect_count " sys_fsync(" 3
expect_count " sys_preadv2(" 3
expect_count " sys_preadv2 -> 0x1000 " 3
expect_count "sbull_segment: .* read sector=16 len=3584 page_offset=512 " 3
expect_count "sbull_segment: .* read sector=23 len=512 page_offset=0 " 3
expect_count " sbull_bio: .* READ sector=16 bytes=4096 segments=2 " 1
expect_count " sbull_request: .* READ sector=16 bytes=4096 " 2
expect_count " sbull_partial: .* sector=16 done=3584 left=512 " 1

# The closing table: bio mode has no requests, mq mode no partial
# completions, simple mode one per segment; the same bios in every mode.
row() {
	awk -v m="$1" '$1 == m && NF == 5 { r = $0 } END { print r }' <<<"$story"
}
read -r _ bio_bios bio_requests bio_segments _ <<<"$(row bio)"
read -r _ mq_bios mq_requests _ mq_partials <<<"$(row mq)"
read -r _ simple_bios _ simple_segments simple_partials <<<"$(row simple)"
[ "$bio_requests" = 0 ] || fail "bio mode counted $bio_requests requests"
[ "$mq_partials" = 0 ] || fail "mq mode made $mq_partials partial completions"
[ "$simple_partials" = "$simple_segments" ] ||
	fail "simple mode: $simple_partials partial completions, $simple_segments segments"
if [ "$mq_bios" != "$bio_bios" ] || [ "$simple_bios" != "$bio_bios" ]; then
	fail "bios differ between modes: $bio_bios, $mq_bios, $simple_bios"
fi
if [ "$bio_segments" -lt 4 ] || [ "$mq_requests" -lt 2 ]; then
	fail "too little counted: $(row bio) / $(row mq)"
fi
assert_no_sbull_left

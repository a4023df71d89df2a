#!/usr/bin/env bash
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
assert_no_sbull_left

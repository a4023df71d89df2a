#!/usr/bin/env bash
# Case: ext4 files survive drop_caches, fsck -fn, remount
# ext4 round trip: a tree of files of mixed sizes survives sync, a dropped
# page cache, umount, a forced fsck and a remount, byte for byte.
# Usage: ext4.sh MODE
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(dirname "$0")/../lib.sh"

load_sbull request_mode="$1"
mkfs_mount /dev/sbulla "$SBULL_MNT"

sizes=(0 1 511 512 4095 4096 4097 65536 131073 1048576 3145731)
for dir in a a/b a/b/c d; do
	mkdir -p "$SBULL_MNT/$dir"
	for size in "${sizes[@]}"; do
		head -c "$size" /dev/urandom >"$SBULL_MNT/$dir/f$size"
	done
done
(cd "$SBULL_MNT" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/tmp/manifest
sync
echo 3 >/proc/sys/vm/drop_caches
umount "$SBULL_MNT"

e2fsck -fn /dev/sbulla >/tmp/fsck.out 2>&1 || { cat /tmp/fsck.out >&2; fail "e2fsck found errors"; }

mount -t ext4 /dev/sbulla "$SBULL_MNT"
(cd "$SBULL_MNT" && sha256sum --quiet -c /tmp/manifest) || fail "checksums differ after remount"
[ "$(wc -l </tmp/manifest)" = $((4 * ${#sizes[@]})) ] || fail "files missing from the manifest"
umount "$SBULL_MNT"
unload_sbull

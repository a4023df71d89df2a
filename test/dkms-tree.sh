#!/usr/bin/env bash
# make dkms-install puts in /usr/src the same tree, dkms.conf included, as
# the Debian package, whose DKMS build is tested end to end in the guest;
# make dkms-remove takes it away. Runs on the host: DKMS_SRC points at a
# temporary directory and the dkms calls are echoed, not run.
# Usage: dkms-tree.sh PATH/sbull-dkms_VERSION_all.deb
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
deb=$(realpath "$1")
version=$(cat "$repo/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

dpkg-deb -x "$deb" "$tmp/deb"
calls=$(make -s -C "$repo" dkms-install DKMS_SRC="$tmp/src" DKMS="echo dkms")
[ "$calls" = "dkms install sbull/$version" ] || {
	echo "make dkms-install ran: $calls" >&2
	exit 1
}
diff -r "$tmp/deb/usr/src/sbull-$version" "$tmp/src" >&2
calls=$(make -s -C "$repo" dkms-remove DKMS_SRC="$tmp/src" DKMS="echo dkms")
if [ "$calls" != "dkms remove sbull/$version --all" ] || [ -e "$tmp/src" ]; then
	echo "make dkms-remove ran: $calls; left: $(ls "$tmp/src")" >&2
	exit 1
fi

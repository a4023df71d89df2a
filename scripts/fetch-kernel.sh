#!/usr/bin/env bash
# Unpack the current Debian kernel of one series into the cache, for QEMU
# guests, and print its release (e.g. 6.12.117+deb12-amd64) on stdout.
# The release is resolved at run time through the meta package, as Debian's
# ABI moves with security updates. The image package is downloaded and
# unpacked, never installed; its headers are installed so that modules can
# be built for it. Diagnostics go to stderr.
# Usage: fetch-kernel.sh 6.1|6.12
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SBULL_CACHE:-$repo/.cache}

case ${1:-} in
6.1) meta=linux-image-amd64 ;;
6.12) meta=linux-image-6.12-amd64 ;;
*) echo "usage: $0 6.1|6.12" >&2 && exit 2 ;;
esac

apt_quiet() {
	local out
	out=$(DEBIAN_FRONTEND=noninteractive apt-get "$@" 2>&1) ||
		{ printf '%s\n' "$out" >&2; return 1; }
}

# Decompress stdin with tool $1, ignoring the bytes after the first stream.
unpack() {
	case $1 in
	xz) xz -dcq --single-stream ;;
	zstd) zstd -dcq 2>/dev/null ;;
	esac
}

# The meta package's candidate depends on linux-image-<release> (= version).
depends=$(apt-cache show --no-all-versions "$meta" | sed -n 's/^Depends: //p')
if [[ ! $depends =~ linux-image-([^ ,]+)\ \(=\ ([^\)]+)\) ]]; then
	echo "cannot resolve the kernel behind $meta" >&2
	exit 1
fi
release=${BASH_REMATCH[1]}
version=${BASH_REMATCH[2]}
image=linux-image-$release

headers=linux-headers-$release
if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$headers" 2>/dev/null)" != "ii " ]; then
	echo "installing $headers" >&2
	apt_quiet install -y --no-install-recommends "$headers"
fi

dir=$cache/kernels/$release
if [ ! -e "$dir/.done" ]; then
	echo "unpacking $image $version into $dir" >&2
	mkdir -p "$cache/kernels"
	tmp=$(mktemp -d "$cache/kernels/.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# A stale package index names a .deb the mirror no longer has: refresh once.
	(cd "$tmp" && apt_quiet download "$image=$version") ||
		{ apt_quiet update && (cd "$tmp" && apt_quiet download "$image=$version"); }
	dpkg-deb -x "$tmp"/*.deb "$tmp/root"
	rm "$tmp"/*.deb
	depmod -b "$tmp/root" "$release"

	# QEMU boots an ELF vmlinux through PVH (CONFIG_PVH), which spares the
	# bzImage's self-decompression under TCG: a guest run took 5.9 s instead
	# of 8.9 s on 6.1 (xz), 5.9 s instead of 6.9 s on 6.12 (zstd). The
	# vmlinux is the compressed stream inside the bzImage; the bytes after
	# the stream make the tools complain.
	bz=$tmp/root/boot/vmlinuz-$release
	if grep -q '^CONFIG_PVH=y' "$tmp/root/boot/config-$release"; then
		for fmt in 'xz \xfd7zXZ\x00' 'zstd \x28\xb5\x2f\xfd'; do
			read -r tool magic <<<"$fmt"
			offset=$(LC_ALL=C grep -obUaP "$magic" "$bz" | head -n1 | cut -d: -f1 || true)
			[ -n "$offset" ] || continue
			tail -c "+$((offset + 1))" "$bz" | unpack "$tool" >"$tmp/vmlinux" || true
			if [ "$(head -c4 "$tmp/vmlinux")" = $'\x7fELF' ]; then
				mv "$tmp/vmlinux" "$tmp/root/vmlinux"
				break
			fi
		done
	fi
	[ -e "$tmp/root/vmlinux" ] ||
		echo "no vmlinux in $bz: QEMU will boot the bzImage" >&2

	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	touch "$dir/.done"
fi
echo "$release"

#!/usr/bin/env bash
# Unpack the current Debian kernel of one series into the cache, for QEMU
# guests, and print its release (e.g. 6.12.117+deb12-amd64) on stdout.
# The release is resolved at run time through the meta packages, as Debian's
# ABI moves with security updates. The image is downloaded and unpacked,
# never installed; the headers are installed so that modules can be built
# for it: on the host for 6.1 and 6.12, in the root of its own suite for
# "latest", the newest kernel of sid and trixie-backports (see
# latest-root.sh). Diagnostics go to stderr.
# Usage: fetch-kernel.sh 6.1|6.12|latest
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}

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

# A meta package's candidate depends on PREFIX-<release> (= version).
resolve() {
	local depends
	depends=$(sed -n 's/^Depends: //p')
	if [[ ! $depends =~ $1-([^ ,]+)\ \(=\ ([^\)]+)\) ]]; then
		echo "cannot resolve the kernel behind $1" >&2
		return 1
	fi
	release=${BASH_REMATCH[1]} version=${BASH_REMATCH[2]}
}

# Download the packages "$@" into the current directory.
download() {
	if [ -n "$root" ]; then
		rm -rf "$root/tmp/download"
		mkdir -m 1777 "$root/tmp/download"
		chroot "$root" sh -c 'cd /tmp/download && apt-get -qq \
			-o Acquire::Check-Valid-Until=false download "$@"' sh "$@" >&2
		mv "$root"/tmp/download/*.deb .
		return
	fi
	# A stale package index names a .deb the mirror no longer has: refresh once.
	apt_quiet download "$@" || { apt_quiet update && apt_quiet download "$@"; }
}

root=''
case ${1:-} in
6.1 | 6.12)
	meta=linux-image-amd64
	[ "$1" = 6.1 ] || meta=linux-image-6.12-amd64
	resolve linux-image < <(apt-cache show --no-all-versions "$meta")
	packages=("linux-image-$release=$version")
	headers=linux-headers-$release
	if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$headers" 2>/dev/null)" != "ii " ]; then
		echo "installing $headers" >&2
		apt_quiet install -y --no-install-recommends "$headers"
	fi
	;;
latest)
	root=$("$repo/scripts/qemu/latest-root.sh")
	# The headers installed there name the release; in those suites the
	# kernel and its modules are packages of their own.
	resolve linux-headers < <(chroot "$root" apt-cache show \
		"linux-headers-amd64=$(chroot "$root" dpkg-query -W -f="\${Version}" linux-headers-amd64)")
	packages=("linux-base-$release=$version" "linux-binary-$release=$version"
		"linux-modules-$release=$version")
	;;
*) echo "usage: $0 6.1|6.12|latest" >&2 && exit 2 ;;
esac

dir=$cache/kernels/$release
if [ ! -e "$dir/.done" ]; then
	echo "unpacking ${packages[*]} into $dir" >&2
	mkdir -p "$cache/kernels"
	tmp=$(mktemp -d "$cache/kernels/.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && download "${packages[@]}")
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	rm "$tmp"/*.deb
	# Newer packages keep everything under usr/lib/modules/<release>/
	# (vmlinuz and config there too): give them the classic layout.
	mods=$tmp/root/usr/lib/modules/$release
	if [ -d "$mods" ]; then
		mkdir -p "$tmp/root/boot" "$tmp/root/lib/modules"
		mv "$mods" "$tmp/root/lib/modules/"
		mv "$tmp/root/lib/modules/$release/vmlinuz" "$tmp/root/boot/vmlinuz-$release"
		mv "$tmp/root/lib/modules/$release/config" "$tmp/root/boot/config-$release"
	fi
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

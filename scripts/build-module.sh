#!/usr/bin/env bash
# Build sbull.ko for one kernel whose headers are installed, in a directory
# of its own so that builds for several kernels do not overwrite each
# other, and print its path. The headers are the host's, or those of the
# newest kernel's own root (latest-root.sh), where the build then runs.
# Extra arguments go to kbuild (W=1, C=1, ...); its output goes to stderr.
# SBULL_SRC names another source tree to build (a student tree, say).
# Usage: build-module.sh RELEASE [KBUILD_ARG...]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}
src=$(cd "${SBULL_SRC:-$repo}" && pwd)
release=$1
shift

# In which root the kernel's headers are, and where the build goes there.
root=''
if [ ! -d "/lib/modules/$release/build" ]; then
	for r in "$cache"/latest/*/; do
		[ -d "$r/lib/modules/$release/build" ] && root=${r%/}
	done
	[ -n "$root" ] || { echo "no kernel headers for $release" >&2 && exit 1; }
fi
# The cache is shared by every clone (and every source tree built): a
# directory each.
tag=$(printf '%s' "$src" | cksum | cut -d' ' -f1)
if [ -n "$root" ]; then
	build=/tmp/sbull-build/$tag/$release out=$root/tmp/sbull-build/$tag/$release
else
	build=$cache/build/src-$tag/$release out=$build
fi

# One build at a time per kernel: make bench next to make check, say.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9
rm -rf "$out"
mkdir -p "$out"
cp "$src"/Kbuild "$src"/Makefile "$src"/VERSION "$out"/
for f in $("$repo/scripts/sources.sh" "$src"); do
	cp "$src/$f" "$out"/
done
if [ -n "$root" ]; then
	"$repo/scripts/qemu/latest-run.sh" "$root" make -s -C "/lib/modules/$release/build" M="$build" "$@" modules >&2
else
	make -s -C "/lib/modules/$release/build" M="$build" "$@" modules >&2
fi
echo "$out/sbull.ko"

#!/usr/bin/env bash
# Build sbull.ko for one installed kernel, in a directory of its own so that
# builds for several kernels do not overwrite each other, and print its path.
# Extra arguments go to kbuild (W=1, C=1, ...); its output goes to stderr.
# Usage: build-module.sh RELEASE [KBUILD_ARG...]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${SBULL_CACHE:-$repo/.cache}
release=$1
shift
kdir=/lib/modules/$release/build
out=$cache/build/$release

[ -d "$kdir" ] || { echo "no kernel headers in $kdir" >&2; exit 1; }
# One build at a time per kernel: make bench next to make check, say.
mkdir -p "$cache/build"
exec 9>"$out.lock"
flock 9
rm -rf "$out"
mkdir -p "$out"
cp "$repo"/Kbuild "$repo"/Makefile "$repo"/VERSION "$repo"/*.c "$repo"/*.h "$out"/
make -s -C "$kdir" M="$out" "$@" modules >&2
echo "$out/sbull.ko"

#!/usr/bin/env bash
# Unpack checkpatch.pl (and the files it reads) from Debian's linux-source-6.1
# package into the cache, and print the path of checkpatch.pl.
set -euo pipefail

cache=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}
dest=$cache/checkpatch
tarball=/usr/src/linux-source-6.1.tar.xz

if [ ! -f "$dest/scripts/checkpatch.pl" ]; then
	if [ ! -f "$tarball" ]; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends linux-source-6.1 >/dev/null
	fi
	mkdir -p "$dest"
	tar -xJf "$tarball" -C "$dest" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi
echo "$dest/scripts/checkpatch.pl"

#!/usr/bin/env bash
# The driver's source files, one a line, as Kbuild lists them (sbull-src,
# then sbull-hdr): the one list that the package, the exercises, the
# grader and the static checks read.
# Usage: sources.sh [DIR]   (a tree with a Kbuild: the repository by default)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)}
# Kbuild read on its own: its probes of the kernel's headers find none.
make --no-print-directory -s -C "$dir" -f Kbuild -f - sbull-sources <<'MAKE'
sbull-sources:
	@printf '%s\n' $(sbull-src) $(sbull-hdr)
MAKE

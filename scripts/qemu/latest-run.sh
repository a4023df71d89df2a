#!/usr/bin/env bash
# Run a command as root inside the newest kernel's root (latest-root.sh),
# with /proc mounted in a mount namespace of its own, so that nothing stays
# mounted after it: objtool reads /proc when kbuild links a module.
# Usage: latest-run.sh ROOT COMMAND [ARG...]
set -euo pipefail
root=${1:?usage: $0 ROOT COMMAND [ARG...]}
shift
# shellcheck disable=SC2016 # expanded by the inner sh
exec unshare --mount --propagation private -- sh -euc \
	'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"

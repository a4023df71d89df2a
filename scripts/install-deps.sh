#!/usr/bin/env bash
# Install with apt-get what the guest harness and the test suite need on a
# fresh Debian 12. Idempotent: apt is left alone when everything is present.
# Quiet on success; apt's output is shown only when it fails.
# Usage: install-deps.sh
set -euo pipefail

pkgs=(
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd # guest harness
	fio e2fsprogs fdisk util-linux python3 trace-cmd       # test suite
	git iproute2 procps perl                               # ... and what it calls
	linux-source-6.1                                       # checkpatch.pl
	gcc make libelf-dev bc sparse shellcheck               # build and checks
	linux-headers-amd64 linux-headers-6.12-amd64           # 6.1 and 6.12
	debootstrap                                            # the newest kernel
	dkms debhelper dh-dkms dpkg-dev lintian                # make deb
	gnuplot-nox linux-perf dmsetup                         # make bench, bench-mirror
	qemu-utils nbd-client                                  # a remote leg (mirror-nbd)
)

missing=()
for p in "${pkgs[@]}"; do
	# "ii" is dpkg's installed-and-configured state.
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] ||
		missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

# Run a command with its output kept back unless it fails.
quiet() {
	local out
	out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

quiet apt-get update
quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	--no-install-recommends "${missing[@]}"

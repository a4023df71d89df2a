#!/usr/bin/env bash
# The Debian package on the newest kernel, whose kbuild needs that suite's
# userland: installed in its root (latest-root.sh), DKMS builds and
# installs sbull for that kernel, modinfo shows it, and removing the
# package takes it away. Nothing is loaded: no guest here. TAP lines.
# Usage: dkms-latest.sh ROOT PATH/sbull-dkms_VERSION_all.deb
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=$1 deb=$2
k=${SBULL_KLABEL:-latest}
if [ "${SBULL_LIST:-}" = 1 ]; then
	echo "[$k] dpkg -i sbull-dkms"
	echo "[$k] dpkg -r sbull-dkms"
	exit 0
fi
version=$(cat "$repo/VERSION")
release=$(find "$root/lib/modules" -mindepth 2 -maxdepth 2 -name build |
	head -n1 | xargs dirname | xargs basename)

in_root() {
	"$repo/scripts/qemu/latest-run.sh" "$root" "$@"
}

# One TAP line, labelled $1, for "$@"; its output shown when it fails.
tap() {
	local label=$1 desc=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		echo "ok - [$k] $label: $desc"
	else
		echo "not ok - [$k] $label: $desc"
		tail -n 30 <<<"$out" | sed 's/^/#   /'
	fi
}

# The version of the sbull.ko that DKMS installed for the kernel, if any.
# (By path: the root has the kernel's headers, not its modules.dep.)
module() {
	local ko=$root/lib/modules/$release/updates/dkms/sbull.ko
	[ ! -e "$ko" ] || modinfo -F version "$ko"
}

installed() {
	in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "/tmp/$(basename "$deb")"
	[ "$(module)" = "$version" ] ||
		{ echo "DKMS installed sbull '$(module)' for $release, not $version" && return 1; }
}

removed() {
	in_root env DEBIAN_FRONTEND=noninteractive dpkg -r sbull-dkms
	[ -z "$(module)" ] || { echo "sbull is still installed for $release" && return 1; }
}

cp "$deb" "$root/tmp/"
tap "dpkg -i sbull-dkms" "in the suite of $release, DKMS builds and installs sbull $version" installed
tap "dpkg -r sbull-dkms" "sbull is gone" removed
rm -f "$root/tmp/$(basename "$deb")"

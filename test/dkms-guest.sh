#!/usr/bin/env bash
# The Debian package in the guest, booted without the harness's sbull.ko:
# dpkg -i builds sbull with DKMS, modprobe finds it with no path, the device
# works, dpkg -r takes it away. One TAP line per step.
# Usage: dkms-guest.sh PATH/sbull-dkms_VERSION_all.deb
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/lib.sh
. "$here/lib.sh"

kernel=${SBULL_KLABEL:-$(uname -r | cut -d. -f1,2)}
labels=("dkms-guest before" "dkms-guest dpkg -i" "dkms-guest works" "dkms-guest dpkg -r")
if [ "${SBULL_LIST:-}" = 1 ]; then
	for l in "${labels[@]}"; do
		echo "[$kernel] $l"
	done
	exit 0
fi
deb=$(realpath "$1")
version=$(cat "$here/../VERSION")

# Run "$@" as one TAP case, in a subshell as fail() exits; its output is
# shown only when it fails. The subshell is waited for, not tested with
# `if`, which would turn set -e off inside it.
tap() {
	local label=$1 desc=$2 start=$SECONDS
	shift 2
	("$@") >/tmp/dkms-case.log 2>&1 &
	if wait $!; then
		echo "ok - [$kernel] $label: $desc"
	else
		echo "not ok - [$kernel] $label: $desc"
		tail -n 30 /tmp/dkms-case.log | sed 's/^/#   /'
	fi
	echo "# time: [$kernel] $label: $((SECONDS - start)) s"
}

# The guest's module tree comes from the unpacked image; the headers
# package, installed on the host, puts this link there on a real machine.
ln -sfn "/usr/src/linux-headers-$(uname -r)" "/lib/modules/$(uname -r)/build"
# The host's other kernels show through the host root, and DKMS would build
# for the newest of them too; a build under TCG takes minutes. Writes go to
# the guest's overlay only.
find /lib/modules -mindepth 1 -maxdepth 1 ! -name "$(uname -r)" \
	-exec rm -rf {} +

not_installed() {
	must_fail modprobe sbull
	! modinfo sbull >/dev/null 2>&1 || fail "modinfo still finds sbull"
}

installed_and_works() {
	local sums
	[ "$(modinfo -F version sbull)" = "$version" ] ||
		fail "modinfo sbull: version $(modinfo -F version sbull), not $version"
	# Every parameter has a description: "name:description (type)".
	[ "$(modinfo -F parm sbull | grep -c '^[a-z_]*:[^ (]')" = \
		"$(modinfo -F parm sbull | grep -c '^[a-z_]*:')" ] ||
		fail "a parameter lacks a description: $(modinfo -F parm sbull)"
	# dm_io() comes from dm-mod: depmod must know, so modprobe loads it.
	[ "$(modinfo -F depends sbull)" = dm-mod ] ||
		fail "sbull depends on '$(modinfo -F depends sbull)', not dm-mod"
	! grep -qw dm_mod /proc/modules || fail "dm_mod loaded before sbull"
	case $(modinfo -n sbull) in
	"/lib/modules/$(uname -r)/"*) ;;
	*) fail "sbull installed at $(modinfo -n sbull)" ;;
	esac
	load_sbull ndevices=1
	grep -qw dm_mod /proc/modules || fail "modprobe sbull did not load dm_mod"
	mkfs_mount /dev/sbulla "$SBULL_MNT"
	cp -r /usr/share/doc/dkms "$SBULL_MNT/"
	head -c 8M /dev/urandom >"$SBULL_MNT/random"
	sums=$(cd "$SBULL_MNT" && find . -type f -print0 | sort -z |
		xargs -0 sha256sum)
	umount "$SBULL_MNT"
	mount /dev/sbulla "$SBULL_MNT"
	[ "$(cd "$SBULL_MNT" && find . -type f -print0 | sort -z |
		xargs -0 sha256sum)" = "$sums" ] || fail "files changed across a remount"
	umount "$SBULL_MNT"
	unload_sbull
}

removed() {
	"$@"
	not_installed
}

tap "${labels[0]}" "no sbull before the package is installed" not_installed
tap "${labels[1]}" "DKMS builds and installs sbull" dpkg -i "$deb"
tap "${labels[2]}" "modprobe sbull, modinfo version $version, ext4 round trip" \
	installed_and_works
tap "${labels[3]}" "dpkg -r sbull-dkms: sbull is gone" removed dpkg -r sbull-dkms

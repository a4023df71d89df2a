#!/usr/bin/env bash
# The newest Debian kernel, found at run time: the newest
# linux-headers-amd64 that sid or trixie-backports offers. Its kbuild needs
# a newer libc and gcc than Debian 12 has, so it lives in a minimal root of
# its own suite in the cache (debootstrap, about 30 s, made once per suite),
# with those headers, sparse and dkms installed. Prints the root's path;
# the root's /etc/sbull-suite names the suite. Diagnostics go to stderr.
# Usage: latest-root.sh
set -euo pipefail

cache=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}/latest
# The Debian registry the host's own apt uses.
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' \
	/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
# sid's Release may be past its Valid-Until date in the registry.
apt_opts=(-o Acquire::Check-Valid-Until=false)

quiet() {
	local out
	out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9

# Which suite has the newest headers: asked with the host's apt, on package
# lists of its own, so the host's configuration is left alone.
lists=$cache/lists
mkdir -p "$lists/state/partial" "$lists/cache/archives/partial"
printf 'deb %s %s main\n' "$mirror" sid "$mirror" trixie-backports \
	>"$lists/sources.list"
query_opts=("${apt_opts[@]}" -o "Dir::Etc::SourceList=$lists/sources.list"
	-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$lists/state"
	-o "Dir::Cache=$lists/cache" -o Dir::State::status=/dev/null)
quiet apt-get "${query_opts[@]}" update
read -r version suite < <(apt-cache "${query_opts[@]}" madison linux-headers-amd64 |
	awk -F' *[|] *' '{ split($3, s, " "); split(s[2], d, "/"); print $2, d[1] }' |
	sort -V -k1,1 | tail -n1)
[ -n "${suite:-}" ] || { echo "no linux-headers-amd64 in sid or trixie-backports" >&2 && exit 1; }

root=$cache/$suite
base=${suite%-backports}
if [ ! -e "$root/.done" ]; then
	echo "debootstrap $base into $root" >&2
	rm -rf "$root"
	quiet debootstrap --variant=minbase --include=make,ca-certificates \
		"$base" "$root" "$mirror"
	printf 'deb %s %s main\n' "$mirror" "$base" >"$root/etc/apt/sources.list"
	[ "$suite" = "$base" ] ||
		printf 'deb %s %s main\n' "$mirror" "$suite" >>"$root/etc/apt/sources.list"
	echo "$suite" >"$root/etc/sbull-suite"
	touch "$root/.done"
fi

installed=$(chroot "$root" dpkg-query -W -f="\${Version}" linux-headers-amd64 2>/dev/null || true)
if [ "$installed" != "$version" ]; then
	echo "installing linux-headers-amd64 $version from $suite in $root" >&2
	quiet chroot "$root" apt-get "${apt_opts[@]}" update
	# sparse for C=1, dkms for the package's test; no recommendations
	# (a whole toolchain for other kernels).
	quiet env DEBIAN_FRONTEND=noninteractive chroot "$root" \
		apt-get "${apt_opts[@]}" install -y --no-install-recommends \
		-t "$suite" "linux-headers-amd64=$version" sparse dkms
fi

# C=1 (sparse): kbuild asks scripts/checker-valid.sh, which Debian's headers
# package leaves out, whether sparse knows __typeof_unqual__, which 7.x's
# headers use. trixie's sparse (0.6.4) does not: then take sid's sparse
# binary alone, which runs on the suite's libc.
probe='static inline int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }'
if ! chroot "$root" sh -c 'sparse -x c - 2>&1 | grep -q error && exit 1 || exit 0' <<<"$probe"; then
	echo "installing sid's sparse in $root" >&2
	tmp=$(mktemp -d)
	(cd "$tmp" && quiet apt-get "${query_opts[@]}" download sparse/sid &&
		dpkg-deb -x sparse_*.deb x) || { rm -rf "$tmp"; exit 1; }
	install -m 755 "$tmp/x/usr/bin/sparse" "$root/usr/local/bin/sparse"
	rm -rf "$tmp"
fi
for scripts in "$root"/usr/src/linux-headers-*-common/scripts; do
	[ -e "$scripts/checker-valid.sh" ] && continue
	cat >"$scripts/checker-valid.sh" <<-'EOF'
		#!/bin/sh
		# Prints 1 if the checker "$@" parses what the kernel's headers need
		# (written by sbull's latest-root.sh: the package leaves it out).
		printf '%s\n' 'static inline int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }' |
			"$@" -x c - 2>&1 | awk -v c=1 '/error/ { c = 0 } END { print c }'
	EOF
	chmod 755 "$scripts/checker-valid.sh"
done
echo "$root"

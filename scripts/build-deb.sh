#!/usr/bin/env bash
# `make deb`: build sbull-dkms_<version>_all.deb with debhelper and dh-dkms
# from a copy of the source (dpkg-buildpackage writes next to its tree),
# check it with lintian, and print the path of the package in dist/.
# Diagnostics go to stderr.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

version=$(cat VERSION)
changelog=$(dpkg-parsechangelog -S Version)
if [ "$changelog" != "$version" ]; then
	echo "debian/changelog says $changelog but VERSION says $version" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sbull-$version" dist
# shellcheck disable=SC2046 # one source file a line
cp -r Kbuild Makefile VERSION dkms.conf README.md docs $(scripts/sources.sh) debian tools scripts \
	"$work/sbull-$version/"
(cd "$work/sbull-$version" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log" >&2; exit 1; }

deb=dist/sbull-dkms_${version}_all.deb
mv "$work/sbull-dkms_${version}_all.deb" "$deb"
lintian --fail-on error,warning "$deb" >&2
echo "$repo/$deb"

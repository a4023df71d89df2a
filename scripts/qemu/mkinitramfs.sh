#!/usr/bin/env bash
# Build the initramfs of the QEMU guests for one unpacked kernel (see
# fetch-kernel.sh): busybox, the modules that mount the host root over 9p,
# and an /init that makes a writable overlay of it and switch_roots into it.
# Prints the initramfs path; rebuilt only when this script is newer.
# Usage: mkinitramfs.sh RELEASE
#
# The kernel command line gives /init (the kernel passes unknown name=value
# parameters to it as environment variables):
#   sbull_kernel=DIR  the unpacked kernel, as a host path: its
#                     lib/modules/RELEASE becomes the guest's, under a tmpfs
#                     overlay so that modules can be added there;
#   sbull_stage=FILE  the program, as a host path, that runs as PID 1 after
#                     switch_root.
# 9p mount tags: "hostroot" (the host's /, read-only) and "results" (mounted
# read-write at /results).
set -euo pipefail

cache=${SBULL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sbull}
release=${1:?usage: $0 RELEASE}
kdir=$cache/kernels/$release
out=$kdir/initramfs.cpio.gz

[ -e "$kdir/.done" ] || { echo "$kdir: run fetch-kernel.sh first" >&2 && exit 1; }
if [ "$out" -nt "$0" ] && [ "$out" -nt "$kdir/.done" ]; then
	echo "$out"
	exit 0
fi

tmp=$(mktemp -d)
part=$(mktemp "$out.XXXXXX")
trap 'rm -rf "$tmp" "$part"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,modules}
cp /bin/busybox "$tmp/bin/busybox"

# The modules and their dependencies, in load order, uncompressed as busybox
# insmod wants them. Built-in ones (virtio_pci on 6.12) are left out.
# virtio_console gives the harness its serial ports to the host, and
# virtio_rng the entropy that readies the kernel's random pool at boot
# (see /init).
wanted=(virtio_pci 9pnet_virtio 9p overlay virtio_console virtio_rng)
for m in "${wanted[@]}"; do
	modprobe -d "$kdir" -S "$release" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	name=$(basename "$ko")
	case $name in
	*.ko.xz) xz -dc "$ko" >"$tmp/modules/${name%.xz}" ;;
	*.ko.zst) zstd -dcq "$ko" >"$tmp/modules/${name%.zst}" ;;
	*.ko) cp "$ko" "$tmp/modules/" ;;
	esac
	echo "${name%.ko*}.ko" >>"$tmp/modules/order"
done

cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
# Any failure ends PID 1, so the kernel panics and QEMU exits (panic=-1).
set -eu
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# What udev would add, for bash's <(...) and /dev/stdin users.
ln -s /proc/self/fd /dev/fd
for fd in 0:stdin 1:stdout 2:stderr; do
	ln -s "/proc/self/fd/${fd%:*}" "/dev/${fd#*:}"
done
while read -r ko; do
	insmod "/modules/$ko"
done </modules/order
# Wait for the random pool (virtio-rng feeds it): once ready, the kernel
# patches its own code (a static key), which TCG has been seen to crash
# on ("Oops: int3" in crng_make_state). Here, before the init is done,
# guest.sh boots again; later it would fail a test run.
timeout 20 head -c 1 /dev/random >/dev/null || true

# The host root is read-only and not changed during a run: cache it all.
p9='trans=virtio,version=9p2000.L,msize=512000'
mkdir /host /rw /newroot
mount -t 9p -o "ro,$p9,cache=loose" hostroot /host
mount -t tmpfs -o mode=755 rw /rw
mkdir /rw/root /rw/root.work /rw/modules /rw/modules.work
mount -t overlay -o lowerdir=/host,upperdir=/rw/root,workdir=/rw/root.work \
	root /newroot

# The host has no modules for this kernel: take them from the unpacked
# package, writable for the harness to add its own.
modules=/lib/modules/$(uname -r)
mkdir -p "/newroot$modules"
mount -t overlay -o "lowerdir=/host$sbull_kernel$modules,upperdir=/rw/modules,workdir=/rw/modules.work" \
	modules "/newroot$modules"

mkdir -p /newroot/results
mount -t 9p -o "$p9" results /newroot/results
# The host's /run would tell programs that systemd runs here.
mount -t tmpfs -o mode=755 run /newroot/run
# guest.sh looks for this line: the guest booted.
echo "sbull-guest: init done" >/dev/kmsg
for fs in proc sys dev; do
	mount --move "/$fs" "/newroot/$fs"
done
# switch_root, not chroot: the kernel runs modprobe for on-demand modules
# (ext4, ...) in PID 1's root.
exec switch_root /newroot "$sbull_stage"
INIT
chmod +x "$tmp/init"

(cd "$tmp" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$part"
chmod 644 "$part"
mv "$part" "$out"
echo "$out"

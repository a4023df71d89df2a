#!/usr/bin/env bash
# boot.sh's SETUP, run in the guest's root before systemd starts (guest.sh
# --systemd): the Debian package's files unpacked as dpkg would (its DKMS
# build aside: the harness installed sbull.ko), its unit enabled as its
# maintainer script does, a disk in /etc/sbull/disks.conf with two legs
# on the virtio disks, in write-back mode (a completed fsync must then be
# on the legs, which a power cut checks), and an /etc/fstab line mounting
# it. The root is a
# fresh overlay at each boot: each boot sets it up the same way, as a
# machine's root would keep it.
# Usage: boot-setup-guest.sh DEB
set -euo pipefail
# Into / as dpkg unpacks: through the merged-/usr links (/lib is
# usr/lib), which a plain dpkg-deb -x would replace with directories.
dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C /
# What the postinst's deb-systemd-helper does (it runs only under dpkg):
# the unit's [Install] links, here with systemd not yet running.
systemctl enable sbull.service
cat >/etc/sbull/disks.conf <<-CONF
	[data]
	size = 64M
	mode = mq
	bs = 4096
	legs = /dev/vda,/dev/vdb
	legs-init = yes
	writeback = yes
CONF
mkdir -p /mnt/data
# nofail: the first boot finds no file system yet. A nofail mount is not
# ordered before local-fs.target: the job waits for it itself.
echo '/dev/sbull/data /mnt/data ext4 nofail,x-systemd.device-timeout=60s 0 2' >/etc/fstab
mkdir -p /etc/systemd/system/sbull-job.service.d
printf '[Unit]\nAfter=mnt-data.mount\n' >/etc/systemd/system/sbull-job.service.d/mount.conf

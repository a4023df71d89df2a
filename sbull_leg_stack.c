// SPDX-License-Identifier: GPL-2.0
/*
 * What a leg is built from, part of the leg layer (sbull_leg.c). A leg
 * that is built on an sbull disk (a dm or md device over it, a loop
 * device over a file in a file system on it) would send the mirror's
 * writes back into sbull: each write to the leg writes the store again,
 * and a resync or a sync never ends.
 *
 * The walk is the one lsblk -s makes, through sysfs: a partition is built
 * on its disk, a device on its "slaves" (dm, md and every driver that calls
 * bd_link_disk_holder()), a loop device on the device its backing file
 * lives on. It is best effort: what sysfs does not show (a loop device set
 * up in another mount namespace, a backing file since deleted, a file
 * system on several devices) is not seen, and a stack changed after the
 * leg was added is not checked again. An sbull disk or partition itself is
 * always refused: sbull_leg.c checks the owner of its operations.
 *
 * Process context, without @config: lookups on any file system may block
 * on it, and it must never wait behind a write the mirror holds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "sbull_mirror_internal.h"

/* Devices looked at, at most: dm stacks 16 deep, md takes many members. */
#define SBULL_STACK_MAX		64
/* A slave's name, as in /sys/block: "dm-12", "nvme0n1p3". */
#define SBULL_NAME_LEN		32

struct sbull_stack {
	dev_t devs[SBULL_STACK_MAX];
	unsigned int n;
	char *path;			/* PATH_MAX bytes of scratch */
	char *buf;			/* another PATH_MAX */
};

/* Read a short sysfs file into @buf, without its newline; "" if none. */
static void sbull_read_attr(const char *path, char *buf, size_t size)
{
	struct file *file = filp_open(path, O_RDONLY, 0);
	loff_t pos = 0;
	ssize_t len;

	buf[0] = '\0';
	if (IS_ERR(file))
		return;
	len = kernel_read(file, buf, size - 1, &pos);
	filp_close(file, NULL);
	buf[max_t(ssize_t, len, 0)] = '\0';
	strim(buf);
}

/* Queue a device to look at, once. */
static void sbull_stack_push(struct sbull_stack *s, dev_t devt)
{
	unsigned int i;

	if (!devt)
		return;
	for (i = 0; i < s->n; i++)
		if (s->devs[i] == devt)
			return;
	if (s->n < SBULL_STACK_MAX)
		s->devs[s->n++] = devt;
}

/* Queue the device whose sysfs "dev" file is at @path ("MAJ:MIN"). */
static void sbull_stack_push_attr(struct sbull_stack *s, const char *path)
{
	unsigned int maj, min;
	char buf[24];

	sbull_read_attr(path, buf, sizeof(buf));
	if (sscanf(buf, "%u:%u", &maj, &min) == 2)
		sbull_stack_push(s, MKDEV(maj, min));
}

struct sbull_slaves {
	struct dir_context ctx;
	char names[SBULL_STACK_MAX / 4][SBULL_NAME_LEN];
	unsigned int n;
};

/* Only copies the names: a lookup here would take the directory's lock again. */
static bool sbull_slave_actor(struct dir_context *ctx, const char *name,
			      int len, loff_t pos, u64 ino, unsigned int type)
{
	struct sbull_slaves *sl = container_of(ctx, struct sbull_slaves, ctx);

	if (name[0] == '.' || len >= SBULL_NAME_LEN)
		return true;
	if (sl->n == ARRAY_SIZE(sl->names))
		return false;
	memcpy(sl->names[sl->n], name, len);
	sl->names[sl->n++][len] = '\0';
	return true;
}

/* Queue the slaves listed in @dir/slaves. */
static void sbull_stack_push_slaves(struct sbull_stack *s, const char *dir)
{
	struct sbull_slaves *sl;
	struct file *file;
	unsigned int i;

	snprintf(s->path, PATH_MAX, "%s/slaves", dir);
	file = filp_open(s->path, O_RDONLY | O_DIRECTORY, 0);
	if (IS_ERR(file))
		return;
	sl = kzalloc(sizeof(*sl), GFP_KERNEL);
	if (sl) {
		sl->ctx.actor = sbull_slave_actor;
		iterate_dir(file, &sl->ctx);
	}
	filp_close(file, NULL);
	for (i = 0; sl && i < sl->n; i++) {
		snprintf(s->path, PATH_MAX, "%s/slaves/%s/dev", dir,
			 sl->names[i]);
		sbull_stack_push_attr(s, s->path);
	}
	kfree(sl);
}

/* Queue the device a loop device's backing file lives on, or is. */
static void sbull_stack_push_backing(struct sbull_stack *s, const char *dir)
{
	struct inode *inode;
	struct path path;

	snprintf(s->path, PATH_MAX, "%s/loop/backing_file", dir);
	sbull_read_attr(s->path, s->buf, PATH_MAX);
	if (!s->buf[0])
		return;
	if (kern_path(s->buf, LOOKUP_FOLLOW, &path)) {
		pr_warn("cannot tell what %s is built on: %s not found\n",
			dir, s->buf);
		return;
	}
	inode = d_backing_inode(path.dentry);
	if (S_ISBLK(inode->i_mode))
		sbull_stack_push(s, inode->i_rdev);
	else if (inode->i_sb->s_bdev)
		sbull_stack_push(s, inode->i_sb->s_bdev->bd_dev);
	path_put(&path);
}

/* Queue what device @devt is built on. */
static void sbull_stack_push_below(struct sbull_stack *s, dev_t devt)
{
	char dir[40];

	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", MAJOR(devt),
		 MINOR(devt));
	snprintf(s->path, PATH_MAX, "%s/partition", dir);
	sbull_read_attr(s->path, s->buf, PATH_MAX);
	if (s->buf[0]) {
		/* Partitions past the disk's minors have another major. */
		snprintf(s->path, PATH_MAX, "%s/../dev", dir);
		sbull_stack_push_attr(s, s->path);
		return;
	}
	sbull_stack_push_slaves(s, dir);
	sbull_stack_push_backing(s, dir);
}

/**
 * sbull_leg_stacked_on - is a block device built on an sbull disk?
 * @devt: the device
 * @major: sbull's major number
 *
 * Context: process context, not under @config (see the top of this file).
 * Return: the sbull disk or partition found under it, or 0.
 */
dev_t sbull_leg_stacked_on(dev_t devt, unsigned int major)
{
	struct sbull_stack *s;
	dev_t found = 0;
	unsigned int i;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return 0;
	s->path = kmalloc(PATH_MAX, GFP_KERNEL);
	s->buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (s->path && s->buf) {
		sbull_stack_push(s, devt);
		for (i = 0; i < s->n && !found; i++) {
			if (MAJOR(s->devs[i]) == major)
				found = s->devs[i];
			else
				sbull_stack_push_below(s, s->devs[i]);
		}
	}
	kfree(s->buf);
	kfree(s->path);
	kfree(s);
	return found;
}

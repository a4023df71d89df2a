// SPDX-License-Identifier: GPL-2.0
/*
 * What a leg is built from. A leg that is an sbull disk, or is built on
 * one (a dm or md device over it, a loop device over a file in a file
 * system on it), would send the mirror's writes back into sbull: each
 * write to the leg writes the store again, and a resync or a sync never
 * ends. The walk is the one lsblk -s makes, through sysfs: a device's
 * "slaves" (dm, md and every driver that calls bd_link_disk_holder()) and a
 * loop device's backing file. Process context, when a leg is attached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "sbull_leg.h"

/* Deeper stacks than this are not followed (dm allows 16 levels of its own). */
#define SBULL_STACK_DEPTH	16

static dev_t sbull_stack_walk(const char *dir, unsigned int major,
			      unsigned int depth);

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

/* The sbull disk under the device @devt, or 0. */
static dev_t sbull_stack_walk_dev(dev_t devt, unsigned int major,
				  unsigned int depth)
{
	char dir[48];

	if (MAJOR(devt) == major)
		return devt;
	if (!depth)
		return 0;
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", MAJOR(devt),
		 MINOR(devt));
	return sbull_stack_walk(dir, major, depth - 1);
}

/* The device a loop device's backing file lives on, or is. */
static dev_t sbull_backing_dev(const char *file)
{
	struct inode *inode;
	struct path path;
	dev_t devt;

	if (!file[0] || kern_path(file, LOOKUP_FOLLOW, &path))
		return 0;
	inode = d_backing_inode(path.dentry);
	devt = S_ISBLK(inode->i_mode) ? inode->i_rdev : inode->i_sb->s_dev;
	path_put(&path);
	return devt;
}

struct sbull_slaves {
	struct dir_context ctx;
	const char *dir;
	unsigned int major;
	unsigned int depth;
	dev_t found;
};

static bool sbull_slave_actor(struct dir_context *ctx, const char *name,
			      int len, loff_t pos, u64 ino, unsigned int type)
{
	struct sbull_slaves *s = container_of(ctx, struct sbull_slaves, ctx);
	unsigned int maj, min;
	char *path, buf[24];

	if (name[0] == '.')
		return true;
	path = kasprintf(GFP_KERNEL, "%s/slaves/%.*s/dev", s->dir, len, name);
	if (!path)
		return false;
	sbull_read_attr(path, buf, sizeof(buf));
	kfree(path);
	if (sscanf(buf, "%u:%u", &maj, &min) == 2)
		s->found = sbull_stack_walk_dev(MKDEV(maj, min), s->major,
						s->depth);
	return !s->found;
}

/* The sbull disk under the device whose sysfs directory is @dir, or 0. */
static dev_t sbull_stack_walk(const char *dir, unsigned int major,
			      unsigned int depth)
{
	struct sbull_slaves s = {
		.ctx.actor	= sbull_slave_actor,
		.major		= major,
		.depth		= depth,
	};
	struct file *slaves;
	char *path, *buf;

	path = kmalloc(PATH_MAX, GFP_KERNEL);
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!path || !buf)
		goto out;
	/* A partition is built from what its disk is built from. */
	snprintf(path, PATH_MAX, "%s/partition", dir);
	sbull_read_attr(path, buf, PATH_MAX);
	if (buf[0]) {
		snprintf(path, PATH_MAX, "%s/..", dir);
		s.found = sbull_stack_walk(path, major, depth);
		goto out;
	}
	snprintf(path, PATH_MAX, "%s/slaves", dir);
	slaves = filp_open(path, O_RDONLY | O_DIRECTORY, 0);
	if (!IS_ERR(slaves)) {
		s.dir = dir;
		iterate_dir(slaves, &s.ctx);
		filp_close(slaves, NULL);
	}
	if (s.found)
		goto out;
	snprintf(path, PATH_MAX, "%s/loop/backing_file", dir);
	sbull_read_attr(path, buf, PATH_MAX);
	s.found = sbull_stack_walk_dev(sbull_backing_dev(buf), major, depth);
out:
	kfree(buf);
	kfree(path);
	return s.found;
}

/**
 * sbull_leg_on_sbull - is a block device an sbull disk, or built on one?
 * @bdev: the leg's device
 * @major: sbull's major number
 *
 * Return: the sbull disk or partition found, or 0.
 */
dev_t sbull_leg_on_sbull(struct block_device *bdev, unsigned int major)
{
	return sbull_stack_walk_dev(bdev->bd_dev, major, SBULL_STACK_DEPTH);
}

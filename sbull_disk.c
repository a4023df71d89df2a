// SPDX-License-Identifier: GPL-2.0
/*
 * One disk, made from a struct sbull_config and removed: its store, its
 * gendisk and request path, its counters and its mirror's legs. The disks
 * of the module parameters (sbull_main.c) and of configfs
 * (sbull_configfs.c) are made here alike, and the checks of their settings
 * are shared, so that a bad value reads the same from either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>

#include "sbull.h"
#include "sbull_cache.h"
#include "sbull_stats.h"

/* 8 MiB: a memset of a millisecond or so, with the CPU held. */
#define SBULL_MAX_ZERO_SECTORS	(8U << (20 - SECTOR_SHIFT))

/*
 * The store is allocated when the disk is made. Fail quietly and without
 * the OOM killer when it does not fit: sbull reports the failure itself.
 * A disk without legs has it zeroed (__GFP_ZERO); a disk with legs most
 * often reads it back from one, and the time to its first I/O must not
 * grow with its size: it is zeroed only if no leg holds a store
 * (sbull_disk_setup()).
 */
#define SBULL_STORE_GFP	(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

const char * const sbull_mode_names[] = {
	[SBULL_RM_SIMPLE]	= "simple",
	[SBULL_RM_MQ]		= "mq",
	[SBULL_RM_BIO]		= "bio",
};

/* The disks' letters, sbulla to sbullz, wherever they are made. */
static DEFINE_IDA(sbull_index_ida);
/* The major of every disk: what sbull_main.c's register_blkdev() gave. */
static int sbull_disk_major;

/* Handed to device_add_disk(): the files exist before the disk's uevent. */
static const struct attribute_group *sbull_disk_groups[] = {
	&sbull_stats_attr_group,
	&sbull_mirror_attr_group,
	&sbull_cache_attr_group,
	NULL,
};

/**
 * sbull_disk_init - the major the disks are made with
 * @major: what register_blkdev() gave
 */
void sbull_disk_init(int major)
{
	sbull_disk_major = major;
}

/*
 * Each check of a setting, whether a module parameter (@where is "") or a
 * configfs attribute (@where names the directory), fails with one line
 * naming it and the values it accepts.
 */

/**
 * sbull_check_mode - parse a request mode: its name, or LDD3's number
 * @where: "" for the module parameter, else the configfs directory
 * @val: what the user gave
 * @mode: set to the mode
 *
 * Return: 0 or -EINVAL.
 */
int sbull_check_mode(const char *where, const char *val,
		     enum sbull_mode *mode)
{
	unsigned int n;
	int i = match_string(sbull_mode_names, ARRAY_SIZE(sbull_mode_names),
			     val);

	if (i < 0 && !kstrtouint(val, 10, &n) &&
	    n < ARRAY_SIZE(sbull_mode_names))
		i = n;
	if (i < 0) {
		pr_err("%srequest_mode=%s: accepted values are bio (2), mq (1) and simple (0)\n",
		       where, val);
		return -EINVAL;
	}
	*mode = i;
	return 0;
}

/**
 * sbull_check_hardsect_size - check a logical block size
 * @where: "" for the module parameter, else the configfs directory
 * @n: the size in bytes
 *
 * Return: 0 or -EINVAL.
 */
int sbull_check_hardsect_size(const char *where, unsigned long n)
{
	if (n >= SECTOR_SIZE && n <= PAGE_SIZE && is_power_of_2(n))
		return 0;
	pr_err("%shardsect_size=%lu: accepted values are 512, 1024, 2048 and 4096\n",
	       where, n);
	return -EINVAL;
}

/**
 * sbull_check_nr_hw_queues - check a number of blk-mq hardware queues
 * @where: "" for the module parameter, else the configfs directory
 * @n: the number; 0 for one per online CPU
 *
 * Return: 0 or -EINVAL.
 */
int sbull_check_nr_hw_queues(const char *where, unsigned long n)
{
	if (n <= nr_cpu_ids)
		return 0;
	pr_err("%snr_hw_queues=%lu: accepted values are 0 (one per online CPU) to %u\n",
	       where, n, nr_cpu_ids);
	return -EINVAL;
}

/**
 * sbull_check_queue_depth - check a number of tags per hardware queue
 * @where: "" for the module parameter, else the configfs directory
 * @n: the number
 *
 * Return: 0 or -EINVAL.
 */
int sbull_check_queue_depth(const char *where, unsigned long n)
{
	if (n >= 1 && n <= BLK_MQ_MAX_DEPTH)
		return 0;
	pr_err("%squeue_depth=%lu: accepted values are 1 to %d\n",
	       where, n, BLK_MQ_MAX_DEPTH);
	return -EINVAL;
}

/**
 * sbull_check_poll_queues - check a number of poll hardware queues
 * @where: "" for the module parameter, else the configfs directory
 * @n: the number
 *
 * Return: 0 or -EINVAL.
 */
int sbull_check_poll_queues(const char *where, unsigned long n)
{
	if (n <= nr_cpu_ids)
		return 0;
	pr_err("%spoll_queues=%lu: accepted values are 0 (none) to %u\n",
	       where, n, nr_cpu_ids);
	return -EINVAL;
}

/*
 * A bio-mode disk has no request queue of its own to feed. Its
 * ->submit_bio() sleeps only for memory, and not for a REQ_NOWAIT bio, so
 * the disk is marked as taking REQ_NOWAIT bios, as brd is: io_uring then
 * submits inline rather than handing each I/O to a worker thread. blk-mq
 * disks are marked so by blk-mq itself.
 */
static struct gendisk *sbull_alloc_bio_disk(struct queue_limits *lim)
{
	return sbull_compat_alloc_disk(lim);
}

static struct gendisk *sbull_alloc_mq_disk(struct sbull_dev *dev,
					   const struct sbull_config *cfg,
					   struct queue_limits *lim)
{
	struct blk_mq_tag_set *set = &dev->tag_set;
	struct gendisk *disk;
	int err;

	set->ops = cfg->mode == SBULL_RM_SIMPLE ? &sbull_simple_ops :
						  &sbull_mq_ops;
	/* Poll queues come after the others: see sbull_map_queues(). */
	dev->poll_queues = cfg->poll_queues;
	set->nr_hw_queues = (cfg->nr_hw_queues ?: num_online_cpus()) +
			    cfg->poll_queues;
	set->nr_maps = cfg->poll_queues ? HCTX_MAX_TYPES : 1;
	set->queue_depth = cfg->queue_depth;
	set->numa_node = NUMA_NO_NODE;
	set->driver_data = dev;
	set->cmd_size = sizeof(struct sbull_cmd);
	/*
	 * blk-mq gives a single-queue disk mq-deadline by default; a RAM disk
	 * has no seek to save, so start with "none" whatever nr_hw_queues.
	 */
	set->flags = SBULL_MQ_F_SHOULD_MERGE | BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	err = sbull_hwqs_alloc(dev);
	if (err)
		return ERR_PTR(err);
	err = blk_mq_alloc_tag_set(set);
	if (err)
		goto out_free_hwqs;

	disk = sbull_compat_mq_alloc_disk(set, lim, dev);
	if (!IS_ERR(disk))
		return disk;
	blk_mq_free_tag_set(set);
	err = PTR_ERR(disk);
out_free_hwqs:
	kfree(dev->hwqs);
	return ERR_PTR(err);
}

static struct gendisk *sbull_alloc_disk(struct sbull_dev *dev,
					const struct sbull_config *cfg)
{
	/*
	 * Without sector and segment limits blk-mq would cut requests at
	 * 127 KiB; the store has no DMA constraint, so let a request grow to
	 * the block layer's cap (1280 KiB) and its segments to any length.
	 * A discard or write-zeroes is a memset that nothing interrupts: the
	 * block layer cuts them at SBULL_MAX_ZERO_SECTORS for blk-mq, and
	 * bio mode's ->submit_bio() with bio_split_to_limits().
	 */
	struct queue_limits lim = {
		.logical_block_size		= cfg->hardsect_size,
		.physical_block_size		= cfg->hardsect_size,
		.max_hw_sectors			= UINT_MAX,
		.max_segments			= USHRT_MAX,
		.max_segment_size		= UINT_MAX,
		.discard_granularity		= cfg->hardsect_size,
		.max_hw_discard_sectors		= SBULL_MAX_ZERO_SECTORS,
		.max_write_zeroes_sectors	= SBULL_MAX_ZERO_SECTORS,
	};

	if (cfg->mode == SBULL_RM_BIO)
		return sbull_alloc_bio_disk(&lim);
	return sbull_alloc_mq_disk(dev, cfg, &lim);
}

/**
 * sbull_disk_free - undo sbull_disk_setup()
 * @dev: a device that takes no more I/O: deleted, or never added
 *
 * Context: process context; the legs are flushed and marked clean.
 */
void sbull_disk_free(struct sbull_dev *dev)
{
	sbull_mirror_stop(dev);
	/*
	 * del_gendisk() waits for requests, not for bio mode's bios whose end
	 * an injected delay holds; the legs' last writes, ended just above,
	 * may have started some.
	 */
	wait_var_event(&dev->delayed, !atomic_read(&dev->delayed));
	put_disk(dev->disk);
	if (dev->mode != SBULL_RM_BIO)
		blk_mq_free_tag_set(&dev->tag_set);
	kfree(dev->hwqs);
	sbull_mirror_destroy(dev);
	sbull_cache_free(dev);
	sbull_stats_free(dev);
	vfree(dev->data);
	ida_free(&sbull_index_ida, dev->index);
	kfree(dev);
}

/* Zero the store a MiB at a time: gigabytes would hold the CPU for long. */
static void sbull_zero_store(struct sbull_dev *dev)
{
	size_t pos, n;

	for (pos = 0; pos < dev->size; pos += n) {
		n = min_t(size_t, dev->size - pos, SZ_1M);
		memset(dev->data + pos, 0, n);
		cond_resched();
	}
}

/* The store, the counters and a letter; for sbull_disk_setup(). */
static struct sbull_dev *sbull_alloc_device(const struct sbull_config *cfg,
					    const char *where)
{
	struct sbull_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	int err = -ENOMEM;

	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev->size = cfg->size;
	dev->mode = cfg->mode;
	dev->inject = cfg->inject;
	dev->data = __vmalloc(dev->size, SBULL_STORE_GFP |
			      (cfg->legs ? 0 : __GFP_ZERO));
	if (!dev->data) {
		/* @where is "" for the parameters, which give nsectors. */
		pr_err("%s%s=%llu: cannot allocate the %llu MiB store; accepted: a size that fits in free memory\n",
		       where, *where ? "size" : "nsectors",
		       *where ? cfg->size : cfg->size / cfg->hardsect_size,
		       cfg->size >> 20);
		goto out_free_dev;
	}
	if (sbull_stats_alloc(dev))
		goto out_free_data;
	dev->index = ida_alloc_max(&sbull_index_ida, SBULL_MAX_DEVICES - 1,
				   GFP_KERNEL);
	if (dev->index >= 0)
		return dev;
	err = dev->index;
	if (err == -ENOSPC)
		pr_err("%spower=1: sbulla to sbullz all exist; accepted: at most %d disks\n",
		       where, SBULL_MAX_DEVICES);
	sbull_stats_free(dev);
out_free_data:
	vfree(dev->data);
out_free_dev:
	kfree(dev);
	return ERR_PTR(err);
}

/**
 * sbull_disk_setup - make a disk, all but showing it
 * @cfg: what it is made of, each setting checked
 * @where: "" for the module parameters, else "configfs NAME/", which
 *	starts the error lines
 *
 * The store, the counters, the gendisk, the mirror and its legs, opened
 * and checked but not yet read or written: sbull_mirror_restore() (which
 * starts reading the store back), sbull_mirror_start() and
 * sbull_disk_add() follow.
 *
 * Context: process context.
 * Return: the device, or an ERR_PTR() after one error line.
 */
struct sbull_dev *sbull_disk_setup(const struct sbull_config *cfg,
				   const char *where)
{
	struct sbull_dev *dev = sbull_alloc_device(cfg, where);
	struct gendisk *disk;
	int err;

	if (IS_ERR(dev))
		return dev;
	err = sbull_mirror_init(dev);
	disk = err ? ERR_PTR(err) : sbull_alloc_disk(dev, cfg);
	if (IS_ERR(disk)) {
		sbull_mirror_destroy(dev);
		sbull_stats_free(dev);
		vfree(dev->data);
		ida_free(&sbull_index_ida, dev->index);
		kfree(dev);
		return ERR_CAST(disk);
	}
	dev->disk = disk;

	disk->major = sbull_disk_major;
	disk->first_minor = dev->index * SBULL_MINORS;
	disk->minors = SBULL_MINORS;
	disk->fops = dev->mode == SBULL_RM_BIO ? &sbull_bio_fops :
						 &sbull_mq_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, "sbull%c", 'a' + dev->index);
	set_capacity(disk, dev->size >> SECTOR_SHIFT);
	set_disk_ro(disk, cfg->read_only);

	err = sbull_check_cache_kb(where, cfg->cache_kb, cfg->legs) ?:
	      sbull_cache_setup(dev, cfg->cache_kb, where);
	if (!err)
		err = sbull_mirror_assemble(dev, cfg->legs, cfg->legs_init,
					    where);
	if (err) {
		sbull_disk_free(dev);
		return ERR_PTR(err);
	}
	/* Legs new to sbull: the store is the truth, and empty. */
	if (cfg->legs && !sbull_mirror_refills(dev))
		sbull_zero_store(dev);
	return dev;
}

/**
 * sbull_disk_add - show a disk that sbull_disk_setup() made
 * @dev: the device, its store being read back and its legs started
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int sbull_disk_add(struct sbull_dev *dev)
{
	return device_add_disk(NULL, dev->disk, sbull_disk_groups);
}

/**
 * sbull_disk_create - make a disk, show it, read its store back from its legs
 * @cfg: what it is made of, each setting checked
 * @where: "configfs NAME/", which starts the error lines
 *
 * Context: process context; the store is read back while the disk
 * serves I/O.
 * Return: the device, or an ERR_PTR() after one error line.
 */
struct sbull_dev *sbull_disk_create(const struct sbull_config *cfg,
				    const char *where)
{
	struct sbull_dev *dev = sbull_disk_setup(cfg, where);
	int err;

	if (IS_ERR(dev))
		return dev;
	err = sbull_mirror_restore(dev);
	if (err)
		goto out_free;
	sbull_mirror_start(dev);
	err = sbull_disk_add(dev);
	if (err)
		goto out_free;
	pr_info("%s: %llu bytes in %u-byte sectors, request_mode=%s (%spower=1)\n",
		dev->disk->disk_name, cfg->size, cfg->hardsect_size,
		sbull_mode_names[cfg->mode], where);
	return dev;

out_free:
	sbull_disk_free(dev);
	return ERR_PTR(err);
}

/**
 * sbull_disk_remove - remove a disk that nobody holds open, and free it
 * @dev: a device that sbull_disk_create() made
 *
 * As zram's hot_remove: the claim is taken under the open_mutex that
 * every open takes, so no open can slip in between the check and
 * del_gendisk(); the disk's ->open() checks @claimed.
 *
 * Context: process context; takes the disk's open_mutex.
 * Return: 0, or -EBUSY if the disk is open (mounted, or held by anyone).
 */
int sbull_disk_remove(struct sbull_dev *dev)
{
	struct gendisk *disk = dev->disk;

	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk)) {
		mutex_unlock(&disk->open_mutex);
		return -EBUSY;
	}
	dev->claimed = true;
	mutex_unlock(&disk->open_mutex);

	del_gendisk(disk);
	sbull_disk_free(dev);
	return 0;
}


// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters, and the setup and teardown of the disks.
 *
 * sbull is LDD3's "simple block utility for loading localities" brought to
 * today's block layer: a RAM disk whose store is allocated whole at load,
 * served by one of three request paths chosen with request_mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>

#include "sbull.h"
#include "sbull_compat.h"
#include "sbull_stats.h"

#define SBULL_DEFAULT_BYTES	(64UL << 20)	/* per device */
/* 8 MiB: a memset of a millisecond or so, with the CPU held. */
#define SBULL_MAX_ZERO_SECTORS	(8U << (20 - SECTOR_SHIFT))

/*
 * The store is allocated at load. Fail quietly and without the OOM killer
 * when it does not fit: sbull reports the failure itself.
 */
#define SBULL_STORE_GFP	(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

static int sbull_major;
module_param(sbull_major, int, 0444);
MODULE_PARM_DESC(sbull_major, "Major number; 0 (default) asks for a free one");

static int hardsect_size = 512;
module_param(hardsect_size, int, 0444);
MODULE_PARM_DESC(hardsect_size,
		 "Logical block size in bytes: 512 (default), 1024, 2048 or 4096");

/* Not given: 64 MiB per device whatever hardsect_size, as with brd's rd_size. */
static unsigned long nsectors;
static bool nsectors_given;

static int sbull_set_nsectors(const char *val, const struct kernel_param *kp)
{
	nsectors_given = true;
	return param_set_ulong(val, kp);
}

static const struct kernel_param_ops sbull_nsectors_ops = {
	.set	= sbull_set_nsectors,
	.get	= param_get_ulong,
};

module_param_cb(nsectors, &sbull_nsectors_ops, &nsectors, 0444);
MODULE_PARM_DESC(nsectors,
		 "Device size in hardsect_size sectors (default: 64 MiB worth)");

static int ndevices = 4;
module_param(ndevices, int, 0444);
MODULE_PARM_DESC(ndevices,
		 "Disks made at load, 0 to 26 (default 4); configfs makes more");

static char *request_mode = "mq";
module_param(request_mode, charp, 0444);
MODULE_PARM_DESC(request_mode,
		 "Request path: bio (or 2), mq (or 1, default), simple (or 0)");

static unsigned int nr_hw_queues;
module_param(nr_hw_queues, uint, 0444);
MODULE_PARM_DESC(nr_hw_queues,
		 "blk-mq hardware queues; 0 (default) means one per online CPU");

static unsigned int queue_depth = 64;
module_param(queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "blk-mq tags per hardware queue (default 64)");

static unsigned int poll_queues;
module_param(poll_queues, uint, 0444);
MODULE_PARM_DESC(poll_queues,
		 "blk-mq hardware queues for polled I/O, besides nr_hw_queues (default 0)");

const char * const sbull_mode_names[] = {
	[SBULL_RM_SIMPLE]	= "simple",
	[SBULL_RM_MQ]		= "mq",
	[SBULL_RM_BIO]		= "bio",
};

/* The disks made at load; configfs owns the others. */
static struct sbull_dev **sbull_devs;
static struct sbull_config sbull_param_config;
static bool sbull_configfs_registered;
/* The disks' letters, sbulla to sbullz, wherever they are made. */
static DEFINE_IDA(sbull_index_ida);

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

/* The most sectors per device that leaves all devices within RAM. */
static unsigned long sbull_max_nsectors(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	return div_u64(ram, (u32)max(ndevices, 1) * hardsect_size);
}

/* Each check fails the load with one line naming the accepted values. */
static int __init sbull_check_params(void)
{
	struct sbull_config *cfg = &sbull_param_config;

	if (sbull_check_mode("", request_mode, &cfg->mode) ||
	    sbull_check_hardsect_size("", hardsect_size) ||
	    sbull_check_nr_hw_queues("", nr_hw_queues) ||
	    sbull_check_queue_depth("", queue_depth) ||
	    sbull_check_poll_queues("", poll_queues))
		return -EINVAL;
	if (ndevices < 0 || ndevices > SBULL_MAX_DEVICES) {
		pr_err("ndevices=%d: accepted values are 0 (disks made in configfs only) to %d\n",
		       ndevices, SBULL_MAX_DEVICES);
		return -EINVAL;
	}
	if (!nsectors_given)
		nsectors = SBULL_DEFAULT_BYTES / hardsect_size;
	if (nsectors < 1 || nsectors > sbull_max_nsectors()) {
		pr_err("nsectors=%lu: accepted values are 1 to %lu (with hardsect_size=%d and ndevices=%d, within RAM)\n",
		       nsectors, sbull_max_nsectors(), hardsect_size, ndevices);
		return -EINVAL;
	}
	if (sbull_major < 0 || sbull_major >= BLKDEV_MAJOR_MAX) {
		pr_err("sbull_major=%d: accepted values are 0 (dynamic) to %d\n",
		       sbull_major, BLKDEV_MAJOR_MAX - 1);
		return -EINVAL;
	}
	if (poll_queues && cfg->mode == SBULL_RM_BIO) {
		pr_err("poll_queues=%u: accepted values are 0 with request_mode=bio, which has no hardware queue to poll\n",
		       poll_queues);
		return -EINVAL;
	}
	cfg->size = (u64)nsectors * hardsect_size;
	cfg->hardsect_size = hardsect_size;
	cfg->nr_hw_queues = nr_hw_queues;
	cfg->queue_depth = queue_depth;
	cfg->poll_queues = poll_queues;
	return sbull_legs_parse(ndevices);
}

/**
 * sbull_config_defaults - the settings the module parameters give
 * @cfg: filled in; its @legs stays NULL (the legs parameter names disks)
 */
void sbull_config_defaults(struct sbull_config *cfg)
{
	*cfg = sbull_param_config;
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

/* Undo sbull_setup_device(). */
static void sbull_free_device(struct sbull_dev *dev)
{
	sbull_legs_stop(dev);
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
	sbull_stats_free(dev);
	vfree(dev->data);
	ida_free(&sbull_index_ida, dev->index);
	kfree(dev);
}

/* The store, the counters and a letter; for sbull_setup_device(). */
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
	dev->data = __vmalloc(dev->size, SBULL_STORE_GFP);
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

/*
 * Everything but add_disk(): the store, the counters, the mirror and its
 * legs, opened and checked but not yet read or written.
 */
static struct sbull_dev *sbull_setup_device(const struct sbull_config *cfg,
					    const char *where)
{
	struct sbull_dev *dev = sbull_alloc_device(cfg, where);
	struct gendisk *disk;
	int err;

	if (IS_ERR(dev))
		return dev;
	sbull_mirror_init(dev);
	disk = sbull_alloc_disk(dev, cfg);
	if (IS_ERR(disk)) {
		sbull_stats_free(dev);
		vfree(dev->data);
		ida_free(&sbull_index_ida, dev->index);
		kfree(dev);
		return ERR_CAST(disk);
	}
	dev->disk = disk;

	disk->major = sbull_major;
	disk->first_minor = dev->index * SBULL_MINORS;
	disk->minors = SBULL_MINORS;
	disk->fops = dev->mode == SBULL_RM_BIO ? &sbull_bio_fops :
						 &sbull_mq_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, "sbull%c", 'a' + dev->index);
	set_capacity(disk, dev->size >> SECTOR_SHIFT);
	set_disk_ro(disk, cfg->read_only);

	err = sbull_legs_assemble(dev, cfg->legs, cfg->legs_init, where);
	if (err) {
		sbull_free_device(dev);
		return ERR_PTR(err);
	}
	return dev;
}

/**
 * sbull_create - make a disk, restore its store from its legs, show it
 * @cfg: what it is made of, each setting checked
 * @where: "configfs NAME/", which starts the error lines
 *
 * Process context; may take seconds (the store is read from a leg).
 *
 * Return: the device, or an ERR_PTR() after one error line.
 */
struct sbull_dev *sbull_create(const struct sbull_config *cfg,
			       const char *where)
{
	struct sbull_dev *dev = sbull_setup_device(cfg, where);
	int err;

	if (IS_ERR(dev))
		return dev;
	err = sbull_legs_restore(dev);
	if (err)
		goto out_free;
	sbull_legs_start(dev);
	err = device_add_disk(NULL, dev->disk, sbull_disk_groups);
	if (err)
		goto out_free;
	pr_info("%s: %llu bytes in %u-byte sectors, request_mode=%s (%spower=1)\n",
		dev->disk->disk_name, cfg->size, cfg->hardsect_size,
		sbull_mode_names[cfg->mode], where);
	return dev;

out_free:
	sbull_free_device(dev);
	return ERR_PTR(err);
}

/**
 * sbull_remove - remove a disk that nobody holds open, and free it
 * @dev: a device that sbull_create() made
 *
 * As zram's hot_remove: the claim is taken under the open_mutex that
 * every open takes, so no open can slip in between the check and
 * del_gendisk(); the disk's ->open() checks @claimed. Process context.
 *
 * Return: 0, or -EBUSY if the disk is open (mounted, or held by anyone).
 */
int sbull_remove(struct sbull_dev *dev)
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
	sbull_free_device(dev);
	return 0;
}

/* The disks of the module parameters: all checked before any is shown. */
static int __init sbull_create_param_disks(void)
{
	struct sbull_config cfg = sbull_param_config;
	int err = 0, i, added;
	char name[8];

	sbull_devs = kcalloc(ndevices, sizeof(*sbull_devs), GFP_KERNEL);
	if (!sbull_devs)
		return -ENOMEM;
	for (i = 0; i < ndevices; i++) {
		snprintf(name, sizeof(name), "sbull%c", 'a' + i);
		cfg.legs = sbull_legs_param(name);
		cfg.legs_init = sbull_legs_init_param();
		sbull_devs[i] = IS_ERR(cfg.legs) ? ERR_CAST(cfg.legs) :
			sbull_setup_device(&cfg, "");
		if (!IS_ERR(cfg.legs))
			kfree(cfg.legs);
		if (IS_ERR(sbull_devs[i])) {
			err = PTR_ERR(sbull_devs[i]);
			goto out_free;
		}
	}
	/*
	 * Every leg of every disk is checked: read the stores back, then show
	 * the disks. Once a disk is added, failing the load is a hazard (the
	 * partition scan may still hold it open), so all checks come first.
	 */
	for (i = 0; i < ndevices; i++) {
		err = sbull_legs_restore(sbull_devs[i]);
		if (err)
			goto out_free_all;
	}
	/* Legs are marked in use before any write can reach them. */
	for (i = 0; i < ndevices; i++)
		sbull_legs_start(sbull_devs[i]);
	for (added = 0; added < ndevices; added++) {
		err = device_add_disk(NULL, sbull_devs[added]->disk,
				      sbull_disk_groups);
		if (err)
			goto out_remove;
	}
	return 0;

out_remove:
	while (added--)
		del_gendisk(sbull_devs[added]->disk);
out_free_all:
	i = ndevices;
out_free:
	while (i--)
		sbull_free_device(sbull_devs[i]);
	kfree(sbull_devs);
	return err;
}

static void sbull_remove_param_disks(void)
{
	int i;

	for (i = 0; i < ndevices; i++) {
		del_gendisk(sbull_devs[i]->disk);
		sbull_free_device(sbull_devs[i]);
	}
	kfree(sbull_devs);
}

static int __init sbull_init(void)
{
	int err;

	err = sbull_check_params();
	if (err)
		return err;

	err = register_blkdev(sbull_major, "sbull");
	if (err < 0) {
		pr_err("sbull_major=%d: cannot register it (%d); accepted values are 0 (dynamic) or a free major\n",
		       sbull_major, err);
		return err;
	}
	if (!sbull_major)
		sbull_major = err;

	err = sbull_queue_init();
	if (err)
		goto out_unregister;
	err = sbull_create_param_disks();
	if (err) {
		/*
		 * modprobe takes ENOENT for an unknown symbol or parameter
		 * (a leg path that does not exist): say ENODEV, which it
		 * prints as "No such device", beside the kernel's line.
		 */
		if (err == -ENOENT)
			err = -ENODEV;
		goto out_queue_exit;
	}
	/*
	 * Last: from here on, configfs may make disks. The disks above are
	 * live, and failing the load now is a hazard (see
	 * sbull_create_param_disks()): without configfs, sbull goes on.
	 */
	sbull_configfs_registered = !sbull_configfs_init();
	if (!sbull_configfs_registered)
		pr_err("configfs: cannot register /sys/kernel/config/sbull; only the disks of the parameters exist\n");

	pr_info("%d device(s) of %lu sectors of %d bytes, request_mode=%s\n",
		ndevices, nsectors, hardsect_size,
		sbull_mode_names[sbull_param_config.mode]);
	return 0;

out_queue_exit:
	sbull_queue_exit();
out_unregister:
	unregister_blkdev(sbull_major, "sbull");
	return err;
}

/* configfs holds the module while it has a directory: none is left. */
static void __exit sbull_exit(void)
{
	if (sbull_configfs_registered)
		sbull_configfs_exit();
	sbull_remove_param_disks();
	sbull_queue_exit();
	unregister_blkdev(sbull_major, "sbull");
}

module_init(sbull_init);
module_exit(sbull_exit);

MODULE_DESCRIPTION("sbull: a RAM block device after LDD3, with bio and blk-mq request paths");
MODULE_AUTHOR("The sbull developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SBULL_VERSION);

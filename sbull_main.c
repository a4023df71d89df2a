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
MODULE_PARM_DESC(ndevices, "Number of devices, 1 to 26 (default 4)");

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

const char * const sbull_mode_names[] = {
	[SBULL_RM_SIMPLE]	= "simple",
	[SBULL_RM_MQ]		= "mq",
	[SBULL_RM_BIO]		= "bio",
};

static enum sbull_mode sbull_mode;
static struct sbull_dev *sbull_devs;

/* Accept LDD3's numbers as well as the names. */
static int sbull_parse_mode(const char *val, enum sbull_mode *mode)
{
	unsigned int n;
	int i = match_string(sbull_mode_names, ARRAY_SIZE(sbull_mode_names),
			     val);

	if (i >= 0) {
		*mode = i;
		return 0;
	}
	if (!kstrtouint(val, 10, &n) && n < ARRAY_SIZE(sbull_mode_names)) {
		*mode = n;
		return 0;
	}
	return -EINVAL;
}

/* The most sectors per device that leaves all devices within RAM. */
static unsigned long sbull_max_nsectors(void)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;

	return div_u64(ram, (u32)ndevices * hardsect_size);
}

/* Each check fails the load with one line naming the accepted values. */
static int __init sbull_check_params(void)
{
	if (sbull_parse_mode(request_mode, &sbull_mode)) {
		pr_err("request_mode=%s: accepted values are bio (2), mq (1) and simple (0)\n",
		       request_mode);
		return -EINVAL;
	}
	if (ndevices < 1 || ndevices > SBULL_MAX_DEVICES) {
		pr_err("ndevices=%d: accepted values are 1 to %d\n",
		       ndevices, SBULL_MAX_DEVICES);
		return -EINVAL;
	}
	if (hardsect_size < SECTOR_SIZE || hardsect_size > PAGE_SIZE ||
	    !is_power_of_2(hardsect_size)) {
		pr_err("hardsect_size=%d: accepted values are 512, 1024, 2048 and 4096\n",
		       hardsect_size);
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
	if (nr_hw_queues > nr_cpu_ids) {
		pr_err("nr_hw_queues=%u: accepted values are 0 (one per online CPU) to %u\n",
		       nr_hw_queues, nr_cpu_ids);
		return -EINVAL;
	}
	if (queue_depth < 1 || queue_depth > BLK_MQ_MAX_DEPTH) {
		pr_err("queue_depth=%u: accepted values are 1 to %d\n",
		       queue_depth, BLK_MQ_MAX_DEPTH);
		return -EINVAL;
	}
	if (!nr_hw_queues)
		nr_hw_queues = num_online_cpus();
	return sbull_legs_parse(ndevices);
}

/*
 * A bio-mode disk has no request queue of its own to feed. Its
 * ->submit_bio() never sleeps, so the disk is marked as taking REQ_NOWAIT
 * bios, as brd is: io_uring then submits inline rather than handing each
 * I/O to a worker thread. blk-mq disks are marked so by blk-mq itself.
 */
static struct gendisk *sbull_alloc_bio_disk(struct queue_limits *lim)
{
	return sbull_compat_alloc_disk(lim);
}

static struct gendisk *sbull_alloc_mq_disk(struct sbull_dev *dev,
					   struct queue_limits *lim)
{
	struct blk_mq_tag_set *set = &dev->tag_set;
	struct gendisk *disk;
	int err;

	set->ops = sbull_mode == SBULL_RM_SIMPLE ? &sbull_simple_ops :
						   &sbull_mq_ops;
	set->nr_hw_queues = nr_hw_queues;
	set->queue_depth = queue_depth;
	set->numa_node = NUMA_NO_NODE;
	/* A mirrored write waits for its legs in the request's PDU. */
	set->cmd_size = sizeof(struct sbull_mirror_io);
	/*
	 * blk-mq gives a single-queue disk mq-deadline by default; a RAM disk
	 * has no seek to save, so start with "none" whatever nr_hw_queues.
	 */
	set->flags = SBULL_MQ_F_SHOULD_MERGE | BLK_MQ_F_NO_SCHED_BY_DEFAULT;
	err = blk_mq_alloc_tag_set(set);
	if (err)
		return ERR_PTR(err);

	disk = sbull_compat_mq_alloc_disk(set, lim, dev);
	if (IS_ERR(disk))
		blk_mq_free_tag_set(set);
	return disk;
}

static struct gendisk *sbull_alloc_disk(struct sbull_dev *dev)
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
		.logical_block_size		= hardsect_size,
		.physical_block_size		= hardsect_size,
		.max_hw_sectors			= UINT_MAX,
		.max_segments			= USHRT_MAX,
		.max_segment_size		= UINT_MAX,
		.discard_granularity		= hardsect_size,
		.max_hw_discard_sectors		= SBULL_MAX_ZERO_SECTORS,
		.max_write_zeroes_sectors	= SBULL_MAX_ZERO_SECTORS,
	};

	if (sbull_mode == SBULL_RM_BIO)
		return sbull_alloc_bio_disk(&lim);
	return sbull_alloc_mq_disk(dev, &lim);
}

/* Undo sbull_setup_device(). */
static void sbull_free_device(struct sbull_dev *dev)
{
	sbull_legs_stop(dev);
	put_disk(dev->disk);
	if (sbull_mode != SBULL_RM_BIO)
		blk_mq_free_tag_set(&dev->tag_set);
	sbull_mirror_destroy(dev);
	sbull_stats_free(dev);
	vfree(dev->data);
}

/*
 * Everything but add_disk(): the store, the counters, the mirror and its
 * legs, opened and checked but not yet read or written.
 */
static int sbull_setup_device(struct sbull_dev *dev, int which)
{
	struct gendisk *disk;
	int err;

	dev->size = (size_t)nsectors * hardsect_size;
	dev->data = __vmalloc(dev->size, SBULL_STORE_GFP);
	if (!dev->data) {
		pr_err("nsectors=%lu: cannot allocate the %zu MiB store of sbull%c\n",
		       nsectors, dev->size >> 20, 'a' + which);
		return -ENOMEM;
	}
	dev->mode = sbull_mode;
	err = sbull_stats_alloc(dev);
	if (err)
		goto out_free_data;
	sbull_mirror_init(dev);

	disk = sbull_alloc_disk(dev);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto out_free_stats;
	}
	dev->disk = disk;

	disk->major = sbull_major;
	disk->first_minor = which * SBULL_MINORS;
	disk->minors = SBULL_MINORS;
	disk->fops = sbull_mode == SBULL_RM_BIO ? &sbull_bio_fops :
						  &sbull_mq_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, "sbull%c", 'a' + which);
	set_capacity(disk, dev->size >> SECTOR_SHIFT);

	err = sbull_legs_assemble(dev);
	if (err)
		sbull_free_device(dev);
	return err;

out_free_stats:
	sbull_stats_free(dev);
out_free_data:
	vfree(dev->data);
	return err;
}

static void sbull_remove_device(struct sbull_dev *dev)
{
	del_gendisk(dev->disk);
	sbull_free_device(dev);
}

static int __init sbull_init(void)
{
	int err, i, added;

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
	sbull_devs = kcalloc(ndevices, sizeof(*sbull_devs), GFP_KERNEL);
	if (!sbull_devs) {
		err = -ENOMEM;
		goto out_queue_exit;
	}

	for (i = 0; i < ndevices; i++) {
		err = sbull_setup_device(&sbull_devs[i], i);
		if (err)
			goto out_free;
	}
	/*
	 * Every leg of every disk is checked: read the stores back, then show
	 * the disks. Once a disk is added, failing the load is a hazard (the
	 * partition scan may still hold it open), so all checks come first.
	 */
	for (i = 0; i < ndevices; i++) {
		err = sbull_legs_restore(&sbull_devs[i]);
		if (err)
			goto out_free_all;
	}
	/* Legs are marked in use before any write can reach them. */
	for (i = 0; i < ndevices; i++)
		sbull_legs_start(&sbull_devs[i]);
	for (added = 0; added < ndevices; added++) {
		err = device_add_disk(NULL, sbull_devs[added].disk,
				      sbull_disk_groups);
		if (err)
			goto out_remove;
	}

	pr_info("%d device(s) of %lu sectors of %d bytes, request_mode=%s\n",
		ndevices, nsectors, hardsect_size, sbull_mode_names[sbull_mode]);
	return 0;

out_remove:
	while (added--)
		del_gendisk(sbull_devs[added].disk);
out_free_all:
	i = ndevices;
out_free:
	while (i--)
		sbull_free_device(&sbull_devs[i]);
	kfree(sbull_devs);
out_queue_exit:
	sbull_queue_exit();
out_unregister:
	unregister_blkdev(sbull_major, "sbull");
	return err;
}

static void __exit sbull_exit(void)
{
	int i;

	for (i = 0; i < ndevices; i++)
		sbull_remove_device(&sbull_devs[i]);
	kfree(sbull_devs);
	sbull_queue_exit();
	unregister_blkdev(sbull_major, "sbull");
}

module_init(sbull_init);
module_exit(sbull_exit);

MODULE_DESCRIPTION("sbull: a RAM block device after LDD3, with bio and blk-mq request paths");
MODULE_AUTHOR("The sbull developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SBULL_VERSION);

// SPDX-License-Identifier: GPL-2.0
/*
 * The module: its parameters, the disks they make at load and remove at
 * unload, and configfs for the others (sbull_configfs.c). A disk is made
 * and removed by sbull_disk.c.
 *
 * sbull is LDD3's "simple block utility for loading localities" brought to
 * today's block layer: a RAM disk whose store is allocated whole when the
 * disk is made, served by one of three request paths chosen with
 * request_mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "sbull.h"
#include "sbull_cache.h"

#define SBULL_DEFAULT_BYTES	(64UL << 20)	/* per device */

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

static unsigned int cache_kb;
module_param(cache_kb, uint, 0444);
MODULE_PARM_DESC(cache_kb,
		 "A volatile write cache of this many KiB on each disk; 0 (default) for none");

/* The disks made at load; configfs owns the others. */
static struct sbull_dev **sbull_devs;
/* What the parameters give: the disks of the parameters, configfs's defaults. */
static struct sbull_config sbull_param_config;
static bool sbull_configfs_registered;

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
	    sbull_check_poll_queues("", poll_queues) ||
	    sbull_check_cache_kb("", cache_kb, NULL))
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
	cfg->cache_kb = cache_kb;
	return sbull_mirror_parse(ndevices);
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
		cfg.legs = sbull_mirror_legs_param(name);
		cfg.legs_init = sbull_mirror_legs_init_param();
		sbull_devs[i] = IS_ERR(cfg.legs) ? ERR_CAST(cfg.legs) :
			sbull_disk_setup(&cfg, "");
		if (!IS_ERR(cfg.legs))
			kfree(cfg.legs);
		if (IS_ERR(sbull_devs[i])) {
			err = PTR_ERR(sbull_devs[i]);
			goto out_free;
		}
	}
	/*
	 * Every leg of every disk is checked: start reading the stores back,
	 * then show the disks. Once a disk is added, failing the load is a
	 * hazard (the partition scan may still hold it open), so all checks
	 * come first.
	 */
	for (i = 0; i < ndevices; i++) {
		err = sbull_mirror_restore(sbull_devs[i]);
		if (err)
			goto out_free_all;
	}
	/* Legs are marked in use before any write can reach them. */
	for (i = 0; i < ndevices; i++)
		sbull_mirror_start(sbull_devs[i]);
	for (added = 0; added < ndevices; added++) {
		err = sbull_disk_add(sbull_devs[added]);
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
		sbull_disk_free(sbull_devs[i]);
	kfree(sbull_devs);
	return err;
}

static void sbull_remove_param_disks(void)
{
	int i;

	for (i = 0; i < ndevices; i++) {
		del_gendisk(sbull_devs[i]->disk);
		sbull_disk_free(sbull_devs[i]);
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
	sbull_disk_init(sbull_major);

	err = sbull_end_init();
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
	sbull_configfs_registered = !sbull_configfs_init(&sbull_param_config);
	if (!sbull_configfs_registered)
		pr_err("configfs: cannot register /sys/kernel/config/sbull; only the disks of the parameters exist\n");

	pr_info("%d device(s) of %lu sectors of %d bytes, request_mode=%s\n",
		ndevices, nsectors, hardsect_size,
		sbull_mode_names[sbull_param_config.mode]);
	return 0;

out_queue_exit:
	sbull_end_exit();
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
	sbull_end_exit();
	unregister_blkdev(sbull_major, "sbull");
}

module_init(sbull_init);
module_exit(sbull_exit);

MODULE_DESCRIPTION("sbull: a RAM block device after LDD3, with bio and blk-mq request paths");
MODULE_AUTHOR("The sbull developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SBULL_VERSION);

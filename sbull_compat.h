/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions differ.
 *
 * sbull describes its queue with a struct queue_limits on every kernel.
 * From 6.11 the limits, feature flags included, go to the disk allocation
 * call; before that, blk_alloc_disk() took no limits (6.9 and 6.10 accept
 * them, but still keep the feature flags as queue flags), so they are
 * applied afterwards with the setters that 6.11 removed.
 */
#ifndef _SBULL_COMPAT_H
#define _SBULL_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/dm-io.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/version.h>

/*
 * dm_io() gained an ioprio argument in 6.10, and stable kernels took it
 * back to 6.1.83: Kbuild looks for it in the headers (SBULL_DM_IO_IOPRIO).
 */
#ifdef SBULL_DM_IO_IOPRIO
#define sbull_dm_io(req, n, where, errors, prio)	\
	dm_io(req, n, where, errors, prio)
#else
#define sbull_dm_io(req, n, where, errors, prio)	\
	dm_io(req, n, where, errors)
#endif

/*
 * A leg is opened for reading and writing, exclusively with sbull as the
 * holder. Opening block devices changed in 6.5 (blk_mode_t, the holder
 * makes it exclusive), 6.7 (a handle) and 6.9 (a struct file); @handle
 * keeps what the close needs. Built here on 6.1 and 6.12 only.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
static inline struct block_device *
sbull_open_leg(const char *path, void *holder, void **handle)
{
	struct file *file = bdev_file_open_by_path(path,
			BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);

	if (IS_ERR(file))
		return ERR_CAST(file);
	*handle = file;
	return file_bdev(file);
}

static inline void sbull_close_leg(struct block_device *bdev, void *handle,
				   void *holder)
{
	fput(handle);
}
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct block_device *
sbull_open_leg(const char *path, void *holder, void **handle)
{
	struct bdev_handle *h = bdev_open_by_path(path,
			BLK_OPEN_READ | BLK_OPEN_WRITE, holder, NULL);

	if (IS_ERR(h))
		return ERR_CAST(h);
	*handle = h;
	return h->bdev;
}

static inline void sbull_close_leg(struct block_device *bdev, void *handle,
				   void *holder)
{
	bdev_release(handle);
}
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
static inline struct block_device *
sbull_open_leg(const char *path, void *holder, void **handle)
{
	return blkdev_get_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE, holder,
				  NULL);
}

static inline void sbull_close_leg(struct block_device *bdev, void *handle,
				   void *holder)
{
	blkdev_put(bdev, holder);
}
#else
#define SBULL_LEG_MODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static inline struct block_device *
sbull_open_leg(const char *path, void *holder, void **handle)
{
	return blkdev_get_by_path(path, SBULL_LEG_MODE, holder);
}

static inline void sbull_close_leg(struct block_device *bdev, void *handle,
				   void *holder)
{
	blkdev_put(bdev, SBULL_LEG_MODE);
}
#endif

/*
 * A disk with legs has a volatile write cache, theirs, so that flushes and
 * FUA writes reach sbull. The caller has frozen the queue.
 */
static inline int sbull_set_write_cache(struct gendisk *disk, bool on)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct queue_limits lim = queue_limits_start_update(disk->queue);

	if (on)
		lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
	else
		lim.features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA);
	return queue_limits_commit_update(disk->queue, &lim);
#else
	blk_queue_write_cache(disk->queue, on, on);
	return 0;
#endif
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define SBULL_MQ_F_SHOULD_MERGE	0	/* 6.14 made merging the default */
#else
#define SBULL_MQ_F_SHOULD_MERGE	BLK_MQ_F_SHOULD_MERGE
#endif

/* 6.18 hands ->getgeo() the gendisk instead of a block_device. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define sbull_getgeo_arg		gendisk
#define sbull_getgeo_disk(arg)		(arg)
#else
#define sbull_getgeo_arg		block_device
#define sbull_getgeo_disk(arg)		((arg)->bd_disk)
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)

/* A disk without a request queue: see sbull_alloc_bio_disk() for NOWAIT. */
static inline struct gendisk *sbull_compat_alloc_disk(struct queue_limits *lim)
{
	lim->features |= BLK_FEAT_NOWAIT;
	return blk_alloc_disk(lim, NUMA_NO_NODE);
}

static inline struct gendisk *
sbull_compat_mq_alloc_disk(struct blk_mq_tag_set *set,
			   struct queue_limits *lim, void *queuedata)
{
	return blk_mq_alloc_disk(set, lim, queuedata);
}

#else /* before 6.11 */

/* A RAM disk is not rotational and feeds no entropy, the 6.11 defaults. */
static inline void sbull_compat_set_limits(struct gendisk *disk,
					   const struct queue_limits *lim)
{
	struct request_queue *q = disk->queue;

	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	blk_queue_max_segment_size(q, lim->max_segment_size);
	q->limits.discard_granularity = lim->discard_granularity;
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
}

static inline struct gendisk *sbull_compat_alloc_disk(struct queue_limits *lim)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	struct gendisk *disk = blk_alloc_disk(NULL, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE) ?: ERR_PTR(-ENOMEM);
#endif

	if (!IS_ERR(disk)) {
		sbull_compat_set_limits(disk, lim);
		blk_queue_flag_set(QUEUE_FLAG_NOWAIT, disk->queue);
	}
	return disk;
}

static inline struct gendisk *
sbull_compat_mq_alloc_disk(struct blk_mq_tag_set *set,
			   struct queue_limits *lim, void *queuedata)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	struct gendisk *disk = blk_mq_alloc_disk(set, NULL, queuedata);
#else
	struct gendisk *disk = blk_mq_alloc_disk(set, queuedata);
#endif

	if (!IS_ERR(disk))
		sbull_compat_set_limits(disk, lim);
	return disk;
}

#endif /* before 6.11 */

#endif /* _SBULL_COMPAT_H */

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
#include <linux/err.h>
#include <linux/version.h>

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

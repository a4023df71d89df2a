/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions differ.
 *
 * Each difference is found by Kbuild in the headers of the kernel being
 * built for (SBULL_HAVE_* below), not by its version number: stable
 * kernels take API changes back, as 6.1.83 did with dm_io()'s ioprio.
 * Built and tested: Debian's 6.1 and 6.12, and the newest Debian kernel
 * (7.x). Other kernels build where their API is one of these; 6.5 to 6.10,
 * whose ways of opening a block device and of allocating a disk are none of
 * them, are refused by Kbuild with a message.
 */
#ifndef _SBULL_COMPAT_H
#define _SBULL_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/dm-io.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/hrtimer.h>

/*
 * dm_io() gained an ioprio argument in 6.10 (SBULL_HAVE_DM_IO_IOPRIO,
 * backported to 6.1.83), and 7.x reports the regions that did not support
 * the operation in a bitset of their own, to dm_io() and to the notify
 * callback (SBULL_HAVE_DM_IO_UNSUP). To the mirror, a leg that did not
 * take a write failed it, whatever the reason: the two bitsets are merged.
 * SBULL_DM_IO_NOTIFY(name, fn) defines, in the caller's file, a notify
 * callback @name of this kernel's kind that hands @fn the merged bitset:
 * this header calls nothing of the driver's.
 */
#ifdef SBULL_HAVE_DM_IO_UNSUP
static inline int sbull_dm_io(struct dm_io_request *req, unsigned int n,
			      struct dm_io_region *where, unsigned long *errors,
			      unsigned short ioprio)
{
	unsigned long unsup = 0;
	int err = dm_io(req, n, where, errors, errors ? &unsup : NULL, ioprio);

	if (errors)
		*errors |= unsup;
	return err;
}

#define SBULL_DM_IO_NOTIFY(name, fn)					\
static void name(unsigned long error, unsigned long unsup, void *context) \
{									\
	fn(error | unsup, context);					\
}
#else
#ifdef SBULL_HAVE_DM_IO_IOPRIO
#define sbull_dm_io(req, n, where, errors, ioprio)	\
	dm_io(req, n, where, errors, ioprio)
#else
#define sbull_dm_io(req, n, where, errors, ioprio)	\
	dm_io(req, n, where, errors)
#endif
#define SBULL_DM_IO_NOTIFY(name, fn)					\
static void name(unsigned long error, void *context)			\
{									\
	fn(error, context);						\
}
#endif

/*
 * A leg is opened for reading and writing, exclusively with sbull as the
 * holder: from 6.9 as a struct file (SBULL_HAVE_BDEV_FILE), whose close
 * gives the claim back at once (bdev_fput(), not fput()); before 6.5 with
 * FMODE_EXCL. @handle keeps what the close needs.
 */
#ifdef SBULL_HAVE_BDEV_FILE
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
	bdev_fput(handle);
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
 * Freezing a queue enters a NOIO scope from 6.14 on, and unfreezing takes
 * back the flags that the freeze returned (SBULL_HAVE_FREEZE_MEMFLAGS).
 */
#ifdef SBULL_HAVE_FREEZE_MEMFLAGS
#define sbull_freeze_queue(q)			blk_mq_freeze_queue(q)
#define sbull_unfreeze_queue(q, memflags)	blk_mq_unfreeze_queue(q, memflags)
#else
static inline unsigned int sbull_freeze_queue(struct request_queue *q)
{
	blk_mq_freeze_queue(q);
	return 0;
}

static inline void sbull_unfreeze_queue(struct request_queue *q,
					unsigned int memflags)
{
	blk_mq_unfreeze_queue(q);
}
#endif

/* 6.14 made merging the default and dropped the flag that asked for it. */
#ifdef SBULL_HAVE_MQ_F_SHOULD_MERGE
#define SBULL_MQ_F_SHOULD_MERGE	BLK_MQ_F_SHOULD_MERGE
#else
#define SBULL_MQ_F_SHOULD_MERGE	0
#endif

/* 6.18 hands ->getgeo() the gendisk instead of a block_device. */
#ifdef SBULL_HAVE_GETGEO_DISK
#define sbull_getgeo_arg		gendisk
#define sbull_getgeo_disk(arg)		(arg)
#else
#define sbull_getgeo_arg		block_device
#define sbull_getgeo_disk(arg)		((arg)->bd_disk)
#endif

/* 6.13 sets an hrtimer up with its callback in one call. */
#ifdef SBULL_HAVE_HRTIMER_SETUP
#define sbull_hrtimer_setup(timer, fn, clock, mode)	\
	hrtimer_setup(timer, fn, clock, mode)
#else
static inline void
sbull_hrtimer_setup(struct hrtimer *timer,
		    enum hrtimer_restart (*fn)(struct hrtimer *),
		    clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
}
#endif

/* 7.x gives ->init_request() its NUMA node as an int. */
#ifdef SBULL_HAVE_INIT_REQUEST_INT_NODE
#define sbull_numa_node_t	int
#else
#define sbull_numa_node_t	unsigned int
#endif

/* 6.5 hands ->open() the gendisk and a blk_mode_t. */
#ifdef SBULL_HAVE_OPEN_DISK
#define sbull_open_arg			gendisk
#define sbull_open_mode_t		blk_mode_t
#define sbull_open_disk(arg)		(arg)
#else
#define sbull_open_arg			block_device
#define sbull_open_mode_t		fmode_t
#define sbull_open_disk(arg)		((arg)->bd_disk)
#endif

/*
 * sbull describes its queue with a struct queue_limits on every kernel.
 * From 6.11 the limits, feature flags included, go to the disk allocation
 * call (SBULL_HAVE_BLK_FEAT); before, they are applied afterwards with the
 * setters that 6.11 removed.
 */
#ifdef SBULL_HAVE_BLK_FEAT

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

/*
 * A disk with legs has a volatile write cache, theirs, so that flushes and
 * FUA writes reach sbull. The caller has frozen the queue.
 */
static inline int sbull_set_write_cache(struct gendisk *disk, bool on)
{
	struct queue_limits lim = queue_limits_start_update(disk->queue);

	if (on)
		lim.features |= BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA;
	else
		lim.features &= ~(BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA);
	return queue_limits_commit_update(disk->queue, &lim);
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
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE) ?: ERR_PTR(-ENOMEM);

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
	struct gendisk *disk = blk_mq_alloc_disk(set, queuedata);

	if (!IS_ERR(disk))
		sbull_compat_set_limits(disk, lim);
	return disk;
}

static inline int sbull_set_write_cache(struct gendisk *disk, bool on)
{
	blk_queue_write_cache(disk->queue, on, on);
	return 0;
}

#endif /* before 6.11 */

#endif /* _SBULL_COMPAT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbull: a RAM block device after LDD3's sbull, for today's block layer.
 *
 * The declarations shared by the files of the driver:
 * sbull_main.c (parameters, device setup and teardown), sbull_configfs.c
 * (disks made and removed at run time), sbull_queue.c (the request paths),
 * sbull_xfer.c (the accesses to the store), sbull_stats.c (the counters in
 * sysfs), and the mirror: sbull_mirror.c and the sbull_leg*.c files,
 * declared in sbull_mirror.h.
 */
#ifndef _SBULL_H
#define _SBULL_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/hrtimer.h>
#include <linux/types.h>

#include "sbull_mirror.h"

#define SBULL_MINORS	16	/* the disk and 15 partitions */
#define SBULL_MAX_DEVICES	26	/* sbulla to sbullz */

/* LDD3's request modes, with LDD3's numbers so coursework still applies. */
enum sbull_mode {
	SBULL_RM_SIMPLE = 0,	/* blk-mq, one segment completed at a time */
	SBULL_RM_MQ = 1,	/* blk-mq, whole requests (LDD3's RM_FULL) */
	SBULL_RM_BIO = 2,	/* no request queue (LDD3's RM_NOQUEUE) */
};

struct sbull_stats;
struct sbull_inject;

/**
 * struct sbull_config - what a disk is made of, fixed while it exists
 * @size: bytes in the store, a multiple of @hardsect_size
 * @hardsect_size: the logical block size: 512, 1024, 2048 or 4096
 * @mode: the request path
 * @nr_hw_queues: blk-mq hardware queues; 0 for one per online CPU
 * @queue_depth: blk-mq tags per hardware queue
 * @poll_queues: blk-mq hardware queues for polled I/O, besides the others
 * @read_only: the disk cannot be opened for writing
 * @legs_init: initialise @legs, which must carry no sbull header
 * @legs: the mirror legs, "DEV[:START]" separated by commas, or NULL
 * @inject: faults and delays to inject (a configfs directory's), or NULL
 *
 * The module parameters give one to the disks made at load, and the
 * defaults of a disk made in configfs, which edits its own.
 */
struct sbull_config {
	u64 size;
	unsigned int hardsect_size;
	enum sbull_mode mode;
	unsigned int nr_hw_queues;
	unsigned int queue_depth;
	unsigned int poll_queues;
	bool read_only;
	bool legs_init;
	char *legs;
	struct sbull_inject *inject;
};

/**
 * struct sbull_hwq - what sbull keeps for each blk-mq hardware queue
 * @poll_lock: guards @poll_list; taken in process context only, by
 *	       ->queue_rq(), ->poll() and ->timeout()
 * @poll_list: polled requests, done, for ->poll() to end
 */
struct sbull_hwq {
	spinlock_t poll_lock;		/* process context only */
	struct list_head poll_list;
};

/**
 * struct sbull_cmd - what blk-mq keeps for sbull in each request (its PDU)
 * @mio: a write that the mirror's legs must have before it ends
 * @timer: ends the request after an injected delay
 * @status: how the request ended, for @timer or ->poll()
 * @deadline: a polled request: when ->poll() may end it
 * @on_poll_list: a polled request, done, waits on its queue's poll_list;
 *		  under its poll_lock
 */
struct sbull_cmd {
	struct sbull_mirror_io mio;
	struct hrtimer timer;
	blk_status_t status;
	u64 deadline;
	bool on_poll_list;
};

/**
 * struct sbull_dev - one sbull disk
 * @data: the store, vmalloc'ed at load; read-only pointer on the data path
 * @size: bytes in @data
 * @disk: the gendisk, /dev/sbulla and on
 * @tag_set: the blk-mq tag set (unused in bio mode)
 * @hwqs: one per hardware queue of @tag_set
 * @poll_queues: how many of them are poll queues, the last ones
 * @mode: the request path serving the disk
 * @stats: per-CPU counters, see sbull_stats.h
 * @mirror: the legs that keep a copy of the store, see sbull_mirror.h
 * @inject: faults and delays injected, see sbull_inject.h; or NULL
 * @delayed: bios whose end an injected delay holds (bio mode)
 * @index: the disk's letter, 0 for sbulla, and its minors' sixteenth
 * @claimed: being removed: opens fail; under the disk's open_mutex
 */
struct sbull_dev {
	u8 *data;
	size_t size;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	struct sbull_hwq *hwqs;
	unsigned int poll_queues;
	enum sbull_mode mode;
	struct sbull_stats __percpu *stats;
	struct sbull_mirror mirror;
	struct sbull_inject *inject;
	atomic_t delayed;
	int index;
	bool claimed;
};

/* The sbull device of a disk's struct device, for its sysfs files. */
static inline struct sbull_dev *sbull_dev_of(struct device *ddev)
{
	return dev_to_disk(ddev)->private_data;
}

/* sbull_main.c */
extern const char * const sbull_mode_names[];
void sbull_config_defaults(struct sbull_config *cfg);
int sbull_check_mode(const char *where, const char *val,
		     enum sbull_mode *mode);
int sbull_check_hardsect_size(const char *where, unsigned long n);
int sbull_check_nr_hw_queues(const char *where, unsigned long n);
int sbull_check_queue_depth(const char *where, unsigned long n);
int sbull_check_poll_queues(const char *where, unsigned long n);
struct sbull_dev *sbull_create(const struct sbull_config *cfg,
			       const char *where);
int sbull_remove(struct sbull_dev *dev);

/* sbull_configfs.c */
int sbull_configfs_init(void);
void sbull_configfs_exit(void);

/* sbull_xfer.c */
bool sbull_in_range(const struct sbull_dev *dev, sector_t sector,
		    unsigned int nr_sectors);
void sbull_xfer_segment(struct sbull_dev *dev, sector_t sector,
			const struct bio_vec *bvec, bool write);
blk_status_t sbull_do_nodata(struct sbull_dev *dev, enum req_op op,
			     sector_t sector, unsigned int nr_sectors);

/* sbull_queue.c */
int sbull_queue_init(void);
void sbull_queue_exit(void);
int sbull_hwqs_alloc(struct sbull_dev *dev);
extern const struct block_device_operations sbull_bio_fops;
extern const struct block_device_operations sbull_mq_fops;
extern const struct blk_mq_ops sbull_mq_ops;
extern const struct blk_mq_ops sbull_simple_ops;

#endif /* _SBULL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbull: a RAM block device after LDD3's sbull, for today's block layer.
 *
 * The declarations shared by the files of the driver: sbull_main.c (the
 * module and its parameters), sbull_disk.c (a disk made and removed),
 * sbull_configfs.c (disks made at run time), sbull_queue.c (the request
 * paths), sbull_end.c (how an I/O ends: at once, after an injected delay,
 * by ->poll(), or by the mirror), sbull_xfer.c (the accesses to the
 * store), sbull_stats.c (the counters in sysfs), sbull_inject.c (faults
 * and delays injected), sbull_cache.c (a volatile write cache and power
 * cuts), and the mirror, seen through sbull_mirror.h.
 *
 * Every lock of the driver, outermost first: a lock is taken only while
 * holding none below it in the table. "irq": taken in interrupt context
 * too, or from a request path, which may run in any context, so always
 * with interrupts off.
 *
 *     lock                       kind      guards
 *  1  sbull_configfs_lock        mutex     every configfs directory: its
 *                                          settings, its disk
 *  2  sbull_cache_mutex          mutex     the write caches' commands, one
 *                                          at a time: a cut, "on", a
 *                                          crash state (sbull_cache.c)
 *  3  gendisk.open_mutex         mutex     sbull_dev.claimed, against the
 *                                          block layer's ->open()
 *  4  sbull_wb.switching         mutex     write-back mode's switches
 *  5  the queue's freeze         blk-mq    no I/O in flight: a mode switch,
 *                                          a first leg (under 6: below),
 *                                          a cut, a crash state
 *  6  sbull_mirror.config        mutex     the leg set, header writes, the
 *                                          generation, epoch and history
 *  7  sbull_open_legs_lock       mutex     the open legs of every disk
 *  8  sbull_mirror.bitmap_lock   mutex     the bits; the legs' header
 *                                          blocks and their writes
 *  9  sbull_mirror.lock          spin irq  the legs' states, the resync
 *                                          window, failed, resynced,
 *                                          behind, changes, entry to held
 * 10  sbull_inject.lock          spin irq  bad ranges, the paced clock
 * 11  sbull_hwq.poll_lock        spinlock  a poll queue's poll_list
 *                                          (process context only)
 * 12  sbull_cache.lock           spin irq  a write cache's lines and
 *                                          slots, as the request paths
 *                                          change them, its power
 * 13  sbull_refill.lock          spin irq  the regions read back from a
 *                                          leg after the load, the reads
 *                                          in flight, the waiting I/Os
 *
 * 10 to 13 nest in nothing and hold nothing (a crash state takes
 * one disk's 12, drops it, then takes the other's). One exception to
 * the order: a run-time "add" of a disk's first leg takes 5 under 6, to
 * declare the write cache (sbull_mirror_set_nr_legs()). It is safe: with
 * no leg, no write can wait for the mirror; the writes a command held
 * are ended by it once it has dropped 6, in sbull_wt_end_held(), which
 * takes no mutex.
 *
 * The request paths (->submit_bio, ->queue_rq) take no lock but 10 to
 * 13, and those only when injecting, polling, writing to a disk with a
 * write cache or reading back the store after a load: the store is not
 * locked (sbull_xfer.c); the mirror's hot paths are lock-free counters
 * and bits, each with the barrier pair its file explains
 * (sbull_bitmap.c, sbull_writeback.c).
 * The mirror's issue worker takes 9 once per write (sbull_wt_issue()),
 * and 8 only for a batch with a write into a clean region
 * (sbull_bitmap_mark()). The mirror's files are layered, calls going
 * down only: sbull_mirror_internal.h.
 */
#ifndef _SBULL_H
#define _SBULL_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/hrtimer.h>
#include <linux/llist.h>
#include <linux/types.h>

#include "sbull_compat.h"
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
struct sbull_cache;

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
 * @cache_kb: the volatile write cache's size in KiB; 0 for none
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
	unsigned int cache_kb;
};

/**
 * struct sbull_mirror_io - a write on its way to the legs
 * @node: on the mirror's @pending, @deferred or @held list
 * @dev: the sbull device
 * @opf: operation and flags for the legs (REQ_PREFLUSH, REQ_FUA)
 * @sector: first sector of the write, in the store
 * @nr_sectors: its length; 0 for an empty flush
 * @ioprio: the I/O priority of the original I/O, passed on to dm-io
 * @legs: the slots the write was sent to
 * @end_io: ends the original bio or request
 *
 * The hand-off between the request paths and the mirror (sbull_end.c):
 * blk-mq modes keep it in the request's PDU; bio mode takes it from a pool.
 */
struct sbull_mirror_io {
	struct llist_node node;
	struct sbull_dev *dev;
	blk_opf_t opf;
	sector_t sector;
	unsigned int nr_sectors;
	unsigned short ioprio;
	unsigned long legs;
	void (*end_io)(struct sbull_mirror_io *mio, blk_status_t status);
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
 * @wait: a request waiting for the mirror to read back its part of the store
 * @timer: ends the request after an injected delay
 * @status: how the request ended, for @timer or ->poll()
 * @deadline: a polled request: when ->poll() may end it
 * @on_poll_list: a polled request, done, waits on its queue's poll_list;
 *		  under its poll_lock
 */
struct sbull_cmd {
	struct sbull_mirror_io mio;
	struct sbull_wait wait;
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
 * @cache: the volatile write cache, see sbull_cache.h; or NULL
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
	struct sbull_mirror *mirror;
	struct sbull_inject *inject;
	struct sbull_cache *cache;
	atomic_t delayed;
	int index;
	bool claimed;
};

/* The sbull device of a disk's struct device, for its sysfs files. */
static inline struct sbull_dev *sbull_dev_of(struct device *ddev)
{
	return dev_to_disk(ddev)->private_data;
}

static inline const char *sbull_name(struct sbull_dev *dev)
{
	return dev->disk->disk_name;
}

static inline sector_t sbull_store_sectors(struct sbull_dev *dev)
{
	return dev->size >> SECTOR_SHIFT;
}

static inline unsigned int sbull_block_size(struct sbull_dev *dev)
{
	return queue_logical_block_size(dev->disk->queue);
}

/* sbull_disk.c: one disk, made and removed */
extern const char * const sbull_mode_names[];
int sbull_check_mode(const char *where, const char *val,
		     enum sbull_mode *mode);
int sbull_check_hardsect_size(const char *where, unsigned long n);
int sbull_check_nr_hw_queues(const char *where, unsigned long n);
int sbull_check_queue_depth(const char *where, unsigned long n);
int sbull_check_poll_queues(const char *where, unsigned long n);
void sbull_disk_init(int major);
struct sbull_dev *sbull_disk_setup(const struct sbull_config *cfg,
				   const char *where);
int sbull_disk_add(struct sbull_dev *dev);
void sbull_disk_free(struct sbull_dev *dev);
struct sbull_dev *sbull_disk_create(const struct sbull_config *cfg,
				    const char *where);
int sbull_disk_remove(struct sbull_dev *dev);

/* sbull_configfs.c */
int sbull_configfs_init(const struct sbull_config *defaults);
void sbull_configfs_exit(void);

/* sbull_xfer.c */
bool sbull_in_range(const struct sbull_dev *dev, sector_t sector,
		    unsigned int nr_sectors);
void sbull_xfer_segment(struct sbull_dev *dev, sector_t sector,
			const struct bio_vec *bvec, bool write);
blk_status_t sbull_do_nodata(struct sbull_dev *dev, enum req_op op,
			     sector_t sector, unsigned int nr_sectors);

/* sbull_queue.c */
extern const struct block_device_operations sbull_bio_fops;
extern const struct block_device_operations sbull_mq_fops;
extern const struct blk_mq_ops sbull_mq_ops;
extern const struct blk_mq_ops sbull_simple_ops;

/* sbull_end.c */
struct sbull_bio_io;
int sbull_end_init(void);
void sbull_end_exit(void);
struct sbull_bio_io *sbull_bio_io_alloc(struct bio *bio);
bool sbull_bio_waits(struct sbull_dev *dev, struct bio *bio);
bool sbull_rq_waits(struct sbull_dev *dev, struct request *rq);
void sbull_bio_end(struct sbull_dev *dev, struct bio *bio,
		   struct sbull_bio_io *bio_io, bool mirrored);
void sbull_end_request(struct blk_mq_hw_ctx *hctx, struct sbull_dev *dev,
		       struct request *rq, bool mirrored, blk_status_t status);
int sbull_hwqs_alloc(struct sbull_dev *dev);
int sbull_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob);
enum blk_eh_timer_return sbull_timeout(struct request *rq);
int sbull_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
		    unsigned int hctx_idx);
int sbull_init_request(struct blk_mq_tag_set *set, struct request *rq,
		       unsigned int hctx_idx, sbull_numa_node_t numa_node);
void sbull_map_queues(struct blk_mq_tag_set *set);

#endif /* _SBULL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A volatile write cache, as a drive has one, and power cuts on command
 * (cache_kb; docs/admin-guide.md, "The write cache and power cuts").
 *
 * A write lands in the store, readable at once, but is not yet durable
 * until a flush, or FUA on the write itself, makes it so. The cache keeps
 * what a cut must undo, not what was written: the durable contents of each
 * logical block written since it was last made durable, in a cache line
 * of 4 KiB (a page, as a drive's cache has lines larger than a sector),
 * taken from a pool allocated with the disk. An aligned 4 KiB write into
 * a line with nothing at risk costs one look-up and one copy, whatever the
 * block size; a write into a block already in the cache copies nothing
 * more. When the pool is full, the oldest line
 * is made durable (destaged), as a drive destages.
 *
 * A cut puts back the durable contents of the blocks it loses, chosen by
 * a policy: all of them; whole writes at random; or blocks at random (a
 * write torn at the logical block size, the unit a drive writes whole).
 * The same seed and the same cache give the same state, whether it is
 * applied to the disk (a cut) or to a copy on another sbull disk (a crash
 * state), so that a failing state can be had again.
 *
 * The request paths call the inline checks below, which cost one load and
 * a branch without a cache; the rest is in sbull_cache.c.
 */
#ifndef _SBULL_CACHE_H
#define _SBULL_CACHE_H

#include <linux/blk_types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "sbull.h"

/* 1 GiB of blocks not yet durable: more than any drive's cache. */
#define SBULL_MAX_CACHE_KB	1048576

/**
 * enum sbull_cut_policy - which blocks not yet durable a cut loses
 * @SBULL_CUT_ALL: every one
 * @SBULL_CUT_RANDOM: each write, whole, lost or kept by the seed; a block
 *	follows the last write into it
 * @SBULL_CUT_TORN: each block lost or kept by the seed: a write may
 *	survive in part, a logical block at a time
 */
enum sbull_cut_policy {
	SBULL_CUT_ALL,
	SBULL_CUT_RANDOM,
	SBULL_CUT_TORN,
};

/* Why blocks became durable, for the tracepoint sbull_cache_durable. */
enum sbull_durable_why {
	SBULL_DURABLE_FLUSH,
	SBULL_DURABLE_FUA,
	SBULL_DURABLE_DESTAGE,
};

/* A cache line: 4 KiB of the store, a whole number of logical blocks. */
#define SBULL_CACHE_LINE_SHIFT	12

struct sbull_cache_line;

/**
 * struct sbull_cache - the blocks of a disk not yet durable
 * @lock: guards everything below but the counters' reads; taken with
 *	interrupts off, as a request path may run in any context
 * @block_shift: log2 of the logical block size: the unit a cut keeps or
 *	loses
 * @line_blocks: logical blocks per line
 * @nr_slots: lines the cache holds at most (cache_kb / 4, at most the
 *	store's lines)
 * @lines: one per slot
 * @slots: the durable contents, @nr_slots lines
 * @write_nr: per block of each slot, the number of the last write into it
 * @free: lines not in use
 * @dirty: lines in use, oldest first
 * @hash: @dirty by line number
 * @hash_bits: log2 of @hash's size
 * @nr_used: lines on @dirty
 * @nr_dirty: blocks not yet durable, in those lines
 * @next_write: the number the next write caching a block gets
 * @nr_writing: writes numbered and not yet done, between two batches
 * @off: a cut took the power: every I/O fails until "on"
 * @ignore_flush: a fault for tests: flushes end with nothing made durable
 * @writes: writes that cached a block
 * @flushes: flushes that reached the disk
 * @fua: FUA writes
 * @durable: blocks made durable by a flush or FUA
 * @destaged: blocks made durable because the cache was full
 * @cuts: cuts taken
 * @lost: blocks the cuts lost
 */
struct sbull_cache {
	spinlock_t lock;		/* irqs off: see above */
	unsigned int block_shift;
	unsigned int line_blocks;
	unsigned int nr_slots;
	struct sbull_cache_line *lines;
	u8 *slots;
	u64 *write_nr;
	struct list_head free;
	struct list_head dirty;
	struct hlist_head *hash;
	unsigned int hash_bits;
	unsigned int nr_used;
	unsigned int nr_dirty;
	u64 next_write;
	unsigned int nr_writing;
	bool off;
	bool ignore_flush;
	u64 writes;
	u64 flushes;
	u64 fua;
	u64 durable;
	u64 destaged;
	u64 cuts;
	u64 lost;
};

/* sbull_cache.c */
extern const struct attribute_group sbull_cache_attr_group;
int sbull_check_cache_kb(const char *where, unsigned long kb,
			 const char *legs);
int sbull_cache_setup(struct sbull_dev *dev, unsigned int kb,
		      const char *where);
void sbull_cache_free(struct sbull_dev *dev);
void sbull_cache_io(struct sbull_dev *dev, blk_opf_t opf, sector_t sector,
		    unsigned int nr_sectors);

/**
 * sbull_cache_off - is the disk's power cut?
 * @dev: the sbull device
 *
 * Return: true if every I/O must fail, as on a drive without power.
 */
static inline bool sbull_cache_off(struct sbull_dev *dev)
{
	return dev->cache && READ_ONCE(dev->cache->off);
}

/**
 * sbull_cache_before - the cache hears of an I/O before the store changes
 * @dev: the sbull device
 * @opf: the I/O's operation and flags (REQ_PREFLUSH, REQ_FUA)
 * @sector: its first sector
 * @nr_sectors: its length
 *
 * Any context. A flush makes what was written before it durable; a write
 * saves the durable contents of the blocks it is the first to change.
 */
static inline void sbull_cache_before(struct sbull_dev *dev, blk_opf_t opf,
				      sector_t sector, unsigned int nr_sectors)
{
	/* A read changes nothing: it takes no lock. */
	if (dev->cache && (opf & REQ_OP_MASK) != REQ_OP_READ)
		sbull_cache_io(dev, opf, sector, nr_sectors);
}

#endif /* _SBULL_CACHE_H */

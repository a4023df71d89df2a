/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mirror: each sbull store kept on up to eight "legs", regions of other
 * block devices, through the kernel's dm-io engine.
 *
 * sbull_mirror.c carries the writes to the legs and takes failed legs out
 * of service; the sbull_leg*.c files (see sbull_leg.h) open and check
 * legs, keep their on-disk headers, restore and resync the store and take
 * commands in sysfs. This file is what the rest of the driver sees.
 *
 * Locking and context
 *
 * Lock order: @config, then sbull_leg.c's list of open legs, then
 * @bitmap_lock, then @lock. The walk of what a leg to add is built from
 * (sbull_leg_stack.c) looks up paths on any file system: it runs before
 * @config is taken.
 * - @lock, a spinlock taken with interrupts off (the notify callback may
 *   run in interrupt context): the legs' states, the resync window, the
 *   failed/resynced/behind bookkeeping, entry to @held. Nothing sleeps
 *   under it.
 * - @config, a mutex: the set of legs (add, remove, resync commands, the
 *   event work), every header write, @generation, @epoch and @history,
 *   @started, and the legs' paths for sysfs.
 * - @bitmap_lock, a mutex: the write-intent bitmap (@bits, @touched) and
 *   every write of a leg's header block, header or bits (sbull_bitmap.c).
 *   The issue worker takes it alone, never with @config.
 * - @resync_bits and @partial_legs are under @lock (the load sets them
 *   before any I/O). @writes, @touched and @bits are changed atomically:
 *   the issue worker reads @bits without @bitmap_lock (sbull_bitmap.c).
 *   @writes also counts the blocks write-back mode holds dirty in RAM.
 * - Write-back mode's @wb.dirty and @wb.nr_dirty are changed atomically by
 *   the request paths, and taken by the flusher alone (sbull_writeback.c);
 *   @wb.on changes with the queue frozen.
 * - Read without a lock on the data path: @nr_legs, @no_leg_left,
 *   @no_complete_copy and @behind (READ_ONCE; a write that races a change
 *   is sorted out under @lock when it is sent to the legs, or held). A leg's @bdev stays open
 *   while writes are in flight to it (@inflight).
 *
 * Contexts:
 * - sbull_mirror_write(): the request paths, any context but interrupt;
 *   it only queues. @issue_work, on @wq, calls dm_io() for the queued
 *   writes, one work item so writes never wait behind the rest; it waits
 *   only for the bitmap write of a region turning dirty.
 * - sbull_mirror_endio(): dm-io's notify callback, any context (interrupt
 *   context with most legs; process context with brd): never sleeps.
 * - @event_work, on @event_wq: headers, uevents, ending held writes;
 *   @bitmap_work, on @event_wq too: clearing idle regions;
 *   @resync_work, on @resync_wq: the copy to resyncing legs.
 * - Before add_disk(): sbull_legs_assemble(), sbull_legs_restore() and
 *   sbull_legs_start(), with no I/O possible. After del_gendisk():
 *   sbull_legs_stop().
 */
#ifndef _SBULL_MIRROR_H
#define _SBULL_MIRROR_H

#include <linux/bitops.h>
#include <linux/blk_types.h>
#include <linux/dm-io.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

struct sbull_dev;

#define SBULL_MAX_LEGS		8
/* A leg region: this header, then the store. 4 KiB suits any block size. */
#define SBULL_HDR_SECTORS	8
/* Past epochs in each leg's header: a leg away longer cannot be placed. */
#define SBULL_HISTORY		64
/* The write-intent bitmap: the header block's last 3 KiB, a bit a region. */
#define SBULL_BITMAP_OFFSET	1024
#define SBULL_BITMAP_MAX_REGIONS	(3 * 1024 * BITS_PER_BYTE)
/* Write-back mode: writes in flight from the flusher at once. */
#define SBULL_WB_BATCH		16

enum sbull_leg_state {
	SBULL_LEG_UNUSED = 0,	/* free slot */
	SBULL_LEG_IN_SYNC,	/* holds the store; every write goes to it */
	SBULL_LEG_RESYNCING,	/* being copied from the store */
	SBULL_LEG_FAILED,	/* took an I/O error; written no more */
	SBULL_LEG_OFFLINE,	/* being removed or readied for a resync */
};

/**
 * struct sbull_leg - one region of another block device holding the store
 * @state: see enum sbull_leg_state; changed under the mirror's @lock
 * @bdev: the block device, opened exclusively for sbull
 * @handle: what the open returned, for the close (see sbull_compat.h)
 * @path: the device as the user named it
 * @start: first sector of the region; the header is there
 * @inflight: writes in flight to the leg, waited for before it is closed
 * @errors: failed I/Os to the leg
 * @generation: the generation last written to the leg's header
 * @block: the leg's header block as last read or written: the header,
 *	then the bitmap (sbull_leg_header.c); under @bitmap_lock
 * @dev: the sbull device it belongs to
 * @node: on the list of all open legs, to refuse overlapping ones
 */
struct sbull_leg {
	enum sbull_leg_state state;
	struct block_device *bdev;
	void *handle;
	char *path;
	sector_t start;
	atomic_t inflight;
	unsigned int errors;
	u64 generation;
	void *block;
	struct sbull_dev *dev;
	struct list_head node;
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
 * blk-mq modes keep it in the request's PDU; bio mode allocates it.
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
 * struct sbull_wb - write-back mode: the store ahead of the legs
 * @on: the disk is in write-back mode; changed with the queue frozen
 * @dirty: a bit per block of the store written and not yet handed to the
 *	legs; set by the request paths, taken by the flusher (sbull_writeback.c)
 * @taken: the bits the running pass took, the flusher's alone
 * @nr_blocks: bits in @dirty
 * @nr_dirty: bits set in @dirty, about: a bit is counted after it is set
 * @waiters: flushes, FUA writes and writes over the dirty limit, ended by
 *	the flusher's next pass
 * @wq: runs @work, the flusher ("sbullX_writeback")
 * @work: the flusher's pass
 * @io: the flusher's writes to the legs, a batch at a time
 * @inflight: of @io, those the legs have not ended
 * @status: the first error of the pass
 * @switching: serialises the switches of @on
 */
struct sbull_wb {
	bool on;
	unsigned long *dirty;
	unsigned long *taken;
	unsigned long nr_blocks;
	atomic_long_t nr_dirty;
	struct llist_head waiters;
	struct workqueue_struct *wq;
	struct delayed_work work;
	struct sbull_mirror_io io[SBULL_WB_BATCH];
	atomic_t inflight;
	blk_status_t status;
	struct mutex switching;		/* the mode; sleeps */
};

/**
 * struct sbull_mirror - the legs of one sbull device
 * @legs: the slots, as numbered in sysfs
 * @nr_legs: slots in use, failed legs included; 0 is a plain RAM disk
 * @no_leg_left: legs failed and none is left in service: writes fail
 * @no_complete_copy: no leg is in sync, some failed or resync: flushes and
 *	FUA writes wait for a resync, or fail without one
 * @behind: an in-sync leg left service and the headers do not say so yet:
 *	completed writes are held
 * @changes: counts the in-sync legs leaving service, for @behind
 * @lock: protects leg states, the resync window, @failed, @resynced,
 *	@behind, @changes and entry to @held (taken in interrupt context by
 *	the dm-io notify callback)
 * @config: serialises changes of the leg set and header writes
 * @client: dm-io's mempools for this device; NULL until the first leg
 * @wq: runs @issue_work, alone, so that writes never queue behind the rest
 *	("sbullX_mirror")
 * @event_wq: runs @event_work ("sbullX_events"), which ends held writes
 * @resync_wq: runs @resync_work ("sbullX_resync"), never in @event_wq's way
 * @pending: writes handed over by the request paths, newest first
 * @deferred: writes that overlap the range being resynced, and flushes
 *	waiting for a resync to make a complete copy
 * @held: completed writes held while @behind
 * @issue_work: sends @pending to the legs with dm_io()
 * @failed: legs failed since @event_work last ran
 * @resynced: legs whose resync finished since @event_work last ran
 * @event_work: logs failures, raises uevents, writes headers
 * @resync_work: copies the store to resyncing legs
 * @resync_legs: legs the running resync pass copies to
 * @resync_lo: the resync pass has copied everything below this sector
 * @resync_hi: and is copying up to this one
 * @resync_stop: asks the running resync pass to stop
 * @uuid: the mirror set's identity, in every leg's header
 * @generation: bumped at each load and leg set change
 * @epoch: the identity of this generation, random; 0 before the first
 * @history: the epochs before it, newest first (SBULL_HISTORY)
 * @started: headers are being written (sbull_legs_start() ran)
 * @source: the leg the store is restored from at load, or -1
 * @bitmap_lock: the bitmap, and the writes of the legs' header blocks
 * @bits: the write-intent bitmap: regions where the in-sync legs may
 *	differ, on the legs (or being written there) before a write goes there
 * @touched: regions written since @bitmap_work last looked
 * @writes: per region, the writes marked and not yet ended
 * @resync_bits: the regions the crash resync copies to @partial_legs
 * @partial_legs: resyncing legs that need only @resync_bits: same epoch as
 *	the store, crashed with it
 * @region_shift: a region is 1 << @region_shift sectors
 * @nr_regions: bits in the bitmaps
 * @regions_resynced: regions copied by resync passes since the load
 * @bitmap_work: clears the bits of idle regions
 * @outstanding: writes handed to sbull_mirror_queue() that the legs have
 *	not answered yet: pending, deferred or in flight
 * @wb: write-back mode
 */
struct sbull_mirror {
	struct sbull_leg legs[SBULL_MAX_LEGS];
	unsigned int nr_legs;
	bool no_leg_left;
	bool no_complete_copy;
	bool behind;
	unsigned int changes;
	spinlock_t lock;		/* the states; irq-safe */
	struct mutex config;		/* the leg set; sleeps */
	struct dm_io_client *client;
	struct workqueue_struct *wq;
	struct workqueue_struct *event_wq;
	struct workqueue_struct *resync_wq;
	struct llist_head pending;
	struct llist_head deferred;
	struct llist_head held;
	struct work_struct issue_work;
	unsigned long failed;
	unsigned long resynced;
	struct work_struct event_work;
	struct work_struct resync_work;
	unsigned long resync_legs;
	sector_t resync_lo;
	sector_t resync_hi;
	bool resync_stop;
	uuid_t uuid;
	u64 generation;
	u64 epoch;
	u64 history[SBULL_HISTORY];
	bool started;
	int source;
	struct mutex bitmap_lock;	/* the bits on the legs; sleeps */
	unsigned long *bits;
	unsigned long *touched;
	atomic_t *writes;
	unsigned long *resync_bits;
	unsigned long partial_legs;
	unsigned int region_shift;
	unsigned int nr_regions;
	u64 regions_resynced;
	struct delayed_work bitmap_work;
	atomic_t outstanding;
	struct sbull_wb wb;
};

/* The slots of @legs whose region's bit is set in dm-io's @error bitset. */
static inline unsigned long sbull_failed_legs(unsigned long legs,
					      unsigned long error)
{
	unsigned long failed = 0;
	unsigned int slot, region = 0;

	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		if (error & BIT(region++))
			failed |= BIT(slot);
	return failed;
}

/* A leg that takes writes: in sync, or being copied to. */
static inline bool sbull_leg_in_service(const struct sbull_leg *leg)
{
	return leg->state == SBULL_LEG_IN_SYNC ||
	       leg->state == SBULL_LEG_RESYNCING;
}

/* Store sectors [@sector, @sector + @count) on @leg: past its header. */
static inline struct dm_io_region sbull_leg_region(const struct sbull_leg *leg,
						   sector_t sector,
						   sector_t count)
{
	return (struct dm_io_region) {
		.bdev	= leg->bdev,
		.sector	= leg->start + SBULL_HDR_SECTORS + sector,
		.count	= count,
	};
}

/* Does the device have legs? Read without a lock on the data path. */
static inline bool sbull_mirrored(struct sbull_mirror *m)
{
	return READ_ONCE(m->nr_legs);
}

/* sbull_mirror.c */
void sbull_mirror_init(struct sbull_dev *dev);
int sbull_mirror_open(struct sbull_dev *dev);
void sbull_mirror_destroy(struct sbull_dev *dev);
bool sbull_mirror_takes(struct sbull_dev *dev, enum req_op op);
void sbull_mirror_begin(struct sbull_dev *dev, sector_t sector,
			unsigned int nr_sectors);
blk_status_t sbull_mirror_may_write(struct sbull_dev *dev, enum req_op op);
void sbull_mirror_write(struct sbull_mirror_io *mio);
void sbull_mirror_queue(struct sbull_mirror_io *mio);
void sbull_mirror_drain(struct sbull_mirror *m);
bool sbull_mio_durable(const struct sbull_mirror_io *mio);
void sbull_mirror_endio(unsigned long error, void *context);
unsigned long sbull_legs_in(struct sbull_mirror *m, enum sbull_leg_state state);
unsigned long sbull_legs_in_service(struct sbull_mirror *m);
void sbull_mirror_set_state(struct sbull_mirror *m, unsigned int slot,
			    enum sbull_leg_state state);
void sbull_mirror_fail_legs(struct sbull_mirror *m, unsigned long legs);
void sbull_mirror_resume_deferred(struct sbull_mirror *m);
void sbull_mirror_end_held(struct sbull_mirror *m);
void sbull_mirror_headers_written(struct sbull_mirror *m,
				  unsigned int changes);
void sbull_mirror_wait_idle(struct sbull_mirror *m, unsigned int slot);

/* sbull_leg.c */
int sbull_legs_parse(int ndevices);
char *sbull_legs_param(const char *name);
bool sbull_legs_init_param(void);
int sbull_legs_assemble(struct sbull_dev *dev, const char *list, bool init,
			const char *where);
void sbull_legs_start(struct sbull_dev *dev);
void sbull_legs_stop(struct sbull_dev *dev);
void sbull_legs_event_work(struct work_struct *work);

/* sbull_leg_resync.c */
int sbull_legs_restore(struct sbull_dev *dev);
void sbull_resync_work(struct work_struct *work);

/* sbull_leg_sysfs.c */
extern const struct attribute_group sbull_mirror_attr_group;

/* sbull_writeback.c */
int sbull_wb_parse(int ndevices);
void sbull_wb_init(struct sbull_dev *dev);
int sbull_wb_alloc(struct sbull_dev *dev);
void sbull_wb_free(struct sbull_mirror *m);
void sbull_wb_write(struct sbull_mirror_io *mio);
void sbull_wb_drain(struct sbull_mirror *m);
void sbull_wb_set(struct sbull_dev *dev, bool on);
unsigned long sbull_wb_dirty_kb(struct sbull_mirror *m);

/* sbull_bitmap.c */
int sbull_bitmap_parse(void);
int sbull_bitmap_alloc(struct sbull_dev *dev);
void sbull_bitmap_free(struct sbull_mirror *m);
void sbull_bitmap_begin(struct sbull_mirror *m, sector_t sector,
			unsigned int nr_sectors);
void sbull_bitmap_end(struct sbull_mirror *m, sector_t sector,
		      unsigned int nr_sectors);
void sbull_bitmap_mark(struct sbull_mirror *m, struct llist_node *list);
void sbull_bitmap_cover(struct sbull_mirror *m, sector_t pos, sector_t n);
void sbull_bitmap_hold(struct sbull_mirror *m, sector_t sector);
void sbull_bitmap_release(struct sbull_mirror *m, sector_t sector);
void sbull_bitmap_work(struct work_struct *work);
void sbull_bitmap_stop(struct sbull_mirror *m);
unsigned int sbull_bitmap_dirty(struct sbull_mirror *m);
void sbull_bitmap_export(struct sbull_mirror *m, void *area);
void sbull_bitmap_import(struct sbull_mirror *m, const void *area);
void sbull_bitmap_resync_add(struct sbull_mirror *m,
			     const struct sbull_mirror_io *mio);
bool sbull_bitmap_resync_wants(struct sbull_mirror *m, sector_t pos,
			       sector_t n);

#endif /* _SBULL_MIRROR_H */

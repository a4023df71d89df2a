/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the mirror's own files share; the rest of the driver sees the mirror
 * through sbull_mirror.h only.
 *
 * The layers, from the top down. CALLS GO DOWN ONLY: a file calls the
 * files below it, never one above. A lower layer tells an upper one what
 * happened through the callback the mirror set registers at init
 * (struct sbull_mirror's @changed), as dm-raid1 hears from dm-region-hash
 * and dm-kcopyd; it never calls up.
 *
 *   sbull_mirror_sysfs.c   /sys/block/sbullX/mirror/: reads, commands
 *   sbull_mirror_set.c     the mirror set: parameters, assembly, start, stop,
 *                          the event work, commits, the legs commands,
 *                          and the door the request paths knock at
 *   sbull_resync.c         copies of the store to resyncing legs
 *   sbull_writeback.c      write-back mode: dirty blocks, the flusher
 *   sbull_writethrough.c   the engine: writes to the legs with dm_io()
 *   sbull_bitmap.c         the write-intent bitmap, written through the
 *                          header layer
 *   sbull_header.c         the on-disk header: encode, decode, read,
 *                          write, and which leg a load restores from
 *   sbull_refill.c         the store read back from a leg after the
 *                          load, while the disk serves I/O
 *   sbull_leg.c            one leg: open, check, close, I/O, its state,
 *   sbull_leg_stack.c      its failure; what a leg is built on
 *
 * The writeback and resync layers stand side by side: neither calls the
 * other. The refill sits low, for the engine and the resync to ask it
 * whether the store is whole.
 * A function whose name starts with "__" wants its caller to hold
 * the lock its comment names (lockdep_assert_held() says which).
 *
 * Locking and context: the table at the top of sbull.h.
 */
#ifndef _SBULL_MIRROR_INTERNAL_H
#define _SBULL_MIRROR_INTERNAL_H

#include <linux/bitops.h>
#include <linux/dm-io.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

#include "sbull.h"

/* Past epochs in each leg's header: a leg away longer cannot be placed. */
#define SBULL_HISTORY		64
/* Write-back mode: writes in flight from the flusher at once. */
#define SBULL_WB_BATCH		16
/* The refill's reads in flight at once, on demand and in the background. */
#define SBULL_REFILL_READS	8

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
 *	then the bitmap (sbull_header.c); under @bitmap_lock
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
 * struct sbull_wb - write-back mode: the store ahead of the legs
 * @on: the disk is in write-back mode; changed with the queue frozen
 * @dirty: a bit per block of the store written and not yet handed to the
 *	legs; set by the request paths, taken by the flusher
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

struct sbull_refill;

/**
 * struct sbull_refill_read - one read of the refill, from a leg into the store
 * @refill: the refill it belongs to
 * @first: its first region
 * @nr: its regions
 * @slot: the leg it reads
 * @on_demand: an I/O waits for it; else the background pass's
 */
struct sbull_refill_read {
	struct sbull_refill *refill;
	unsigned long first;
	unsigned long nr;
	unsigned int slot;
	bool on_demand;
};

/**
 * struct sbull_refill - the store read back from a leg while the disk serves
 * @active: regions are not refilled yet; read without a lock by the
 *	request paths (acquire), cleared once every one is (release); stays
 *	set if the refill is lost or stopped
 * @lost: no leg in sync is left to read the rest from: I/O to it fails;
 *	set under @lock, read without it too
 * @stop: the disk goes: nothing more is read, the bits are freed; set
 *	under @lock, read without it too
 * @lock: @lost, @stop and the fields from @filled to @waiting (taken in
 *	interrupt context by dm-io's callback)
 * @filled: a bit per region read into the store; never cleared
 * @busy: a bit per region being read
 * @nr_regions: bits in @filled and @busy
 * @nr_filled: bits set in @filled
 * @next: where the background pass looks for the next region to read
 * @background: the background pass's reads in flight
 * @demand: reads in flight that I/Os wait for
 * @free_reads: the slots of @reads free, a bitmap
 * @reads: the reads, made ready once: none is allocated per read
 * @inflight: reads in flight, waited for by sbull_refill_stop()
 * @waiting: I/Os waiting for regions, struct sbull_wait
 * @source: the leg last read from; the worker's
 * @on_demand: regions read because an I/O waited for them; under @lock
 * @start: when the refill started
 * @wq: runs @work ("sbullX_refill")
 * @work: issues the reads, sends the I/Os whose regions came on again
 */
struct sbull_refill {
	bool active;
	bool lost;
	bool stop;
	spinlock_t lock;		/* the bits, the waiters; irq-safe */
	unsigned long *filled;
	unsigned long *busy;
	unsigned long nr_regions;
	unsigned long nr_filled;
	unsigned long next;
	unsigned int background;
	unsigned int demand;
	unsigned long free_reads;
	struct sbull_refill_read reads[SBULL_REFILL_READS];
	atomic_t inflight;
	struct list_head waiting;
	int source;
	unsigned long on_demand;
	ktime_t start;
	struct workqueue_struct *wq;
	struct work_struct work;
};

/**
 * struct sbull_mirror - the legs of one sbull device
 * @dev: the sbull device
 * @legs: the slots, as numbered in sysfs
 * @nr_legs: slots in use, failed legs included; 0 is a plain RAM disk
 * @no_leg_left: legs failed and none is left in service: writes fail
 * @no_complete_copy: no leg is in sync, some failed or resync: flushes and
 *	FUA writes wait for a resync, or fail without one
 * @behind: an in-sync leg left service and the headers do not say so yet:
 *	completed writes are held
 * @changes: counts the in-sync legs leaving service, for @behind
 * @changed: the mirror set's wake-up (sbull_mirror_set.c), registered at init: a
 *	lower layer calls it when a leg failed, a resync ended or a write is
 *	held, never more (the mirror's layers call down only)
 * @lock: the legs' states, the resync window, @failed, @resynced,
 *	@behind, @changes and entry to @held (taken in interrupt context by
 *	the dm-io notify callback)
 * @config: serialises changes of the leg set and header writes
 * @client: dm-io's mempools for this device; NULL until the first leg
 * @wq: runs @issue_work, alone, so that writes never queue behind the rest
 *	("sbullX_mirror")
 * @event_wq: runs @event_work ("sbullX_events"), which ends held writes,
 *	and @bitmap_work
 * @resync_wq: runs @resync_work ("sbullX_resync"), never in @event_wq's way
 * @pending: writes handed over by the request paths, newest first
 * @deferred: writes that overlap the range being resynced, and flushes
 *	waiting for a resync to make a complete copy
 * @held: completed writes held while @behind
 * @issue_work: sends @pending to the legs with dm_io()
 * @failed: legs failed since @event_work last ran
 * @resynced: legs whose resync finished since @event_work last ran
 * @refill_ended: the refill ended since @event_work last ran, done (a
 *	resync may start) or lost (a flush waiting for a resync must fail)
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
 * @hdr: the header the commits write, made ready with the mirror: a
 *	commit that could not allocate it would fail every leg
 * @started: headers are being written (sbull_mirror_start() ran)
 * @source: the leg the store is restored from at load, or -1
 * @bitmap_lock: the bitmap, and the writes of the legs' header blocks
 * @bits: the write-intent bitmap: regions where the in-sync legs may
 *	differ; a bit the issue worker sees set is on the legs, or being
 *	written there by the worker itself
 * @covering: bits sbull_bitmap_cover() is writing, in @bits once written
 * @touched: regions written since @bitmap_work last looked
 * @writes: per region, the writes under way: counted before the store
 *	changes, until the legs have them (sbull_bitmap_begin())
 * @resync_bits: the regions the crash resync copies to @partial_legs
 * @partial_legs: resyncing legs that need only @resync_bits: same epoch as
 *	the store, crashed with it
 * @region_shift: a region is 1 << @region_shift sectors
 * @nr_regions: bits in the bitmaps
 * @regions_resynced: regions copied by resync passes since the load
 * @bitmap_work: clears the bits of idle regions
 * @outstanding: writes handed to sbull_wt_queue() that the legs have
 *	not answered yet: pending, deferred or in flight
 * @wb: write-back mode
 * @refill: the store read back from @source after the load
 */
struct sbull_mirror {
	struct sbull_dev *dev;
	struct sbull_leg legs[SBULL_MAX_LEGS];
	unsigned int nr_legs;
	bool no_leg_left;
	bool no_complete_copy;
	bool behind;
	unsigned int changes;
	void (*changed)(struct sbull_mirror *m);
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
	bool refill_ended;
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
	struct sbull_hdr_info *hdr;
	bool started;
	int source;
	struct mutex bitmap_lock;	/* the bits on the legs; sleeps */
	unsigned long *bits;
	unsigned long *covering;
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
	struct sbull_refill refill;
};

/* ---- the on-disk format (sbull_header.c) ------------------------------ */

/* A leg region: the header block, then the store. 4 KiB suits any block size. */
#define SBULL_HDR_SECTORS	8
#define SBULL_HDR_BYTES		(SBULL_HDR_SECTORS << SECTOR_SHIFT)
#define SBULL_HDR_MAGIC		"SBULLMIR"
#define SBULL_HDR_VERSION	3
/* The write-intent bitmap: the header block's last 3 KiB, a bit a region. */
#define SBULL_BITMAP_OFFSET	1024
#define SBULL_BITMAP_MAX_REGIONS	(3 * 1024 * BITS_PER_BYTE)

/**
 * struct sbull_header - the first sectors of each leg, little endian
 * @magic: SBULL_HDR_MAGIC
 * @version: SBULL_HDR_VERSION
 * @block_size: the logical block size of the sbull disk
 * @store_bytes: the size of the store
 * @uuid: the mirror set
 * @generation: epochs so far, see sbull_header.c
 * @state: enum sbull_hdr_state
 * @v1_crc: version 1 ended here, with the crc32 of the fields before it
 * @epoch: the current epoch; 0 in version 1 headers and resyncing legs
 * @history: the epochs before it, newest first; 0 for none
 * @v2_crc: version 2 ended here
 * @region_sectors: a bit of the bitmap covers this many sectors
 * @crc: crc32 of the fields before it
 *
 * It takes the header block's first 1 KiB, the bitmap the last 3 KiB
 * (SBULL_BITMAP_OFFSET). Versions 1 and 2 have no bitmap: a crash
 * resyncs such a leg whole.
 */
struct sbull_header {
	u8 magic[8];
	__le32 version;
	__le32 block_size;
	__le64 store_bytes;
	u8 uuid[16];
	__le64 generation;
	__le32 state;
	__le32 v1_crc;
	__le64 epoch;
	__le64 history[SBULL_HISTORY];
	__le32 v2_crc;
	__le32 region_sectors;
	__le32 crc;
} __packed;

/* The header's state field. */
enum sbull_hdr_state {
	SBULL_HDR_CLEAN = 1,		/* the set was shut down cleanly */
	SBULL_HDR_DIRTY = 2,		/* in use, or it crashed */
	SBULL_HDR_RESYNCING = 3,	/* a copy in progress: never a source */
};

/**
 * struct sbull_hdr_info - what a leg's header says, decoded and checked
 * @ours: sbull's, for a store of this geometry
 * @sbull: sbull's, whatever the geometry
 * @magic: sbull's magic, whether the rest checks out or not
 * @uuid: the mirror set
 * @generation: epochs so far
 * @state: enum sbull_hdr_state
 * @epoch: the current epoch; 0 in version 1 headers and resyncing legs
 * @history: the epochs before it, newest first
 * @region_sectors: the bitmap's region; 0 in headers without a bitmap
 */
struct sbull_hdr_info {
	bool ours;
	bool sbull;
	bool magic;
	uuid_t uuid;
	u64 generation;
	u32 state;
	u64 epoch;
	u64 history[SBULL_HISTORY];
	u32 region_sectors;
};

/* ---- shared helpers --------------------------------------------------- */

static inline struct sbull_dev *sbull_dev_of_mirror(struct sbull_mirror *m)
{
	return m->dev;
}

/* A leg that takes writes: in sync, or being copied to. */
static inline bool sbull_leg_in_service(const struct sbull_leg *leg)
{
	return leg->state == SBULL_LEG_IN_SYNC ||
	       leg->state == SBULL_LEG_RESYNCING;
}

static inline unsigned int sbull_leg_slot(const struct sbull_leg *leg)
{
	return leg - leg->dev->mirror->legs;
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

/* The slots of @legs whose region's bit is set in dm-io's @error bitset. */
static inline unsigned long sbull_leg_failed_of(unsigned long legs,
						unsigned long error)
{
	unsigned long failed = 0;
	unsigned int slot, region = 0;

	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		if (error & BIT(region++))
			failed |= BIT(slot);
	return failed;
}

/* A write of the engine's is taking leg @slot. */
static inline void sbull_leg_get(struct sbull_mirror *m, unsigned int slot)
{
	atomic_inc(&m->legs[slot].inflight);
}

/* ---- sbull_leg.c: one leg ---------------------------------------------- */
int sbull_leg_parse_region(const char *spec, char **path, sector_t *start);
int sbull_leg_attach(struct sbull_dev *dev, unsigned int slot,
		     const char *what, char *path, sector_t start);
void sbull_leg_close(struct sbull_leg *leg);
int sbull_leg_io(struct sbull_leg *leg, struct dm_io_region *where,
		 blk_opf_t opf, enum dm_io_mem_type type, void *mem);
void sbull_leg_uevent(struct sbull_dev *dev, unsigned int slot,
		      const char *state);
unsigned long __sbull_leg_mask(struct sbull_mirror *m,
			       enum sbull_leg_state state);
unsigned long sbull_leg_mask(struct sbull_mirror *m,
			     enum sbull_leg_state state);
unsigned long __sbull_leg_in_service(struct sbull_mirror *m);
void __sbull_leg_set_state(struct sbull_mirror *m, unsigned int slot,
			   enum sbull_leg_state state);
void sbull_leg_set_state(struct sbull_mirror *m, unsigned int slot,
			 enum sbull_leg_state state);
bool __sbull_leg_fail(struct sbull_mirror *m, unsigned long legs);
void sbull_leg_fail(struct sbull_mirror *m, unsigned long legs);
void sbull_leg_caught_up(struct sbull_mirror *m, unsigned int changes);
unsigned int sbull_leg_changes(struct sbull_mirror *m);
void sbull_leg_put(struct sbull_mirror *m, unsigned long legs);
void sbull_leg_wait_idle(struct sbull_mirror *m, unsigned int slot);

/* sbull_leg_stack.c */
dev_t sbull_leg_stacked_on(dev_t devt, unsigned int major);

/* ---- sbull_header.c: the on-disk header --------------------------------- */
int sbull_header_read(struct sbull_leg *leg, const char *what, bool init,
		      struct sbull_hdr_info *info);
void *sbull_header_bitmap(struct sbull_leg *leg);
void sbull_header_encode(struct sbull_leg *leg,
			 const struct sbull_hdr_info *info);
int sbull_header_write(struct sbull_leg *leg, bool flush);
void sbull_header_of_store(struct sbull_mirror *m, enum sbull_hdr_state state,
			   u64 generation, struct sbull_hdr_info *info);
bool sbull_header_complete(const struct sbull_hdr_info *info);
bool sbull_header_same_epoch(const struct sbull_hdr_info *a,
			     const struct sbull_hdr_info *b);
bool sbull_header_behind(const struct sbull_hdr_info *a,
			 const struct sbull_hdr_info *b);
int sbull_header_pick_source(const struct sbull_hdr_info *info,
			     unsigned int n, int *other);

/* ---- sbull_bitmap.c: the write-intent bitmap ------------------------------ */
int sbull_bitmap_parse(void);
void sbull_bitmap_init(struct sbull_mirror *m);
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
void sbull_bitmap_stop(struct sbull_mirror *m);
unsigned int sbull_bitmap_dirty(struct sbull_mirror *m);
int sbull_bitmap_write_header(struct sbull_mirror *m, unsigned int slot,
			      const struct sbull_hdr_info *info);
void sbull_bitmap_import(struct sbull_mirror *m, unsigned int slot);
void __sbull_bitmap_resync_add(struct sbull_mirror *m,
			       const struct sbull_mirror_io *mio);
bool __sbull_bitmap_resync_wants(struct sbull_mirror *m, sector_t pos,
				 sector_t n);
unsigned int __sbull_bitmap_resync_weight(struct sbull_mirror *m);
void __sbull_bitmap_resync_done(struct sbull_mirror *m);

/* ---- sbull_writethrough.c: writes to the legs with dm_io() ---------------- */
void sbull_wt_init(struct sbull_mirror *m);
void sbull_wt_queue(struct sbull_mirror_io *mio);
void sbull_wt_endio(unsigned long error, void *context);
bool sbull_wt_durable(const struct sbull_mirror_io *mio);
void sbull_wt_resume_deferred(struct sbull_mirror *m);
void sbull_wt_end_held(struct sbull_mirror *m);
void sbull_wt_drain(struct sbull_mirror *m);

/* ---- sbull_writeback.c: write-back mode --------------------------------- */
int sbull_wb_parse(int ndevices);
void sbull_wb_init(struct sbull_dev *dev);
int sbull_wb_alloc(struct sbull_dev *dev);
void sbull_wb_free(struct sbull_mirror *m);
void sbull_wb_write(struct sbull_mirror_io *mio);
void sbull_wb_drain(struct sbull_mirror *m);
void sbull_wb_set(struct sbull_dev *dev, bool on);
unsigned long sbull_wb_dirty_kb(struct sbull_mirror *m);

/* ---- sbull_refill.c: the store read back while the disk serves ----------- */
void sbull_refill_init(struct sbull_mirror *m);
int sbull_refill_start(struct sbull_mirror *m, unsigned int slot);
bool sbull_refill_active(struct sbull_mirror *m);
bool sbull_refill_pending(struct sbull_mirror *m, sector_t sector,
			  unsigned int nr_sectors);
bool sbull_refill_wait(struct sbull_mirror *m, struct sbull_wait *w);
bool sbull_refill_lost(struct sbull_mirror *m, sector_t sector,
		       unsigned int nr_sectors);
bool sbull_refill_is_lost(struct sbull_mirror *m);
int sbull_refill_progress(struct sbull_mirror *m, const char **state);
void sbull_refill_stop(struct sbull_mirror *m);

/* ---- sbull_resync.c: copies of the store to resyncing legs --------------- */
void sbull_resync_init(struct sbull_mirror *m);
void sbull_resync_kick(struct sbull_mirror *m);
void sbull_resync_stop(struct sbull_mirror *m);
unsigned int __sbull_resync_progress(struct sbull_mirror *m,
				     unsigned int slot);

/* ---- sbull_mirror_set.c: the mirror set, for sysfs ------------------------ */
int sbull_mirror_command(struct sbull_dev *dev, char *cmd);
void sbull_mirror_set_mode(struct sbull_dev *dev, bool writeback);

#endif /* _SBULL_MIRROR_INTERNAL_H */

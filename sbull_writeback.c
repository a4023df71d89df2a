// SPDX-License-Identifier: GPL-2.0
/*
 * Write-back mode: a write completes once it is in the store, and a
 * flusher carries it to the legs later. The disk is then what the block
 * layer calls a disk with a volatile write cache
 * (Documentation/block/writeback_cache_control.rst): what a completed
 * REQ_PREFLUSH covers, and a completed REQ_FUA write, is on the legs'
 * media; what was written since the last flush may be lost to a power cut.
 *
 * The store is tracked in blocks of 4 KiB, a bit per block written and not
 * yet handed to the legs (@dirty). One worker, the flusher, takes the bits
 * and writes the runs they make through the engine below
 * (sbull_wt_queue()): the write-intent bitmap, the resync, a leg's failure
 * and the writes held while the headers are behind treat them as any
 * write. This layer calls the engine and the bitmap, never the resync
 * beside it. A pass:
 *   1. takes the I/Os waiting for it: flushes, FUA writes, and writes that
 *      came over the dirty limit;
 *   2. takes every dirty bit and writes the runs they make, at most
 *      SBULL_WB_BATCH in flight, and waits for them;
 *   3. if a flush or FUA write waited, flushes the legs;
 *   4. ends the I/Os it took in 1: flushes and FUA writes with the first
 *      error of 2 and 3.
 * A flush is thus complete only once every block dirty at its arrival is on
 * the legs and the legs are flushed. The flusher runs writeback_ms after a
 * block turns dirty; at once when an I/O waits, or when the dirty amount
 * passes half of writeback_max_mb.
 *
 * The trick: a writer copies into the store, then looks at the block's bit
 * and sets it; the flusher takes the bit, then reads the store. With a
 * full barrier between each one's store and load (smp_mb() in
 * sbull_wb_mark(), xchg() in sbull_wb_take()), at least one sees the
 * other: the flusher reads the new data, or the writer finds the bit clear
 * and sets it for the next pass.
 *
 * The mode changes with the queue frozen, after what the other mode left
 * is on the legs (sbull_wb_set()): a run of the flusher and a write-through
 * write of the same block are never in flight together, where the older
 * could land last.
 *
 * Context: sbull_wb_write(), the request paths, any context but interrupt;
 * it never sleeps. The flusher, on its own workqueue, waits for the legs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/ioprio.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull_compat.h"
#include "sbull_mirror_internal.h"

/* A block of the dirty map: 4 KiB, the page cache's unit of writeback. */
#define SBULL_WB_SHIFT		3
/* The longest run the flusher sends as one write, in blocks: 1 MiB. */
#define SBULL_WB_MAX_RUN	256

static char *writeback[SBULL_MAX_DEVICES];
static int nr_writeback_given;
module_param_array(writeback, charp, &nr_writeback_given, 0444);
MODULE_PARM_DESC(writeback,
		 "Disks in write-back mode, e.g. sbulla,sbullc: writes complete in RAM, flushes wait for the legs");

static unsigned int writeback_ms = 5000;
module_param(writeback_ms, uint, 0444);
MODULE_PARM_DESC(writeback_ms,
		 "Write-back mode: a block is on the legs at most this long after it is written, 100 to 600000 (default 5000)");

static unsigned int writeback_max_mb = 256;
module_param(writeback_max_mb, uint, 0444);
MODULE_PARM_DESC(writeback_max_mb,
		 "Write-back mode: writes wait for the legs above this much dirty data, 1 to 1048576 (default 256)");

/**
 * sbull_wb_parse - check the write-back parameters
 * @ndevices: the number of sbull disks
 *
 * Return: 0, or -EINVAL after one error line naming the bad one.
 */
int sbull_wb_parse(int ndevices)
{
	int i;

	for (i = 0; i < nr_writeback_given; i++) {
		const char *name = writeback[i];

		if (strlen(name) != 6 || strncmp(name, "sbull", 5) ||
		    name[5] < 'a' || name[5] >= 'a' + ndevices) {
			pr_err("writeback=%s: accepted values are the %d disks made at load (sbulla on), comma-separated\n",
			       name, ndevices);
			return -EINVAL;
		}
	}
	if (writeback_ms < 100 || writeback_ms > 600000) {
		pr_err("writeback_ms=%u: accepted values are 100 to 600000\n",
		       writeback_ms);
		return -EINVAL;
	}
	if (writeback_max_mb < 1 || writeback_max_mb > 1048576) {
		pr_err("writeback_max_mb=%u: accepted values are 1 to 1048576\n",
		       writeback_max_mb);
		return -EINVAL;
	}
	return 0;
}

static void sbull_wb_work(struct work_struct *work);

/**
 * sbull_wb_init - set up write-back mode as the parameter asks
 * @dev: the sbull device, whose disk is named; not yet added
 */
void sbull_wb_init(struct sbull_dev *dev)
{
	struct sbull_wb *wb = &dev->mirror->wb;
	int i;

	init_llist_head(&wb->waiters);
	INIT_DELAYED_WORK(&wb->work, sbull_wb_work);
	mutex_init(&wb->switching);
	for (i = 0; i < nr_writeback_given; i++)
		if (!strcmp(writeback[i], sbull_name(dev)))
			wb->on = true;
}

/**
 * sbull_wb_alloc - the dirty map and the flusher, with the first leg
 * @dev: the sbull device
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_wb_alloc(struct sbull_dev *dev)
{
	struct sbull_wb *wb = &dev->mirror->wb;
	sector_t blocks = DIV_ROUND_UP_SECTOR_T(sbull_store_sectors(dev),
						1 << SBULL_WB_SHIFT);

	wb->nr_blocks = blocks;
	/* 4 MiB each for a 128 GiB store: not for kmalloc alone. */
	wb->dirty = kvcalloc(BITS_TO_LONGS(blocks), sizeof(long), GFP_KERNEL);
	wb->taken = kvcalloc(BITS_TO_LONGS(blocks), sizeof(long), GFP_KERNEL);
	/* Writeback may wait on its writes: it must make progress. */
	wb->wq = alloc_workqueue("%s_writeback", WQ_MEM_RECLAIM | WQ_UNBOUND,
				 1, sbull_name(dev));
	if (wb->dirty && wb->taken && wb->wq)
		return 0;
	sbull_wb_free(dev->mirror);
	return -ENOMEM;
}

/**
 * sbull_wb_free - free what sbull_wb_alloc() took
 * @m: the mirror, with no write left (sbull_wb_drain())
 */
void sbull_wb_free(struct sbull_mirror *m)
{
	struct sbull_wb *wb = &m->wb;

	if (wb->wq) {
		cancel_delayed_work_sync(&wb->work);
		destroy_workqueue(wb->wq);
	}
	kvfree(wb->dirty);
	kvfree(wb->taken);
	wb->wq = NULL;
	wb->dirty = NULL;
	wb->taken = NULL;
	atomic_long_set(&wb->nr_dirty, 0);
}

/* The dirty amount at which writes wait, and half of it, in blocks. */
static long sbull_wb_limit(void)
{
	return (long)writeback_max_mb << (20 - SECTOR_SHIFT - SBULL_WB_SHIFT);
}

/*
 * Set the bits of @mio's blocks; return how many were clear. A block
 * turning dirty holds its region in the write-intent bitmap until the
 * flusher's write of it is answered (sbull_bitmap_hold()).
 */
static long sbull_wb_mark(struct sbull_mirror *m,
			  const struct sbull_mirror_io *mio)
{
	unsigned long b = mio->sector >> SBULL_WB_SHIFT;
	unsigned long last = (mio->sector + mio->nr_sectors - 1) >>
			     SBULL_WB_SHIFT;
	struct sbull_wb *wb = &m->wb;
	long news = 0;

	/* The store holds the write: pairs with the xchg() of sbull_wb_take(). */
	smp_mb();
	for (; b <= last; b++) {
		if (test_bit(b, wb->dirty))
			continue;
		/*
		 * Held before the bit is set: once set, the flusher may take
		 * it, write the block and release the hold before the next
		 * line here would have taken it.
		 */
		sbull_bitmap_hold(m, (sector_t)b << SBULL_WB_SHIFT);
		if (test_and_set_bit(b, wb->dirty))
			sbull_bitmap_release(m, (sector_t)b << SBULL_WB_SHIFT);
		else
			news++;
	}
	return news;
}

/**
 * sbull_wb_write - take a write that reached the store, in write-back mode
 * @mio: the write, filled in by the request path
 *
 * Any context but interrupt; never sleeps. The write ends here, unless it
 * must wait for the flusher: a flush or FUA write, or any write while the
 * dirty amount is over the limit.
 */
void sbull_wb_write(struct sbull_mirror_io *mio)
{
	struct sbull_mirror *m = mio->dev->mirror;
	struct sbull_wb *wb = &m->wb;
	long news = 0, dirty;

	if (mio->nr_sectors)
		news = sbull_wb_mark(m, mio);
	/* Its dirty blocks hold its regions now (sbull_bitmap_hold()). */
	sbull_bitmap_end(m, mio->sector, mio->nr_sectors);
	/* The count's cache line is written once a block per pass. */
	dirty = news ? atomic_long_add_return(news, &wb->nr_dirty) :
		       atomic_long_read(&wb->nr_dirty);
	if (sbull_wt_durable(mio) || dirty > sbull_wb_limit()) {
		llist_add(&mio->node, &wb->waiters);
		mod_delayed_work(wb->wq, &wb->work, 0);
		return;
	}
	if (news && dirty > sbull_wb_limit() / 2)
		mod_delayed_work(wb->wq, &wb->work, 0);
	else if (news)
		queue_delayed_work(wb->wq, &wb->work,
				   msecs_to_jiffies(writeback_ms));
	mio->end_io(mio, BLK_STS_OK);
}

/* Take every dirty bit into @taken; what the pass writes. */
static void sbull_wb_take(struct sbull_wb *wb)
{
	unsigned long i, words = BITS_TO_LONGS(wb->nr_blocks);
	long taken = 0;

	for (i = 0; i < words; i++) {
		/* A full barrier: the store is read after the bit is taken. */
		wb->taken[i] = READ_ONCE(wb->dirty[i]) ?
			       xchg(&wb->dirty[i], 0) : 0;
		taken += hweight_long(wb->taken[i]);
	}
	atomic_long_sub(taken, &wb->nr_dirty);
}

/*
 * The end of a flusher's write, in any context: its blocks, whole ones
 * from a block's start (the last one cut at the store's end), are on
 * the legs.
 */
static void sbull_wb_end(struct sbull_mirror_io *mio, blk_status_t status)
{
	struct sbull_mirror *m = mio->dev->mirror;
	struct sbull_wb *wb = &m->wb;
	sector_t s;

	for (s = mio->sector; s < mio->sector + mio->nr_sectors;
	     s += 1 << SBULL_WB_SHIFT)
		sbull_bitmap_release(m, s);
	if (status)
		WRITE_ONCE(wb->status, status);
	if (atomic_dec_and_test(&wb->inflight))
		wake_up_var(&wb->inflight);
}

/* Acquire: @status as the last write's end left it. */
static void sbull_wb_wait(struct sbull_wb *wb)
{
	wait_var_event(&wb->inflight, !atomic_read_acquire(&wb->inflight));
}

/* Send the store's sectors [@sector, @end) to the legs, or a flush. */
static void sbull_wb_send(struct sbull_dev *dev, struct sbull_mirror_io *mio,
			  blk_opf_t opf, sector_t sector, sector_t end)
{
	mio->dev = dev;
	mio->opf = opf;
	mio->sector = sector;
	mio->nr_sectors = end - sector;
	mio->ioprio = IOPRIO_DEFAULT;
	mio->end_io = sbull_wb_end;
	atomic_inc(&dev->mirror->wb.inflight);
	sbull_bitmap_begin(dev->mirror, sector, end - sector);
	sbull_wt_queue(mio);
}

/* Write the runs of @taken to the legs, a batch at a time. */
static void sbull_wb_write_taken(struct sbull_dev *dev)
{
	struct sbull_wb *wb = &dev->mirror->wb;
	sector_t sectors = sbull_store_sectors(dev);
	unsigned long b = 0, end;
	unsigned int n = 0;

	for (;;) {
		b = find_next_bit(wb->taken, wb->nr_blocks, b);
		if (b >= wb->nr_blocks)
			break;
		end = find_next_zero_bit(wb->taken,
					 min(wb->nr_blocks,
					     b + SBULL_WB_MAX_RUN), b);
		if (n == SBULL_WB_BATCH) {
			sbull_wb_wait(wb);
			n = 0;
		}
		sbull_wb_send(dev, &wb->io[n++], REQ_OP_WRITE,
			      (sector_t)b << SBULL_WB_SHIFT,
			      min_t(sector_t, (sector_t)end << SBULL_WB_SHIFT,
				    sectors));
		b = end;
	}
	sbull_wb_wait(wb);
}

/* One pass of the flusher; see the top of the file. */
static void sbull_wb_pass(struct sbull_dev *dev)
{
	struct sbull_wb *wb = &dev->mirror->wb;
	struct llist_node *waiters = llist_del_all(&wb->waiters);
	struct sbull_mirror_io *mio, *next;
	bool flush = false;

	llist_for_each_entry(mio, waiters, node)
		flush |= sbull_wt_durable(mio);
	wb->status = BLK_STS_OK;
	sbull_wb_take(wb);
	sbull_wb_write_taken(dev);
	if (flush) {
		sbull_wb_send(dev, &wb->io[0], REQ_OP_FLUSH, 0, 0);
		sbull_wb_wait(wb);
	}
	/* A write over the limit is in the store: only flushes fail. */
	llist_for_each_entry_safe(mio, next, waiters, node)
		mio->end_io(mio, sbull_wt_durable(mio) ? wb->status :
							 BLK_STS_OK);
}

/* The flusher: a pass, then again in writeback_ms if a block is dirty. */
static void sbull_wb_work(struct work_struct *work)
{
	struct sbull_wb *wb = container_of(to_delayed_work(work),
					   struct sbull_wb, work);
	struct sbull_mirror *m = container_of(wb, struct sbull_mirror, wb);

	sbull_wb_pass(sbull_dev_of_mirror(m));
	if (!llist_empty(&wb->waiters))
		mod_delayed_work(wb->wq, &wb->work, 0);
	else if (atomic_long_read(&wb->nr_dirty) > 0)
		queue_delayed_work(wb->wq, &wb->work,
				   msecs_to_jiffies(writeback_ms));
}

/* Run a pass of the flusher now, and wait for it. Process context. */
static void sbull_wb_pass_now(struct sbull_mirror *m)
{
	mod_delayed_work(m->wb.wq, &m->wb.work, 0);
	flush_delayed_work(&m->wb.work);
}

/**
 * sbull_wb_drain - write everything dirty back, and end every waiting I/O
 * @m: the mirror, set up by its first leg, which takes no new write
 *	(frozen, or deleted)
 *
 * Process context.
 */
void sbull_wb_drain(struct sbull_mirror *m)
{
	struct sbull_wb *wb = &m->wb;

	do {
		sbull_wb_pass_now(m);
	} while (!bitmap_empty(wb->dirty, wb->nr_blocks) ||
		 !llist_empty(&wb->waiters));
}

/**
 * sbull_wb_set - switch a disk to write-back mode, or back
 * @dev: the sbull device
 * @on: true for write-back, false for write-through
 *
 * With the queue frozen, what the current mode has in flight reaches the
 * legs first: the flusher's dirty blocks, or the write-through writes of a
 * bio-based disk, which a frozen queue does not wait for. Only once the
 * mirror is set up (a first leg came): whether it is, is looked at with
 * the queue frozen, as a first leg freezes it too before its first write
 * (sbull_mirror_set_nr_legs()); one that comes meanwhile takes no write
 * before the switch is done.
 *
 * Context: process context (sysfs, through the mirror set); not under
 * @config, as the writes waited for may be held until the event work,
 * which takes it.
 */
void sbull_wb_set(struct sbull_dev *dev, bool on)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned int memflags;
	bool legs;

	mutex_lock(&m->wb.switching);
	if (m->wb.on == on)
		goto out;
	/* Most of it before the freeze, which stops reads too. */
	if (!on && smp_load_acquire(&m->client))
		sbull_wb_pass_now(m);
	memflags = sbull_freeze_queue(dev->disk->queue);
	/* Pairs with sbull_mirror_open(): the client is set up last. */
	legs = smp_load_acquire(&m->client);
	if (legs && !on)
		sbull_wb_drain(m);
	else if (legs)
		sbull_wt_drain(m);
	WRITE_ONCE(m->wb.on, on);
	sbull_unfreeze_queue(dev->disk->queue, memflags);
out:
	mutex_unlock(&m->wb.switching);
}

/**
 * sbull_wb_dirty_kb - how much of the store is ahead of the legs
 * @m: the mirror
 *
 * Return: KiB dirty and not yet taken by the flusher, a moment ago.
 */
unsigned long sbull_wb_dirty_kb(struct sbull_mirror *m)
{
	return max(atomic_long_read(&m->wb.nr_dirty), 0L) <<
	       (SECTOR_SHIFT + SBULL_WB_SHIFT - 10);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The write-intent bitmap: the regions of the store where the in-sync legs
 * may differ, so that after a crash only those are resynced (md's internal
 * bitmap, dm-raid1's dirty region log).
 *
 * Two rules, each closing a window:
 * - Set before written: a region's bit is on the in-sync legs, written with
 *   FUA, before a write into that region goes to any leg. A crash while the
 *   legs disagree there finds the bit on each of them.
 * - Cleared lazily: a bit is cleared only once no write there is in flight
 *   and none came for a whole period, and the write that clears it follows
 *   a flush of the leg: the legs then hold the same data there, on media.
 *   Hot regions stay set and cost nothing; a region pays one bitmap write
 *   when it turns dirty and one when it turns clean.
 *
 * - Nothing is cleared while the headers are behind a leg leaving service
 *   (@behind): until they say so, that leg may be picked as one that
 *   crashed with the others, and be resynced only where their bits say.
 * - Set before a resync copies ahead: a resync copies the store, which is
 *   ahead of the in-sync legs wherever a write is under way; a region it
 *   copies with a write under way gets its bit before the legs it copied
 *   to come into sync (sbull_bitmap_cover()).
 *
 * The bits live in the tail of each leg's 4 KiB header block, written whole
 * from one image per leg under @bitmap_lock, through the header layer
 * (sbull_header.c), which this file calls for every write of a header
 * block, header writes included (sbull_bitmap_write_header()): a header
 * write carries the bits, a bitmap write the header, and neither can
 * overtake the other. A torn write leaves each sector old or new, and
 * either is safe for a bit.
 *
 * Context: a request path counts a write in its regions before it changes
 * the store (sbull_bitmap_begin()), and the count ends once its legs have
 * it, in the notify callback, any context (sbull_bitmap_end()); the issue
 * worker sets the bits of a batch (sbull_bitmap_mark()); the bitmap work,
 * on the event workqueue, clears.
 *
 * A write into a dirty region takes no lock. The trick: the write is
 * counted in its region, then the marker looks at the bit; the bitmap
 * work clears the bit, then looks at the count, and sets the bit back if
 * a write came.
 * With a full barrier between each one's store and load, at least one of
 * them sees the other: the marker sees the bit clear and takes the slow
 * path, which waits for the clearing write and sets the bit again; or the
 * bitmap work sees the write and keeps the bit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "sbull_mirror_internal.h"

/* How long a region must stay idle before its bit is cleared (md: 5 s). */
#define SBULL_BITMAP_PERIOD	(5 * HZ)

static unsigned int region_kb = 512;
module_param(region_kb, uint, 0444);
MODULE_PARM_DESC(region_kb,
		 "Write-intent bitmap region in KiB, a power of two from 4 to 65536 (default 512; raised for stores too large for the bitmap)");

/**
 * sbull_bitmap_parse - check the region_kb parameter
 *
 * Return: 0, or -EINVAL after one error line.
 */
int sbull_bitmap_parse(void)
{
	if (region_kb >= 4 && region_kb <= 65536 && is_power_of_2(region_kb))
		return 0;
	pr_err("region_kb=%u: accepted values are powers of two from 4 to 65536\n",
	       region_kb);
	return -EINVAL;
}

static unsigned int sbull_region(const struct sbull_mirror *m, sector_t sector)
{
	return sector >> m->region_shift;
}

static void sbull_bitmap_work(struct work_struct *work);

/**
 * sbull_bitmap_init - a mirror without a bitmap yet
 * @m: the mirror
 */
void sbull_bitmap_init(struct sbull_mirror *m)
{
	mutex_init(&m->bitmap_lock);
	INIT_DELAYED_WORK(&m->bitmap_work, sbull_bitmap_work);
}

/**
 * sbull_bitmap_alloc - size the bitmap for a device's store
 * @dev: the sbull device, getting its first leg
 *
 * A region is region_kb, or larger if the store has more regions than the
 * header block has bits.
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_bitmap_alloc(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;
	sector_t sectors = sbull_store_sectors(dev);
	unsigned long least = DIV_ROUND_UP_SECTOR_T(sectors,
						    SBULL_BITMAP_MAX_REGIONS);
	unsigned long region = max_t(unsigned long, region_kb * 2,
				     roundup_pow_of_two(least));

	unsigned int nr = DIV_ROUND_UP_SECTOR_T(sectors, region);

	/* Under the lock: sysfs reads the bits of a disk with no leg yet. */
	mutex_lock(&m->bitmap_lock);
	m->region_shift = ilog2(region);
	m->nr_regions = nr;
	m->bits = bitmap_zalloc(nr, GFP_KERNEL);
	m->covering = bitmap_zalloc(nr, GFP_KERNEL);
	m->touched = bitmap_zalloc(nr, GFP_KERNEL);
	m->resync_bits = bitmap_zalloc(nr, GFP_KERNEL);
	m->writes = kvcalloc(nr, sizeof(*m->writes), GFP_KERNEL);
	mutex_unlock(&m->bitmap_lock);
	if (m->bits && m->covering && m->touched && m->resync_bits && m->writes)
		return 0;
	sbull_bitmap_free(m);
	return -ENOMEM;
}

/**
 * sbull_bitmap_free - free what sbull_bitmap_alloc() took
 * @m: the mirror, with no write in flight
 */
void sbull_bitmap_free(struct sbull_mirror *m)
{
	cancel_delayed_work_sync(&m->bitmap_work);
	mutex_lock(&m->bitmap_lock);
	bitmap_free(m->bits);
	bitmap_free(m->covering);
	bitmap_free(m->touched);
	bitmap_free(m->resync_bits);
	kvfree(m->writes);
	m->bits = NULL;
	m->covering = NULL;
	m->touched = NULL;
	m->resync_bits = NULL;
	m->writes = NULL;
	mutex_unlock(&m->bitmap_lock);
}

/* The bits, as a leg's header block holds them, into @slot's image. */
static void sbull_bitmap_export(struct sbull_mirror *m, unsigned int slot)
{
	void *area = sbull_header_bitmap(&m->legs[slot]);
	unsigned int r;

	lockdep_assert_held(&m->bitmap_lock);
	memset(area, 0, SBULL_BITMAP_MAX_REGIONS / BITS_PER_BYTE);
	for_each_set_bit(r, m->bits, m->nr_regions)
		__set_bit_le(r, area);
	for_each_set_bit(r, m->covering, m->nr_regions)
		__set_bit_le(r, area);
}

/* Write the bitmap to every in-sync leg; fail those that refuse it. */
static void sbull_bitmap_write(struct sbull_mirror *m, bool flush)
{
	unsigned long legs, failed = 0;
	unsigned int slot;

	lockdep_assert_held(&m->bitmap_lock);
	legs = sbull_leg_mask(m, SBULL_LEG_IN_SYNC);
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		sbull_bitmap_export(m, slot);
		if (sbull_header_write(&m->legs[slot], flush))
			failed |= BIT(slot);
	}
	if (failed)
		sbull_leg_fail(m, failed);
}

/**
 * sbull_bitmap_write_header - write a leg's header block: a header, the bits
 * @m: the mirror
 * @slot: the leg
 * @info: what the header is to say (sbull_header_of_store())
 *
 * After a flush, as FUA: the data the header vouches for is on the leg's
 * media first.
 *
 * Context: process context, under @config; allocates nothing, as
 * writeback may wait for it.
 * Return: 0 or a negative errno.
 */
int sbull_bitmap_write_header(struct sbull_mirror *m, unsigned int slot,
			      const struct sbull_hdr_info *info)
{
	struct sbull_leg *leg = &m->legs[slot];
	int err;

	lockdep_assert_held(&m->config);
	mutex_lock(&m->bitmap_lock);
	sbull_bitmap_export(m, slot);
	sbull_header_encode(leg, info);
	err = sbull_header_write(leg, true);
	mutex_unlock(&m->bitmap_lock);
	if (!err)
		leg->generation = info->generation;
	return err;
}

/**
 * sbull_bitmap_begin - a write is about to change the store
 * @m: the mirror, with legs
 * @sector: the write's first sector
 * @nr_sectors: its length; 0 for an empty flush, which counts nothing
 *
 * The write is counted in its regions from before the store changes
 * until every leg it goes to has it (sbull_bitmap_end()): so long, its
 * regions' bits are not cleared, and a resync that copies one of them
 * sets its bit (sbull_bitmap_cover()). Any context.
 */
void sbull_bitmap_begin(struct sbull_mirror *m, sector_t sector,
			unsigned int nr_sectors)
{
	unsigned int r, last;

	if (!nr_sectors)
		return;
	last = sbull_region(m, sector + nr_sectors - 1);
	for (r = sbull_region(m, sector); r <= last; r++) {
		set_bit(r, m->touched);
		atomic_inc(&m->writes[r]);
	}
	/*
	 * Counted before the store changes and before the bits are looked
	 * at: pairs with the barriers of sbull_bitmap_work() and
	 * sbull_bitmap_cover().
	 */
	smp_mb__after_atomic();
}

/**
 * sbull_bitmap_end - a write counted by sbull_bitmap_begin() is on its legs
 * @m: the mirror
 * @sector: the write's first sector
 * @nr_sectors: its length
 *
 * Also for a write that no leg took after all. A leg that failed it has
 * left service before: pairs with the smp_rmb() of sbull_bitmap_work().
 * Any context.
 */
void sbull_bitmap_end(struct sbull_mirror *m, sector_t sector,
		      unsigned int nr_sectors)
{
	unsigned int r, last;

	if (!nr_sectors)
		return;
	/* The legs that failed it are failed: pairs with sbull_bitmap_work(). */
	smp_mb__before_atomic();
	last = sbull_region(m, sector + nr_sectors - 1);
	for (r = sbull_region(m, sector); r <= last; r++)
		atomic_dec(&m->writes[r]);
}

/* Is a region of @mio clean? Its count is already taken (begin). */
static bool sbull_bitmap_clean(struct sbull_mirror *m,
			       const struct sbull_mirror_io *mio)
{
	unsigned int r, last;

	if (!mio->nr_sectors)
		return false;
	last = sbull_region(m, mio->sector + mio->nr_sectors - 1);
	for (r = sbull_region(m, mio->sector); r <= last; r++)
		if (!test_bit(r, m->bits))
			return true;
	return false;
}

/* Set @mio's bits; true if one was clear. Under @bitmap_lock. */
static bool sbull_bitmap_set(struct sbull_mirror *m,
			     const struct sbull_mirror_io *mio)
{
	unsigned int r, last;
	bool news = false;

	lockdep_assert_held(&m->bitmap_lock);
	if (!mio->nr_sectors)
		return false;
	last = sbull_region(m, mio->sector + mio->nr_sectors - 1);
	for (r = sbull_region(m, mio->sector); r <= last; r++)
		news |= !test_and_set_bit(r, m->bits);
	return news;
}

/**
 * sbull_bitmap_mark - the bits of a batch of writes, on the legs before them
 * @m: the mirror
 * @list: the writes, linked by their node, about to be sent to the legs;
 *	each counted by sbull_bitmap_begin()
 *
 * The issue worker's context. If a region is clean, the worker sets its
 * bit and waits for the bitmap write, once for the batch; otherwise it
 * takes no lock.
 */
void sbull_bitmap_mark(struct sbull_mirror *m, struct llist_node *list)
{
	struct sbull_mirror_io *mio;
	bool clean = false, news = false;

	llist_for_each_entry(mio, list, node)
		clean |= sbull_bitmap_clean(m, mio);
	if (!clean)
		return;
	mutex_lock(&m->bitmap_lock);
	llist_for_each_entry(mio, list, node)
		news |= sbull_bitmap_set(m, mio);
	if (news)
		sbull_bitmap_write(m, false);
	mutex_unlock(&m->bitmap_lock);
	if (news)
		queue_delayed_work(m->event_wq, &m->bitmap_work,
				   SBULL_BITMAP_PERIOD);
}

/**
 * sbull_bitmap_cover - set the bits of regions a resync copied mid-write
 * @m: the mirror
 * @pos: the first sector the resync has just copied to its legs, the
 *	start of its window
 * @n: how many
 *
 * The store is ahead of the in-sync legs wherever a write is counted: it
 * is not on them yet (pending, deferred, in flight, or a block dirty in
 * write-back mode). The resync has copied the store as it is, so once its
 * legs are in sync they differ from the others there, until that write
 * reaches them all: the region's bit must say so on the in-sync legs
 * first, and on the new ones from their first in-sync header, which
 * carries the bits. A write counted after the copy reaches the resynced
 * legs too, and is marked as any write. Process context (the resync work).
 */
void sbull_bitmap_cover(struct sbull_mirror *m, sector_t pos, sector_t n)
{
	unsigned int r, first = sbull_region(m, pos);
	unsigned int last = sbull_region(m, pos + n - 1);
	bool need = false, news = false;

	/* The copy read the store: pairs with sbull_bitmap_begin(). */
	smp_mb();
	for (r = first; r <= last && !need; r++)
		need = atomic_read(&m->writes[r]) && !test_bit(r, m->bits);
	if (!need)
		return;
	/*
	 * The issue worker sends a write into a region whose bit it sees set
	 * without taking a lock, as if the bit were on the legs: these bits
	 * go to @covering until they are, as md sets a bit in memory only
	 * once it is on disk. The resync's window does not make the writes
	 * wait meanwhile: it ends when the pass's last leg fails or leaves.
	 * The worker, seeing a bit clear, waits for the lock, so for the
	 * write below.
	 */
	mutex_lock(&m->bitmap_lock);
	for (r = first; r <= last; r++) {
		if (atomic_read(&m->writes[r]) && !test_bit(r, m->bits)) {
			__set_bit(r, m->covering);
			news = true;
		}
	}
	if (news) {
		sbull_bitmap_write(m, false);
		for_each_set_bit(r, m->covering, m->nr_regions)
			set_bit(r, m->bits);
		bitmap_zero(m->covering, m->nr_regions);
	}
	mutex_unlock(&m->bitmap_lock);
	if (news)
		queue_delayed_work(m->event_wq, &m->bitmap_work,
				   SBULL_BITMAP_PERIOD);
}

/**
 * sbull_bitmap_hold - a block dirty in write-back mode keeps its region dirty
 * @m: the mirror
 * @sector: the block's first sector
 *
 * The flusher's write of a block may have read the store while it changed,
 * leaving the legs with different data there until its next write of the
 * block: until then the region's bit must stay. Any context.
 */
void sbull_bitmap_hold(struct sbull_mirror *m, sector_t sector)
{
	atomic_inc(&m->writes[sbull_region(m, sector)]);
}

/**
 * sbull_bitmap_release - a block held by sbull_bitmap_hold() is on the legs
 * @m: the mirror
 * @sector: the block's first sector
 *
 * Any context.
 */
void sbull_bitmap_release(struct sbull_mirror *m, sector_t sector)
{
	sbull_bitmap_end(m, sector, 1);
}

/*
 * Clear the bits of regions idle for a whole period. The event workqueue's
 * context; requeued while bits are set.
 */
static void sbull_bitmap_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(to_delayed_work(work),
					      struct sbull_mirror,
					      bitmap_work);
	bool cleared = false, left;
	unsigned int r;

	mutex_lock(&m->bitmap_lock);
	for_each_set_bit(r, m->bits, m->nr_regions) {
		/* Behind, written this period, or in flight: not yet. */
		if (READ_ONCE(m->behind))
			break;
		if (test_and_clear_bit(r, m->touched) ||
		    atomic_read(&m->writes[r]))
			continue;
		clear_bit(r, m->bits);
		/* Pairs with the barrier in sbull_bitmap_begin(). */
		smp_mb__after_atomic();
		if (atomic_read(&m->writes[r])) {
			set_bit(r, m->bits);
			continue;
		}
		/*
		 * The last write there has ended; if a leg failed it, that
		 * leg left service before (sbull_bitmap_end()): the headers
		 * are behind again, and the bit stays.
		 */
		smp_rmb();
		if (READ_ONCE(m->behind)) {
			set_bit(r, m->bits);
			break;
		}
		cleared = true;
	}
	/* After a flush: what the legs hold there is on their media. */
	if (cleared)
		sbull_bitmap_write(m, true);
	left = !bitmap_empty(m->bits, m->nr_regions);
	mutex_unlock(&m->bitmap_lock);
	if (left)
		queue_delayed_work(m->event_wq, &m->bitmap_work,
				   SBULL_BITMAP_PERIOD);
}

/**
 * sbull_bitmap_stop - no write left: every region is clean
 * @m: the mirror, which takes no more writes; before its clean headers
 */
void sbull_bitmap_stop(struct sbull_mirror *m)
{
	cancel_delayed_work_sync(&m->bitmap_work);
	mutex_lock(&m->bitmap_lock);
	bitmap_zero(m->bits, m->nr_regions);
	bitmap_zero(m->touched, m->nr_regions);
	mutex_unlock(&m->bitmap_lock);
}

/**
 * sbull_bitmap_dirty - how many regions are dirty
 * @m: the mirror
 *
 * Return: the bits set, a moment ago.
 */
unsigned int sbull_bitmap_dirty(struct sbull_mirror *m)
{
	unsigned int n = 0;

	mutex_lock(&m->bitmap_lock);
	if (m->bits)
		n = bitmap_weight(m->bits, m->nr_regions);
	mutex_unlock(&m->bitmap_lock);
	return n;
}

/**
 * sbull_bitmap_import - add a leg's dirty regions to the crash resync's
 * @m: the mirror, loading
 * @slot: the leg, whose header block sbull_header_read() read, of the
 *	bitmap's region size
 */
void sbull_bitmap_import(struct sbull_mirror *m, unsigned int slot)
{
	const void *area = sbull_header_bitmap(&m->legs[slot]);
	unsigned int r;

	for (r = 0; r < m->nr_regions; r++)
		if (test_bit_le(r, area))
			__set_bit(r, m->resync_bits);
}

/**
 * __sbull_bitmap_resync_add - a write the partial resync must copy
 * @m: the mirror, whose @lock is held
 * @mio: a write that a partially resyncing leg does not take now
 */
void __sbull_bitmap_resync_add(struct sbull_mirror *m,
			       const struct sbull_mirror_io *mio)
{
	unsigned int first = sbull_region(m, mio->sector);

	lockdep_assert_held(&m->lock);
	if (mio->nr_sectors)
		bitmap_set(m->resync_bits, first,
			   sbull_region(m, mio->sector + mio->nr_sectors - 1) -
			   first + 1);
}

/**
 * __sbull_bitmap_resync_wants - does the partial resync copy this range?
 * @m: the mirror, whose @lock is held
 * @pos: first sector
 * @n: sectors
 *
 * Return: true if a region of the range is dirty.
 */
bool __sbull_bitmap_resync_wants(struct sbull_mirror *m, sector_t pos,
				 sector_t n)
{
	unsigned int first = sbull_region(m, pos);
	unsigned int end = sbull_region(m, pos + n - 1) + 1;

	lockdep_assert_held(&m->lock);
	return find_next_bit(m->resync_bits, end, first) < end;
}

/**
 * __sbull_bitmap_resync_weight - how many regions the partial resync copies
 * @m: the mirror, whose @lock is held
 *
 * Return: the regions.
 */
unsigned int __sbull_bitmap_resync_weight(struct sbull_mirror *m)
{
	lockdep_assert_held(&m->lock);
	return bitmap_weight(m->resync_bits, m->nr_regions);
}

/**
 * __sbull_bitmap_resync_done - the partial resync has nothing left to copy
 * @m: the mirror, whose @lock is held
 */
void __sbull_bitmap_resync_done(struct sbull_mirror *m)
{
	lockdep_assert_held(&m->lock);
	bitmap_zero(m->resync_bits, m->nr_regions);
}

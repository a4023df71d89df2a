// SPDX-License-Identifier: GPL-2.0
/*
 * Copies of the store to the legs that are resyncing, in the background,
 * while writes go on. It calls the engine (sbull_writethrough.c), the
 * refill, the bitmap and the leg layer below it, and tells the mirror set
 * that a resync ended through the mirror's @changed; never write-back,
 * beside it. A pass waits for the refill (sbull_refill.c): the store is
 * not whole before; the mirror set kicks it again when the refill ends.
 *
 * A resync pass copies the store in 1 MiB chunks (or regions, if larger),
 * to all the legs it took at its start in one dm_io() per chunk. A leg
 * that crashed with the store, of its epoch, needs only the regions the
 * write-intent bitmap names (@partial_legs, @resync_bits): a pass of such
 * legs alone goes region by region and skips the clean ones; a write
 * that such a leg does not take meanwhile adds its regions (the engine's
 * __sbull_bitmap_resync_add()). It publishes the window it is copying
 * (@resync_lo, @resync_hi): the engine sends a write to a resyncing leg
 * only below the window, and holds a write that overlaps it until the
 * chunk is copied, so an older copy never lands after a newer write.
 * Process context, on the mirror's resync workqueue.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioprio.h>

#include "sbull_compat.h"
#include "sbull_mirror_internal.h"

/* A resync moves the store in chunks of this many sectors. */
#define SBULL_RESYNC_CHUNK	(1U << (20 - SECTOR_SHIFT))

static u64 sbull_mib_per_s(size_t bytes, ktime_t start)
{
	s64 ms = max_t(s64, ktime_ms_delta(ktime_get(), start), 1);

	return div64_u64((u64)bytes * 1000 >> 20, ms);
}

/* A pass's step: a region, or a 1 MiB chunk when some leg needs it all. */
static sector_t sbull_resync_step(struct sbull_mirror *m, bool whole)
{
	sector_t region = (sector_t)1 << m->region_shift;

	return whole ? max_t(sector_t, region, SBULL_RESYNC_CHUNK) : region;
}

/* Copy a chunk to @legs; true if one of them took it. */
static bool sbull_resync_chunk(struct sbull_dev *dev, unsigned long legs,
			       sector_t pos, sector_t n)
{
	struct sbull_mirror *m = dev->mirror;
	struct dm_io_region where[SBULL_MAX_LEGS];
	struct dm_io_request req = {
		.bi_opf		= REQ_OP_WRITE,
		.mem.type	= DM_IO_VMA,
		.mem.ptr.vma	= dev->data + (pos << SECTOR_SHIFT),
		.client		= m->client,
	};
	unsigned long error = 0;
	unsigned int slot, nr = 0;

	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		where[nr++] = sbull_leg_region(&m->legs[slot], pos, n);
	/* A synchronous dm_io() fails if any region did: trust the bits. */
	if (sbull_dm_io(&req, nr, where, &error, IOPRIO_DEFAULT) && !error)
		error = ~0UL;
	if (error)
		sbull_leg_fail(m, sbull_leg_failed_of(legs, error));
	/* The copy may be ahead of the in-sync legs: the bitmap says where. */
	sbull_bitmap_cover(m, pos, n);
	return sbull_leg_failed_of(legs, error) != legs;
}

/*
 * Between chunks: the copy has passed @lo, and is about to copy to @hi.
 * Sets @to to the legs that need [@lo, @hi): the partial ones only if the
 * bitmap names a region there. Returns false to stop the pass.
 */
static bool sbull_resync_window(struct sbull_mirror *m, sector_t lo,
				sector_t hi, unsigned long *to)
{
	bool go;

	spin_lock_irq(&m->lock);
	m->resync_lo = lo;
	m->resync_hi = hi;
	go = !m->resync_stop && m->resync_legs;
	*to = m->resync_legs;
	if (!__sbull_bitmap_resync_wants(m, lo, hi - lo))
		*to &= ~m->partial_legs;
	spin_unlock_irq(&m->lock);
	sbull_wt_resume_deferred(m);
	return go;
}

static void sbull_resync_say_start(struct sbull_dev *dev, unsigned long legs,
				   bool whole)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned int dirty;

	if (whole) {
		pr_info("%s: resyncing %zu MiB to leg(s) %*pbl\n",
			sbull_name(dev), dev->size >> 20, SBULL_MAX_LEGS, &legs);
		return;
	}
	spin_lock_irq(&m->lock);
	dirty = __sbull_bitmap_resync_weight(m);
	spin_unlock_irq(&m->lock);
	pr_info("%s: resyncing %u of %u regions to leg(s) %*pbl, as the write-intent bitmap says\n",
		sbull_name(dev), dirty, m->nr_regions, SBULL_MAX_LEGS, &legs);
}

/*
 * Copy the store to the legs that are resyncing. One pass takes the legs
 * resyncing when it starts; a leg added meanwhile waits for the next pass.
 * The legs that come through are in sync, and the mirror set's event work
 * writes the headers that say so.
 */
static void sbull_resync_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(work, struct sbull_mirror,
					      resync_work);
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	sector_t size = sbull_store_sectors(dev), pos = 0, n, step, sent = 0;
	ktime_t start = ktime_get();
	unsigned long legs, to;
	unsigned int slot, copied = 0;
	bool again, whole;

	if (sbull_refill_active(m))
		return;
	spin_lock_irq(&m->lock);
	legs = m->resync_stop ? 0 : __sbull_leg_mask(m, SBULL_LEG_RESYNCING);
	m->resync_legs = legs;
	whole = legs & ~m->partial_legs;
	spin_unlock_irq(&m->lock);
	if (!legs)
		return;
	sbull_resync_say_start(dev, legs, whole);

	step = sbull_resync_step(m, whole);
	for (; pos < size; pos += n) {
		n = min_t(sector_t, size - pos, step);
		if (!sbull_resync_window(m, pos, pos + n, &to))
			break;
		if (to && sbull_resync_chunk(dev, to, pos, n)) {
			copied += DIV_ROUND_UP_SECTOR_T(n, 1U << m->region_shift);
			sent += n;
		}
		cond_resched();
	}

	spin_lock_irq(&m->lock);
	legs = pos == size ? m->resync_legs : 0;
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		__sbull_leg_set_state(m, slot, SBULL_LEG_IN_SYNC);
	/* Kept while a partial leg waits for the next pass. */
	if (!m->partial_legs)
		__sbull_bitmap_resync_done(m);
	m->regions_resynced += copied;
	m->resynced |= legs;
	m->resync_legs = 0;
	m->resync_lo = 0;
	m->resync_hi = 0;
	again = !m->resync_stop && __sbull_leg_mask(m, SBULL_LEG_RESYNCING);
	spin_unlock_irq(&m->lock);
	sbull_wt_resume_deferred(m);

	if (legs) {
		pr_info("%s: resynced leg(s) %*pbl: %u of %u regions, %llu MiB, in %lld ms (%llu MiB/s)\n",
			sbull_name(dev), SBULL_MAX_LEGS, &legs, copied,
			m->nr_regions, (u64)sent >> (20 - SECTOR_SHIFT),
			ktime_ms_delta(ktime_get(), start),
			sbull_mib_per_s(sent << SECTOR_SHIFT, start));
		m->changed(m);
	}
	if (again)
		sbull_resync_kick(m);
}

/**
 * sbull_resync_init - a mirror with no resync yet
 * @m: the mirror
 */
void sbull_resync_init(struct sbull_mirror *m)
{
	INIT_WORK(&m->resync_work, sbull_resync_work);
}

/**
 * sbull_resync_kick - start a pass for the legs now resyncing, if none runs
 * @m: the mirror, set up for legs
 *
 * Context: any but interrupt.
 */
void sbull_resync_kick(struct sbull_mirror *m)
{
	queue_work(m->resync_wq, &m->resync_work);
}

/**
 * __sbull_resync_progress - how far a leg's resync is
 * @m: the mirror, whose @lock is held
 * @slot: the leg
 *
 * Return: a percentage: 100 in sync, 0 out of service or waiting for a
 * pass.
 */
unsigned int __sbull_resync_progress(struct sbull_mirror *m, unsigned int slot)
{
	lockdep_assert_held(&m->lock);
	switch (m->legs[slot].state) {
	case SBULL_LEG_IN_SYNC:
		return 100;
	case SBULL_LEG_RESYNCING:
		if (!(m->resync_legs & BIT(slot)))
			return 0;
		return div64_u64((u64)m->resync_lo * 100,
				 sbull_store_sectors(sbull_dev_of_mirror(m)));
	default:
		return 0;
	}
}

/**
 * sbull_resync_stop - stop a running pass, and keep another from starting
 * @m: the mirror
 *
 * A pass queued later starts afresh.
 *
 * Context: process context; waits for the pass.
 */
void sbull_resync_stop(struct sbull_mirror *m)
{
	spin_lock_irq(&m->lock);
	m->resync_stop = true;
	spin_unlock_irq(&m->lock);
	cancel_work_sync(&m->resync_work);
	spin_lock_irq(&m->lock);
	m->resync_stop = false;
	spin_unlock_irq(&m->lock);
}

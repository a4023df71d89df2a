// SPDX-License-Identifier: GPL-2.0
/*
 * The refill: the store read back from a leg after the load, while the
 * disk already serves I/O, as dm-clone hydrates its destination. It sits
 * above the leg layer and below the resync, which waits for it: a resync
 * copies the store, and the store is not whole before the refill ends.
 *
 * The store is cut in 64 KiB regions, a bit each in @filled. A read or
 * write that touches a region not filled yet waits (struct sbull_wait):
 * the request path parks it with sbull_refill_wait() and the refill's
 * worker reads its regions from the leg first, then sends it on again
 * from the start of its path. Writes wait too: a write into a region not
 * filled would be overwritten by the region's read, and the legs would
 * then hold it while the store did not. Between the reads that I/Os wait
 * for, a background pass reads the rest in 4 MiB chunks, two at a time,
 * and issues none while a read an I/O waits for is in flight: it gives
 * way to them.
 * Every read is an asynchronous dm_io() from the worker, never from a
 * request path (it may not sleep there), and none is synchronous (a
 * dm_io() waiting under ->submit_bio() can deadlock on
 * current->bio_list).
 *
 * Nothing else reads a region before it is filled, and the store is not
 * zeroed first (sbull_disk.c): the resync waits for the refill, and
 * write-back's flusher and the engine read only what writes wrote.
 *
 * The leg read is any leg in sync, the load's source first: those legs
 * hold the same store where no write has been, and a write waits for its
 * regions. If the leg fails, the next read goes to another; with none
 * left the refill is lost, and I/O to the regions not filled fails with
 * EIO (sbull_refill_lost()); the legs keep them for the next load.
 *
 * Locking: @lock (irq-safe: dm-io's callback takes it) guards the bits,
 * the reads and the waiters; it nests in nothing and holds nothing. The
 * mirror's @lock is taken apart, to pick the leg and take a hold on it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioprio.h>
#include <linux/slab.h>

#include "sbull_compat.h"
#include "sbull_mirror_internal.h"
#include "sbull_trace.h"

/* A region: 64 KiB, a 4 KiB read's cost under load stays small. */
#define SBULL_REFILL_SHIFT	(16 - SECTOR_SHIFT)
/* The background pass: reads of 4 MiB (in regions), two in flight. */
#define SBULL_REFILL_CHUNK	(1UL << (22 - SECTOR_SHIFT - SBULL_REFILL_SHIFT))
#define SBULL_REFILL_BACKGROUND	2

static struct sbull_mirror *sbull_refill_mirror(struct sbull_refill *r)
{
	return container_of(r, struct sbull_mirror, refill);
}

/* The regions of sectors [@sector, @sector + @nr): [@first, @last]. */
static void sbull_refill_regions(sector_t sector, unsigned int nr,
				 unsigned long *first, unsigned long *last)
{
	*first = sector >> SBULL_REFILL_SHIFT;
	*last = (sector + nr - 1) >> SBULL_REFILL_SHIFT;
}

/*
 * Are the regions of those sectors all in the store? Under @lock, the
 * refill neither lost nor stopped. Past the store is none of the
 * refill's business: sbull_in_range() fails such an I/O.
 */
static bool __sbull_refill_has(struct sbull_refill *r, sector_t sector,
			       unsigned int nr)
{
	unsigned long first, last;

	if (!nr)
		return true;
	sbull_refill_regions(sector, nr, &first, &last);
	if (last >= r->nr_regions)
		return true;
	return find_next_zero_bit(r->filled, last + 1, first) > last;
}

/* Neither in the store nor being read. */
static bool sbull_refill_wanted(struct sbull_refill *r, unsigned long region)
{
	return !test_bit(region, r->filled) && !test_bit(region, r->busy);
}

/*
 * Take a read slot for regions [@first, @first + @nr), all wanted, and
 * mark them busy. Under @lock; NULL when every slot is in flight.
 */
static struct sbull_refill_read *__sbull_refill_take(struct sbull_refill *r,
						     unsigned long first,
						     unsigned long nr,
						     bool on_demand)
{
	struct sbull_refill_read *rd;

	if (!r->free_reads)
		return NULL;
	rd = &r->reads[__ffs(r->free_reads)];
	r->free_reads &= ~BIT(rd - r->reads);
	rd->first = first;
	rd->nr = nr;
	rd->on_demand = on_demand;
	bitmap_set(r->busy, first, nr);
	if (on_demand)
		r->demand++;
	else
		r->background++;
	atomic_inc(&r->inflight);
	return rd;
}

/*
 * The reads the waiters need, each run of their wanted regions at most a
 * chunk; into @todo, @n so far. Under @lock.
 */
static unsigned int __sbull_refill_on_demand(struct sbull_refill *r,
					     struct sbull_refill_read **todo,
					     unsigned int n)
{
	unsigned long first, last, end;
	struct sbull_wait *w;

	list_for_each_entry(w, &r->waiting, node) {
		sbull_refill_regions(w->sector, w->nr_sectors, &first, &last);
		for (; first <= last; first = end) {
			if (!sbull_refill_wanted(r, first)) {
				end = first + 1;
				continue;
			}
			for (end = first + 1; end <= last &&
			     end - first < SBULL_REFILL_CHUNK &&
			     sbull_refill_wanted(r, end); end++)
				;
			todo[n] = __sbull_refill_take(r, first, end - first,
						      true);
			if (!todo[n])
				return n;
			n++;
		}
	}
	return n;
}

/* The next wanted region at or after @from; @r->nr_regions if none. */
static unsigned long sbull_refill_next(struct sbull_refill *r,
				       unsigned long from)
{
	unsigned long i = find_next_zero_bit(r->filled, r->nr_regions, from);

	while (i < r->nr_regions && test_bit(i, r->busy))
		i = find_next_zero_bit(r->filled, r->nr_regions, i + 1);
	return i;
}

/*
 * The background pass's next reads, up to SBULL_REFILL_BACKGROUND in
 * flight, and none while a read an I/O waits for is: the pass gives way
 * to it. It comes back to the start once for regions whose read failed.
 * Under @lock.
 */
static unsigned int __sbull_refill_background(struct sbull_refill *r,
					      struct sbull_refill_read **todo,
					      unsigned int n)
{
	unsigned long first, end;

	while (!r->demand && r->background < SBULL_REFILL_BACKGROUND) {
		first = sbull_refill_next(r, r->next);
		if (first == r->nr_regions && r->next) {
			r->next = 0;
			continue;
		}
		if (first == r->nr_regions)
			break;
		for (end = first + 1; end < r->nr_regions &&
		     end - first < SBULL_REFILL_CHUNK &&
		     sbull_refill_wanted(r, end); end++)
			;
		todo[n] = __sbull_refill_take(r, first, end - first, false);
		if (!todo[n])
			break;
		n++;
		r->next = end;
	}
	return n;
}

/*
 * The leg to read from, with a hold on it (sbull_leg_put() gives it back):
 * the load's source while it is in sync, else the first leg in sync.
 * -1 if no leg is in sync.
 */
static int sbull_refill_get_leg(struct sbull_mirror *m)
{
	struct sbull_refill *r = &m->refill;
	unsigned long legs;
	int slot = -1;

	spin_lock_irq(&m->lock);
	legs = __sbull_leg_mask(m, SBULL_LEG_IN_SYNC);
	if (legs) {
		slot = m->source >= 0 && (legs & BIT(m->source)) ?
		       m->source : __ffs(legs);
		sbull_leg_get(m, slot);
	}
	spin_unlock_irq(&m->lock);
	if (slot >= 0 && slot != r->source) {
		pr_info("%s: restoring from leg %d (%s) now\n",
			sbull_name(sbull_dev_of_mirror(m)), slot,
			m->legs[slot].path);
		r->source = slot;
	}
	return slot;
}

static void sbull_refill_endio(unsigned long error, void *context)
{
	struct sbull_refill_read *rd = context;
	struct sbull_refill *r = rd->refill;
	struct sbull_mirror *m = sbull_refill_mirror(r);
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	bitmap_clear(r->busy, rd->first, rd->nr);
	if (!error) {
		bitmap_set(r->filled, rd->first, rd->nr);
		r->nr_filled += rd->nr;
		if (rd->on_demand)
			r->on_demand += rd->nr;
	} else if (rd->first < r->next) {
		r->next = rd->first;	/* read again, from another leg */
	}
	if (rd->on_demand)
		r->demand--;
	else
		r->background--;
	r->free_reads |= BIT(rd - r->reads);
	spin_unlock_irqrestore(&r->lock, flags);

	/*
	 * Failed before the run this queues looks: it reads the regions from
	 * another leg (a run already queued may try this one once more).
	 */
	if (error)
		sbull_leg_fail(m, BIT(rd->slot));
	sbull_leg_put(m, BIT(rd->slot));
	queue_work(r->wq, &r->work);
	/* Last: sbull_refill_stop() may free the refill once it is 0. */
	if (atomic_dec_and_test(&r->inflight))
		wake_up_var(&r->inflight);
}

/* dm-io's notify callback, of this kernel's kind (sbull_compat.h). */
SBULL_DM_IO_NOTIFY(sbull_refill_notify, sbull_refill_endio);

/* Send one read from leg @slot into the store. Process context. */
static void sbull_refill_issue(struct sbull_mirror *m,
			       struct sbull_refill_read *rd, unsigned int slot)
{
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	sector_t sector = (sector_t)rd->first << SBULL_REFILL_SHIFT;
	sector_t end = min_t(sector_t, (sector_t)(rd->first + rd->nr) <<
			     SBULL_REFILL_SHIFT, sbull_store_sectors(dev));
	struct dm_io_region where = sbull_leg_region(&m->legs[slot], sector,
						     end - sector);
	struct dm_io_request req = {
		.bi_opf		= REQ_OP_READ,
		.mem.type	= DM_IO_VMA,
		.mem.ptr.vma	= dev->data + (sector << SECTOR_SHIFT),
		.notify.fn	= sbull_refill_notify,
		.notify.context	= rd,
		.client		= m->client,
	};

	rd->slot = slot;
	trace_sbull_refill(dev->disk, sector, end - sector, slot,
			   rd->on_demand);
	/* Asynchronous: the error comes to the notify callback. */
	sbull_dm_io(&req, 1, &where, NULL, IOPRIO_DEFAULT);
}

static void sbull_refill_say_lost(struct sbull_mirror *m)
{
	struct sbull_refill *r = &m->refill;

	pr_err("%s: no leg in sync left to restore from: %lu of %lu regions restored; I/O to the others, and flushes, fail with EIO until the next load\n",
	       sbull_name(sbull_dev_of_mirror(m)), r->nr_filled,
	       r->nr_regions);
}

static void sbull_refill_say_done(struct sbull_mirror *m)
{
	struct sbull_refill *r = &m->refill;
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	s64 ms = max_t(s64, ktime_ms_delta(ktime_get(), r->start), 1);

	pr_info("%s: restored %zu MiB in %lld ms (%llu MiB/s), %lu of %lu regions on demand\n",
		sbull_name(dev), dev->size >> 20, ms,
		div64_u64((u64)dev->size * 1000 >> 20, ms), r->on_demand,
		r->nr_regions);
}

/*
 * The refill's worker: sends on the waiting I/Os whose regions are in
 * (or never will be), then reads what the others wait for, then the
 * background pass's next chunks. Woken by each read's end and each new
 * waiter. Process context, on @wq.
 */
static void sbull_refill_work(struct work_struct *work)
{
	struct sbull_refill *r = container_of(work, struct sbull_refill, work);
	struct sbull_mirror *m = sbull_refill_mirror(r);
	struct sbull_refill_read *todo[SBULL_REFILL_READS];
	struct sbull_wait *w, *tmp;
	LIST_HEAD(ready);
	unsigned int n = 0, i;
	bool done = false, lost = false;
	int slot;

	slot = sbull_refill_get_leg(m);
	spin_lock_irq(&r->lock);
	/* Lost once no read in flight may still bring a region in. */
	if (slot < 0 && !r->lost && !r->stop &&
	    r->nr_filled < r->nr_regions &&
	    r->free_reads == GENMASK(SBULL_REFILL_READS - 1, 0)) {
		WRITE_ONCE(r->lost, true);
		lost = true;
	}
	list_for_each_entry_safe(w, tmp, &r->waiting, node)
		if (r->lost || r->stop ||
		    __sbull_refill_has(r, w->sector, w->nr_sectors))
			list_move_tail(&w->node, &ready);
	if (slot >= 0 && !r->stop) {
		n = __sbull_refill_on_demand(r, todo, 0);
		n = __sbull_refill_background(r, todo, n);
	}
	if (r->active && r->nr_filled == r->nr_regions) {
		done = true;
		/* The store is whole: pairs with sbull_refill_active(). */
		smp_store_release(&r->active, false);
	}
	spin_unlock_irq(&r->lock);

	for (i = 0; i < n; i++) {
		/* One hold on the leg per read; the first came above. */
		if (i)
			sbull_leg_get(m, slot);
		sbull_refill_issue(m, todo[i], slot);
	}
	if (slot >= 0 && !n)
		sbull_leg_put(m, BIT(slot));
	if (lost)
		sbull_refill_say_lost(m);
	list_for_each_entry_safe(w, tmp, &ready, node) {
		list_del_init(&w->node);
		w->resume(w);
	}
	if (done)
		sbull_refill_say_done(m);
	/*
	 * Done: the resync may start. Lost: a flush that waits for a resync
	 * must now fail. The mirror set does either.
	 */
	if (done || lost) {
		spin_lock_irq(&m->lock);
		m->refill_ended = true;
		spin_unlock_irq(&m->lock);
		m->changed(m);
	}
}

/**
 * sbull_refill_init - a mirror with no refill
 * @m: the mirror
 */
void sbull_refill_init(struct sbull_mirror *m)
{
	struct sbull_refill *r = &m->refill;
	unsigned int i;

	spin_lock_init(&r->lock);
	INIT_LIST_HEAD(&r->waiting);
	INIT_WORK(&r->work, sbull_refill_work);
	r->source = -1;
	for (i = 0; i < SBULL_REFILL_READS; i++)
		r->reads[i].refill = r;
	r->free_reads = GENMASK(SBULL_REFILL_READS - 1, 0);
}

/**
 * sbull_refill_start - start reading the store back from a leg
 * @m: the mirror, its legs assembled, its disk not yet added
 * @slot: the leg picked at assembly, in sync
 *
 * Returns at once: the reads go on while the disk serves I/O.
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int sbull_refill_start(struct sbull_mirror *m, unsigned int slot)
{
	struct sbull_refill *r = &m->refill;
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	unsigned long nr = DIV_ROUND_UP_SECTOR_T(sbull_store_sectors(dev),
						 1U << SBULL_REFILL_SHIFT);

	r->filled = bitmap_zalloc(nr, GFP_KERNEL);
	r->busy = bitmap_zalloc(nr, GFP_KERNEL);
	/* A waiting write may hold back writeback: reads under reclaim. */
	r->wq = alloc_workqueue("%s_refill", WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
				sbull_name(dev));
	if (!r->filled || !r->busy || !r->wq) {
		bitmap_free(r->filled);
		bitmap_free(r->busy);
		if (r->wq)
			destroy_workqueue(r->wq);
		r->filled = NULL;
		r->busy = NULL;
		r->wq = NULL;
		return -ENOMEM;
	}
	r->nr_regions = nr;
	r->start = ktime_get();
	r->source = slot;
	r->active = true;
	pr_info("%s: restoring %zu MiB from leg %u (%s:%llu), generation %llu, while serving I/O\n",
		sbull_name(dev), dev->size >> 20, slot, m->legs[slot].path,
		(unsigned long long)m->legs[slot].start, m->generation);
	queue_work(r->wq, &r->work);
	return 0;
}

/**
 * sbull_refill_active - is some of the store still to be read back?
 * @m: the mirror
 *
 * Context: any; takes no lock.
 * Return: true until the refill has read every region (or for ever, if
 * it was lost).
 */
bool sbull_refill_active(struct sbull_mirror *m)
{
	/* Pairs with the worker's release: the store is whole when false. */
	return smp_load_acquire(&m->refill.active);
}

/* Must an I/O wait for its regions? Under @lock. */
static bool __sbull_refill_must_wait(struct sbull_refill *r, sector_t sector,
				     unsigned int nr_sectors)
{
	return !r->lost && !r->stop &&
	       !__sbull_refill_has(r, sector, nr_sectors);
}

/**
 * sbull_refill_pending - are some of an I/O's regions still to be read?
 * @m: the mirror
 * @sector: the I/O's first sector
 * @nr_sectors: its length
 *
 * A look before a request path makes ready to wait (a bio takes an
 * element of a pool): sbull_refill_wait() looks again.
 *
 * Context: any; takes @lock while the refill is active.
 * Return: true if the I/O would wait.
 */
bool sbull_refill_pending(struct sbull_mirror *m, sector_t sector,
			  unsigned int nr_sectors)
{
	struct sbull_refill *r = &m->refill;
	unsigned long flags;
	bool wait;

	if (!sbull_refill_active(m))
		return false;
	spin_lock_irqsave(&r->lock, flags);
	wait = __sbull_refill_must_wait(r, sector, nr_sectors);
	spin_unlock_irqrestore(&r->lock, flags);
	return wait;
}

/**
 * sbull_refill_wait - park an I/O until its regions are in the store
 * @m: the mirror
 * @w: the I/O, its @sector and @nr_sectors set
 *
 * Context: any but interrupt (a request path); takes @lock.
 * Return: true if @w was parked: @w->resume() sends it on later; false if
 * it may go on now (sbull_refill_lost() says if it must fail).
 */
bool sbull_refill_wait(struct sbull_mirror *m, struct sbull_wait *w)
{
	struct sbull_refill *r = &m->refill;
	unsigned long flags;
	bool park;

	if (!sbull_refill_active(m))
		return false;
	spin_lock_irqsave(&r->lock, flags);
	park = __sbull_refill_must_wait(r, w->sector, w->nr_sectors);
	if (park) {
		list_add_tail(&w->node, &r->waiting);
		/* Under @lock: sbull_refill_stop() then sees it queued. */
		queue_work(r->wq, &r->work);
	}
	spin_unlock_irqrestore(&r->lock, flags);
	return park;
}

/**
 * sbull_refill_lost - must an I/O fail, its regions never to be read back?
 * @m: the mirror
 * @sector: the I/O's first sector
 * @nr_sectors: its length
 *
 * Asked after sbull_refill_wait(), which let the I/O go on: its regions
 * are in the store, or the refill is lost, or stopped. Neither of these
 * is ever undone, and the I/O's own sbull_refill_wait() looked under the
 * lock: while neither is set, the regions are in, and no lock is taken.
 *
 * Context: any; takes @lock once the refill is lost.
 * Return: true if the refill stopped, or is lost and some of the regions
 * are not in the store.
 */
bool sbull_refill_lost(struct sbull_mirror *m, sector_t sector,
		       unsigned int nr_sectors)
{
	struct sbull_refill *r = &m->refill;
	unsigned long flags;
	bool lost;

	if (!sbull_refill_active(m) ||
	    (!READ_ONCE(r->lost) && !READ_ONCE(r->stop)))
		return false;
	spin_lock_irqsave(&r->lock, flags);
	/* @stop first: the bits are gone then. */
	lost = r->stop ||
	       (r->lost && !__sbull_refill_has(r, sector, nr_sectors));
	spin_unlock_irqrestore(&r->lock, flags);
	return lost;
}

/**
 * sbull_refill_is_lost - is the store incomplete for good?
 * @m: the mirror
 *
 * No resync can then make a complete copy: the store it would copy is
 * not whole, so nothing may wait for one.
 *
 * Context: any; takes no lock.
 * Return: true once no leg in sync is left to read the rest from.
 */
bool sbull_refill_is_lost(struct sbull_mirror *m)
{
	return READ_ONCE(m->refill.lost);
}

/**
 * sbull_refill_progress - how far the refill is
 * @m: the mirror
 * @state: set to "none" (nothing was to be read back), "refilling",
 *	   "refilled" or "lost"
 *
 * Context: process context; takes @lock.
 * Return: the percentage of the store read back, 100 if none was to be.
 */
int sbull_refill_progress(struct sbull_mirror *m, const char **state)
{
	struct sbull_refill *r = &m->refill;
	int pct;

	if (!r->nr_regions) {
		*state = "none";
		return 100;
	}
	spin_lock_irq(&r->lock);
	pct = div64_u64((u64)r->nr_filled * 100, r->nr_regions);
	*state = r->lost ? "lost" : r->active ? "refilling" : "refilled";
	spin_unlock_irq(&r->lock);
	return pct;
}

/**
 * sbull_refill_stop - stop the refill and free it
 * @m: the mirror, whose disk takes no more I/O (deleted, or never added)
 *
 * Waits for the reads in flight; an I/O still waiting is sent on, to fail.
 * The legs keep what was not read, for the next load.
 *
 * Context: process context; sleeps.
 */
void sbull_refill_stop(struct sbull_mirror *m)
{
	struct sbull_refill *r = &m->refill;

	if (!r->wq)
		return;
	/* Nothing reads the bits from now on, nor parks, nor queues work. */
	spin_lock_irq(&r->lock);
	WRITE_ONCE(r->stop, true);
	spin_unlock_irq(&r->lock);
	wait_var_event(&r->inflight, !atomic_read(&r->inflight));
	/* One last pass sends the waiters on. */
	queue_work(r->wq, &r->work);
	destroy_workqueue(r->wq);
	r->wq = NULL;
	if (r->active && !r->lost)
		pr_info("%s: restore stopped at %lu of %lu regions; the legs keep the rest\n",
			sbull_name(sbull_dev_of_mirror(m)), r->nr_filled,
			r->nr_regions);
	bitmap_free(r->filled);
	bitmap_free(r->busy);
	r->filled = NULL;
	r->busy = NULL;
}

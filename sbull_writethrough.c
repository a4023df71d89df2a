// SPDX-License-Identifier: GPL-2.0
/*
 * The engine: writes to the legs, with the kernel's dm-io engine. It calls
 * the bitmap (sbull_bitmap.c) and the leg layer (sbull_leg.c) below it, and
 * tells the mirror set that a write is held through the mirror's @changed.
 *
 * In write-through mode a request path copies a write into the store, then
 * hands it here (sbull_mirror_write() -> sbull_wt_queue()) instead of
 * ending it; write-back mode's flusher sends its writes the same way.
 * ->submit_bio() and ->queue_rq() must not wait for the legs: the bios of a
 * synchronous dm_io() called there would only be queued on
 * current->bio_list until the caller returns, a deadlock; and ->queue_rq()
 * may not even sleep, as dm_io() may for memory. So a work item takes the
 * writes and calls dm_io() asynchronously, one call for all the legs of a
 * write, from the store (DM_IO_VMA); dm-io's notify callback, in any
 * context (a leg's interrupt handler, or the worker itself when a leg
 * completes at once, as brd does: it must never sleep), ends the original
 * bio or request once every leg has answered, or holds it while the legs'
 * headers are behind a change of the legs in service. Bit i of the error
 * bitset it gets is region i of that call: a leg with its bit set failed.
 *
 * While a resync copies the store to a leg (sbull_resync.c), a write
 * reaches that leg only once the copy has passed its range, and a write
 * that overlaps the chunk being copied waits for the chunk (@deferred):
 * the leg then never sees an older copy land after a newer write.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "sbull_compat.h"
#include "sbull_mirror_internal.h"
#include "sbull_trace.h"

/* A write of sbull_wt_queue() that the legs answered, or not sent. */
static void sbull_wt_answered(struct sbull_mirror *m)
{
	if (atomic_dec_and_test(&m->outstanding))
		wake_up_var(&m->outstanding);
}

/**
 * sbull_wt_durable - does the write promise durability: a flush, or FUA?
 * @mio: the write
 *
 * Return: true for REQ_OP_FLUSH and writes with REQ_PREFLUSH or REQ_FUA.
 */
bool sbull_wt_durable(const struct sbull_mirror_io *mio)
{
	return (mio->opf & (REQ_PREFLUSH | REQ_FUA)) ||
	       (mio->opf & REQ_OP_MASK) == REQ_OP_FLUSH;
}

/*
 * How a write that reached the legs in service ends: EIO if none is left;
 * EIO too for a flush or FUA write when no leg holds a complete copy (the
 * others are resyncing): it would promise what no leg can keep.
 */
static blk_status_t sbull_wt_status(struct sbull_mirror *m,
				    const struct sbull_mirror_io *mio)
{
	if (READ_ONCE(m->no_leg_left))
		return BLK_STS_IOERR;
	if (sbull_wt_durable(mio) && READ_ONCE(m->no_complete_copy))
		return BLK_STS_IOERR;
	return BLK_STS_OK;
}

/*
 * End a write that the legs in service took (those that did not are
 * failed by now), or hold it while the headers are behind: a crash before
 * the survivors' headers say that a leg left must not let that leg, which
 * lacks the write, be the one the store is restored from. dm-raid1 holds
 * such writes for its log in the same way. Any context.
 */
static void sbull_wt_complete(struct sbull_mirror *m,
			      struct sbull_mirror_io *mio)
{
	unsigned long flags;
	bool hold;

	/*
	 * The common case takes no lock: a write that every leg it went to
	 * took is on each of them, so a leg leaving meanwhile has it too. A
	 * leg that failed it made the headers behind (under @lock, which
	 * this CPU took last).
	 */
	if (!READ_ONCE(m->behind)) {
		mio->end_io(mio, sbull_wt_status(m, mio));
		return;
	}
	spin_lock_irqsave(&m->lock, flags);
	hold = m->behind;
	if (hold)
		llist_add(&mio->node, &m->held);
	spin_unlock_irqrestore(&m->lock, flags);
	/*
	 * Set control hears of every hold: a failure on a leg that had
	 * already failed is no news, but the write it holds must end.
	 */
	if (hold)
		m->changed(m);
	else
		mio->end_io(mio, sbull_wt_status(m, mio));
}

/**
 * sbull_wt_endio - dm-io's notify callback: end the original I/O
 * @error: dm-io's error bitset, bit i for region i of the call
 * @context: the &struct sbull_mirror_io
 *
 * A write that no leg took fails; one that some took stands.
 *
 * Context: any, interrupt context included: it must not sleep.
 */
void sbull_wt_endio(unsigned long error, void *context)
{
	struct sbull_mirror_io *mio = context;
	struct sbull_mirror *m = mio->dev->mirror;
	unsigned long legs = mio->legs;
	unsigned long failed = sbull_leg_failed_of(legs, error);

	trace_sbull_mirror_done(mio, error);
	/* EXERCISE 5 BEGIN: end the write; fail the legs that failed */
	/*
	 * The failures are taken first: before the region's count ends, so
	 * that a bitmap pass that sees the count gone sees the legs gone too
	 * (sbull_bitmap_work()); and before the legs are put, so that a leg
	 * readied for a resync once idle is not failed by an error from
	 * before. The other order let a pass clear the bit of a region that
	 * a failing leg lacks a write in; that window is a few instructions
	 * wide, between two stores of one CPU, and no test in a guest can
	 * place a pass inside it: the barriers of sbull_bitmap_end() and
	 * sbull_bitmap_work() close it by construction.
	 */
	if (failed)
		sbull_leg_fail(m, failed);
	sbull_bitmap_end(m, mio->sector, mio->nr_sectors);
	sbull_leg_put(m, legs);
	if (failed == legs)
		mio->end_io(mio, BLK_STS_IOERR);
	else
		sbull_wt_complete(m, mio);
	sbull_wt_answered(m);
	/* EXERCISE 5 END */
}

/* dm-io's notify callback, of this kernel's kind (sbull_compat.h). */
SBULL_DM_IO_NOTIFY(sbull_wt_notify, sbull_wt_endio);

/**
 * sbull_wt_end_held - end the writes held while the headers were behind
 * @m: the mirror, whose in-sync legs' headers now carry the new generation
 *
 * Context: process context (the mirror set's event work, a legs command).
 */
void sbull_wt_end_held(struct sbull_mirror *m)
{
	struct sbull_mirror_io *mio, *next;
	struct llist_node *list;

	spin_lock_irq(&m->lock);
	list = m->behind ? NULL : llist_del_all(&m->held);
	spin_unlock_irq(&m->lock);
	llist_for_each_entry_safe(mio, next, list, node)
		mio->end_io(mio, sbull_wt_status(m, mio));
}

static sector_t sbull_mio_end(const struct sbull_mirror_io *mio)
{
	return mio->sector + mio->nr_sectors;
}

/*
 * Must the write wait for the resync? If it overlaps what the resync is
 * copying, or straddles its edge; and a flush or FUA write while no leg is
 * in sync, until the resync has made one that is (or stopped).
 */
static bool __sbull_wt_must_wait(struct sbull_mirror *m,
				 const struct sbull_mirror_io *mio)
{
	lockdep_assert_held(&m->lock);
	/* No resync can make one from a store the refill left incomplete. */
	if (m->no_complete_copy && sbull_wt_durable(mio) &&
	    __sbull_leg_mask(m, SBULL_LEG_RESYNCING) &&
	    !sbull_refill_is_lost(m))
		return true;
	return m->resync_legs && mio->nr_sectors &&
	       sbull_mio_end(mio) > m->resync_lo && mio->sector < m->resync_hi;
}

/*
 * Below the resync's progress a resyncing leg takes writes; above, the
 * resync will copy the range later.
 */
static bool __sbull_wt_leg_takes(struct sbull_mirror *m, unsigned int slot,
				 const struct sbull_mirror_io *mio)
{
	switch (m->legs[slot].state) {
	case SBULL_LEG_IN_SYNC:
		return true;
	case SBULL_LEG_RESYNCING:
		return (m->resync_legs & BIT(slot)) &&
		       sbull_mio_end(mio) <= m->resync_lo;
	default:
		return false;
	}
}

/*
 * Fill in a region per leg the write goes to; count it in flight there. A
 * leg resyncing from the bitmap that does not take it now must get it from
 * the resync: its regions join the resync's.
 */
static unsigned int __sbull_wt_targets(struct sbull_mirror *m,
				       struct sbull_mirror_io *mio,
				       struct dm_io_region *where,
				       bool *zeroes)
{
	unsigned int slot, n = 0;

	lockdep_assert_held(&m->lock);
	*zeroes = true;
	mio->legs = 0;
	for (slot = 0; slot < SBULL_MAX_LEGS; slot++) {
		struct sbull_leg *leg = &m->legs[slot];

		if (!__sbull_wt_leg_takes(m, slot, mio)) {
			if (m->partial_legs & BIT(slot))
				__sbull_bitmap_resync_add(m, mio);
			continue;
		}
		where[n] = sbull_leg_region(leg, mio->sector, mio->nr_sectors);
		/* Checked each time: SCSI turns it off after a failure. */
		*zeroes &= bdev_write_zeroes_sectors(leg->bdev) > 0;
		mio->legs |= BIT(slot);
		sbull_leg_get(m, slot);
		n++;
	}
	return n;
}

/*
 * The operation for the legs. A discarded range reads back as zeroes from
 * the store, so the legs must hold zeroes there too: they get
 * REQ_OP_WRITE_ZEROES (which lets them unmap), or, when one of them lacks
 * it, a plain write of the range the store has just zeroed.
 */
static blk_opf_t sbull_wt_opf(const struct sbull_mirror_io *mio, bool zeroes)
{
	blk_opf_t flags = mio->opf & (REQ_PREFLUSH | REQ_FUA | REQ_SYNC);

	switch (mio->opf & REQ_OP_MASK) {
	case REQ_OP_FLUSH:
		return REQ_OP_WRITE | REQ_PREFLUSH | REQ_SYNC;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		return zeroes ? REQ_OP_WRITE_ZEROES : REQ_OP_WRITE;
	default:
		return REQ_OP_WRITE | flags;
	}
}

/*
 * Write @mio's range of the store to the @n leg regions in @where without
 * waiting: dm-io calls sbull_wt_endio() (through sbull_wt_notify())
 * once every leg has answered. The store is a vmalloc area, which dm-io
 * walks page by page (DM_IO_VMA). The issue worker's context.
 */
static void sbull_wt_send(struct sbull_mirror *m, struct sbull_mirror_io *mio,
			  struct dm_io_region *where, unsigned int n,
			  blk_opf_t opf)
{
	/* EXERCISE 5 BEGIN: write the store to the legs, asynchronously */
	void *store = mio->dev->data + ((size_t)mio->sector << SECTOR_SHIFT);
	struct dm_io_request req = {
		.bi_opf		= opf,
		.mem.type	= DM_IO_VMA,
		.mem.ptr.vma	= store,
		.notify.fn	= sbull_wt_notify,
		.notify.context	= mio,
		.client		= m->client,
	};

	/*
	 * An asynchronous write cannot fail here: dm_io() returns an error
	 * only for an unknown memory type, and reports everything else to
	 * the notify callback.
	 */
	sbull_dm_io(&req, n, where, NULL, mio->ioprio);
	/* EXERCISE 5 END */
}

static void sbull_wt_issue(struct sbull_mirror *m, struct sbull_mirror_io *mio)
{
	struct dm_io_region where[SBULL_MAX_LEGS];
	unsigned int n = 0;
	bool wait, zeroes;
	blk_opf_t opf;

	spin_lock_irq(&m->lock);
	wait = __sbull_wt_must_wait(m, mio);
	if (wait) {
		/* Still counted in its regions: the store is ahead there. */
		llist_add(&mio->node, &m->deferred);
	} else {
		n = __sbull_wt_targets(m, mio, where, &zeroes);
	}
	spin_unlock_irq(&m->lock);
	if (wait)
		return;

	if (!n) {	/* every leg failed, or the resync will copy it */
		sbull_bitmap_end(m, mio->sector, mio->nr_sectors);
		/* Answered once ended or held, as in sbull_wt_endio(). */
		sbull_wt_complete(m, mio);
		sbull_wt_answered(m);
		return;
	}
	opf = sbull_wt_opf(mio, zeroes);
	trace_sbull_mirror_io(mio, opf);
	sbull_wt_send(m, mio, where, n, opf);
}

static void sbull_wt_issue_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(work, struct sbull_mirror,
					      issue_work);
	struct llist_node *list = llist_del_all(&m->pending);
	struct sbull_mirror_io *mio, *next;
	struct blk_plug plug;

	/* Oldest first, and plugged so the legs see the writes together. */
	list = llist_reverse_order(list);
	sbull_bitmap_mark(m, list);
	blk_start_plug(&plug);
	llist_for_each_entry_safe(mio, next, list, node)
		sbull_wt_issue(m, mio);
	blk_finish_plug(&plug);
}

/**
 * sbull_wt_init - the engine of a mirror without legs yet
 * @m: the mirror
 */
void sbull_wt_init(struct sbull_mirror *m)
{
	init_llist_head(&m->pending);
	init_llist_head(&m->deferred);
	init_llist_head(&m->held);
	INIT_WORK(&m->issue_work, sbull_wt_issue_work);
}

/**
 * sbull_wt_queue - send a write to the legs, whatever the mode
 * @mio: the write, of the store's current content, counted in its regions
 *	 by sbull_bitmap_begin()
 *
 * The issue work does the rest, and @mio->end_io() is called once the
 * legs have it.
 *
 * Context: any but interrupt.
 */
void sbull_wt_queue(struct sbull_mirror_io *mio)
{
	struct sbull_mirror *m = mio->dev->mirror;

	atomic_inc(&m->outstanding);
	if (llist_add(&mio->node, &m->pending))
		queue_work(m->wq, &m->issue_work);
}

/**
 * sbull_wt_drain - wait until every write handed over is on the legs
 * @m: the mirror, which takes no new write (frozen, or deleted)
 *
 * A frozen queue has no request in flight, but a bio-based disk may still
 * have bios here: pending, waiting for a resync, or in flight to a leg.
 * A write is answered after it is put on its legs: no leg is busy after.
 *
 * Context: process context; sleeps.
 */
void sbull_wt_drain(struct sbull_mirror *m)
{
	wait_var_event(&m->outstanding, !atomic_read(&m->outstanding));
}

/**
 * sbull_wt_resume_deferred - retry the writes that waited for a resync
 * @m: the mirror, whose resync has moved on or stopped
 *
 * Context: any but interrupt.
 */
void sbull_wt_resume_deferred(struct sbull_mirror *m)
{
	struct llist_node *list = llist_del_all(&m->deferred);
	struct sbull_mirror_io *mio, *next;

	if (!list)
		return;
	llist_for_each_entry_safe(mio, next, llist_reverse_order(list), node)
		llist_add(&mio->node, &m->pending);
	queue_work(m->wq, &m->issue_work);
}

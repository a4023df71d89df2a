// SPDX-License-Identifier: GPL-2.0
/*
 * Writes to the legs, with the kernel's dm-io engine.
 *
 * A request path copies a write into the store, then hands it here with
 * sbull_mirror_write() instead of ending it. ->submit_bio() and
 * ->queue_rq() must not wait for the legs: the bios of a synchronous
 * dm_io() called there would only be queued on current->bio_list until the
 * caller returns, a deadlock; and ->queue_rq() may not even sleep, as
 * dm_io() may for memory. So a work item takes the writes and calls dm_io()
 * asynchronously, one call for all the legs of a write, from the store
 * (DM_IO_VMA); dm-io's notify callback, in interrupt context, ends the
 * original bio or request once every leg has answered. Bit i of the error
 * bitset it gets is region i of that call: a leg with its bit set failed.
 *
 * While a resync copies the store to a leg (sbull_leg.c), a write reaches
 * that leg only once the copy has passed its range, and a write that
 * overlaps the chunk being copied waits for the chunk: the leg then never
 * sees an older copy land after a newer write.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dm-io.h>

#include "sbull.h"
#include "sbull_compat.h"
#include "sbull_trace.h"

/**
 * sbull_mirror_update_no_leg_left - note whether any leg is left in service
 * @m: the mirror, whose lock is held after a change of the legs' states
 *
 * The data path reads the result without the lock.
 */
void sbull_mirror_update_no_leg_left(struct sbull_mirror *m)
{
	unsigned int slot, usable = 0;

	lockdep_assert_held(&m->lock);
	for (slot = 0; slot < SBULL_MAX_LEGS; slot++)
		if (m->legs[slot].state == SBULL_LEG_IN_SYNC ||
		    m->legs[slot].state == SBULL_LEG_RESYNCING)
			usable++;
	WRITE_ONCE(m->no_leg_left, m->nr_legs && !usable);
}

/**
 * sbull_mirror_fail_legs - take legs that returned an error out of service
 * @m: the mirror
 * @legs: the slots that failed, a bitmap
 *
 * Any context; the logging, the uevent and the header updates are done by
 * the event work item, since they sleep.
 */
void sbull_mirror_fail_legs(struct sbull_mirror *m, unsigned long legs)
{
	unsigned long flags;
	unsigned int slot;
	bool news = false;

	spin_lock_irqsave(&m->lock, flags);
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		struct sbull_leg *leg = &m->legs[slot];

		leg->errors++;
		if (leg->state != SBULL_LEG_IN_SYNC &&
		    leg->state != SBULL_LEG_RESYNCING)
			continue;
		leg->state = SBULL_LEG_FAILED;
		m->resync_legs &= ~BIT(slot);
		m->failed |= BIT(slot);
		news = true;
	}
	if (news)
		sbull_mirror_update_no_leg_left(m);
	spin_unlock_irqrestore(&m->lock, flags);
	if (news)
		queue_work(m->event_wq, &m->event_work);
}

static void sbull_mirror_put_legs(struct sbull_mirror *m, unsigned long legs)
{
	unsigned int slot;

	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		atomic_t *inflight = &m->legs[slot].inflight;

		if (atomic_dec_and_test(inflight))
			wake_up_var(inflight);
	}
}

/**
 * sbull_mirror_wait_idle - wait until no write is in flight to a leg
 * @m: the mirror
 * @slot: the leg, which new writes no longer go to
 */
void sbull_mirror_wait_idle(struct sbull_mirror *m, unsigned int slot)
{
	atomic_t *inflight = &m->legs[slot].inflight;

	wait_var_event(inflight, !atomic_read(inflight));
}

/**
 * sbull_mirror_endio - dm-io's notify callback: end the original I/O
 * @error: dm-io's error bitset, bit i for region i of the call
 * @context: the &struct sbull_mirror_io
 *
 * Called in any context, interrupt context included: it must not sleep.
 */
void sbull_mirror_endio(unsigned long error, void *context)
{
	struct sbull_mirror_io *mio = context;
	struct sbull_mirror *m = &mio->dev->mirror;
	unsigned long legs = mio->legs;
	unsigned long failed = sbull_failed_legs(legs, error);

	trace_sbull_mirror_done(mio, error);
	if (!failed) {
		mio->end_io(mio, BLK_STS_OK);	/* @mio is gone after this */
	} else if (failed == legs) {
		sbull_mirror_fail_legs(m, failed);
		mio->end_io(mio, BLK_STS_IOERR);
	} else {
		/*
		 * The write stands, on the legs that took it; but the failed
		 * leg still claims to be in sync. Like dm-raid1, hold the
		 * write until the event work has given the survivors a new
		 * generation: a crash in between must not let the failed leg
		 * be the one the store is restored from.
		 */
		llist_add(&mio->node, &m->held);
		sbull_mirror_fail_legs(m, failed);
	}
	sbull_mirror_put_legs(m, legs);
}

/**
 * sbull_mirror_end_held - end the writes held for a leg failure
 * @m: the mirror, whose survivors' headers now carry the new generation
 */
void sbull_mirror_end_held(struct sbull_mirror *m)
{
	struct llist_node *list = llist_del_all(&m->held);
	blk_status_t status = READ_ONCE(m->no_leg_left) ? BLK_STS_IOERR :
							  BLK_STS_OK;
	struct sbull_mirror_io *mio, *next;

	llist_for_each_entry_safe(mio, next, list, node)
		mio->end_io(mio, status);
}

static sector_t sbull_mio_end(const struct sbull_mirror_io *mio)
{
	return mio->sector + mio->nr_sectors;
}

/* Does the write overlap what the resync is copying, or straddle its edge? */
static bool sbull_mirror_must_wait(struct sbull_mirror *m,
				   const struct sbull_mirror_io *mio)
{
	return m->resync_legs && mio->nr_sectors &&
	       sbull_mio_end(mio) > m->resync_lo && mio->sector < m->resync_hi;
}

/* Below the resync's progress a resyncing leg takes writes; above, the
 * resync will copy the range later.
 */
static bool sbull_leg_takes(struct sbull_mirror *m, unsigned int slot,
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

/* Fill in a region per leg the write goes to; count it in flight there. */
static unsigned int sbull_mirror_targets(struct sbull_mirror *m,
					 struct sbull_mirror_io *mio,
					 struct dm_io_region *where,
					 bool *zeroes)
{
	unsigned int slot, n = 0;

	*zeroes = true;
	mio->legs = 0;
	for (slot = 0; slot < SBULL_MAX_LEGS; slot++) {
		struct sbull_leg *leg = &m->legs[slot];

		if (!sbull_leg_takes(m, slot, mio))
			continue;
		where[n].bdev = leg->bdev;
		where[n].sector = leg->start + SBULL_HDR_SECTORS + mio->sector;
		where[n].count = mio->nr_sectors;
		/* Checked each time: SCSI turns it off after a failure. */
		*zeroes &= bdev_write_zeroes_sectors(leg->bdev) > 0;
		mio->legs |= BIT(slot);
		atomic_inc(&leg->inflight);
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
static blk_opf_t sbull_mirror_opf(const struct sbull_mirror_io *mio,
				  bool zeroes)
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

static void sbull_mirror_issue(struct sbull_mirror *m,
			       struct sbull_mirror_io *mio)
{
	struct sbull_dev *dev = mio->dev;
	struct dm_io_region where[SBULL_MAX_LEGS];
	struct dm_io_request req = {
		.mem.type	= DM_IO_VMA,
		.mem.ptr.vma	= dev->data + ((size_t)mio->sector << SECTOR_SHIFT),
		.notify.fn	= sbull_dm_io_notify,
		.notify.context	= mio,
		.client		= m->client,
	};
	unsigned int n = 0;
	bool wait, zeroes;

	spin_lock_irq(&m->lock);
	wait = sbull_mirror_must_wait(m, mio);
	if (wait)
		llist_add(&mio->node, &m->deferred);
	else
		n = sbull_mirror_targets(m, mio, where, &zeroes);
	spin_unlock_irq(&m->lock);
	if (wait)
		return;

	if (!n) {	/* every leg failed, or the resync will copy it */
		mio->end_io(mio, READ_ONCE(m->no_leg_left) ? BLK_STS_IOERR :
							      BLK_STS_OK);
		return;
	}
	req.bi_opf = sbull_mirror_opf(mio, zeroes);
	trace_sbull_mirror_io(mio, req.bi_opf);
	/*
	 * An asynchronous write cannot fail here: dm_io() returns an error
	 * only for an unknown memory type, and reports everything else to
	 * sbull_mirror_endio().
	 */
	sbull_dm_io(&req, n, where, NULL, mio->ioprio);
}

static void sbull_mirror_issue_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(work, struct sbull_mirror,
					      issue_work);
	struct llist_node *list = llist_del_all(&m->pending);
	struct sbull_mirror_io *mio, *next;
	struct blk_plug plug;

	/* Oldest first, and plugged so the legs see the writes together. */
	blk_start_plug(&plug);
	llist_for_each_entry_safe(mio, next, llist_reverse_order(list), node)
		sbull_mirror_issue(m, mio);
	blk_finish_plug(&plug);
}

/**
 * sbull_mirror_write - send a write that reached the store to the legs
 * @mio: the write, filled in by the request path
 *
 * Any context but interrupt: the work item does the rest, and
 * @mio->end_io() ends the original I/O when the legs have it.
 */
void sbull_mirror_write(struct sbull_mirror_io *mio)
{
	struct sbull_mirror *m = &mio->dev->mirror;

	if (llist_add(&mio->node, &m->pending))
		queue_work(m->wq, &m->issue_work);
}

/**
 * sbull_mirror_resume_deferred - retry the writes that waited for a resync
 * @m: the mirror, whose resync has moved on or stopped
 */
void sbull_mirror_resume_deferred(struct sbull_mirror *m)
{
	struct llist_node *list = llist_del_all(&m->deferred);
	struct sbull_mirror_io *mio, *next;

	if (!list)
		return;
	llist_for_each_entry_safe(mio, next, llist_reverse_order(list), node)
		llist_add(&mio->node, &m->pending);
	queue_work(m->wq, &m->issue_work);
}

/**
 * sbull_mirror_takes - does this operation go to the legs?
 * @dev: the sbull device
 * @op: the operation of a bio or request
 *
 * Return: true for writes, discards, write-zeroes and flushes on a device
 * with legs.
 */
bool sbull_mirror_takes(struct sbull_dev *dev, enum req_op op)
{
	return (op_is_write(op) || op == REQ_OP_FLUSH) &&
	       sbull_mirrored(&dev->mirror);
}

/**
 * sbull_mirror_may_write - refuse writes once every leg has failed
 * @dev: the sbull device
 * @op: the operation about to change the store
 *
 * Checked before the store is touched, so that reads keep returning what
 * the legs hold.
 *
 * Return: BLK_STS_IOERR if no leg is left in service, else BLK_STS_OK.
 */
blk_status_t sbull_mirror_may_write(struct sbull_dev *dev, enum req_op op)
{
	if ((op_is_write(op) || op == REQ_OP_FLUSH) &&
	    READ_ONCE(dev->mirror.no_leg_left))
		return BLK_STS_IOERR;
	return BLK_STS_OK;
}

/**
 * sbull_mirror_init - set up the mirror of a device, without legs yet
 * @dev: the sbull device
 *
 * Return: 0 or a negative errno.
 */
int sbull_mirror_init(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;

	spin_lock_init(&m->lock);
	mutex_init(&m->config);
	init_llist_head(&m->pending);
	init_llist_head(&m->deferred);
	init_llist_head(&m->held);
	INIT_WORK(&m->issue_work, sbull_mirror_issue_work);
	INIT_WORK(&m->event_work, sbull_legs_event_work);
	INIT_WORK(&m->resync_work, sbull_resync_work);
	m->client = dm_io_client_create();
	if (IS_ERR(m->client))
		return PTR_ERR(m->client);
	/*
	 * Writeback may wait on these writes, held or deferred ones too: both
	 * queues must make progress under memory pressure. Unbound: nothing
	 * gains from the submitting CPU, and 7.x warns about a workqueue that
	 * does not say (WQ_PERCPU, the other choice, is only in 6.17 on).
	 */
	m->wq = alloc_workqueue("sbull_mirror", WQ_MEM_RECLAIM | WQ_UNBOUND,
				0);
	m->event_wq = alloc_workqueue("sbull_events",
				      WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!m->wq || !m->event_wq) {
		if (m->wq)
			destroy_workqueue(m->wq);
		if (m->event_wq)
			destroy_workqueue(m->event_wq);
		dm_io_client_destroy(m->client);
		return -ENOMEM;
	}
	return 0;
}

/**
 * sbull_mirror_destroy - free what sbull_mirror_init() set up
 * @dev: the sbull device, whose legs are closed
 */
void sbull_mirror_destroy(struct sbull_dev *dev)
{
	destroy_workqueue(dev->mirror.wq);
	destroy_workqueue(dev->mirror.event_wq);
	dm_io_client_destroy(dev->mirror.client);
}

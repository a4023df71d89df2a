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
 * (DM_IO_VMA); dm-io's notify callback, in any context (a leg's interrupt
 * handler, or the worker itself when a leg completes at once, as brd does:
 * it must never sleep), ends the original bio or request once every leg
 * has answered, or holds it while the legs' headers are behind a change of
 * the legs in service. Bit i of the error bitset it gets is region i of
 * that call: a leg with its bit set failed.
 *
 * While a resync copies the store to a leg (sbull_leg_resync.c), a write
 * reaches that leg only once the copy has passed its range, and a write
 * that overlaps the chunk being copied waits for the chunk: the leg then
 * never sees an older copy land after a newer write.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dm-io.h>

#include "sbull.h"
#include "sbull_compat.h"
#include "sbull_trace.h"

/**
 * sbull_mirror_set_state - change a leg's state, and what follows from it
 * @m: the mirror, whose lock is held
 * @slot: the leg
 * @state: its new state
 *
 * A leg entering or leaving the in-sync set makes the headers behind:
 * until a new generation is on the in-sync legs, a leg that left still
 * claims what they claim, and a leg that joined still says it is
 * resyncing. Every write completed meanwhile is held (see
 * sbull_mirror_complete()). The data path reads @no_leg_left and
 * @no_complete_copy without the lock.
 */
void sbull_mirror_set_state(struct sbull_mirror *m, unsigned int slot,
			    enum sbull_leg_state state)
{
	bool was_in_sync = m->legs[slot].state == SBULL_LEG_IN_SYNC;
	bool is_in_sync = state == SBULL_LEG_IN_SYNC;
	unsigned int in_sync, resyncing, failed;

	lockdep_assert_held(&m->lock);
	if (was_in_sync != is_in_sync) {
		WRITE_ONCE(m->behind, true);
		m->changes++;
	}
	/* A leg that stops resyncing needs a whole copy from then on. */
	if (state != SBULL_LEG_RESYNCING)
		m->partial_legs &= ~BIT(slot);
	m->legs[slot].state = state;
	in_sync = hweight_long(sbull_legs_in(m, SBULL_LEG_IN_SYNC));
	resyncing = hweight_long(sbull_legs_in(m, SBULL_LEG_RESYNCING));
	failed = hweight_long(sbull_legs_in(m, SBULL_LEG_FAILED));
	/* Legs being removed or readied for a resync count for neither. */
	WRITE_ONCE(m->no_leg_left, failed && !in_sync && !resyncing);
	WRITE_ONCE(m->no_complete_copy, (failed || resyncing) && !in_sync);
}

/**
 * sbull_legs_in - the legs in a state
 * @m: the mirror, whose lock is held
 * @state: the state
 *
 * Return: the slots in @state, a bitmap.
 */
unsigned long sbull_legs_in(struct sbull_mirror *m, enum sbull_leg_state state)
{
	unsigned long legs = 0;
	unsigned int slot;

	lockdep_assert_held(&m->lock);
	for (slot = 0; slot < SBULL_MAX_LEGS; slot++)
		if (m->legs[slot].state == state)
			legs |= BIT(slot);
	return legs;
}

/**
 * sbull_legs_in_service - the legs that take writes
 * @m: the mirror, whose lock is held
 *
 * Return: the slots in sync or resyncing, a bitmap.
 */
unsigned long sbull_legs_in_service(struct sbull_mirror *m)
{
	lockdep_assert_held(&m->lock);
	return sbull_legs_in(m, SBULL_LEG_IN_SYNC) |
	       sbull_legs_in(m, SBULL_LEG_RESYNCING);
}

/* Fail the legs of @legs still in service; true if one was. */
static bool __sbull_mirror_fail_legs(struct sbull_mirror *m,
				     unsigned long legs)
{
	unsigned int slot;
	bool news = false;

	lockdep_assert_held(&m->lock);
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		struct sbull_leg *leg = &m->legs[slot];

		leg->errors++;
		if (!sbull_leg_in_service(leg))
			continue;
		sbull_mirror_set_state(m, slot, SBULL_LEG_FAILED);
		m->resync_legs &= ~BIT(slot);
		m->failed |= BIT(slot);
		news = true;
	}
	return news;
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
	bool news;

	spin_lock_irqsave(&m->lock, flags);
	news = __sbull_mirror_fail_legs(m, legs);
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

/* A write of sbull_mirror_queue() that the legs answered, or not sent. */
static void sbull_mirror_answered(struct sbull_mirror *m)
{
	if (atomic_dec_and_test(&m->outstanding))
		wake_up_var(&m->outstanding);
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
 * sbull_mio_durable - does the write promise durability: a flush, or FUA?
 * @mio: the write
 *
 * Return: true for REQ_OP_FLUSH and writes with REQ_PREFLUSH or REQ_FUA.
 */
bool sbull_mio_durable(const struct sbull_mirror_io *mio)
{
	return (mio->opf & (REQ_PREFLUSH | REQ_FUA)) ||
	       (mio->opf & REQ_OP_MASK) == REQ_OP_FLUSH;
}

/*
 * How a write that reached the legs in service ends: EIO if none is left;
 * EIO too for a flush or FUA write when no leg holds a complete copy (the
 * others are resyncing): it would promise what no leg can keep.
 */
static blk_status_t sbull_mirror_status(struct sbull_mirror *m,
					const struct sbull_mirror_io *mio)
{
	if (READ_ONCE(m->no_leg_left))
		return BLK_STS_IOERR;
	if (sbull_mio_durable(mio) && READ_ONCE(m->no_complete_copy))
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
static void sbull_mirror_complete(struct sbull_mirror *m,
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
		mio->end_io(mio, sbull_mirror_status(m, mio));
		return;
	}
	spin_lock_irqsave(&m->lock, flags);
	hold = m->behind;
	if (hold)
		llist_add(&mio->node, &m->held);
	spin_unlock_irqrestore(&m->lock, flags);
	/*
	 * Queued at every hold: a failure on a leg that had already failed
	 * is no news, but the write it holds must end.
	 */
	if (hold)
		queue_work(m->event_wq, &m->event_work);
	else
		mio->end_io(mio, sbull_mirror_status(m, mio));
}

/**
 * sbull_mirror_endio - dm-io's notify callback: end the original I/O
 * @error: dm-io's error bitset, bit i for region i of the call
 * @context: the &struct sbull_mirror_io
 *
 * Called in any context, interrupt context included: it must not sleep.
 * A write that no leg took fails; one that some took stands.
 */
void sbull_mirror_endio(unsigned long error, void *context)
{
	struct sbull_mirror_io *mio = context;
	struct sbull_mirror *m = &mio->dev->mirror;
	unsigned long legs = mio->legs;
	unsigned long failed = sbull_failed_legs(legs, error);

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
		sbull_mirror_fail_legs(m, failed);
	sbull_bitmap_end(m, mio->sector, mio->nr_sectors);
	sbull_mirror_put_legs(m, legs);
	if (failed == legs)
		mio->end_io(mio, BLK_STS_IOERR);
	else
		sbull_mirror_complete(m, mio);
	sbull_mirror_answered(m);
	/* EXERCISE 5 END */
}

/**
 * sbull_mirror_end_held - end the writes held while the headers were behind
 * @m: the mirror, whose in-sync legs' headers now carry the new generation
 *
 * Process context (the event work item, a leg command).
 */
void sbull_mirror_end_held(struct sbull_mirror *m)
{
	struct sbull_mirror_io *mio, *next;
	struct llist_node *list;

	spin_lock_irq(&m->lock);
	list = m->behind ? NULL : llist_del_all(&m->held);
	spin_unlock_irq(&m->lock);
	llist_for_each_entry_safe(mio, next, list, node)
		mio->end_io(mio, sbull_mirror_status(m, mio));
}

/**
 * sbull_mirror_headers_written - the headers say all changes up to @changes
 * @m: the mirror
 * @changes: the count of changes taken before the headers were written
 *
 * The held writes may then end (sbull_mirror_end_held()), unless a leg
 * left service meanwhile.
 */
void sbull_mirror_headers_written(struct sbull_mirror *m,
				  unsigned int changes)
{
	spin_lock_irq(&m->lock);
	if (m->changes == changes)
		WRITE_ONCE(m->behind, false);
	spin_unlock_irq(&m->lock);
	/* A flush may wait for a resync that this change ended. */
	sbull_mirror_resume_deferred(m);
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
static bool sbull_mirror_must_wait(struct sbull_mirror *m,
				   const struct sbull_mirror_io *mio)
{
	if (m->no_complete_copy && sbull_mio_durable(mio) &&
	    sbull_legs_in(m, SBULL_LEG_RESYNCING))
		return true;
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

/*
 * Fill in a region per leg the write goes to; count it in flight there. A
 * leg resyncing from the bitmap that does not take it now must get it from
 * the resync: its regions join the resync's.
 */
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

		if (!sbull_leg_takes(m, slot, mio)) {
			if (m->partial_legs & BIT(slot))
				sbull_bitmap_resync_add(m, mio);
			continue;
		}
		where[n] = sbull_leg_region(leg, mio->sector, mio->nr_sectors);
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

/*
 * Write @mio's range of the store to the @n leg regions in @where without
 * waiting: dm-io calls sbull_mirror_endio() (through sbull_dm_io_notify())
 * once every leg has answered. The store is a vmalloc area, which dm-io
 * walks page by page (DM_IO_VMA). The issue worker's context.
 */
static void sbull_mirror_send(struct sbull_mirror *m,
			      struct sbull_mirror_io *mio,
			      struct dm_io_region *where, unsigned int n,
			      blk_opf_t opf)
{
	/* EXERCISE 5 BEGIN: write the store to the legs, asynchronously */
	void *store = mio->dev->data + ((size_t)mio->sector << SECTOR_SHIFT);
	struct dm_io_request req = {
		.bi_opf		= opf,
		.mem.type	= DM_IO_VMA,
		.mem.ptr.vma	= store,
		.notify.fn	= sbull_dm_io_notify,
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

static void sbull_mirror_issue(struct sbull_mirror *m,
			       struct sbull_mirror_io *mio)
{
	struct dm_io_region where[SBULL_MAX_LEGS];
	unsigned int n = 0;
	bool wait, zeroes;
	blk_opf_t opf;

	spin_lock_irq(&m->lock);
	wait = sbull_mirror_must_wait(m, mio);
	if (wait) {
		/* Still counted in its regions: the store is ahead there. */
		llist_add(&mio->node, &m->deferred);
	} else {
		n = sbull_mirror_targets(m, mio, where, &zeroes);
	}
	spin_unlock_irq(&m->lock);
	if (wait)
		return;

	if (!n) {	/* every leg failed, or the resync will copy it */
		sbull_bitmap_end(m, mio->sector, mio->nr_sectors);
		/* Answered once ended or held, as in sbull_mirror_endio(). */
		sbull_mirror_complete(m, mio);
		sbull_mirror_answered(m);
		return;
	}
	opf = sbull_mirror_opf(mio, zeroes);
	trace_sbull_mirror_io(mio, opf);
	sbull_mirror_send(m, mio, where, n, opf);
}

static void sbull_mirror_issue_work(struct work_struct *work)
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
		sbull_mirror_issue(m, mio);
	blk_finish_plug(&plug);
}

/**
 * sbull_mirror_queue - send a write to the legs, whatever the mode
 * @mio: the write, of the store's current content, counted in its regions
 *	 by sbull_bitmap_begin()
 *
 * Any context but interrupt: the issue work does the rest, and
 * @mio->end_io() is called once the legs have it.
 */
void sbull_mirror_queue(struct sbull_mirror_io *mio)
{
	struct sbull_mirror *m = &mio->dev->mirror;

	atomic_inc(&m->outstanding);
	if (llist_add(&mio->node, &m->pending))
		queue_work(m->wq, &m->issue_work);
}

/**
 * sbull_mirror_write - send a write that reached the store to the legs
 * @mio: the write, filled in by the request path
 *
 * Any context but interrupt. In write-through mode @mio->end_io() ends
 * the original I/O when the legs have it; in write-back mode, at once, or
 * after the flusher's next pass for a flush (sbull_writeback.c).
 */
void sbull_mirror_write(struct sbull_mirror_io *mio)
{
	if (READ_ONCE(mio->dev->mirror.wb.on))
		sbull_wb_write(mio);
	else
		sbull_mirror_queue(mio);
}

/**
 * sbull_mirror_drain - wait until every write handed over is on the legs
 * @m: the mirror, which takes no new write (frozen, or deleted)
 *
 * A frozen queue has no request in flight, but a bio-based disk may still
 * have bios here: pending, waiting for a resync, or in flight to a leg.
 * A write is answered after it is put on its legs: no leg is busy after.
 * Process context.
 */
void sbull_mirror_drain(struct sbull_mirror *m)
{
	wait_var_event(&m->outstanding, !atomic_read(&m->outstanding));
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
 * Asked once per I/O: the answer decides both sbull_mirror_begin() and
 * sbull_mirror_write(), and a leg may come or go in between.
 *
 * Return: true for writes, discards, write-zeroes and flushes on a device
 * with legs.
 */
bool sbull_mirror_takes(struct sbull_dev *dev, enum req_op op)
{
	switch (op) {
	case REQ_OP_WRITE:
	case REQ_OP_FLUSH:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		return sbull_mirrored(&dev->mirror);
	default:
		return false;
	}
}

/**
 * sbull_mirror_begin - a write the legs take is about to change the store
 * @dev: the sbull device
 * @sector: the write's first sector
 * @nr_sectors: its length; 0 for a flush
 *
 * Called by the request paths after every check that may fail the I/O,
 * before they change the store; the write then goes to
 * sbull_mirror_write(). From here until the legs have it, the store is
 * ahead of them in its regions, and the write-intent bitmap knows it
 * (sbull_bitmap_begin()). Any context but interrupt.
 */
void sbull_mirror_begin(struct sbull_dev *dev, sector_t sector,
			unsigned int nr_sectors)
{
	sbull_bitmap_begin(&dev->mirror, sector, nr_sectors);
}

/**
 * sbull_mirror_may_write - refuse writes once every leg has failed
 * @dev: the sbull device
 * @op: the operation about to change the store
 *
 * Checked before the store is touched, so that reads keep returning what
 * the legs hold. A flush or FUA write with no leg in sync but one
 * resyncing passes: it waits for the resync when it reaches the legs.
 *
 * Return: BLK_STS_IOERR for a write or flush once no leg is left in
 * service, else BLK_STS_OK.
 */
blk_status_t sbull_mirror_may_write(struct sbull_dev *dev, enum req_op op)
{
	if ((op_is_write(op) || op == REQ_OP_FLUSH) &&
	    READ_ONCE(dev->mirror.no_leg_left))
		return BLK_STS_IOERR;
	return BLK_STS_OK;
}

/**
 * sbull_mirror_init - set up the mirror of a device, without legs
 * @dev: the sbull device
 *
 * What the legs need, dm-io's client and the workqueues, comes with the
 * first leg: sbull_mirror_open().
 */
void sbull_mirror_init(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;

	spin_lock_init(&m->lock);
	mutex_init(&m->config);
	mutex_init(&m->bitmap_lock);
	INIT_DELAYED_WORK(&m->bitmap_work, sbull_bitmap_work);
	init_llist_head(&m->pending);
	init_llist_head(&m->deferred);
	init_llist_head(&m->held);
	INIT_WORK(&m->issue_work, sbull_mirror_issue_work);
	INIT_WORK(&m->event_work, sbull_legs_event_work);
	INIT_WORK(&m->resync_work, sbull_resync_work);
}

/* Events queue issue work, resyncs queue events: destroyed in that order. */
static void sbull_mirror_destroy_wqs(struct sbull_mirror *m)
{
	if (m->resync_wq)
		destroy_workqueue(m->resync_wq);
	if (m->event_wq)
		destroy_workqueue(m->event_wq);
	if (m->wq)
		destroy_workqueue(m->wq);
	m->resync_wq = NULL;
	m->event_wq = NULL;
	m->wq = NULL;
}

/**
 * sbull_mirror_open - make ready for a first leg: dm-io, workqueues
 * @dev: the sbull device, whose disk is named; under @config, or loading
 *
 * Return: 0 or a negative errno.
 */
int sbull_mirror_open(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;
	const char *name = dev->disk->disk_name;
	struct dm_io_client *client;
	int err;

	if (m->client)
		return 0;
	err = sbull_bitmap_alloc(dev);
	if (err)
		return err;
	err = sbull_wb_alloc(dev);
	if (err) {
		sbull_bitmap_free(m);
		return err;
	}
	client = dm_io_client_create();
	if (IS_ERR(client)) {
		sbull_wb_free(m);
		sbull_bitmap_free(m);
		return PTR_ERR(client);
	}
	/*
	 * Writeback may wait on these writes, held or deferred ones too: both
	 * queues must make progress under memory pressure. Unbound: nothing
	 * gains from the submitting CPU, and 7.x warns about a workqueue that
	 * does not say (WQ_PERCPU, the other choice, is only in 6.17 on).
	 */
	m->wq = alloc_workqueue("%s_mirror", WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
				name);
	m->event_wq = alloc_workqueue("%s_events", WQ_MEM_RECLAIM | WQ_UNBOUND,
				      0, name);
	m->resync_wq = alloc_workqueue("%s_resync", WQ_MEM_RECLAIM | WQ_UNBOUND,
				       0, name);
	if (!m->wq || !m->event_wq || !m->resync_wq) {
		sbull_mirror_destroy_wqs(m);
		dm_io_client_destroy(client);
		sbull_wb_free(m);
		sbull_bitmap_free(m);
		return -ENOMEM;
	}
	m->client = client;
	return 0;
}

/**
 * sbull_mirror_destroy - free what sbull_mirror_open() set up, if it ran
 * @dev: the sbull device, whose legs are closed
 */
void sbull_mirror_destroy(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;

	if (!m->client)
		return;
	cancel_delayed_work_sync(&m->bitmap_work);
	sbull_wb_free(m);
	sbull_mirror_destroy_wqs(m);
	dm_io_client_destroy(m->client);
	m->client = NULL;
	sbull_bitmap_free(m);
}

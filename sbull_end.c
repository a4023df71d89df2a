// SPDX-License-Identifier: GPL-2.0
/*
 * How an I/O ends, once sbull_queue.c has copied it: at once, as brd ends
 * its bios; or later, when something must happen first:
 *
 * - a write the mirror takes ends once the legs have it (write-through),
 *   or once the flusher has been (a flush in write-back mode): it is
 *   handed to sbull_mirror_write() with an end_io callback;
 * - an injected delay (sbull_inject.h) ends it from an hrtimer, in hard
 *   interrupt context: a request's timer is in its PDU, a bio's in the
 *   struct sbull_bio_io it then takes from a pool;
 * - before all that, an I/O into a part of the store that the mirror has
 *   not read back yet after the load waits for it (sbull_bio_waits(),
 *   sbull_rq_waits()), and goes through its path again once it is there;
 * - a request of a poll queue waits on the queue's poll_list for ->poll()
 *   (io_uring's IORING_SETUP_IOPOLL), as it would for a driver whose
 *   hardware had posted the completion. That is decided by the request,
 *   not by its queue: blk-mq may put a request nobody polls for, such as
 *   the flush of a polled write, on a poll queue.
 *
 * Locking: each hardware queue's poll_lock guards its poll_list and the
 * on_poll_list of the requests on it; ->queue_rq(), ->poll() and
 * ->timeout() take it, all in process context. Whichever takes a request
 * off the list ends it.
 */
#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/mempool.h>

#include "sbull.h"
#include "sbull_inject.h"
#include "sbull_stats.h"

/* The mirror's view of a write that has reached the store. */
static void sbull_mio_init(struct sbull_mirror_io *mio, struct sbull_dev *dev,
			   blk_opf_t opf, sector_t sector,
			   unsigned int nr_sectors, unsigned short ioprio,
			   void (*end_io)(struct sbull_mirror_io *mio,
					  blk_status_t status))
{
	mio->dev = dev;
	mio->opf = opf;
	mio->sector = nr_sectors ? sector : 0;	/* a flush has no position */
	mio->nr_sectors = nr_sectors;
	mio->ioprio = ioprio;
	mio->end_io = end_io;
}

/* ---- bio mode ---------------------------------------------------------- */

/*
 * A bio has no room for the driver: what a bio needs that ends later than
 * ->submit_bio(), for the mirror or after a delay, comes from a pool.
 */
struct sbull_bio_io {
	struct sbull_mirror_io mio;
	struct sbull_wait wait;
	struct bio *bio;
	struct sbull_dev *dev;
	struct hrtimer timer;
};

static mempool_t sbull_bio_io_pool;

static enum hrtimer_restart sbull_bio_timer_fn(struct hrtimer *timer);

/*
 * The pool's elements, each with its timer set up once: a timer may be
 * started again while its last callback still runs, but not set up.
 */
static void *sbull_bio_io_new(gfp_t gfp, void *data)
{
	struct sbull_bio_io *bio_io = kmalloc(sizeof(*bio_io), gfp);

	if (bio_io)
		sbull_hrtimer_setup(&bio_io->timer, sbull_bio_timer_fn,
				    CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	return bio_io;
}

/**
 * sbull_end_init - set up what the ends of bios share: the pool
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_end_init(void)
{
	return mempool_init(&sbull_bio_io_pool, 16, sbull_bio_io_new,
			    mempool_kfree, NULL);
}

/**
 * sbull_end_exit - undo sbull_end_init()
 */
void sbull_end_exit(void)
{
	mempool_exit(&sbull_bio_io_pool);
}

/**
 * sbull_bio_io_alloc - what a bio that ends later needs
 * @bio: the bio, which the mirror takes or whose end is delayed
 *
 * The pool may sleep for memory, which a REQ_NOWAIT bio forbids.
 *
 * Context: ->submit_bio().
 * Return: the element, or NULL for a REQ_NOWAIT bio when none is free.
 */
struct sbull_bio_io *sbull_bio_io_alloc(struct bio *bio)
{
	return mempool_alloc(&sbull_bio_io_pool,
			     bio->bi_opf & REQ_NOWAIT ? GFP_NOWAIT : GFP_NOIO);
}

static enum hrtimer_restart sbull_bio_timer_fn(struct hrtimer *timer)
{
	struct sbull_bio_io *bio_io = container_of(timer, struct sbull_bio_io,
						   timer);
	struct sbull_dev *dev = bio_io->dev;
	struct bio *bio = bio_io->bio;

	mempool_free(bio_io, &sbull_bio_io_pool);
	bio_endio(bio);
	if (atomic_dec_and_test(&dev->delayed))
		wake_up_var(&dev->delayed);
	return HRTIMER_NORESTART;
}

/* End @bio now, or when sbull_inject_delay() says; @bio_io is freed. */
static void sbull_bio_end_now(struct sbull_dev *dev, struct bio *bio,
			      struct sbull_bio_io *bio_io)
{
	u64 ns = bio_io ? sbull_inject_delay(dev, bio_has_data(bio) ?
					     bio->bi_iter.bi_size : 0) : 0;

	if (!ns) {
		if (bio_io)
			mempool_free(bio_io, &sbull_bio_io_pool);
		bio_endio(bio);
		return;
	}
	bio_io->bio = bio;
	bio_io->dev = dev;
	atomic_inc(&dev->delayed);
	hrtimer_start(&bio_io->timer, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

static void sbull_bio_mirrored(struct sbull_mirror_io *mio,
			       blk_status_t status)
{
	struct sbull_bio_io *bio_io = container_of(mio, struct sbull_bio_io,
						   mio);
	struct bio *bio = bio_io->bio;

	bio->bi_status = status;
	sbull_bio_end_now(mio->dev, bio, bio_io);
}

/**
 * sbull_bio_end - end a bio that ->submit_bio() has carried out
 * @dev: the sbull device
 * @bio: the bio, its bi_status set
 * @bio_io: from sbull_bio_io_alloc() if the mirror takes it or its end is
 *	delayed, else NULL; freed
 * @mirrored: the mirror takes it (sbull_mirror_takes()), and a bio that
 *	succeeded goes to the legs before it ends
 *
 * Context: ->submit_bio(); never sleeps.
 */
void sbull_bio_end(struct sbull_dev *dev, struct bio *bio,
		   struct sbull_bio_io *bio_io, bool mirrored)
{
	if (mirrored && bio->bi_status == BLK_STS_OK) {
		bio_io->bio = bio;
		sbull_mio_init(&bio_io->mio, dev, bio->bi_opf,
			       bio->bi_iter.bi_sector, bio_sectors(bio),
			       bio->bi_ioprio, sbull_bio_mirrored);
		sbull_mirror_write(&bio_io->mio);
		return;
	}
	sbull_bio_end_now(dev, bio, bio_io);
}

/* The bio's regions are in the store (or never will be): start again. */
static void sbull_bio_resume(struct sbull_wait *w)
{
	struct sbull_bio_io *bio_io = container_of(w, struct sbull_bio_io,
						   wait);
	struct bio *bio = bio_io->bio;

	mempool_free(bio_io, &sbull_bio_io_pool);
	submit_bio_noacct(bio);
}

/**
 * sbull_bio_waits - park a bio into a part of the store not read back yet
 * @dev: the sbull device
 * @bio: the bio, before anything is done with it
 *
 * While the mirror reads the store back after the load, a bio that
 * touches a region not yet in the store waits for it, in an element of
 * the pool, and is submitted again from the start, by the mirror's worker.
 *
 * Context: ->submit_bio().
 * Return: true if the bio was taken: parked, or ended (a REQ_NOWAIT bio
 * with no element free).
 */
bool sbull_bio_waits(struct sbull_dev *dev, struct bio *bio)
{
	struct sbull_bio_io *bio_io;

	if (!sbull_mirror_refilling(dev, bio->bi_iter.bi_sector,
				    bio_sectors(bio)))
		return false;
	bio_io = sbull_bio_io_alloc(bio);
	if (!bio_io) {
		bio_wouldblock_error(bio);
		return true;
	}
	bio_io->bio = bio;
	bio_io->wait.sector = bio->bi_iter.bi_sector;
	bio_io->wait.nr_sectors = bio_sectors(bio);
	bio_io->wait.resume = sbull_bio_resume;
	if (sbull_mirror_wait(dev, &bio_io->wait))
		return true;
	mempool_free(bio_io, &sbull_bio_io_pool);
	return false;
}

/* ---- blk-mq modes ------------------------------------------------------ */

static bool sbull_rq_moves_data(struct request *rq)
{
	return (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) &&
	       blk_rq_bytes(rq);
}

static enum hrtimer_restart sbull_rq_timer_fn(struct hrtimer *timer)
{
	struct sbull_cmd *cmd = container_of(timer, struct sbull_cmd, timer);

	blk_mq_end_request(blk_mq_rq_from_pdu(cmd), cmd->status);
	return HRTIMER_NORESTART;
}

/* End @rq now, or when sbull_inject_delay() says. */
static void sbull_rq_end(struct sbull_dev *dev, struct request *rq,
			 blk_status_t status)
{
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);
	u64 ns = sbull_inject_delay(dev, sbull_rq_moves_data(rq) ?
					 blk_rq_bytes(rq) : 0);

	if (!ns) {
		blk_mq_end_request(rq, status);
		return;
	}
	cmd->status = status;
	hrtimer_start(&cmd->timer, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

static void sbull_rq_mirrored(struct sbull_mirror_io *mio,
			      blk_status_t status)
{
	struct sbull_cmd *cmd = container_of(mio, struct sbull_cmd, mio);

	sbull_rq_end(mio->dev, blk_mq_rq_from_pdu(cmd), status);
}

/*
 * A request of a poll queue is done: ->poll() ends it, once any injected
 * delay has passed.
 */
static void sbull_poll_queue_add(struct blk_mq_hw_ctx *hctx,
				 struct sbull_dev *dev, struct request *rq,
				 blk_status_t status)
{
	struct sbull_hwq *hwq = hctx->driver_data;
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->status = status;
	cmd->deadline = 0;
	if (sbull_inject_delays(dev))
		cmd->deadline = ktime_get_ns() +
				sbull_inject_delay(dev, sbull_rq_moves_data(rq) ?
						   blk_rq_bytes(rq) : 0);
	spin_lock(&hwq->poll_lock);
	list_add_tail(&rq->queuelist, &hwq->poll_list);
	cmd->on_poll_list = true;
	spin_unlock(&hwq->poll_lock);
}

/**
 * sbull_end_request - end a request that ->queue_rq() has carried out
 * @hctx: its hardware queue
 * @dev: the sbull device
 * @rq: the request
 * @mirrored: the mirror takes it (sbull_mirror_takes()): a request that
 *	succeeded goes to the legs before it ends
 * @status: how it went
 *
 * End the request; or let the legs end a write that reached the store, or
 * ->poll() a polled request.
 *
 * Context: ->queue_rq(); never sleeps.
 */
void sbull_end_request(struct blk_mq_hw_ctx *hctx, struct sbull_dev *dev,
		       struct request *rq, bool mirrored, blk_status_t status)
{
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (mirrored && status == BLK_STS_OK) {
		sbull_mio_init(&cmd->mio, dev, rq->cmd_flags, blk_rq_pos(rq),
			       blk_rq_sectors(rq), req_get_ioprio(rq),
			       sbull_rq_mirrored);
		sbull_mirror_write(&cmd->mio);
		return;
	}
	if (rq->cmd_flags & REQ_POLLED) {
		sbull_poll_queue_add(hctx, dev, rq, status);
		return;
	}
	sbull_rq_end(dev, rq, status);
}

/**
 * sbull_poll - blk-mq's ->poll(): end what ->queue_rq() left on the queue
 * @hctx: the poll queue
 * @iob: the caller's completion batch, or NULL
 *
 * The requests whose time has come end, into the batch where there is
 * one; the others go back.
 *
 * Context: process context (the submitter, polling).
 * Return: how many were ended.
 */
int sbull_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct sbull_hwq *hwq = hctx->driver_data;
	struct sbull_dev *dev = hctx->queue->queuedata;
	struct request *rq, *next;
	u64 now = ktime_get_ns();
	LIST_HEAD(done);
	int nr = 0;

	spin_lock(&hwq->poll_lock);
	list_for_each_entry_safe(rq, next, &hwq->poll_list, queuelist) {
		struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

		if (cmd->deadline > now)
			continue;
		list_move_tail(&rq->queuelist, &done);
		cmd->on_poll_list = false;
	}
	spin_unlock(&hwq->poll_lock);

	list_for_each_entry_safe(rq, next, &done, queuelist) {
		struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

		list_del_init(&rq->queuelist);
		if (!blk_mq_add_to_batch(rq, iob, cmd->status != BLK_STS_OK,
					 blk_mq_end_request_batch))
			blk_mq_end_request(rq, cmd->status);
		nr++;
	}
	sbull_count_polled(dev, nr);
	return nr;
}

/* The request's regions are in the store (or never will be): again. */
static void sbull_rq_resume(struct sbull_wait *w)
{
	struct sbull_cmd *cmd = container_of(w, struct sbull_cmd, wait);

	blk_mq_requeue_request(blk_mq_rq_from_pdu(cmd), true);
}

/**
 * sbull_rq_waits - park a request into a part of the store not read back yet
 * @dev: the sbull device
 * @rq: the request, started, before anything else is done with it
 *
 * While the mirror reads the store back after the load, a request that
 * touches a region not yet in the store waits for it, and is requeued
 * by the mirror's worker: ->queue_rq() then sees it again. A flush
 * touches no region.
 *
 * Context: ->queue_rq(); never sleeps.
 * Return: true if the request waits.
 */
bool sbull_rq_waits(struct sbull_dev *dev, struct request *rq)
{
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (!sbull_mirror_refilling(dev, blk_rq_pos(rq), blk_rq_sectors(rq)))
		return false;
	cmd->wait.sector = blk_rq_pos(rq);
	cmd->wait.nr_sectors = blk_rq_sectors(rq);
	cmd->wait.resume = sbull_rq_resume;
	return sbull_mirror_wait(dev, &cmd->wait);
}

/**
 * sbull_timeout - blk-mq's ->timeout(): a polled request nobody polls for
 * @rq: the request whose time ran out
 *
 * A polled request waits for a submitter that may have stopped polling
 * (a stopped process; an io_uring submit without GETEVENTS). A queue
 * freeze would then wait for ever: end it as ->poll() would have, once
 * its injected delay has passed (before, ->poll() would not end it
 * either). Any other request is ended by an hrtimer or by the mirror, or
 * waits for the mirror to read its part of the store back (requeued
 * then), none of which has a time limit: let it run.
 *
 * Context: process context (the timeout work).
 * Return: BLK_EH_DONE if it was ended, else BLK_EH_RESET_TIMER.
 */
enum blk_eh_timer_return sbull_timeout(struct request *rq)
{
	struct sbull_hwq *hwq = rq->mq_hctx->driver_data;
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);
	u64 now = ktime_get_ns();
	bool stranded;

	spin_lock(&hwq->poll_lock);
	stranded = cmd->on_poll_list && cmd->deadline <= now;
	if (stranded) {
		list_del_init(&rq->queuelist);
		cmd->on_poll_list = false;
	}
	spin_unlock(&hwq->poll_lock);
	if (!stranded)
		return BLK_EH_RESET_TIMER;
	blk_mq_end_request(rq, cmd->status);
	return BLK_EH_DONE;
}

/**
 * sbull_init_request - blk-mq's ->init_request(): a request's timer
 * @set: the tag set
 * @rq: the request, the flush request too
 * @hctx_idx: its hardware queue
 * @numa_node: its node
 *
 * Each request's timer, for an injected delay, is set up once: a timer
 * may be started again while its last callback still runs, but not set
 * up.
 *
 * Return: 0.
 */
int sbull_init_request(struct blk_mq_tag_set *set, struct request *rq,
		       unsigned int hctx_idx, sbull_numa_node_t numa_node)
{
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

	sbull_hrtimer_setup(&cmd->timer, sbull_rq_timer_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL);
	return 0;
}

/**
 * sbull_init_hctx - blk-mq's ->init_hctx(): a hardware queue's poll list
 * @hctx: the hardware queue
 * @data: the sbull device (the tag set's driver_data)
 * @hctx_idx: its index
 *
 * Return: 0.
 */
int sbull_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
		    unsigned int hctx_idx)
{
	struct sbull_dev *dev = data;

	hctx->driver_data = &dev->hwqs[hctx_idx];
	return 0;
}

/**
 * sbull_map_queues - blk-mq's ->map_queues(): the poll queues after the others
 * @set: the tag set
 *
 * The CPUs' queues for ordinary I/O first, then the poll queues; reads
 * have no map of their own (null_blk's layout).
 */
void sbull_map_queues(struct blk_mq_tag_set *set)
{
	struct sbull_dev *dev = set->driver_data;
	unsigned int i, offset = 0;

	/* blk-mq gave fewer queues or maps (a kdump kernel): no polling. */
	if (set->nr_maps <= HCTX_TYPE_POLL ||
	    set->nr_hw_queues <= dev->poll_queues) {
		set->map[HCTX_TYPE_DEFAULT].nr_queues = set->nr_hw_queues;
		set->map[HCTX_TYPE_DEFAULT].queue_offset = 0;
		blk_mq_map_queues(&set->map[HCTX_TYPE_DEFAULT]);
		return;
	}
	for (i = 0; i < set->nr_maps; i++) {
		struct blk_mq_queue_map *map = &set->map[i];

		switch (i) {
		case HCTX_TYPE_DEFAULT:
			map->nr_queues = set->nr_hw_queues - dev->poll_queues;
			break;
		case HCTX_TYPE_POLL:
			map->nr_queues = dev->poll_queues;
			break;
		default:
			map->nr_queues = 0;
			continue;
		}
		map->queue_offset = offset;
		offset += map->nr_queues;
		blk_mq_map_queues(map);
	}
}

/**
 * sbull_hwqs_alloc - give each hardware queue its struct sbull_hwq
 * @dev: a blk-mq device whose tag set is filled in but not yet allocated
 *
 * Return: 0, or -ENOMEM.
 */
int sbull_hwqs_alloc(struct sbull_dev *dev)
{
	unsigned int i, n = dev->tag_set.nr_hw_queues;

	dev->hwqs = kcalloc(n, sizeof(*dev->hwqs), GFP_KERNEL);
	if (!dev->hwqs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		spin_lock_init(&dev->hwqs[i].poll_lock);
		INIT_LIST_HEAD(&dev->hwqs[i].poll_list);
	}
	return 0;
}

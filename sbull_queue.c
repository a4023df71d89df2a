// SPDX-License-Identifier: GPL-2.0
/*
 * The three request paths.
 *
 * bio:    no request queue; the block layer hands each bio to
 *         ->submit_bio(), which walks it with bio_for_each_segment().
 * mq:     blk-mq merges bios into requests and hands them to ->queue_rq(),
 *         which walks each with rq_for_each_segment() and ends it whole.
 * simple: blk-mq as well, but like LDD3's RM_SIMPLE the request is copied
 *         one segment at a time and completed piece by piece with
 *         blk_update_request().
 *
 * The bio mode has its own block_device_operations: a ->submit_bio method
 * in the table makes the block layer bypass blk-mq altogether.
 *
 * On a disk with mirror legs, a write that has reached the store is not
 * ended here but handed to the mirror (sbull_mirror.c), which ends it once
 * the legs have it too.
 *
 * A blk-mq disk may have poll queues (poll_queues): blk-mq sends them the
 * polled I/O (io_uring's IORING_SETUP_IOPOLL, preadv2() with RWF_HIPRI),
 * whose submitter then calls ->poll() until it is done. ->queue_rq() of a
 * poll queue copies the data as any other, but leaves the request on its
 * queue's poll_list for ->poll() to end, as a driver whose hardware had
 * posted the completion would.
 *
 * A disk made in configfs may have faults and delays injected
 * (sbull_inject.h): an I/O that touches a bad range fails before anything
 * is copied, and a delayed one is copied at once but ended by an hrtimer,
 * in hard interrupt context: a request's timer is in its PDU, a bio's in
 * the struct sbull_bio_io it then takes from the pool.
 *
 * Locking: the store is not locked (see sbull_xfer.c). Each hardware
 * queue's poll_lock guards its poll_list and the on_poll_list of the
 * requests on it; ->queue_rq(), ->poll() and ->timeout() take it, all in
 * process context. Whichever takes a request off the list ends it.
 */
#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/hdreg.h>
#include <linux/mempool.h>

#include "sbull.h"
#include "sbull_compat.h"
#include "sbull_inject.h"
#include "sbull_stats.h"
#include "sbull_trace.h"

/* LDD3's made-up geometry: 4 heads, 16 sectors, as many cylinders as fit. */
static int sbull_getgeo(struct sbull_getgeo_arg *arg, struct hd_geometry *geo)
{
	sector_t cylinders = get_capacity(sbull_getgeo_disk(arg)) >> 6;

	geo->heads = 4;
	geo->sectors = 16;
	geo->cylinders = min_t(sector_t, cylinders, USHRT_MAX);
	return 0;
}

/*
 * A disk that sbull_remove() has claimed opens no more: the block layer
 * calls this under the disk's open_mutex, as sbull_remove() checks.
 */
static int sbull_open(struct sbull_open_arg *arg, sbull_open_mode_t mode)
{
	struct gendisk *disk = sbull_open_disk(arg);
	struct sbull_dev *dev = disk->private_data;

	lockdep_assert_held(&disk->open_mutex);
	return dev->claimed ? -EBUSY : 0;
}

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
 * sbull_queue_init - set up what the request paths share
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_queue_init(void)
{
	return mempool_init(&sbull_bio_io_pool, 16, sbull_bio_io_new,
			    mempool_kfree, NULL);
}

/**
 * sbull_queue_exit - undo sbull_queue_init()
 */
void sbull_queue_exit(void)
{
	mempool_exit(&sbull_bio_io_pool);
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
static void sbull_bio_end(struct sbull_dev *dev, struct bio *bio,
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
	sbull_bio_end(mio->dev, bio, bio_io);
}

/* The pool may sleep for memory, which a REQ_NOWAIT bio forbids. */
static struct sbull_bio_io *sbull_bio_io_alloc(struct bio *bio)
{
	return mempool_alloc(&sbull_bio_io_pool,
			     bio->bi_opf & REQ_NOWAIT ? GFP_NOWAIT : GFP_NOIO);
}

/* Copy each segment of a read or write bio; return how many there were. */
static unsigned int sbull_xfer_bio(struct sbull_dev *dev, struct bio *bio)
{
	bool write = op_is_write(bio_op(bio));
	unsigned int nsegs = 0;
	struct bvec_iter iter;
	struct bio_vec bvec;

	/* EXERCISE 2 BEGIN: copy each segment of the bio, count them */
	bio_for_each_segment(bvec, bio, iter) {
		sbull_xfer_segment(dev, iter.bi_sector, &bvec, write);
		nsegs++;
	}
	/* EXERCISE 2 END */
	return nsegs;
}

static blk_status_t sbull_do_bio(struct sbull_dev *dev, struct bio *bio,
				 bool mirrored, unsigned int *nsegs)
{
	sector_t sector = bio->bi_iter.bi_sector;

	if (!sbull_in_range(dev, sector, bio_sectors(bio)))
		return BLK_STS_IOERR;
	if (sbull_mirror_may_write(dev, bio_op(bio)) ||
	    sbull_inject_fails(dev, bio_op(bio), sector, bio_sectors(bio)))
		return BLK_STS_IOERR;
	if (mirrored)
		sbull_mirror_begin(dev, sector, bio_sectors(bio));

	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		*nsegs = sbull_xfer_bio(dev, bio);
		return BLK_STS_OK;
	default:
		return sbull_do_nodata(dev, bio_op(bio), sector,
				       bio_sectors(bio));
	}
}

static void sbull_submit_bio(struct bio *bio)
{
	struct sbull_dev *dev = bio->bi_bdev->bd_disk->private_data;
	struct sbull_bio_io *bio_io = NULL;
	unsigned int nsegs = 0;
	bool mirrored;

	/*
	 * A bio reaches a bio-based driver as large as it was made. Reads
	 * and writes are copied whatever their size, but a discard or
	 * write-zeroes is a memset nothing interrupts: cut it at the queue's
	 * limits (SBULL_MAX_ZERO_SECTORS), as blk-mq does for a request.
	 */
	if (op_is_discard(bio->bi_opf) || bio_op(bio) == REQ_OP_WRITE_ZEROES) {
		bio = bio_split_to_limits(bio);
		if (!bio)
			return;
	}
	trace_sbull_bio(bio);
	this_cpu_inc(dev->stats->bios);
	if (bio->bi_opf & REQ_PREFLUSH)
		this_cpu_inc(dev->stats->flushes);
	mirrored = sbull_mirror_takes(dev, bio_op(bio));
	if (mirrored || sbull_inject_delays(dev)) {
		bio_io = sbull_bio_io_alloc(bio);
		if (!bio_io) {
			bio_wouldblock_error(bio);
			return;
		}
	}
	bio->bi_status = sbull_do_bio(dev, bio, mirrored, &nsegs);
	sbull_count_io(dev, bio_op(bio), nsegs, bio->bi_status);
	if (mirrored && bio->bi_status == BLK_STS_OK) {
		bio_io->bio = bio;
		sbull_mio_init(&bio_io->mio, dev, bio->bi_opf,
			       bio->bi_iter.bi_sector, bio_sectors(bio),
			       bio->bi_ioprio, sbull_bio_mirrored);
		sbull_mirror_write(&bio_io->mio);
		return;
	}
	sbull_bio_end(dev, bio, bio_io);
}

const struct block_device_operations sbull_bio_fops = {
	.owner		= THIS_MODULE,
	.submit_bio	= sbull_submit_bio,
	.open		= sbull_open,
	.getgeo		= sbull_getgeo,
};

/* ---- blk-mq modes ------------------------------------------------------ */

static bool sbull_rq_moves_data(struct request *rq)
{
	return (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) &&
	       blk_rq_bytes(rq);
}

/* blk-mq may have merged several bios into the request: count both. */
static void sbull_count_request(struct sbull_dev *dev, struct request *rq)
{
	unsigned int nr_bios = 0;
	struct bio *bio;

	__rq_for_each_bio(bio, rq)
		nr_bios++;
	this_cpu_inc(dev->stats->requests);
	this_cpu_add(dev->stats->bios, nr_bios);
}

static blk_status_t sbull_do_request(struct sbull_dev *dev,
				     struct request *rq, bool mirrored,
				     unsigned int *nsegs)
{
	bool write = rq_data_dir(rq) == WRITE;
	struct req_iterator iter;
	struct bio_vec bvec;

	/* A flush covers no sectors: blk-mq leaves its position unset. */
	if (req_op(rq) != REQ_OP_FLUSH &&
	    !sbull_in_range(dev, blk_rq_pos(rq), blk_rq_sectors(rq)))
		return BLK_STS_IOERR;
	if (sbull_mirror_may_write(dev, req_op(rq)) ||
	    sbull_inject_fails(dev, req_op(rq), blk_rq_pos(rq),
			       blk_rq_sectors(rq)))
		return BLK_STS_IOERR;
	if (mirrored)
		sbull_mirror_begin(dev, blk_rq_pos(rq), blk_rq_sectors(rq));
	if (!sbull_rq_moves_data(rq))
		return sbull_do_nodata(dev, req_op(rq), blk_rq_pos(rq),
				       blk_rq_sectors(rq));

	/* EXERCISE 3 BEGIN: copy each segment of the request, count them */
	rq_for_each_segment(bvec, rq, iter) {
		sbull_xfer_segment(dev, iter.iter.bi_sector, &bvec, write);
		(*nsegs)++;
	}
	/* EXERCISE 3 END */
	return BLK_STS_OK;
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

/*
 * End the request; or let the legs end a write that reached the store, or
 * ->poll() a polled request. That is decided by the request, not by its
 * queue: blk-mq may put a request nobody polls for, such as the flush of
 * a polled write, on a poll queue.
 */
static void sbull_end_request(struct blk_mq_hw_ctx *hctx,
			      struct sbull_dev *dev, struct request *rq,
			      bool mirrored, blk_status_t status)
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

static blk_status_t sbull_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct sbull_dev *dev = rq->q->queuedata;
	bool mirrored = sbull_mirror_takes(dev, req_op(rq));
	unsigned int nsegs = 0;
	blk_status_t status;

	blk_mq_start_request(rq);
	trace_sbull_request(hctx, rq);
	sbull_count_request(dev, rq);
	status = sbull_do_request(dev, rq, mirrored, &nsegs);
	sbull_count_io(dev, req_op(rq), nsegs, status);
	sbull_end_request(hctx, dev, rq, mirrored, status);
	return BLK_STS_OK;
}

/*
 * End the requests that ->queue_rq() left on the poll queue and whose
 * time has come, into the caller's batch where it has one; the others go
 * back. Return: how many were ended.
 */
static int sbull_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
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
	this_cpu_add(dev->stats->polled, nr);
	return nr;
}

/*
 * blk-mq's timeout: a polled request waits for a submitter that may have
 * stopped polling (a stopped process; an io_uring submit without
 * GETEVENTS). A queue freeze would then wait for ever: end it as ->poll()
 * would have, once its injected delay has passed (before, ->poll() would
 * not end it either). Any other request is ended by an hrtimer or by the
 * mirror, which have no time limit: let it run. Process context (the
 * timeout work).
 */
static enum blk_eh_timer_return sbull_timeout(struct request *rq)
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

/*
 * Each request's timer, for an injected delay, is set up once (the flush
 * request's too): a timer may be started again while its last callback
 * still runs, but not set up.
 */
static int sbull_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx,
			      sbull_numa_node_t numa_node)
{
	struct sbull_cmd *cmd = blk_mq_rq_to_pdu(rq);

	sbull_hrtimer_setup(&cmd->timer, sbull_rq_timer_fn, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL);
	return 0;
}

/* Each hardware queue finds its struct sbull_hwq in ->driver_data. */
static int sbull_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			   unsigned int hctx_idx)
{
	struct sbull_dev *dev = data;

	hctx->driver_data = &dev->hwqs[hctx_idx];
	return 0;
}

/*
 * The CPUs' queues for ordinary I/O first, then the poll queues; reads
 * have no map of their own (null_blk's layout).
 */
static void sbull_map_queues(struct blk_mq_tag_set *set)
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

const struct blk_mq_ops sbull_mq_ops = {
	.queue_rq	= sbull_queue_rq,
	.poll		= sbull_poll,
	.timeout	= sbull_timeout,
	.init_hctx	= sbull_init_hctx,
	.init_request	= sbull_init_request,
	.map_queues	= sbull_map_queues,
};

/*
 * Copy the request's current segment, report that many bytes done, repeat.
 * blk_update_request() ends each bio as its last byte completes and moves
 * the request (blk_rq_pos(), rq->bio and its iterator) past what was done;
 * it returns false once nothing is left, and the request is then ended.
 * Return: how many segments there were.
 */
static unsigned int sbull_complete_by_segment(struct sbull_dev *dev,
					      struct request *rq)
{
	bool write = rq_data_dir(rq) == WRITE;
	unsigned int done, nsegs = 0;

	/* EXERCISE 4 BEGIN: copy the current segment, complete it, repeat */
	do {
		struct bio_vec bvec = bio_iovec(rq->bio);

		sbull_xfer_segment(dev, blk_rq_pos(rq), &bvec, write);
		nsegs++;
		done = bvec.bv_len;
		trace_sbull_partial(rq, done);
	} while (blk_update_request(rq, BLK_STS_OK, done));
	/* EXERCISE 4 END */
	__blk_mq_end_request(rq, BLK_STS_OK);
	return nsegs;
}

static blk_status_t sbull_queue_rq_simple(struct blk_mq_hw_ctx *hctx,
					  const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct sbull_dev *dev = rq->q->queuedata;
	enum req_op op = req_op(rq);
	bool mirrored = sbull_mirror_takes(dev, op);
	unsigned int nsegs = 0;
	blk_status_t status;

	blk_mq_start_request(rq);
	trace_sbull_request(hctx, rq);
	sbull_count_request(dev, rq);
	/*
	 * A write that goes to mirror legs must not complete before they have
	 * it: it is copied whole and ended by the mirror, as in mq mode. So
	 * is a polled request, ended by ->poll(), and every request while
	 * faults or delays are injected.
	 */
	if (sbull_rq_moves_data(rq) && !mirrored &&
	    !(rq->cmd_flags & REQ_POLLED) && !sbull_inject_on(dev) &&
	    sbull_in_range(dev, blk_rq_pos(rq), blk_rq_sectors(rq))) {
		/* The request is gone once its last segment completes. */
		sbull_count_io(dev, op, sbull_complete_by_segment(dev, rq),
			       BLK_STS_OK);
		return BLK_STS_OK;
	}
	status = sbull_do_request(dev, rq, mirrored, &nsegs);
	sbull_count_io(dev, op, nsegs, status);
	sbull_end_request(hctx, dev, rq, mirrored, status);
	return BLK_STS_OK;
}

const struct blk_mq_ops sbull_simple_ops = {
	.queue_rq	= sbull_queue_rq_simple,
	.poll		= sbull_poll,
	.timeout	= sbull_timeout,
	.init_hctx	= sbull_init_hctx,
	.init_request	= sbull_init_request,
	.map_queues	= sbull_map_queues,
};

/* EXERCISE 3 BEGIN: the blk-mq modes' block_device_operations */
/* No ->submit_bio here: its presence would bypass blk-mq. */
const struct block_device_operations sbull_mq_fops = {
	.owner		= THIS_MODULE,
	.open		= sbull_open,
	.getgeo		= sbull_getgeo,
};

/* EXERCISE 3 END */

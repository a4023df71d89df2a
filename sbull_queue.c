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
 * Each path reads the same way: check the I/O (sbull_check_io()), copy it
 * (sbull_xfer.c), end it. How it ends, at once or later (the mirror, an
 * injected delay, ->poll()), is sbull_end.c's; so is the wait of an I/O
 * into a part of the store that the mirror has not read back yet after
 * the load, which starts the path again once it is there.
 *
 * The bio mode has its own block_device_operations: a ->submit_bio method
 * in the table makes the block layer bypass blk-mq altogether.
 *
 * Locking: none but the write cache's, on a disk with one (sbull_cache.h).
 * The store is not locked (see sbull_xfer.c); the counters are per CPU
 * (sbull_stats.h).
 */
#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/hdreg.h>

#include "sbull.h"
#include "sbull_cache.h"
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
 * A disk that sbull_disk_remove() has claimed opens no more: the block layer
 * calls this under the disk's open_mutex, as sbull_disk_remove() checks.
 */
static int sbull_open(struct sbull_open_arg *arg, sbull_open_mode_t mode)
{
	struct gendisk *disk = sbull_open_disk(arg);
	struct sbull_dev *dev = disk->private_data;

	lockdep_assert_held(&disk->open_mutex);
	return dev->claimed ? -EBUSY : 0;
}

/*
 * May the I/O go ahead? Inside the store (the block layer checks too, but a
 * miss here would overwrite kernel memory rather than fail one I/O), not
 * while a power cut holds the disk off, not a write once the mirror has no
 * leg left, and not on an injected bad range. The I/O is then about to
 * change the store: the write cache hears of it first (flushes included),
 * and the mirror of a write it takes (@mirrored, sbull_mirror_begin()).
 */
static blk_status_t sbull_check_io(struct sbull_dev *dev, blk_opf_t opf,
				   sector_t sector, unsigned int nr_sectors,
				   bool mirrored)
{
	enum req_op op = opf & REQ_OP_MASK;

	/* A flush covers no sectors: blk-mq leaves its position unset. */
	if (nr_sectors && !sbull_in_range(dev, sector, nr_sectors))
		return BLK_STS_IOERR;
	if (sbull_cache_off(dev) ||
	    sbull_mirror_refuses(dev, op, sector, nr_sectors) ||
	    sbull_inject_fails(dev, op, sector, nr_sectors))
		return BLK_STS_IOERR;
	sbull_cache_before(dev, opf, sector, nr_sectors);
	if (mirrored)
		sbull_mirror_begin(dev, sector, nr_sectors);
	return BLK_STS_OK;
}

/* ---- bio mode ---------------------------------------------------------- */

/* Copy a checked bio: its segments, or no data; count the segments. */
static blk_status_t sbull_do_bio(struct sbull_dev *dev, struct bio *bio,
				 unsigned int *nsegs)
{
	bool write = op_is_write(bio_op(bio));
	struct bvec_iter iter;
	struct bio_vec bvec;

	if (bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE)
		return sbull_do_nodata(dev, bio_op(bio), bio->bi_iter.bi_sector,
				       bio_sectors(bio));

	/* EXERCISE 2 BEGIN: copy each segment of the bio, count them */
	bio_for_each_segment(bvec, bio, iter) {
		sbull_xfer_segment(dev, iter.bi_sector, &bvec, write);
		(*nsegs)++;
	}
	/* EXERCISE 2 END */
	return BLK_STS_OK;
}

/*
 * A bio reaches a bio-based driver as large as it was made. Reads and
 * writes are copied whatever their size, but a discard or write-zeroes is
 * a memset nothing interrupts: cut it at the queue's limits
 * (SBULL_MAX_ZERO_SECTORS), as blk-mq does for a request.
 */
static struct bio *sbull_bio_split(struct bio *bio)
{
	if (op_is_discard(bio->bi_opf) || bio_op(bio) == REQ_OP_WRITE_ZEROES)
		return bio_split_to_limits(bio);
	return bio;
}

static void sbull_submit_bio(struct bio *bio)
{
	struct sbull_dev *dev = bio->bi_bdev->bd_disk->private_data;
	bool mirrored = sbull_mirror_takes(dev, bio_op(bio));
	struct sbull_bio_io *bio_io = NULL;
	unsigned int nsegs = 0;

	bio = sbull_bio_split(bio);
	/* Into a part of the store not read back yet: it comes back later. */
	if (!bio || sbull_bio_waits(dev, bio))
		return;
	trace_sbull_bio(bio);
	sbull_count_bio(dev, bio);
	/* What ends later needs a place to wait: see sbull_end.c. */
	if (mirrored || sbull_inject_delays(dev)) {
		bio_io = sbull_bio_io_alloc(bio);
		if (!bio_io) {
			bio_wouldblock_error(bio);
			return;
		}
	}
	bio->bi_status = sbull_check_io(dev, bio->bi_opf, bio->bi_iter.bi_sector,
					bio_sectors(bio), mirrored);
	if (bio->bi_status == BLK_STS_OK)
		bio->bi_status = sbull_do_bio(dev, bio, &nsegs);
	sbull_count_io(dev, bio_op(bio), nsegs, bio->bi_status);
	sbull_bio_end(dev, bio, bio_io, mirrored);
}

const struct block_device_operations sbull_bio_fops = {
	.owner		= THIS_MODULE,
	.submit_bio	= sbull_submit_bio,
	.open		= sbull_open,
	.getgeo		= sbull_getgeo,
};

/* ---- blk-mq modes ------------------------------------------------------ */

/* Copy a checked request: its segments, or no data; count the segments. */
static blk_status_t sbull_do_request(struct sbull_dev *dev,
				     struct request *rq, unsigned int *nsegs)
{
	bool write = rq_data_dir(rq) == WRITE;
	struct req_iterator iter;
	struct bio_vec bvec;

	if (req_op(rq) != REQ_OP_READ && req_op(rq) != REQ_OP_WRITE)
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

static blk_status_t sbull_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct sbull_dev *dev = rq->q->queuedata;
	bool mirrored = sbull_mirror_takes(dev, req_op(rq));
	unsigned int nsegs = 0;
	blk_status_t status;

	blk_mq_start_request(rq);
	/* Into a part of the store not read back yet: it comes back later. */
	if (sbull_rq_waits(dev, rq))
		return BLK_STS_OK;
	trace_sbull_request(hctx, rq);
	sbull_count_request(dev, rq);
	status = sbull_check_io(dev, rq->cmd_flags, blk_rq_pos(rq),
				blk_rq_sectors(rq), mirrored);
	if (status == BLK_STS_OK)
		status = sbull_do_request(dev, rq, &nsegs);
	sbull_count_io(dev, req_op(rq), nsegs, status);
	sbull_end_request(hctx, dev, rq, mirrored, status);
	return BLK_STS_OK;
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

/*
 * May simple mode complete the request segment by segment? Only a read or
 * write that ends at once: not a write the legs must have before it ends
 * (telling the writer part of it is safe would be a lie), nor a polled
 * request (->poll() ends it), nor one whose end an injection delays.
 */
static bool sbull_by_segment(struct sbull_dev *dev, struct request *rq,
			     bool mirrored)
{
	return (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE) &&
	       blk_rq_bytes(rq) && !mirrored && !(rq->cmd_flags & REQ_POLLED) &&
	       !sbull_inject_on(dev);
}

static blk_status_t sbull_queue_rq_simple(struct blk_mq_hw_ctx *hctx,
					  const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct sbull_dev *dev = rq->q->queuedata;
	bool mirrored = sbull_mirror_takes(dev, req_op(rq));
	enum req_op op = req_op(rq);
	unsigned int nsegs = 0;
	blk_status_t status;

	blk_mq_start_request(rq);
	if (sbull_rq_waits(dev, rq))
		return BLK_STS_OK;
	trace_sbull_request(hctx, rq);
	sbull_count_request(dev, rq);
	status = sbull_check_io(dev, rq->cmd_flags, blk_rq_pos(rq),
				blk_rq_sectors(rq), mirrored);
	if (status == BLK_STS_OK && sbull_by_segment(dev, rq, mirrored)) {
		/* The request is gone once its last segment completes. */
		sbull_count_io(dev, op, sbull_complete_by_segment(dev, rq),
			       BLK_STS_OK);
		return BLK_STS_OK;
	}
	if (status == BLK_STS_OK)
		status = sbull_do_request(dev, rq, &nsegs);
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

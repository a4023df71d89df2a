/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sbull's tracepoints, in /sys/kernel/tracing/events/sbull/: what each
 * request path receives and how it walks it, one event per bio, request,
 * segment and partial completion, each write the mirror sends to its legs
 * with dm_io() and its completion, the store's reads back from a leg
 * after the load, and the write cache's blocks made
 * durable and its power cuts. Next to the block layer's own
 * events (block_bio_queue, block_rq_issue, ...) they show a request's
 * whole trip.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM sbull

#if !defined(_SBULL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SBULL_TRACE_H

#include <linux/blk-mq.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "sbull.h"

/* Fits every name blk_op_str() gives; "ZONE_RESET_ALL" is the longest. */
#define SBULL_OP_NAME_LEN	16

/*
 * A bio handed to ->submit_bio() in bio mode, with its flush and FUA
 * flags (a flush is an empty write with REQ_PREFLUSH there).
 */
TRACE_EVENT(sbull_bio,
	TP_PROTO(struct bio *bio),
	TP_ARGS(bio),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(unsigned int, bytes)
		__array(char, op, SBULL_OP_NAME_LEN)
		__field(bool, flush)
		__field(bool, fua)
		__field(unsigned short, segments)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(bio->bi_bdev->bd_disk);
		__entry->sector = bio->bi_iter.bi_sector;
		__entry->bytes = bio->bi_iter.bi_size;
		strscpy(__entry->op, blk_op_str(bio_op(bio)),
			SBULL_OP_NAME_LEN);
		__entry->flush = bio->bi_opf & REQ_PREFLUSH;
		__entry->fua = bio->bi_opf & REQ_FUA;
		__entry->segments = bio_segments(bio);
	),
	TP_printk("%d,%d %s%s%s sector=%llu bytes=%u segments=%u",
		  MAJOR(__entry->dev), MINOR(__entry->dev),
		  __entry->op, __entry->flush ? "+PREFLUSH" : "",
		  __entry->fua ? "+FUA" : "",
		  (unsigned long long)__entry->sector, __entry->bytes,
		  __entry->segments)
);

/*
 * A request handed to ->queue_rq() on hardware queue @hctx, with its FUA
 * flag (blk-mq sends a flush as a request of its own, REQ_OP_FLUSH).
 */
TRACE_EVENT(sbull_request,
	TP_PROTO(struct blk_mq_hw_ctx *hctx, struct request *rq),
	TP_ARGS(hctx, rq),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(unsigned int, bytes)
		__array(char, op, SBULL_OP_NAME_LEN)
		__field(bool, fua)
		__field(unsigned int, hwq)
		__field(unsigned short, phys_segments)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(rq->q->disk);
		__entry->sector = blk_rq_pos(rq);
		__entry->bytes = blk_rq_bytes(rq);
		strscpy(__entry->op, blk_op_str(req_op(rq)),
			SBULL_OP_NAME_LEN);
		__entry->fua = rq->cmd_flags & REQ_FUA;
		__entry->hwq = hctx->queue_num;
		__entry->phys_segments = blk_rq_nr_phys_segments(rq);
	),
	TP_printk("%d,%d %s%s sector=%llu bytes=%u hwq=%u phys_segments=%u",
		  MAJOR(__entry->dev), MINOR(__entry->dev),
		  __entry->op, __entry->fua ? "+FUA" : "",
		  (unsigned long long)__entry->sector, __entry->bytes,
		  __entry->hwq, __entry->phys_segments)
);

/* One single-page segment copied between a bio_vec and the store. */
TRACE_EVENT(sbull_segment,
	TP_PROTO(struct gendisk *disk, sector_t sector,
		 const struct bio_vec *bvec, bool write),
	TP_ARGS(disk, sector, bvec, write),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(unsigned int, len)
		__field(unsigned int, offset)
		__field(bool, write)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(disk);
		__entry->sector = sector;
		__entry->len = bvec->bv_len;
		__entry->offset = bvec->bv_offset;
		__entry->write = write;
	),
	TP_printk("%d,%d %s sector=%llu len=%u page_offset=%u",
		  MAJOR(__entry->dev), MINOR(__entry->dev),
		  __entry->write ? "write" : "read",
		  (unsigned long long)__entry->sector, __entry->len,
		  __entry->offset)
);

/* simple mode: @done bytes of the request completed, before the rest. */
TRACE_EVENT(sbull_partial,
	TP_PROTO(struct request *rq, unsigned int done),
	TP_ARGS(rq, done),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(unsigned int, done)
		__field(unsigned int, left)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(rq->q->disk);
		__entry->sector = blk_rq_pos(rq);
		__entry->done = done;
		__entry->left = blk_rq_bytes(rq) - done;
	),
	TP_printk("%d,%d sector=%llu done=%u left=%u",
		  MAJOR(__entry->dev), MINOR(__entry->dev),
		  (unsigned long long)__entry->sector, __entry->done,
		  __entry->left)
);

/* The mirror hands a write to dm_io() for the legs in the @legs bitmap. */
TRACE_EVENT(sbull_mirror_io,
	TP_PROTO(const struct sbull_mirror_io *mio, blk_opf_t opf),
	TP_ARGS(mio, opf),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(unsigned int, nr_sectors)
		__array(char, op, SBULL_OP_NAME_LEN)
		__field(bool, flush)
		__field(bool, fua)
		__field(unsigned long, legs)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(mio->dev->disk);
		__entry->sector = mio->sector;
		__entry->nr_sectors = mio->nr_sectors;
		strscpy(__entry->op, blk_op_str(opf & REQ_OP_MASK),
			SBULL_OP_NAME_LEN);
		__entry->flush = opf & REQ_PREFLUSH;
		__entry->fua = opf & REQ_FUA;
		__entry->legs = mio->legs;
	),
	TP_printk("%d,%d %s%s%s sector=%llu sectors=%u legs=0x%lx",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->op,
		  __entry->flush ? "+PREFLUSH" : "", __entry->fua ? "+FUA" : "",
		  (unsigned long long)__entry->sector, __entry->nr_sectors,
		  __entry->legs)
);

/* dm-io's notify callback: bit i of @error is the i-th leg of @legs. */
TRACE_EVENT(sbull_mirror_done,
	TP_PROTO(const struct sbull_mirror_io *mio, unsigned long error),
	TP_ARGS(mio, error),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(unsigned long, legs)
		__field(unsigned long, error)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(mio->dev->disk);
		__entry->sector = mio->sector;
		__entry->legs = mio->legs;
		__entry->error = error;
	),
	TP_printk("%d,%d sector=%llu legs=0x%lx error_bits=0x%lx",
		  MAJOR(__entry->dev), MINOR(__entry->dev),
		  (unsigned long long)__entry->sector, __entry->legs,
		  __entry->error)
);

/*
 * A read of the store back from leg @leg after the load: for an I/O that
 * waits for it (on_demand), or the background pass's.
 */
TRACE_EVENT(sbull_refill,
	TP_PROTO(struct gendisk *disk, sector_t sector, sector_t nr_sectors,
		 unsigned int leg, bool on_demand),
	TP_ARGS(disk, sector, nr_sectors, leg, on_demand),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(sector_t, sector)
		__field(sector_t, nr_sectors)
		__field(unsigned int, leg)
		__field(bool, on_demand)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(disk);
		__entry->sector = sector;
		__entry->nr_sectors = nr_sectors;
		__entry->leg = leg;
		__entry->on_demand = on_demand;
	),
	TP_printk("%d,%d sector=%llu sectors=%llu leg=%u %s",
		  MAJOR(__entry->dev), MINOR(__entry->dev),
		  (unsigned long long)__entry->sector,
		  (unsigned long long)__entry->nr_sectors, __entry->leg,
		  __entry->on_demand ? "on_demand" : "background")
);

/*
 * Blocks of the write cache made durable (enum sbull_durable_why): by a
 * flush, by FUA (or a discard or write-zeroes, written through), or by a
 * full cache.
 */
TRACE_EVENT(sbull_cache_durable,
	TP_PROTO(struct gendisk *disk, int why, unsigned int blocks),
	TP_ARGS(disk, why, blocks),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(int, why)
		__field(unsigned int, blocks)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(disk);
		__entry->why = why;
		__entry->blocks = blocks;
	),
	TP_printk("%d,%d %s blocks=%u", MAJOR(__entry->dev),
		  MINOR(__entry->dev),
		  __print_symbolic(__entry->why, { 0, "flush" }, { 1, "fua" },
				   { 2, "destage" }),
		  __entry->blocks)
);

/* A power cut (enum sbull_cut_policy): the blocks it lost and kept. */
TRACE_EVENT(sbull_cache_cut,
	TP_PROTO(struct gendisk *disk, int policy, u64 seed,
		 unsigned int lost, unsigned int kept),
	TP_ARGS(disk, policy, seed, lost, kept),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(int, policy)
		__field(u64, seed)
		__field(unsigned int, lost)
		__field(unsigned int, kept)
	),
	TP_fast_assign(
		__entry->dev = disk_devt(disk);
		__entry->policy = policy;
		__entry->seed = seed;
		__entry->lost = lost;
		__entry->kept = kept;
	),
	TP_printk("%d,%d %s seed=%llu lost=%u kept=%u", MAJOR(__entry->dev),
		  MINOR(__entry->dev),
		  __print_symbolic(__entry->policy, { 0, "all" },
				   { 1, "random" }, { 2, "torn" }),
		  __entry->seed, __entry->lost, __entry->kept)
);

#endif /* _SBULL_TRACE_H */

/* Out of tree: define_trace.h must find this file in the module's source. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE sbull_trace
#include <trace/define_trace.h>

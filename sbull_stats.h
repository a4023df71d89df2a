/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-device statistics, shown in /sys/block/sbullX/sbull/.
 *
 * Every CPU counts in its own copy of struct sbull_stats (this_cpu_*()), so
 * the data path takes no lock and no two CPUs write the same cacheline; a
 * read of a sysfs file sums the copies. The counting helpers are inline:
 * they run once per segment.
 */
#ifndef _SBULL_STATS_H
#define _SBULL_STATS_H

#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blk_types.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>

#include "sbull.h"

/* Segments per bio or request: 1, 2, 3-4, 5-8, ..., 129-256, more. */
#define SBULL_NSEGS_BUCKETS	10
/* Segment sizes: up to 512 bytes, 1 KiB, 2 KiB, ..., PAGE_SIZE. */
#define SBULL_SEGSIZE_BUCKETS	(PAGE_SHIFT - SECTOR_SHIFT + 1)

/**
 * struct sbull_stats - one CPU's share of a device's counters
 * @bios: bios received (bio mode) or carried by requests (blk-mq modes)
 * @requests: requests received by ->queue_rq() (0 in bio mode)
 * @segments: single-page segments copied
 * @read_bytes: bytes copied from the store
 * @write_bytes: bytes copied into the store
 * @flushes: flush operations received
 * @discards: discard operations received
 * @write_zeroes: write-zeroes operations received
 * @errors: bios or requests that sbull failed
 * @polled: requests of poll queues, ended by ->poll()
 * @nsegs_hist: bios (bio mode) or requests by number of segments
 * @segsize_hist: segments by size
 */
struct sbull_stats {
	u64 bios;
	u64 requests;
	u64 segments;
	u64 read_bytes;
	u64 write_bytes;
	u64 flushes;
	u64 discards;
	u64 write_zeroes;
	u64 errors;
	u64 polled;
	u64 nsegs_hist[SBULL_NSEGS_BUCKETS];
	u64 segsize_hist[SBULL_SEGSIZE_BUCKETS];
};

/* sbull_stats.c */
int sbull_stats_alloc(struct sbull_dev *dev);
void sbull_stats_free(struct sbull_dev *dev);
extern const struct attribute_group sbull_stats_attr_group;

static inline unsigned int sbull_nsegs_bucket(unsigned int nsegs)
{
	return min_t(unsigned int, order_base_2(nsegs),
		     SBULL_NSEGS_BUCKETS - 1);
}

static inline unsigned int sbull_segsize_bucket(unsigned int len)
{
	if (len <= SECTOR_SIZE)
		return 0;
	return min_t(unsigned int, order_base_2(len) - SECTOR_SHIFT,
		     SBULL_SEGSIZE_BUCKETS - 1);
}

/* A bio reached ->submit_bio(), flushing first if it asks to. */
static inline void sbull_count_bio(struct sbull_dev *dev, struct bio *bio)
{
	this_cpu_inc(dev->stats->bios);
	if (bio->bi_opf & REQ_PREFLUSH)
		this_cpu_inc(dev->stats->flushes);
}

/* A request reached ->queue_rq(): blk-mq may have merged bios into it. */
static inline void sbull_count_request(struct sbull_dev *dev,
				       struct request *rq)
{
	unsigned int nr_bios = 0;
	struct bio *bio;

	__rq_for_each_bio(bio, rq)
		nr_bios++;
	this_cpu_inc(dev->stats->requests);
	this_cpu_add(dev->stats->bios, nr_bios);
}

/* ->poll() ended @nr requests. */
static inline void sbull_count_polled(struct sbull_dev *dev, int nr)
{
	this_cpu_add(dev->stats->polled, nr);
}

/* One segment copied between a bio_vec and the store. */
static inline void sbull_count_segment(struct sbull_dev *dev,
				       unsigned int len, bool write)
{
	struct sbull_stats __percpu *s = dev->stats;

	this_cpu_inc(s->segments);
	if (write)
		this_cpu_add(s->write_bytes, len);
	else
		this_cpu_add(s->read_bytes, len);
	this_cpu_inc(s->segsize_hist[sbull_segsize_bucket(len)]);
}

/*
 * One bio (bio mode) or request (blk-mq modes) done: its operation, how
 * many segments it carried and how it ended.
 */
static inline void sbull_count_io(struct sbull_dev *dev, enum req_op op,
				  unsigned int nsegs, blk_status_t status)
{
	struct sbull_stats __percpu *s = dev->stats;

	switch (op) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		if (nsegs)
			this_cpu_inc(s->nsegs_hist[sbull_nsegs_bucket(nsegs)]);
		break;
	case REQ_OP_FLUSH:
		this_cpu_inc(s->flushes);
		break;
	case REQ_OP_DISCARD:
		this_cpu_inc(s->discards);
		break;
	case REQ_OP_WRITE_ZEROES:
		this_cpu_inc(s->write_zeroes);
		break;
	default:
		break;
	}
	if (status != BLK_STS_OK)
		this_cpu_inc(s->errors);
}

#endif /* _SBULL_STATS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Faults and delays injected into the I/O of a disk made in configfs,
 * whose data stays whole: sectors whose reads or writes fail (badblocks),
 * a completion delay (completion_nsec) and a bandwidth limit (mbps).
 *
 * The request paths call the inline checks below, which cost one load and
 * a branch while nothing is injected; the rest is in sbull_inject.c.
 */
#ifndef _SBULL_INJECT_H
#define _SBULL_INJECT_H

#include <linux/blk_types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "sbull.h"

#define SBULL_MAX_BAD_RANGES	64
/* 10 s: a completion delay longer than any I/O timeout is no test. */
#define SBULL_MAX_COMPLETION_NSEC	(10ULL * NSEC_PER_SEC)
#define SBULL_MAX_MBPS		1048576

/**
 * struct sbull_inject - what is injected into a disk's I/O
 * @lock: guards @bad and @bw_next; taken with interrupts off, as a
 *	  mirrored write is paced from dm-io's completion, in interrupt context
 * @bad: the bad ranges, struct sbull_bad_range
 * @nr_bad: how many; read without @lock by the request paths
 * @completion_nsec: added to every I/O's completion; read without @lock
 * @mbps: MiB/s (not megabits) that the completions of reads and writes
 *	  are paced to, 0 for no limit; read without @lock
 * @bw_next: when the paced link is next free, in ktime_get_ns() time
 *
 * It belongs to the configfs directory, which outlives the disk, so it is
 * set while the disk is powered off and changed while it runs alike.
 */
struct sbull_inject {
	spinlock_t lock;		/* irqs off: see above */
	struct list_head bad;
	unsigned int nr_bad;
	u64 completion_nsec;
	u32 mbps;
	u64 bw_next;
};

/* sbull_inject.c */
void sbull_inject_init(struct sbull_inject *inj);
void sbull_inject_free(struct sbull_inject *inj);
bool sbull_inject_hits(struct sbull_inject *inj, enum req_op op,
		       sector_t sector, unsigned int nr_sectors);
u64 sbull_inject_pace(struct sbull_inject *inj, unsigned int bytes);
void sbull_inject_set_mbps(struct sbull_inject *inj, u32 mbps);
int sbull_inject_set_badblocks(struct sbull_inject *inj, const char *where,
			       const char *val);
ssize_t sbull_inject_show_badblocks(struct sbull_inject *inj, char *page);

/**
 * sbull_inject_fails - does this I/O hit a bad range?
 * @dev: the sbull device
 * @op: the operation
 * @sector: its first sector
 * @nr_sectors: its length
 *
 * Any context. A range marked "once" heals as it fails an I/O.
 *
 * Return: true if the I/O is to fail, with nothing transferred.
 */
static inline bool sbull_inject_fails(struct sbull_dev *dev, enum req_op op,
				      sector_t sector, unsigned int nr_sectors)
{
	struct sbull_inject *inj = dev->inject;

	return inj && READ_ONCE(inj->nr_bad) &&
	       sbull_inject_hits(inj, op, sector, nr_sectors);
}

/**
 * sbull_inject_on - is anything injected into this disk's I/O?
 * @dev: the sbull device
 *
 * Return: true if a bad range, a delay or a bandwidth limit is set.
 */
static inline bool sbull_inject_on(struct sbull_dev *dev)
{
	struct sbull_inject *inj = dev->inject;

	return inj && (READ_ONCE(inj->nr_bad) ||
		       READ_ONCE(inj->completion_nsec) || READ_ONCE(inj->mbps));
}

/**
 * sbull_inject_delays - are this disk's completions delayed?
 * @dev: the sbull device
 *
 * Return: true if sbull_inject_delay() may return more than 0.
 */
static inline bool sbull_inject_delays(struct sbull_dev *dev)
{
	struct sbull_inject *inj = dev->inject;

	return inj && (READ_ONCE(inj->completion_nsec) || READ_ONCE(inj->mbps));
}

/**
 * sbull_inject_delay - how long to hold an I/O's completion
 * @dev: the sbull device
 * @bytes: the I/O's length, for the bandwidth limit
 *
 * Any context.
 *
 * Return: nanoseconds from now; 0 to complete at once.
 */
static inline u64 sbull_inject_delay(struct sbull_dev *dev,
				     unsigned int bytes)
{
	return sbull_inject_delays(dev) ?
	       sbull_inject_pace(dev->inject, bytes) : 0;
}

#endif /* _SBULL_INJECT_H */

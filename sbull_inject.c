// SPDX-License-Identifier: GPL-2.0
/*
 * Faults and delays injected into a disk's I/O, set in configfs: see
 * sbull_inject.h. The data is never touched: a failed I/O transfers
 * nothing, and a delayed one is copied at once and only ended later. "An
 * I/O" is what reaches sbull: a bio in bio mode, a request otherwise; a
 * caller's I/O that the block layer split may have pieces that succeed
 * beside one that fails, as on a real disk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull_inject.h"

/**
 * struct sbull_bad_range - sectors whose I/O fails
 * @node: in struct sbull_inject's @bad
 * @start: the first 512-byte sector
 * @end: the last one
 * @reads: reads that touch the range fail
 * @writes: writes, discards and write-zeroes that touch it fail
 * @once: the range heals, is removed, as it fails an I/O
 */
struct sbull_bad_range {
	struct list_head node;
	sector_t start;
	sector_t end;
	bool reads;
	bool writes;
	bool once;
};

/**
 * sbull_inject_init - nothing injected
 * @inj: the injection settings of a configfs directory
 */
void sbull_inject_init(struct sbull_inject *inj)
{
	spin_lock_init(&inj->lock);
	INIT_LIST_HEAD(&inj->bad);
}

/**
 * sbull_inject_free - free the bad ranges
 * @inj: settings no disk uses any more
 */
void sbull_inject_free(struct sbull_inject *inj)
{
	struct sbull_bad_range *r, *next;

	list_for_each_entry_safe(r, next, &inj->bad, node)
		kfree(r);
	INIT_LIST_HEAD(&inj->bad);
	inj->nr_bad = 0;
}

/**
 * sbull_inject_hits - the bad range check of sbull_inject_fails()
 * @inj: the disk's injection settings, with a bad range or more
 * @op: the operation
 * @sector: its first sector
 * @nr_sectors: its length
 *
 * Any context.
 *
 * Return: true if the I/O touches a bad range of its direction.
 */
bool sbull_inject_hits(struct sbull_inject *inj, enum req_op op,
		       sector_t sector, unsigned int nr_sectors)
{
	bool write = op_is_write(op);
	struct sbull_bad_range *r, *next;
	unsigned long flags;
	bool hit = false;

	if (!nr_sectors)	/* a flush */
		return false;
	spin_lock_irqsave(&inj->lock, flags);
	list_for_each_entry_safe(r, next, &inj->bad, node) {
		if (r->start >= sector + nr_sectors || r->end < sector ||
		    !(write ? r->writes : r->reads))
			continue;
		hit = true;
		/* Every "once" range the I/O touches has had its failure. */
		if (r->once) {
			list_del(&r->node);
			WRITE_ONCE(inj->nr_bad, inj->nr_bad - 1);
			kfree(r);
		}
	}
	spin_unlock_irqrestore(&inj->lock, flags);
	return hit;
}

/**
 * sbull_inject_pace - the delay of sbull_inject_delay()
 * @inj: the disk's injection settings
 * @bytes: the I/O's length
 *
 * Under a bandwidth limit the completions are spaced as a link of that
 * speed would space them: each I/O ends when the link has carried it,
 * after every I/O before it. A backlog longer than
 * SBULL_MAX_COMPLETION_NSEC is not kept: the I/O waits that long, no more,
 * lest blk-mq's timeout and the hung-task detector take it for lost. Any
 * context (a mirrored write ends from dm-io's completion).
 *
 * Return: nanoseconds from now.
 */
u64 sbull_inject_pace(struct sbull_inject *inj, unsigned int bytes)
{
	u64 delay = READ_ONCE(inj->completion_nsec);
	u32 mbps = READ_ONCE(inj->mbps);
	u64 now, done, cost;
	unsigned long flags;

	if (!mbps)
		return delay;
	now = ktime_get_ns();
	cost = div_u64((u64)bytes * NSEC_PER_SEC, mbps) >> 20;
	spin_lock_irqsave(&inj->lock, flags);
	done = min(max(now, inj->bw_next) + cost,
		   now + SBULL_MAX_COMPLETION_NSEC);
	inj->bw_next = done;
	spin_unlock_irqrestore(&inj->lock, flags);
	return delay + done - now;
}

/**
 * sbull_inject_set_mbps - set the bandwidth limit
 * @inj: the injection settings of a configfs directory
 * @mbps: MiB/s, 0 for none
 *
 * The link starts idle: a backlog of the old rate does not delay the
 * I/O of the new one. Process context.
 */
void sbull_inject_set_mbps(struct sbull_inject *inj, u32 mbps)
{
	spin_lock_irq(&inj->lock);
	inj->bw_next = 0;
	WRITE_ONCE(inj->mbps, mbps);
	spin_unlock_irq(&inj->lock);
}

/*
 * "+START-END [r|w|rw] [once]" or "-START-END", parsed into @r: one
 * direction word at most, and none after a "-".
 */
static int sbull_parse_bad_range(char *val, struct sbull_bad_range *r)
{
	unsigned long long start, end;
	bool remove = *val++ == '-';
	char *word, *range = strsep(&val, " ");
	unsigned int directions = 0;
	char tail;

	if (sscanf(range, "%llu-%llu%c", &start, &end, &tail) != 2 ||
	    start > end)
		return -EINVAL;
	r->start = start;
	r->end = end;
	r->reads = true;
	r->writes = true;
	while ((word = strsep(&val, " "))) {
		if (!*word)
			continue;
		if (remove)
			return -EINVAL;
		if (!strcmp(word, "once") && !r->once) {
			r->once = true;
			continue;
		}
		if (directions++)
			return -EINVAL;
		if (!strcmp(word, "r"))
			r->writes = false;
		else if (!strcmp(word, "w"))
			r->reads = false;
		else if (strcmp(word, "rw"))
			return -EINVAL;
	}
	return 0;
}

/* Remove the ranges that lie wholly inside START-END. */
static void sbull_inject_clear(struct sbull_inject *inj, sector_t start,
			       sector_t end)
{
	struct sbull_bad_range *r, *next;

	spin_lock_irq(&inj->lock);
	list_for_each_entry_safe(r, next, &inj->bad, node) {
		if (r->start < start || r->end > end)
			continue;
		list_del(&r->node);
		WRITE_ONCE(inj->nr_bad, inj->nr_bad - 1);
		kfree(r);
	}
	spin_unlock_irq(&inj->lock);
}

/**
 * sbull_inject_set_badblocks - add or remove bad ranges
 * @inj: the injection settings of a configfs directory
 * @where: "configfs NAME/", which starts the error line
 * @val: "+START-END [r|w|rw] [once]" adds a range of 512-byte sectors
 *	 (both directions by default); "-START-END" removes the ranges
 *	 inside START-END
 *
 * Process context; the disk may be running.
 *
 * Return: 0, or -EINVAL or -ENOSPC after one error line.
 */
int sbull_inject_set_badblocks(struct sbull_inject *inj, const char *where,
			       const char *val)
{
	struct sbull_bad_range *r = kzalloc(sizeof(*r), GFP_KERNEL);
	char *copy = kstrdup(val, GFP_KERNEL);
	int err = -ENOMEM;

	if (!r || !copy)
		goto out;
	err = -EINVAL;
	if ((*copy == '+' || *copy == '-') && !sbull_parse_bad_range(copy, r))
		err = 0;
	if (err) {
		pr_err("%sbadblocks=%s: accepted values are +START-END [r|w|rw] [once] and -START-END, in 512-byte sectors\n",
		       where, val);
		goto out;
	}
	if (*copy == '-') {
		sbull_inject_clear(inj, r->start, r->end);
		goto out;
	}
	spin_lock_irq(&inj->lock);
	if (inj->nr_bad < SBULL_MAX_BAD_RANGES) {
		list_add_tail(&r->node, &inj->bad);
		WRITE_ONCE(inj->nr_bad, inj->nr_bad + 1);
		r = NULL;
	}
	spin_unlock_irq(&inj->lock);
	if (r) {
		pr_err("%sbadblocks=%s: %d ranges already; accepted: at most %d (remove some with -START-END)\n",
		       where, val, SBULL_MAX_BAD_RANGES, SBULL_MAX_BAD_RANGES);
		err = -ENOSPC;
	}
out:
	kfree(copy);
	kfree(r);
	return err;
}

/**
 * sbull_inject_show_badblocks - list the bad ranges, a line each
 * @inj: the injection settings of a configfs directory
 * @page: the configfs buffer, PAGE_SIZE bytes
 *
 * Return: the bytes written.
 */
ssize_t sbull_inject_show_badblocks(struct sbull_inject *inj, char *page)
{
	struct sbull_bad_range *r;
	ssize_t len = 0;

	spin_lock_irq(&inj->lock);
	list_for_each_entry(r, &inj->bad, node)
		len += scnprintf(page + len, PAGE_SIZE - len, "%llu-%llu %s%s\n",
				 (unsigned long long)r->start,
				 (unsigned long long)r->end,
				 r->reads ? (r->writes ? "rw" : "r") : "w",
				 r->once ? " once" : "");
	spin_unlock_irq(&inj->lock);
	return len;
}

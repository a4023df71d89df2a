// SPDX-License-Identifier: GPL-2.0
/*
 * The volatile write cache and power cuts: see sbull_cache.h.
 *
 * What is promised is what a drive promises: a write that completed is
 * durable once a flush that was issued after it completed, or at once if
 * it was written with FUA; nothing else is. Discards and write-zeroes are
 * written through (durable at once), so that a cut never needs the old
 * contents of gigabytes. A write in flight while a flush arrives may be
 * made durable by it, as on a drive.
 *
 * Locking: @lock, with interrupts off, around every change of the cache
 * by the request paths, a batch of lines at a time; the copy of a
 * block's durable contents is made under it, so that no write into that
 * block can reach the store first: a second write finds the block cached
 * and copies nothing. The commands (a cut, "on", a crash state) take
 * sbull_cache_mutex, one at a time for every disk, then the queue's freeze,
 * so that no I/O is between its check and its copy meanwhile: the request
 * paths are out, and the commands walk the cache and copy stores without
 * @lock, rescheduling as they go.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/siphash.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "sbull_cache.h"
#include "sbull_trace.h"

/* Lines handled under one hold of the cache's lock by the request paths. */
#define SBULL_CACHE_BATCH	16

/* The commands of every disk's cache/ files, one at a time. */
static DEFINE_MUTEX(sbull_cache_mutex);

/**
 * struct sbull_cache_line - a line of the store with blocks not yet durable
 * @hash: in the cache's @hash
 * @node: on the cache's @dirty, oldest first, or on @free
 * @line: its number: its first byte in the store, >> SBULL_CACHE_LINE_SHIFT
 * @mask: which of its logical blocks are not yet durable, whose durable
 *	contents its slot holds
 */
struct sbull_cache_line {
	struct hlist_node hash;
	struct list_head node;
	sector_t line;
	unsigned long mask;
};

static const char * const sbull_cut_names[] = {
	[SBULL_CUT_ALL]		= "all",
	[SBULL_CUT_RANDOM]	= "random",
	[SBULL_CUT_TORN]	= "torn",
};

/**
 * sbull_check_cache_kb - check a write cache's size
 * @where: "" for the module parameter, else the configfs directory
 * @kb: KiB of blocks not yet durable, at most; 0 for no cache
 * @legs: the disk's mirror legs, or NULL
 *
 * A cut would take the store back behind its legs, which hold what the
 * cache lost; the legs have their own cut (their devices' caches).
 *
 * Return: 0 or -EINVAL.
 */
int sbull_check_cache_kb(const char *where, unsigned long kb,
			 const char *legs)
{
	if (kb && (kb < 4 || kb > SBULL_MAX_CACHE_KB)) {
		pr_err("%scache_kb=%lu: accepted values are 0 (no cache) and 4 to %u\n",
		       where, kb, SBULL_MAX_CACHE_KB);
		return -EINVAL;
	}
	if (kb && legs && *legs) {
		pr_err("%scache_kb=%lu: the disk has legs; accepted: a write cache or mirror legs, not both\n",
		       where, kb);
		return -EINVAL;
	}
	return 0;
}

/* Block @j of line @l: its durable contents in @l's slot. */
static u8 *sbull_cache_slot(struct sbull_cache *c,
			    const struct sbull_cache_line *l, unsigned int j)
{
	return c->slots + ((size_t)(l - c->lines) << SBULL_CACHE_LINE_SHIFT) +
	       ((size_t)j << c->block_shift);
}

/* Block @j of line @l in @store (the disk's, or a copy's). */
static u8 *sbull_cache_store(struct sbull_cache *c, u8 *store,
			     const struct sbull_cache_line *l, unsigned int j)
{
	return store + ((size_t)l->line << SBULL_CACHE_LINE_SHIFT) +
	       ((size_t)j << c->block_shift);
}

/* The numbers of the last writes into the blocks of line @l. */
static u64 *sbull_cache_write_nr(struct sbull_cache *c,
				 const struct sbull_cache_line *l)
{
	return &c->write_nr[(size_t)(l - c->lines) * c->line_blocks];
}

/**
 * sbull_cache_setup - give a disk a write cache
 * @dev: the sbull device, whose gendisk is allocated and not yet added
 * @kb: its size, checked by sbull_check_cache_kb(); 0 for none
 * @where: "" for the module parameter, else the configfs directory
 *
 * The disk then says it has a volatile write cache and FUA, so flushes
 * and FUA writes reach it. A cache larger than the store holds the store.
 *
 * Context: process context.
 * Return: 0, or -ENOMEM after one error line.
 */
int sbull_cache_setup(struct sbull_dev *dev, unsigned int kb,
		      const char *where)
{
	unsigned int shift = ilog2(sbull_block_size(dev));
	unsigned long lines = DIV_ROUND_UP(dev->size, 1UL << SBULL_CACHE_LINE_SHIFT);
	struct sbull_cache *c;
	unsigned int i;

	if (!kb)
		return 0;
	/* A line is a whole number of blocks (hardsect_size <= 4096). */
	if (WARN_ON_ONCE(shift > SBULL_CACHE_LINE_SHIFT))
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		goto nomem;
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->free);
	INIT_LIST_HEAD(&c->dirty);
	c->block_shift = shift;
	c->line_blocks = 1U << (SBULL_CACHE_LINE_SHIFT - shift);
	/* kb is at least 4: one line. */
	c->nr_slots = min_t(unsigned long,
			    kb >> (SBULL_CACHE_LINE_SHIFT - 10), lines);
	/* At least two buckets: hash_64() of 0 bits would shift by 64. */
	c->hash_bits = max_t(unsigned int, 1, order_base_2(c->nr_slots));
	c->lines = kvcalloc(c->nr_slots, sizeof(*c->lines),
			    GFP_KERNEL | __GFP_NOWARN);
	c->write_nr = kvcalloc((size_t)c->nr_slots * c->line_blocks,
			       sizeof(*c->write_nr), GFP_KERNEL | __GFP_NOWARN);
	c->hash = kvcalloc(1UL << c->hash_bits, sizeof(*c->hash),
			   GFP_KERNEL | __GFP_NOWARN);
	c->slots = __vmalloc((size_t)c->nr_slots << SBULL_CACHE_LINE_SHIFT,
			     GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	if (!c->lines || !c->write_nr || !c->hash || !c->slots) {
		vfree(c->slots);
		kvfree(c->hash);
		kvfree(c->write_nr);
		kvfree(c->lines);
		kfree(c);
		goto nomem;
	}
	for (i = 0; i < c->nr_slots; i++)
		list_add_tail(&c->lines[i].node, &c->free);
	dev->cache = c;
	return sbull_set_write_cache(dev->disk, true);

nomem:
	pr_err("%scache_kb=%u: cannot allocate the cache; accepted: a size that fits in free memory\n",
	       where, kb);
	return -ENOMEM;
}

/**
 * sbull_cache_free - undo sbull_cache_setup()
 * @dev: a device that takes no more I/O
 */
void sbull_cache_free(struct sbull_dev *dev)
{
	struct sbull_cache *c = dev->cache;

	if (!c)
		return;
	vfree(c->slots);
	kvfree(c->hash);
	kvfree(c->write_nr);
	kvfree(c->lines);
	kfree(c);
	dev->cache = NULL;
}

static struct sbull_cache_line *sbull_cache_find(struct sbull_cache *c,
						 sector_t line)
{
	struct sbull_cache_line *l;

	hlist_for_each_entry(l, &c->hash[hash_64(line, c->hash_bits)], hash)
		if (l->line == line)
			return l;
	return NULL;
}

/*
 * Blocks @mask of line @l are durable; the line is free again once none
 * is left. Under @lock; returns how many were not durable.
 */
static unsigned int __sbull_cache_clear(struct sbull_cache *c,
					struct sbull_cache_line *l,
					unsigned long mask)
{
	unsigned int n = hweight_long(l->mask & mask);

	l->mask &= ~mask;
	c->nr_dirty -= n;
	if (!l->mask) {
		hlist_del(&l->hash);
		list_move(&l->node, &c->free);
		c->nr_used--;
	}
	return n;
}

/* Everything is durable. Under @lock; returns how many blocks became so. */
static unsigned int __sbull_cache_drop_all(struct sbull_cache *c)
{
	struct sbull_cache_line *l, *next;
	unsigned int n = 0;

	list_for_each_entry_safe(l, next, &c->dirty, node)
		n += __sbull_cache_clear(c, l, ULONG_MAX);
	return n;
}

/* The blocks of line @line that [@first, @last] (in blocks) covers. */
static unsigned long sbull_cache_mask(struct sbull_cache *c, sector_t line,
				      sector_t first, sector_t last)
{
	sector_t base = line * c->line_blocks;
	unsigned int lo = first > base ? first - base : 0;
	unsigned int hi = min_t(sector_t, last - base, c->line_blocks - 1);

	return GENMASK(hi, lo);
}

/*
 * Blocks [@first, @last], in at most SBULL_CACHE_BATCH lines, are
 * durable: by whichever walk is shorter, the range's lines or the
 * cache's. Under @lock; returns how many were not.
 */
static unsigned int __sbull_cache_drop_range(struct sbull_cache *c,
					     sector_t first, sector_t last)
{
	unsigned int lshift = ilog2(c->line_blocks), n = 0;
	sector_t line, lfirst = first >> lshift, llast = last >> lshift;
	struct sbull_cache_line *l, *next;

	if (llast - lfirst >= c->nr_used) {
		list_for_each_entry_safe(l, next, &c->dirty, node)
			if (l->line >= lfirst && l->line <= llast)
				n += __sbull_cache_clear(c, l,
					sbull_cache_mask(c, l->line, first, last));
		return n;
	}
	for (line = lfirst; line <= llast; line++) {
		l = sbull_cache_find(c, line);
		if (l)
			n += __sbull_cache_clear(c, l,
					sbull_cache_mask(c, line, first, last));
	}
	return n;
}

/*
 * Blocks @mask of line @line are about to change by write number @write:
 * keep the durable contents of those not cached yet, a run of blocks at a
 * time, in a line made free, if need be, by making the oldest line
 * durable (a write larger than the cache destages its own first lines,
 * as a drive may). Under @lock; returns how many blocks it destaged.
 */
static unsigned int __sbull_cache_write_line(struct sbull_dev *dev, u64 write,
					     sector_t line, unsigned long mask)
{
	struct sbull_cache *c = dev->cache;
	struct sbull_cache_line *l = sbull_cache_find(c, line);
	unsigned int j, n, destaged = 0;
	unsigned long fresh;
	u64 *nr;

	if (!l) {
		if (list_empty(&c->free)) {
			l = list_first_entry(&c->dirty, struct sbull_cache_line,
					     node);
			destaged = __sbull_cache_clear(c, l, ULONG_MAX);
		}
		l = list_first_entry(&c->free, struct sbull_cache_line, node);
		l->line = line;
		hlist_add_head(&l->hash, &c->hash[hash_64(line, c->hash_bits)]);
		list_move_tail(&l->node, &c->dirty);
		c->nr_used++;
	}
	fresh = mask & ~l->mask;
	c->nr_dirty += hweight_long(fresh);
	l->mask |= mask;
	while (fresh) {
		j = __ffs(fresh);
		n = ffz(fresh >> j);
		memcpy(sbull_cache_slot(c, l, j),
		       sbull_cache_store(c, dev->data, l, j),
		       (size_t)n << c->block_shift);
		fresh &= ~GENMASK(j + n - 1, j);
	}
	nr = sbull_cache_write_nr(c, l);
	for_each_set_bit(j, &mask, c->line_blocks)
		nr[j] = write;
	return destaged;
}

/*
 * Blocks [@first, @last], in at most SBULL_CACHE_BATCH lines, are about
 * to change by write number @write: a line at a time. Under @lock.
 */
static void __sbull_cache_write(struct sbull_dev *dev, u64 write,
				sector_t first, sector_t last)
{
	struct sbull_cache *c = dev->cache;
	unsigned int lshift = ilog2(c->line_blocks), destaged = 0;
	sector_t line, end;

	for (; first <= last; first = end + 1) {
		line = first >> lshift;
		end = min(last, ((line + 1) << lshift) - 1);
		destaged += __sbull_cache_write_line(dev, write, line,
				sbull_cache_mask(c, line, first, end));
	}
	if (destaged) {
		c->destaged += destaged;
		trace_sbull_cache_durable(dev->disk, SBULL_DURABLE_DESTAGE,
					  destaged);
	}
}

/*
 * Blocks [@first, @last], in at most SBULL_CACHE_BATCH lines, of a FUA
 * write (or a discard or write-zeroes, written through) are durable once
 * it is done: before any cut, which the queue's freeze keeps out. Under
 * @lock.
 */
static void __sbull_cache_fua(struct sbull_dev *dev, sector_t first,
			      sector_t last)
{
	struct sbull_cache *c = dev->cache;
	unsigned int n;

	/* EXERCISE 6 BEGIN: the blocks of a FUA write are durable now */
	n = __sbull_cache_drop_range(c, first, last);
	c->durable += n;
	if (n)
		trace_sbull_cache_durable(dev->disk, SBULL_DURABLE_FUA, n);
	/* EXERCISE 6 END */
}

/**
 * sbull_cache_io - the cache's part of an I/O, before the store changes
 * @dev: the sbull device, with a cache
 * @opf: the I/O's operation and flags; not a read
 * @sector: its first sector
 * @nr_sectors: its length; 0 for a flush
 *
 * See sbull_cache_before(). A flush (REQ_OP_FLUSH, or REQ_PREFLUSH on a
 * write: bio mode sees both) makes every cached block durable; then a
 * FUA write, a discard or a write-zeroes makes its own blocks durable,
 * and any other write caches its blocks. The lock is taken a batch of
 * lines at a time: each block's check and copy are atomic, which is all
 * a write needs, as the commands keep out with the queue's freeze.
 *
 * Context: any context.
 */
void sbull_cache_io(struct sbull_dev *dev, blk_opf_t opf, sector_t sector,
		    unsigned int nr_sectors)
{
	struct sbull_cache *c = dev->cache;
	unsigned int shift = c->block_shift - SECTOR_SHIFT, n = 0;
	enum req_op op = opf & REQ_OP_MASK;
	bool cache = op == REQ_OP_WRITE && !(opf & REQ_FUA);
	sector_t first = sector >> shift, end;
	sector_t last = (sector + nr_sectors - 1) >> shift;
	unsigned long flags;
	u64 write = 0;

	spin_lock_irqsave(&c->lock, flags);
	/* EXERCISE 6 BEGIN: a flush makes every block at risk durable */
	if (op == REQ_OP_FLUSH || (opf & REQ_PREFLUSH)) {
		c->flushes++;
		if (!c->ignore_flush) {
			n = __sbull_cache_drop_all(c);
			c->durable += n;
		}
		if (n)
			trace_sbull_cache_durable(dev->disk, SBULL_DURABLE_FLUSH, n);
	}
	/* EXERCISE 6 END */
	if (!nr_sectors || op == REQ_OP_FLUSH)
		goto out;
	if (cache) {
		/*
		 * Numbered from 0 again once nothing is at risk and no write
		 * is between two of its batches: a seed then gives the same
		 * state after the same writes since the cache was last empty,
		 * and no two writes at risk share a number.
		 */
		if (!c->nr_dirty && !c->nr_writing)
			c->next_write = 0;
		write = c->next_write++;
		c->nr_writing++;
		c->writes++;
	} else {
		c->fua += op == REQ_OP_WRITE;
	}
	for (;;) {
		end = min_t(sector_t, last,
			    round_down(first, c->line_blocks) +
			    SBULL_CACHE_BATCH * c->line_blocks - 1);
		if (cache)
			__sbull_cache_write(dev, write, first, end);
		else
			__sbull_cache_fua(dev, first, end);
		if (end == last)
			break;
		first = end + 1;
		spin_unlock_irqrestore(&c->lock, flags);
		spin_lock_irqsave(&c->lock, flags);
	}
	if (cache)
		c->nr_writing--;
out:
	spin_unlock_irqrestore(&c->lock, flags);
}

/*
 * Does the cut lose block @block, last written by write number @write?
 * All: yes. Random: the seed decides per write, so a write is kept or
 * lost whole (a block follows its last write). Torn: per block and write.
 */
static bool sbull_cache_loses(u64 write, sector_t block,
			      enum sbull_cut_policy policy, u64 seed)
{
	siphash_key_t key = { { seed, ~seed } };

	switch (policy) {
	case SBULL_CUT_RANDOM:
		return siphash_2u64(write, 0, &key) & 1;
	case SBULL_CUT_TORN:
		return siphash_2u64(write, block + 1, &key) & 1;
	default:
		return true;
	}
}

/*
 * Put back in @store the durable contents of the blocks the cut loses.
 * Under sbull_cache_mutex, with the queue frozen: nothing else walks or
 * changes the cache. Returns how many it lost.
 */
static unsigned int sbull_cache_apply(struct sbull_dev *dev, u8 *store,
				      enum sbull_cut_policy policy, u64 seed)
{
	struct sbull_cache *c = dev->cache;
	struct sbull_cache_line *l;
	unsigned int lost = 0, j;
	u64 *nr;

	lockdep_assert_held(&sbull_cache_mutex);
	list_for_each_entry(l, &c->dirty, node) {
		nr = sbull_cache_write_nr(c, l);
		for_each_set_bit(j, &l->mask, c->line_blocks) {
			if (!sbull_cache_loses(nr[j],
					       l->line * c->line_blocks + j,
					       policy, seed))
				continue;
			memcpy(sbull_cache_store(c, store, l, j),
			       sbull_cache_slot(c, l, j), 1U << c->block_shift);
			lost++;
		}
		cond_resched();
	}
	return lost;
}

/*
 * "all", "random SEED" or "torn SEED" in @args: into @policy and @seed.
 * Else one line naming the file (@attr) and what was written (@val).
 */
static int sbull_cache_parse_cut(struct sbull_dev *dev, const char *attr,
				 const char *val, const char *args,
				 enum sbull_cut_policy *policy, u64 *seed)
{
	char *copy = kstrdup(args, GFP_KERNEL), *rest = copy, *word;
	int i, err = -EINVAL;

	if (!copy)
		return -ENOMEM;
	*seed = 0;
	word = strsep(&rest, " ");
	i = *word ? sysfs_match_string(sbull_cut_names, word) : -EINVAL;
	if (i >= 0) {
		*policy = i;
		if (*policy == SBULL_CUT_ALL)
			err = rest && *skip_spaces(rest) ? -EINVAL : 0;
		else if (rest && !kstrtou64(skip_spaces(rest), 0, seed))
			err = 0;
	}
	kfree(copy);
	if (err)
		pr_err("%s: cache/%s=%s: accepted: %s [all | random SEED | torn SEED], SEED a number\n",
		       sbull_name(dev), attr, val,
		       strcmp(attr, "power") ? "DEV" : "on, or cut");
	return err;
}

/* Cut the power: the cache's losses put back, then every I/O fails. */
static int sbull_cache_cut(struct sbull_dev *dev,
			   enum sbull_cut_policy policy, u64 seed)
{
	struct sbull_cache *c = dev->cache;
	unsigned int memflags, lost, kept;

	mutex_lock(&sbull_cache_mutex);
	memflags = sbull_freeze_queue(dev->disk->queue);
	lost = sbull_cache_apply(dev, dev->data, policy, seed);
	spin_lock_irq(&c->lock);
	kept = __sbull_cache_drop_all(c) - lost;
	c->cuts++;
	c->lost += lost;
	WRITE_ONCE(c->off, true);
	spin_unlock_irq(&c->lock);
	sbull_unfreeze_queue(dev->disk->queue, memflags);
	mutex_unlock(&sbull_cache_mutex);
	trace_sbull_cache_cut(dev->disk, policy, seed, lost, kept);
	pr_info("%s: power cut (%s %llu): %u blocks lost, %u kept; I/O fails until \"on\"\n",
		sbull_name(dev), sbull_cut_names[policy], seed, lost, kept);
	return 0;
}

/*
 * Power on after a cut: I/O goes again, over no stale page cache. Not
 * while the disk is open: a file system mounted across the cut would
 * go on from what it had in memory, a state no power loss leaves.
 */
static int sbull_cache_power_on(struct sbull_dev *dev)
{
	struct sbull_cache *c = dev->cache;
	int err = 0;

	mutex_lock(&sbull_cache_mutex);
	if (READ_ONCE(c->off) && disk_openers(dev->disk)) {
		pr_err("%s: cache/power=on: the disk is open (a file system still mounted?); accepted: on once nobody holds it open\n",
		       sbull_name(dev));
		err = -EBUSY;
	} else {
		WRITE_ONCE(c->off, false);
		invalidate_bdev(dev->disk->part0);
	}
	mutex_unlock(&sbull_cache_mutex);
	return err;
}

static char sbull_cache_holder;

/*
 * The state a cut would leave, on another sbull disk of the same size,
 * which nobody holds open and which has no legs: the store copied, then
 * the cut's losses put back in the copy. This disk is not changed.
 */
static int sbull_cache_crash_to(struct sbull_dev *dev, const char *path,
				enum sbull_cut_policy policy, u64 seed)
{
	unsigned int memflags, tmemflags;
	struct block_device *bdev;
	struct sbull_dev *to;
	void *handle = NULL;
	size_t off, n;
	int err = 0;

	mutex_lock(&sbull_cache_mutex);
	bdev = sbull_open_leg(path, &sbull_cache_holder, &handle);
	if (IS_ERR(bdev)) {
		pr_err("%s: cache/crash_to: cannot open %s (%ld); accepted: an sbull disk nobody holds open\n",
		       sbull_name(dev), path, PTR_ERR(bdev));
		err = PTR_ERR(bdev);
		goto out_unlock;
	}
	to = bdev->bd_disk->private_data;
	if (bdev->bd_disk->fops->owner != THIS_MODULE || bdev_is_partition(bdev) ||
	    to == dev || to->size != dev->size ||
	    sbull_mirror_takes(to, REQ_OP_WRITE)) {
		pr_err("%s: cache/crash_to: %pg is not another whole sbull disk of %zu bytes without legs; accepted: one, which nobody holds open\n",
		       sbull_name(dev), bdev, dev->size);
		err = -EINVAL;
		goto out;
	}
	memflags = sbull_freeze_queue(dev->disk->queue);
	tmemflags = sbull_freeze_queue(to->disk->queue);
	for (off = 0; off < dev->size; off += n) {
		n = min_t(size_t, dev->size - off, SZ_1M);
		memcpy(to->data + off, dev->data + off, n);
		cond_resched();
	}
	sbull_cache_apply(dev, to->data, policy, seed);
	/* What the copy's own cache held is of its old contents. */
	if (to->cache) {
		spin_lock_irq(&to->cache->lock);
		__sbull_cache_drop_all(to->cache);
		spin_unlock_irq(&to->cache->lock);
	}
	sbull_unfreeze_queue(to->disk->queue, tmemflags);
	sbull_unfreeze_queue(dev->disk->queue, memflags);
	invalidate_bdev(bdev);
out:
	sbull_close_leg(bdev, handle, &sbull_cache_holder);
out_unlock:
	mutex_unlock(&sbull_cache_mutex);
	return err;
}

/* ---- sysfs: /sys/block/sbullX/cache/ --------------------------------------- */

static ssize_t power_show(struct device *ddev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(sbull_dev_of(ddev)->cache->off) ? "off" : "on");
}

static ssize_t power_store(struct device *ddev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	enum sbull_cut_policy policy;
	char *val;
	u64 seed;
	int err = -EINVAL;

	val = kstrndup(buf, count, GFP_KERNEL);
	if (!val)
		return -ENOMEM;
	strim(val);
	if (!strcmp(val, "on")) {
		err = sbull_cache_power_on(dev);
	} else if (!strncmp(val, "cut", 3) && (!val[3] || isspace(val[3]))) {
		err = sbull_cache_parse_cut(dev, "power", val,
					    val[3] ? skip_spaces(val + 3) : "all",
					    &policy, &seed);
		if (!err)
			err = sbull_cache_cut(dev, policy, seed);
	} else {
		pr_err("%s: cache/power=%s: accepted: on, or cut [all | random SEED | torn SEED]\n",
		       sbull_name(dev), val);
	}
	kfree(val);
	return err ?: count;
}

static DEVICE_ATTR_RW(power);

static ssize_t crash_to_store(struct device *ddev,
			      struct device_attribute *attr, const char *buf,
			      size_t count)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	enum sbull_cut_policy policy;
	char *val, *path, *rest;
	u64 seed;
	int err;

	val = kstrndup(buf, count, GFP_KERNEL);
	path = val ? kstrdup(strim(val), GFP_KERNEL) : NULL;
	if (!path) {
		kfree(val);
		return -ENOMEM;
	}
	/* "DEV" alone: the cut that loses everything at risk. */
	rest = path;
	strsep(&rest, " ");
	err = sbull_cache_parse_cut(dev, "crash_to", val,
				    rest ? skip_spaces(rest) : "all",
				    &policy, &seed);
	if (!err)
		err = sbull_cache_crash_to(dev, path, policy, seed);
	kfree(path);
	kfree(val);
	return err ?: count;
}

static DEVICE_ATTR_WO(crash_to);

static ssize_t fault_show(struct device *ddev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  READ_ONCE(sbull_dev_of(ddev)->cache->ignore_flush) ?
			  "ignore_flush" : "none");
}

static ssize_t fault_store(struct device *ddev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct sbull_cache *c = sbull_dev_of(ddev)->cache;

	if (sysfs_streq(buf, "none")) {
		WRITE_ONCE(c->ignore_flush, false);
	} else if (sysfs_streq(buf, "ignore_flush")) {
		WRITE_ONCE(c->ignore_flush, true);
	} else {
		pr_err("%s: cache/fault=%.*s: accepted: none or ignore_flush\n",
		       sbull_name(sbull_dev_of(ddev)),
		       (int)strcspn(buf, "\n"), buf);
		return -EINVAL;
	}
	return count;
}

static DEVICE_ATTR_RW(fault);

static ssize_t size_kb_show(struct device *ddev, struct device_attribute *attr,
			    char *buf)
{
	struct sbull_cache *c = sbull_dev_of(ddev)->cache;

	return sysfs_emit(buf, "%lu\n",
			  ((unsigned long)c->nr_slots << SBULL_CACHE_LINE_SHIFT) >> 10);
}

static DEVICE_ATTR_RO(size_kb);

static ssize_t at_risk_kb_show(struct device *ddev,
			       struct device_attribute *attr, char *buf)
{
	struct sbull_cache *c = sbull_dev_of(ddev)->cache;

	return sysfs_emit(buf, "%lu\n",
			  ((unsigned long)READ_ONCE(c->nr_dirty) <<
			   c->block_shift) >> 10);
}

static DEVICE_ATTR_RO(at_risk_kb);

/* A file showing one counter: where it lies in struct sbull_cache. */
struct sbull_cache_counter_attr {
	struct device_attribute dattr;
	size_t offset;
};

static ssize_t sbull_cache_counter_show(struct device *ddev,
					struct device_attribute *dattr,
					char *buf)
{
	struct sbull_cache_counter_attr *attr =
		container_of(dattr, struct sbull_cache_counter_attr, dattr);
	u8 *c = (u8 *)sbull_dev_of(ddev)->cache;

	return sysfs_emit(buf, "%llu\n", READ_ONCE(*(u64 *)(c + attr->offset)));
}

#define SBULL_CACHE_COUNTER(field)					\
static struct sbull_cache_counter_attr sbull_cache_attr_##field = {	\
	.dattr = {							\
		.attr = { .name = __stringify(field), .mode = 0444 },	\
		.show = sbull_cache_counter_show,			\
	},								\
	.offset = offsetof(struct sbull_cache, field),			\
}

SBULL_CACHE_COUNTER(writes);
SBULL_CACHE_COUNTER(flushes);
SBULL_CACHE_COUNTER(fua);
SBULL_CACHE_COUNTER(durable);
SBULL_CACHE_COUNTER(destaged);
SBULL_CACHE_COUNTER(cuts);
SBULL_CACHE_COUNTER(lost);

static struct attribute *sbull_cache_attrs[] = {
	&dev_attr_power.attr,
	&dev_attr_crash_to.attr,
	&dev_attr_fault.attr,
	&dev_attr_size_kb.attr,
	&dev_attr_at_risk_kb.attr,
	&sbull_cache_attr_writes.dattr.attr,
	&sbull_cache_attr_flushes.dattr.attr,
	&sbull_cache_attr_fua.dattr.attr,
	&sbull_cache_attr_durable.dattr.attr,
	&sbull_cache_attr_destaged.dattr.attr,
	&sbull_cache_attr_cuts.dattr.attr,
	&sbull_cache_attr_lost.dattr.attr,
	NULL,
};

/* Only a disk with a cache shows them (an empty cache/ otherwise). */
static umode_t sbull_cache_visible(struct kobject *kobj, struct attribute *a,
				   int n)
{
	struct device *ddev = kobj_to_dev(kobj);

	return sbull_dev_of(ddev)->cache ? a->mode : 0;
}

/* Handed to device_add_disk() with the other groups (sbull_disk.c). */
const struct attribute_group sbull_cache_attr_group = {
	.name		= "cache",
	.attrs		= sbull_cache_attrs,
	.is_visible	= sbull_cache_visible,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * One leg of the mirror: opening and checking it, its synchronous I/O, its
 * state and its failure. The bottom layer (sbull_mirror_internal.h): it
 * calls no other file of the mirror, and tells the mirror set of a failure
 * through the mirror's @changed callback.
 *
 * sbull writes nothing to a device before the mirror set has checked its
 * header (sbull_header.c): opening a leg here reads and writes nothing.
 *
 * A leg's state changes under the mirror's @lock, with what follows from
 * it for the whole set: whether a leg is left (@no_leg_left), whether one
 * holds a complete copy (@no_complete_copy), and whether the headers are
 * behind a leg entering or leaving the in-sync set (@behind).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioprio.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull_compat.h"
#include "sbull_mirror_internal.h"

/* All open legs, of every device, to refuse overlapping regions. */
static LIST_HEAD(sbull_open_legs);
static DEFINE_MUTEX(sbull_open_legs_lock);
/* The holder of the legs' exclusive opens; one for all, see the overlaps. */
static char sbull_leg_holder;

/* ---- state and failure ------------------------------------------------- */

/**
 * __sbull_leg_mask - the legs in a state
 * @m: the mirror, whose @lock is held
 * @state: the state
 *
 * Return: the slots in @state, a bitmap.
 */
unsigned long __sbull_leg_mask(struct sbull_mirror *m,
			       enum sbull_leg_state state)
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
 * sbull_leg_mask - the legs in a state, a moment ago
 * @m: the mirror
 * @state: the state
 *
 * Context: process context; takes @lock.
 * Return: the slots in @state, a bitmap.
 */
unsigned long sbull_leg_mask(struct sbull_mirror *m,
			     enum sbull_leg_state state)
{
	unsigned long legs;

	spin_lock_irq(&m->lock);
	legs = __sbull_leg_mask(m, state);
	spin_unlock_irq(&m->lock);
	return legs;
}

/**
 * __sbull_leg_in_service - the legs that take writes
 * @m: the mirror, whose @lock is held
 *
 * Return: the slots in sync or resyncing, a bitmap.
 */
unsigned long __sbull_leg_in_service(struct sbull_mirror *m)
{
	return __sbull_leg_mask(m, SBULL_LEG_IN_SYNC) |
	       __sbull_leg_mask(m, SBULL_LEG_RESYNCING);
}

/**
 * __sbull_leg_set_state - change a leg's state, and what follows from it
 * @m: the mirror, whose @lock is held
 * @slot: the leg
 * @state: its new state
 *
 * A leg entering or leaving the in-sync set makes the headers behind:
 * until a new generation is on the in-sync legs, a leg that left still
 * claims what they claim, and a leg that joined still says it is
 * resyncing. Every write completed meanwhile is held (sbull_writethrough.c)
 * until sbull_leg_caught_up(). The data path reads @no_leg_left and
 * @no_complete_copy without the lock.
 */
void __sbull_leg_set_state(struct sbull_mirror *m, unsigned int slot,
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
	in_sync = hweight_long(__sbull_leg_mask(m, SBULL_LEG_IN_SYNC));
	resyncing = hweight_long(__sbull_leg_mask(m, SBULL_LEG_RESYNCING));
	failed = hweight_long(__sbull_leg_mask(m, SBULL_LEG_FAILED));
	/* Legs being removed or readied for a resync count for neither. */
	WRITE_ONCE(m->no_leg_left, failed && !in_sync && !resyncing);
	WRITE_ONCE(m->no_complete_copy, (failed || resyncing) && !in_sync);
}

/**
 * sbull_leg_set_state - change a leg's state
 * @m: the mirror
 * @slot: the leg
 * @state: its new state
 *
 * Context: process context; takes @lock.
 */
void sbull_leg_set_state(struct sbull_mirror *m, unsigned int slot,
			 enum sbull_leg_state state)
{
	spin_lock_irq(&m->lock);
	__sbull_leg_set_state(m, slot, state);
	spin_unlock_irq(&m->lock);
}

/**
 * __sbull_leg_fail - take legs that returned an error out of service
 * @m: the mirror, whose @lock is held
 * @legs: the slots that failed, a bitmap
 *
 * A leg already out of service only counts the error.
 *
 * Return: true if one was in service: the mirror set must hear of it.
 */
bool __sbull_leg_fail(struct sbull_mirror *m, unsigned long legs)
{
	unsigned int slot;
	bool news = false;

	lockdep_assert_held(&m->lock);
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		struct sbull_leg *leg = &m->legs[slot];

		leg->errors++;
		if (!sbull_leg_in_service(leg))
			continue;
		__sbull_leg_set_state(m, slot, SBULL_LEG_FAILED);
		m->resync_legs &= ~BIT(slot);
		m->failed |= BIT(slot);
		news = true;
	}
	return news;
}

/**
 * sbull_leg_fail - take legs that returned an error out of service
 * @m: the mirror
 * @legs: the slots that failed, a bitmap
 *
 * The logging, the uevent and the header updates sleep: the mirror set does
 * them, woken through @changed.
 *
 * Context: any, interrupt context included.
 */
void sbull_leg_fail(struct sbull_mirror *m, unsigned long legs)
{
	unsigned long flags;
	bool news;

	spin_lock_irqsave(&m->lock, flags);
	news = __sbull_leg_fail(m, legs);
	spin_unlock_irqrestore(&m->lock, flags);
	if (news)
		m->changed(m);
}

/**
 * sbull_leg_changes - the count of in-sync legs leaving or joining
 * @m: the mirror
 *
 * Taken before headers are written, for sbull_leg_caught_up().
 *
 * Context: process context; takes @lock.
 * Return: the count.
 */
unsigned int sbull_leg_changes(struct sbull_mirror *m)
{
	unsigned int changes;

	spin_lock_irq(&m->lock);
	changes = m->changes;
	spin_unlock_irq(&m->lock);
	return changes;
}

/**
 * sbull_leg_caught_up - the headers say every change up to @changes
 * @m: the mirror
 * @changes: sbull_leg_changes() before the headers were written
 *
 * The headers are no longer behind, unless a leg entered or left the
 * in-sync set meanwhile.
 *
 * Context: process context; takes @lock.
 */
void sbull_leg_caught_up(struct sbull_mirror *m, unsigned int changes)
{
	spin_lock_irq(&m->lock);
	if (m->changes == changes)
		WRITE_ONCE(m->behind, false);
	spin_unlock_irq(&m->lock);
}

/**
 * sbull_leg_put - writes that took legs are answered
 * @m: the mirror
 * @legs: the slots, a bitmap, each taken by sbull_leg_get()
 *
 * Context: any, interrupt context included.
 */
void sbull_leg_put(struct sbull_mirror *m, unsigned long legs)
{
	unsigned int slot;

	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		atomic_t *inflight = &m->legs[slot].inflight;

		if (atomic_dec_and_test(inflight))
			wake_up_var(inflight);
	}
}

/**
 * sbull_leg_wait_idle - wait until no write is in flight to a leg
 * @m: the mirror
 * @slot: the leg, which new writes no longer go to
 *
 * Context: process context; sleeps.
 */
void sbull_leg_wait_idle(struct sbull_mirror *m, unsigned int slot)
{
	atomic_t *inflight = &m->legs[slot].inflight;

	wait_var_event(inflight, !atomic_read(inflight));
}

/**
 * sbull_leg_uevent - tell udev that a leg changed state (KOBJ_CHANGE)
 * @dev: the sbull device
 * @slot: the leg
 * @state: its new state, as in the legs file, or "removed"
 *
 * Nothing before add_disk() or after del_gendisk().
 *
 * Context: process context.
 */
void sbull_leg_uevent(struct sbull_dev *dev, unsigned int slot,
		      const char *state)
{
	char leg_env[20], state_env[32];
	char *envp[3];

	if (!disk_live(dev->disk))	/* added later, or deleted */
		return;
	envp[0] = leg_env;
	envp[1] = state_env;
	envp[2] = NULL;
	snprintf(leg_env, sizeof(leg_env), "SBULL_LEG=%u", slot);
	snprintf(state_env, sizeof(state_env), "SBULL_LEG_STATE=%s", state);
	kobject_uevent_env(&disk_to_dev(dev->disk)->kobj, KOBJ_CHANGE, envp);
}

/* ---- synchronous I/O ------------------------------------------------------ */

/**
 * sbull_leg_io - synchronous dm-io to a piece of a leg
 * @leg: the leg
 * @where: the piece, see sbull_leg_region()
 * @opf: operation and flags
 * @type: what @mem is: DM_IO_KMEM or DM_IO_VMA
 * @mem: the buffer
 *
 * Context: process context, never a request path: dm_io() waits here.
 * Return: 0, or a negative errno.
 */
int sbull_leg_io(struct sbull_leg *leg, struct dm_io_region *where,
		 blk_opf_t opf, enum dm_io_mem_type type, void *mem)
{
	struct dm_io_request req = {
		.bi_opf		= opf,
		.mem.type	= type,
		.mem.ptr.addr	= mem,
		.client		= leg->dev->mirror->client,
	};
	unsigned long error = 0;
	int err;

	err = sbull_dm_io(&req, 1, where, &error, IOPRIO_DEFAULT);
	return err ?: (error ? -EIO : 0);
}

/* ---- opening and closing ------------------------------------------------- */

/**
 * sbull_leg_parse_region - split "DEV[:START]"
 * @spec: what the user gave
 * @path: set to DEV, allocated
 * @start: set to START, or 0
 *
 * START is what follows the last colon, if it is a number, in decimal (a
 * leading 0 is no octal).
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_leg_parse_region(const char *spec, char **path, sector_t *start)
{
	const char *colon = strrchr(spec, ':');
	unsigned long long n;

	*start = 0;
	if (colon && !kstrtoull(colon + 1, 10, &n)) {
		*path = kstrndup(spec, colon - spec, GFP_KERNEL);
		*start = n;
	} else {
		*path = kstrdup(spec, GFP_KERNEL);
	}
	return *path ? 0 : -ENOMEM;
}

/* A leg region: the header, then the store. */
static sector_t sbull_leg_sectors(struct sbull_dev *dev)
{
	return SBULL_HDR_SECTORS + sbull_store_sectors(dev);
}

/*
 * Leg regions on one disk, a partition's offset included, that intersect;
 * each as long as its own disk needs, for disks of different sizes share
 * a device.
 */
static bool sbull_leg_overlap(const struct sbull_leg *a,
			      const struct sbull_leg *b)
{
	sector_t a0 = get_start_sect(a->bdev) + a->start;
	sector_t b0 = get_start_sect(b->bdev) + b->start;

	return a->bdev->bd_disk == b->bdev->bd_disk &&
	       a0 < b0 + sbull_leg_sectors(b->dev) &&
	       b0 < a0 + sbull_leg_sectors(a->dev);
}

/* A disk of sbull's, or a partition of one (whatever its major). */
static bool sbull_leg_is_sbull(struct block_device *bdev)
{
	return bdev->bd_disk->fops->owner == THIS_MODULE;
}

/*
 * Each refusal is one line: what was given, why, what is accepted. Under
 * sbull_open_legs_lock.
 */
static int sbull_leg_check(struct sbull_dev *dev, struct sbull_leg *leg,
			   const char *what)
{
	struct block_device *bdev = leg->bdev;
	unsigned int lbs = bdev_logical_block_size(bdev);
	sector_t have = bdev_nr_sectors(bdev);
	sector_t need = sbull_leg_sectors(dev);
	struct sbull_leg *other;

	lockdep_assert_held(&sbull_open_legs_lock);
	/* Built on one, through dm or loop: sbull_leg_stacked_on(). */
	if (sbull_leg_is_sbull(bdev)) {
		pr_err("%s: %pg is an sbull disk; accepted: a block device sbull does not serve\n",
		       what, bdev);
		return -EINVAL;
	}
	if (bdev_is_zoned(bdev)) {
		pr_err("%s: %pg is zoned; accepted: a block device that takes writes anywhere\n",
		       what, bdev);
		return -EINVAL;
	}
	if (bdev_read_only(bdev)) {
		pr_err("%s: %pg is read-only; accepted: a writable block device\n",
		       what, bdev);
		return -EROFS;
	}
	if (lbs > sbull_block_size(dev) ||
	    leg->start % (lbs >> SECTOR_SHIFT)) {
		pr_err("%s: %pg has %u-byte blocks; accepted: blocks of at most %u bytes, and START a multiple of them\n",
		       what, bdev, lbs, sbull_block_size(dev));
		return -EINVAL;
	}
	if (leg->start >= have || have - leg->start < need) {
		pr_err("%s: %pg has %llu sectors from sector %llu, the leg needs %llu (a 4 KiB header and the store); accepted: a larger device or a lower START\n",
		       what, bdev, (unsigned long long)(have - min(have, leg->start)),
		       (unsigned long long)leg->start, (unsigned long long)need);
		return -ENOSPC;
	}
	list_for_each_entry(other, &sbull_open_legs, node) {
		if (!sbull_leg_overlap(leg, other))
			continue;
		pr_err("%s: overlaps leg %u of %s (%s:%llu); accepted: %llu sectors that no other leg uses\n",
		       what, sbull_leg_slot(other), sbull_name(other->dev),
		       other->path, (unsigned long long)other->start,
		       (unsigned long long)need);
		return -EBUSY;
	}
	return 0;
}

/**
 * sbull_leg_close - close a leg that is out of service and idle
 * @leg: the leg
 *
 * Context: process context; takes @bitmap_lock, as a bitmap write may
 * have taken the leg before it left service.
 */
void sbull_leg_close(struct sbull_leg *leg)
{
	struct sbull_mirror *m = leg->dev->mirror;

	mutex_lock(&sbull_open_legs_lock);
	list_del_init(&leg->node);
	mutex_unlock(&sbull_open_legs_lock);
	mutex_lock(&m->bitmap_lock);
	sbull_close_leg(leg->bdev, leg->handle, &sbull_leg_holder);
	kfree(leg->path);
	kfree(leg->block);
	leg->path = NULL;
	leg->block = NULL;
	leg->bdev = NULL;
	mutex_unlock(&m->bitmap_lock);
}

/**
 * sbull_leg_attach - open a device as a leg and check it
 * @dev: the sbull device, whose mirror is set up for legs; under @config,
 *	or loading
 * @slot: a free slot
 * @what: what the user gave, for the error line
 * @path: the device; the leg takes it, and frees it on error
 * @start: the region's first sector
 *
 * The slot stays SBULL_LEG_UNUSED, out of the data path, until set
 * control has read the leg's header and decided what it means. Nothing
 * is read or written here.
 *
 * Context: process context.
 * Return: 0, or a negative errno after one error line.
 */
int sbull_leg_attach(struct sbull_dev *dev, unsigned int slot,
		     const char *what, char *path, sector_t start)
{
	struct sbull_leg *leg = &dev->mirror->legs[slot];
	struct block_device *bdev;
	void *handle = NULL;
	int err;

	bdev = sbull_open_leg(path, &sbull_leg_holder, &handle);
	if (IS_ERR(bdev)) {
		if (PTR_ERR(bdev) == -EACCES || PTR_ERR(bdev) == -EROFS)
			pr_err("%s: %s is read-only; accepted: a writable block device\n",
			       what, path);
		else
			pr_err("%s: cannot open %s (%pe); accepted: a block device that exists and is not in use\n",
			       what, path, bdev);
		kfree(path);
		return PTR_ERR(bdev);
	}
	*leg = (struct sbull_leg) {
		.bdev		= bdev,
		.handle		= handle,
		.path		= path,
		.start		= start,
		.dev		= dev,
		.inflight	= ATOMIC_INIT(0),
	};
	INIT_LIST_HEAD(&leg->node);
	/* Kept for its life: header writes must not wait for memory. */
	leg->block = kzalloc(SBULL_HDR_BYTES, GFP_KERNEL);
	if (!leg->block) {
		sbull_leg_close(leg);
		return -ENOMEM;
	}

	mutex_lock(&sbull_open_legs_lock);
	err = sbull_leg_check(dev, leg, what);
	if (!err)
		list_add_tail(&leg->node, &sbull_open_legs);
	mutex_unlock(&sbull_open_legs_lock);
	if (err)
		sbull_leg_close(leg);
	return err;
}

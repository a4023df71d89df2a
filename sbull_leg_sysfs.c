// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/block/sbullX/mirror/: the legs, read and changed at run time.
 *
 * legs		one line per leg: slot, device, start, state, resync %,
 *		errors, generation; takes "add DEV[:START] [init]",
 *		"remove SLOT" and "resync SLOT"
 * generation	the generation the in-sync legs' headers carry
 * uuid		the mirror set
 * region_size	the write-intent bitmap's region, in bytes (0: no leg yet)
 * dirty_regions	regions whose bit is set
 * regions_resynced	regions copied by resyncs since the load
 *
 * A command runs under @config in a memalloc_noio scope (writeback may
 * wait for the writes it holds), then ends the writes it held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "sbull_compat.h"
#include "sbull_leg.h"

static const char * const sbull_leg_state_names[] = {
	[SBULL_LEG_UNUSED]	= "unused",
	[SBULL_LEG_IN_SYNC]	= "in_sync",
	[SBULL_LEG_RESYNCING]	= "resyncing",
	[SBULL_LEG_FAILED]	= "failed",
	[SBULL_LEG_OFFLINE]	= "offline",
};

static unsigned int sbull_leg_progress(struct sbull_mirror *m,
				       unsigned int slot, sector_t size)
{
	switch (m->legs[slot].state) {
	case SBULL_LEG_IN_SYNC:
		return 100;
	case SBULL_LEG_RESYNCING:
		if (!(m->resync_legs & BIT(slot)))
			return 0;
		return div64_u64((u64)m->resync_lo * 100, size);
	default:
		return 0;
	}
}

static ssize_t legs_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	struct sbull_mirror *m = &dev->mirror;
	unsigned int slot;
	int len = 0;

	mutex_lock(&m->config);	/* keeps the paths */
	spin_lock_irq(&m->lock);
	for (slot = 0; slot < SBULL_MAX_LEGS; slot++) {
		struct sbull_leg *leg = &m->legs[slot];

		if (leg->state == SBULL_LEG_UNUSED)
			continue;
		len += sysfs_emit_at(buf, len, "%u %s %llu %s %u %u %llu\n",
				     slot, leg->path,
				     (unsigned long long)leg->start,
				     sbull_leg_state_names[leg->state],
				     sbull_leg_progress(m, slot,
							sbull_store_sectors(dev)),
				     leg->errors, leg->generation);
	}
	spin_unlock_irq(&m->lock);
	mutex_unlock(&m->config);
	return len;
}

static int sbull_free_slot(struct sbull_mirror *m)
{
	unsigned int slot;

	for (slot = 0; slot < SBULL_MAX_LEGS; slot++)
		if (!m->legs[slot].bdev)
			return slot;
	return -1;
}

/*
 * The first leg declares the write cache, with no I/O in flight; it stays
 * declared once the last leg is gone, as switching it then would mean
 * freezing the queue under writes that wait for the legs.
 */
static void sbull_set_nr_legs(struct sbull_dev *dev, unsigned int nr)
{
	struct sbull_mirror *m = &dev->mirror;
	bool first = !m->nr_legs && nr;
	unsigned int memflags = 0;

	if (first) {
		memflags = sbull_freeze_queue(dev->disk->queue);
		sbull_set_write_cache(dev->disk, true);
	}
	WRITE_ONCE(m->nr_legs, nr);
	if (first)
		sbull_unfreeze_queue(dev->disk->queue, memflags);
}

/*
 * The store overwrites the leg that "add" takes: only a leg of this set
 * that is behind the store (or holds no complete copy), unless "init"
 * says so. A leg of this set that was in service while the store was not
 * (say, it was loaded alone since) holds writes the store lacks: refused.
 */
static int sbull_leg_may_overwrite(struct sbull_dev *dev, unsigned int slot,
				   const char *what, const char *spec,
				   const struct sbull_hdr_info *info)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_hdr_info *store;
	int err = 0;

	if (!uuid_equal(&info->uuid, &m->uuid)) {
		pr_err("%s: %pg belongs to another mirror set; accepted: a leg of this set, or a device without sbull header and \"add %s init\"\n",
		       what, m->legs[slot].bdev, spec);
		return -EINVAL;
	}
	if (!sbull_hdr_complete(info))
		return 0;
	if (!info->epoch) {
		pr_err("%s: %pg has a version 1 header, without the history that tells whether it is behind %s; accepted: \"add %s init\" to overwrite it with the store (to keep its data instead, unload and load with it)\n",
		       what, m->legs[slot].bdev, sbull_name(dev), spec);
		return -EINVAL;
	}
	store = kmalloc(sizeof(*store), GFP_KERNEL);
	if (!store)
		return -ENOMEM;
	sbull_hdr_of_store(m, store);
	if (!sbull_hdr_same_epoch(info, store) &&
	    !sbull_hdr_behind(info, store)) {
		pr_err("%s: %pg holds writes %s lacks (generation %llu, in service without it, or away for more than 64 changes); accepted: a leg behind the store, or \"add %s init\" to overwrite it with the store (to keep its data instead, unload and load with it)\n",
		       what, m->legs[slot].bdev, sbull_name(dev),
		       info->generation, spec);
		err = -EINVAL;
	}
	kfree(store);
	return err;
}

/* "add DEV[:START] [init]": a new leg, resynced from the store. */
static int sbull_legs_add(struct sbull_dev *dev, const char *spec, bool init)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_hdr_info *info;
	int slot = sbull_free_slot(m), err;
	sector_t start;
	char what[96];
	char *path;

	snprintf(what, sizeof(what), "%s: add %s", sbull_name(dev), spec);
	if (slot < 0) {
		pr_err("%s: %d legs already; accepted: at most %d\n",
		       what, SBULL_MAX_LEGS, SBULL_MAX_LEGS);
		return -ENOSPC;
	}
	/* A header's history is 512 bytes: not for the stack. */
	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	err = sbull_parse_region(spec, &path, &start) ?:
	      sbull_leg_attach(dev, slot, what, path, start, init, info);
	if (err)
		goto out_free;
	if (!init) {
		err = sbull_leg_may_overwrite(dev, slot, what, spec, info);
		if (err)
			goto out_close;
	}
	if (uuid_is_null(&m->uuid))
		uuid_gen(&m->uuid);
	err = sbull_leg_write_header(dev, slot, SBULL_HDR_RESYNCING, 0);
	if (err) {
		pr_err("%s: cannot write the header (%d)\n", what, err);
		goto out_close;
	}
	/*
	 * Counted first: the first leg freezes the queue, which must not
	 * wait for a flush that a resyncing leg holds back.
	 */
	sbull_set_nr_legs(dev, m->nr_legs + 1);
	sbull_set_state(m, slot, SBULL_LEG_RESYNCING);
	pr_info("%s: leg %d added, resyncing\n", what, slot);
	sbull_leg_uevent(dev, slot, "resyncing");
	queue_work(m->resync_wq, &m->resync_work);
	kfree(info);
	return 0;

out_close:
	sbull_leg_close(&m->legs[slot]);
out_free:
	kfree(info);
	return err;
}

/*
 * Take leg @slot out of service for a remove or a resync, unless that
 * leaves no complete copy: the last in-sync leg cannot be resynced, nor
 * removed while other legs are attached; and a failed leg cannot be
 * resynced while no leg is in sync, as it may hold the newest copy on
 * disk (unload and load again to restore from it). Checked and done in
 * one go, as another leg may fail meanwhile. A leg in sync goes offline,
 * as does any leg being removed; a failed leg to resync stays failed.
 */
static int sbull_leg_take_out(struct sbull_dev *dev, unsigned int slot,
			      const char *verb)
{
	struct sbull_mirror *m = &dev->mirror;
	bool resync = !strcmp(verb, "resync");
	const char *why = NULL;
	unsigned long in_sync;

	spin_lock_irq(&m->lock);
	in_sync = sbull_legs_in(m, SBULL_LEG_IN_SYNC);
	if (in_sync == BIT(slot) && (resync || m->nr_legs > 1))
		why = "it holds the only complete copy";
	else if (resync && !in_sync)
		why = "no leg is in sync, and it may hold the newest copy";
	else if (!resync || m->legs[slot].state == SBULL_LEG_IN_SYNC)
		sbull_mirror_set_state(m, slot, SBULL_LEG_OFFLINE);
	/* Out of the running resync pass, which never marks it in sync. */
	if (!why)
		m->resync_legs &= ~BIT(slot);
	spin_unlock_irq(&m->lock);
	if (!why)
		return 0;
	pr_err("%s: %s %u: %s; accepted: a leg that is not the last complete copy (add another leg first%s)\n",
	       sbull_name(dev), verb, slot, why,
	       resync ? ", or unload and load again to restore from it" :
			", or remove the others");
	return -EBUSY;
}

/*
 * Once leg @slot's writes in flight have landed (which may take seconds)
 * and the others' headers say that it left: are they still in sync? They
 * may have failed meanwhile (their failure events wait for @config, which
 * the command holds), or in writing those headers. If none is left, @slot
 * is the last complete copy: it is not made a resync target, and its
 * header stays that of a complete copy, for the next load to restore
 * from. It stays out of service: the writes completed since it left went
 * to legs it lacks them on; held, they fail (no leg is left) rather than
 * complete on a leg that lacks them. Once the headers say that @slot
 * left, a leg failing later leaves a resyncing @slot as any leg that
 * fails beside a resync (guarantee 3 of README.md).
 */
static int sbull_leg_still_needed(struct sbull_dev *dev, unsigned int slot)
{
	struct sbull_mirror *m = &dev->mirror;
	unsigned long in_sync;

	spin_lock_irq(&m->lock);
	in_sync = sbull_legs_in(m, SBULL_LEG_IN_SYNC);
	spin_unlock_irq(&m->lock);
	if (in_sync)
		return 0;
	pr_err("%s: resync %u: every other leg in sync failed while leg %u's writes landed: it holds the only complete copy; refused: it stays offline, for the next load to restore from it\n",
	       sbull_name(dev), slot, slot);
	return -EBUSY;
}

/* "remove SLOT": out of service, then closed once its writes are done. */
static int sbull_legs_remove(struct sbull_dev *dev, unsigned int slot)
{
	struct sbull_mirror *m = &dev->mirror;
	int err;

	err = sbull_leg_take_out(dev, slot, "remove");
	if (err)
		return err;
	/* The resync pass may be copying to it: wait for that, too. */
	sbull_resync_stop(m);
	sbull_mirror_wait_idle(m, slot);
	pr_info("%s: leg %u (%s:%llu) removed\n", sbull_name(dev), slot,
		m->legs[slot].path, (unsigned long long)m->legs[slot].start);
	sbull_leg_close(&m->legs[slot]);
	sbull_set_state(m, slot, SBULL_LEG_UNUSED);
	sbull_set_nr_legs(dev, m->nr_legs - 1);
	sbull_leg_uevent(dev, slot, "removed");

	sbull_legs_commit(dev);
	if (sbull_legs_resyncing(m))
		queue_work(m->resync_wq, &m->resync_work);
	return 0;
}

/* "resync SLOT": copy the store to the leg again, e.g. once it is mended. */
static int sbull_legs_resync(struct sbull_dev *dev, unsigned int slot)
{
	struct sbull_mirror *m = &dev->mirror;
	int err;

	if (m->legs[slot].state == SBULL_LEG_RESYNCING)
		return 0;
	/*
	 * Out of service and out of any resync pass until the writes sent
	 * before it failed have landed: they must not land after the copy.
	 * Writes completed meanwhile are held until the other legs' headers
	 * say that it left (sbull_legs_commit()).
	 */
	err = sbull_leg_take_out(dev, slot, "resync");
	if (err)
		return err;
	sbull_mirror_wait_idle(m, slot);
	/*
	 * The others' headers say that it left before it becomes a resync
	 * target: until they do, it is a complete copy that they may fail
	 * to be (sbull_leg_still_needed()).
	 */
	sbull_legs_commit(dev);
	err = sbull_leg_still_needed(dev, slot);
	if (err)
		return err;
	err = sbull_leg_write_header(dev, slot, SBULL_HDR_RESYNCING, 0);
	if (err) {
		pr_err("%s: resync %u: cannot write the header of %s (%d)\n",
		       sbull_name(dev), slot, m->legs[slot].path, err);
		sbull_set_state(m, slot, SBULL_LEG_FAILED);
		sbull_leg_uevent(dev, slot, "failed");
		sbull_legs_commit(dev);
		return err;
	}
	sbull_set_state(m, slot, SBULL_LEG_RESYNCING);
	pr_info("%s: leg %u (%s:%llu) resyncing\n", sbull_name(dev), slot,
		m->legs[slot].path, (unsigned long long)m->legs[slot].start);
	sbull_leg_uevent(dev, slot, "resyncing");
	queue_work(m->resync_wq, &m->resync_work);
	return 0;
}

static int sbull_legs_command(struct sbull_dev *dev, char *cmd)
{
	char *verb = strsep(&cmd, " "), *arg = strsep(&cmd, " ");
	struct sbull_mirror *m = &dev->mirror;
	unsigned int slot;

	if (!strcmp(verb, "add") && arg && (!cmd || !strcmp(cmd, "init")))
		return sbull_legs_add(dev, arg, !!cmd);
	if ((!strcmp(verb, "remove") || !strcmp(verb, "resync")) && arg &&
	    !cmd && !kstrtouint(arg, 10, &slot)) {
		if (slot >= SBULL_MAX_LEGS || !m->legs[slot].bdev) {
			pr_err("%s: %s %s: no such leg; accepted: a slot listed in legs\n",
			       sbull_name(dev), verb, arg);
			return -ENOENT;
		}
		if (!strcmp(verb, "remove"))
			return sbull_legs_remove(dev, slot);
		return sbull_legs_resync(dev, slot);
	}
	pr_err("%s: legs: \"%s\": accepted commands are add DEV[:START] [init], remove SLOT and resync SLOT\n",
	       sbull_name(dev), verb);
	return -EINVAL;
}

/*
 * "add DEV" of a device built on an sbull disk: refused, before @config is
 * taken, as the walk looks up paths on any file system (sbull_leg_stack.c).
 * A device that cannot be found is left to the add to report.
 */
static int sbull_legs_check_stack(struct sbull_dev *dev, const char *cmd)
{
	char *spec, *path = NULL;
	sector_t start;
	dev_t devt, found = 0;
	int err;

	if (strncmp(cmd, "add ", 4))
		return 0;
	spec = kstrdup(cmd + 4, GFP_KERNEL);
	if (!spec)
		return -ENOMEM;
	strreplace(spec, ' ', '\0');
	err = sbull_parse_region(spec, &path, &start);
	if (!err && !lookup_bdev(path, &devt))
		found = sbull_stacked_on(devt, dev->disk->major);
	if (found) {
		pr_err("%s: add %s: %s is built on sbull%c (%u:%u); accepted: a block device that sbull does not serve, directly or through dm, md or loop\n",
		       sbull_name(dev), spec, path,
		       'a' + MINOR(found) / SBULL_MINORS, MAJOR(found),
		       MINOR(found));
		err = -EINVAL;
	}
	kfree(path);
	kfree(spec);
	return err;
}

static ssize_t legs_store(struct device *ddev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	char *cmd = kstrndup(buf, count, GFP_KERNEL);
	unsigned int noio;
	int err;

	if (!cmd)
		return -ENOMEM;
	err = sbull_legs_check_stack(dev, strim(cmd));
	if (err) {
		kfree(cmd);
		return err;
	}
	mutex_lock(&dev->mirror.config);
	/* Writeback may wait for writes held until this returns. */
	noio = memalloc_noio_save();
	/* Not before sbull_legs_start(), while the module still loads. */
	err = dev->mirror.started ? sbull_legs_command(dev, strim(cmd)) :
				    -EBUSY;
	memalloc_noio_restore(noio);
	mutex_unlock(&dev->mirror.config);
	sbull_mirror_end_held(&dev->mirror);
	kfree(cmd);
	return err ?: count;
}

static DEVICE_ATTR_RW(legs);

static ssize_t generation_show(struct device *ddev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  sbull_dev_of(ddev)->mirror.generation);
}

static DEVICE_ATTR_RO(generation);

static ssize_t uuid_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &sbull_dev_of(ddev)->mirror.uuid);
}

static DEVICE_ATTR_RO(uuid);

static ssize_t region_size_show(struct device *ddev,
				struct device_attribute *attr, char *buf)
{
	struct sbull_mirror *m = &sbull_dev_of(ddev)->mirror;

	return sysfs_emit(buf, "%llu\n", m->nr_regions ?
			  (u64)SECTOR_SIZE << m->region_shift : 0);
}

static DEVICE_ATTR_RO(region_size);

static ssize_t dirty_regions_show(struct device *ddev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  sbull_bitmap_dirty(&sbull_dev_of(ddev)->mirror));
}

static DEVICE_ATTR_RO(dirty_regions);

static ssize_t regions_resynced_show(struct device *ddev,
				     struct device_attribute *attr, char *buf)
{
	struct sbull_mirror *m = &sbull_dev_of(ddev)->mirror;
	u64 n;

	spin_lock_irq(&m->lock);
	n = m->regions_resynced;
	spin_unlock_irq(&m->lock);
	return sysfs_emit(buf, "%llu\n", n);
}

static DEVICE_ATTR_RO(regions_resynced);

/* The values of the mode file, in the order of sbull_wb.on. */
static const char * const sbull_wb_modes[] = { "writethrough", "writeback" };

static ssize_t mode_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	struct sbull_mirror *m = &sbull_dev_of(ddev)->mirror;

	return sysfs_emit(buf, "%s\n", sbull_wb_modes[READ_ONCE(m->wb.on)]);
}

static ssize_t mode_store(struct device *ddev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	int on = sysfs_match_string(sbull_wb_modes, buf);

	if (on < 0) {
		pr_err("%s: mode: accepted values are writethrough and writeback\n",
		       sbull_name(sbull_dev_of(ddev)));
		return -EINVAL;
	}
	sbull_wb_set(sbull_dev_of(ddev), on);
	return count;
}

static DEVICE_ATTR_RW(mode);

static ssize_t dirty_kb_show(struct device *ddev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  sbull_wb_dirty_kb(&sbull_dev_of(ddev)->mirror));
}

static DEVICE_ATTR_RO(dirty_kb);

static struct attribute *sbull_mirror_attrs[] = {
	&dev_attr_legs.attr,
	&dev_attr_generation.attr,
	&dev_attr_uuid.attr,
	&dev_attr_region_size.attr,
	&dev_attr_dirty_regions.attr,
	&dev_attr_regions_resynced.attr,
	&dev_attr_mode.attr,
	&dev_attr_dirty_kb.attr,
	NULL,
};

/* Handed to device_add_disk() with the counters' group, in sbull_stats.c. */
const struct attribute_group sbull_mirror_attr_group = {
	.name	= "mirror",
	.attrs	= sbull_mirror_attrs,
};

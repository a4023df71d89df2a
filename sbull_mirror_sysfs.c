// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/block/sbullX/mirror/: the legs, read and changed at run time; the
 * top of the mirror's layers (sbull_mirror_internal.h). The ABI is in
 * docs/ABI/testing/sysfs-block-sbull.
 *
 * legs		one line per leg: slot, device, start, state, resync %,
 *		errors, generation; takes "add DEV[:START] [init]",
 *		"remove SLOT" and "resync SLOT" (sbull_mirror_command())
 * generation	the generation the in-sync legs' headers carry
 * uuid		the mirror set
 * region_size	the write-intent bitmap's region, in bytes (0: no leg yet)
 * dirty_regions	regions whose bit is set
 * regions_resynced	regions copied by resyncs since the load
 * mode		writethrough or writeback; written to switch
 * dirty_kb	write-back mode: KiB not yet handed to the legs
 * refill	the store read back from a leg after the load: "none",
 *		"refilling P%", "refilled 100%" or "lost P%"
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "sbull_mirror_internal.h"

static const char * const sbull_leg_state_names[] = {
	[SBULL_LEG_UNUSED]	= "unused",
	[SBULL_LEG_IN_SYNC]	= "in_sync",
	[SBULL_LEG_RESYNCING]	= "resyncing",
	[SBULL_LEG_FAILED]	= "failed",
	[SBULL_LEG_OFFLINE]	= "offline",
};

static ssize_t legs_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	struct sbull_mirror *m = dev->mirror;
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
				     __sbull_resync_progress(m, slot),
				     leg->errors, leg->generation);
	}
	spin_unlock_irq(&m->lock);
	mutex_unlock(&m->config);
	return len;
}

static ssize_t legs_store(struct device *ddev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	char *cmd = kstrndup(buf, count, GFP_KERNEL);
	int err;

	if (!cmd)
		return -ENOMEM;
	err = sbull_mirror_command(sbull_dev_of(ddev), strim(cmd));
	kfree(cmd);
	return err ?: count;
}

static DEVICE_ATTR_RW(legs);

static ssize_t generation_show(struct device *ddev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  sbull_dev_of(ddev)->mirror->generation);
}

static DEVICE_ATTR_RO(generation);

static ssize_t uuid_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &sbull_dev_of(ddev)->mirror->uuid);
}

static DEVICE_ATTR_RO(uuid);

static ssize_t region_size_show(struct device *ddev,
				struct device_attribute *attr, char *buf)
{
	struct sbull_mirror *m = sbull_dev_of(ddev)->mirror;

	return sysfs_emit(buf, "%llu\n", m->nr_regions ?
			  (u64)SECTOR_SIZE << m->region_shift : 0);
}

static DEVICE_ATTR_RO(region_size);

static ssize_t dirty_regions_show(struct device *ddev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  sbull_bitmap_dirty(sbull_dev_of(ddev)->mirror));
}

static DEVICE_ATTR_RO(dirty_regions);

static ssize_t regions_resynced_show(struct device *ddev,
				     struct device_attribute *attr, char *buf)
{
	struct sbull_mirror *m = sbull_dev_of(ddev)->mirror;
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
	struct sbull_mirror *m = sbull_dev_of(ddev)->mirror;

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
	sbull_mirror_set_mode(sbull_dev_of(ddev), on);
	return count;
}

static DEVICE_ATTR_RW(mode);

static ssize_t dirty_kb_show(struct device *ddev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  sbull_wb_dirty_kb(sbull_dev_of(ddev)->mirror));
}

static DEVICE_ATTR_RO(dirty_kb);

static ssize_t refill_show(struct device *ddev, struct device_attribute *attr,
			   char *buf)
{
	const char *state;
	int pct = sbull_refill_progress(sbull_dev_of(ddev)->mirror, &state);

	if (!strcmp(state, "none"))
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%s %d%%\n", state, pct);
}

static DEVICE_ATTR_RO(refill);

static struct attribute *sbull_mirror_attrs[] = {
	&dev_attr_legs.attr,
	&dev_attr_generation.attr,
	&dev_attr_uuid.attr,
	&dev_attr_region_size.attr,
	&dev_attr_dirty_regions.attr,
	&dev_attr_regions_resynced.attr,
	&dev_attr_mode.attr,
	&dev_attr_dirty_kb.attr,
	&dev_attr_refill.attr,
	NULL,
};

/* Handed to device_add_disk() with the counters' group (sbull_disk.c). */
const struct attribute_group sbull_mirror_attr_group = {
	.name	= "mirror",
	.attrs	= sbull_mirror_attrs,
};

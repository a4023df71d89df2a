// SPDX-License-Identifier: GPL-2.0
/*
 * The counters of each disk, in /sys/block/sbullX/sbull/ (zram's sysfs is
 * the model): one value per file, the histograms one bucket per line.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/kstrtox.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "sbull.h"
#include "sbull_stats.h"

/**
 * sbull_stats_alloc - give a device its zeroed per-CPU counters
 * @dev: the sbull device
 *
 * Return: 0, or -ENOMEM.
 */
int sbull_stats_alloc(struct sbull_dev *dev)
{
	dev->stats = alloc_percpu(struct sbull_stats);
	return dev->stats ? 0 : -ENOMEM;
}

/**
 * sbull_stats_free - free what sbull_stats_alloc() gave
 * @dev: the sbull device
 */
void sbull_stats_free(struct sbull_dev *dev)
{
	free_percpu(dev->stats);
}

/* Sum the u64 at @offset of struct sbull_stats over every CPU. */
static u64 sbull_stats_sum(struct sbull_dev *dev, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(dev->stats, cpu) + offset);
	return sum;
}

/* A file showing one counter: where it lies in struct sbull_stats. */
struct sbull_counter_attr {
	struct device_attribute dattr;
	size_t offset;
};

static ssize_t sbull_counter_show(struct device *ddev,
				  struct device_attribute *dattr, char *buf)
{
	struct sbull_counter_attr *attr =
		container_of(dattr, struct sbull_counter_attr, dattr);

	return sysfs_emit(buf, "%llu\n",
			  sbull_stats_sum(sbull_dev_of(ddev), attr->offset));
}

#define SBULL_COUNTER_ATTR(field)					\
static struct sbull_counter_attr sbull_attr_##field = {			\
	.dattr = {							\
		.attr = { .name = __stringify(field), .mode = 0444 },	\
		.show = sbull_counter_show,				\
	},								\
	.offset = offsetof(struct sbull_stats, field),			\
}

SBULL_COUNTER_ATTR(bios);
SBULL_COUNTER_ATTR(requests);
SBULL_COUNTER_ATTR(segments);
SBULL_COUNTER_ATTR(read_bytes);
SBULL_COUNTER_ATTR(write_bytes);
SBULL_COUNTER_ATTR(flushes);
SBULL_COUNTER_ATTR(discards);
SBULL_COUNTER_ATTR(write_zeroes);
SBULL_COUNTER_ATTR(errors);
SBULL_COUNTER_ATTR(polled);

/*
 * One line per bucket: its upper bound and its count. Bucket i holds what
 * exceeds the bound of bucket i - 1, up to @first << i; with @open_ended
 * the last bucket has no bound and is shown as "more".
 */
static ssize_t sbull_hist_show(struct sbull_dev *dev, size_t offset,
			       unsigned int nbuckets, unsigned int first,
			       bool open_ended, char *buf)
{
	ssize_t len = 0;
	unsigned int i;

	for (i = 0; i < nbuckets; i++) {
		u64 count = sbull_stats_sum(dev, offset + i * sizeof(u64));

		if (open_ended && i == nbuckets - 1)
			len += sysfs_emit_at(buf, len, "more %llu\n", count);
		else
			len += sysfs_emit_at(buf, len, "%u %llu\n",
					     first << i, count);
	}
	return len;
}

static ssize_t nsegs_hist_show(struct device *ddev,
			       struct device_attribute *attr, char *buf)
{
	return sbull_hist_show(sbull_dev_of(ddev),
			       offsetof(struct sbull_stats, nsegs_hist),
			       SBULL_NSEGS_BUCKETS, 1, true, buf);
}
static DEVICE_ATTR_RO(nsegs_hist);

static ssize_t segsize_hist_show(struct device *ddev,
				 struct device_attribute *attr, char *buf)
{
	return sbull_hist_show(sbull_dev_of(ddev),
			       offsetof(struct sbull_stats, segsize_hist),
			       SBULL_SEGSIZE_BUCKETS, SECTOR_SIZE, false,
			       buf);
}
static DEVICE_ATTR_RO(segsize_hist);

static ssize_t mode_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", sbull_mode_names[sbull_dev_of(ddev)->mode]);
}
static DEVICE_ATTR_RO(mode);

/*
 * Zero every CPU's counters. I/O running meanwhile may land a count in a
 * copy already zeroed or lose one being zeroed; a lock on the data path to
 * prevent that would cost more than the statistics are worth.
 */
static ssize_t reset_store(struct device *ddev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	bool reset;
	int cpu;

	if (kstrtobool(buf, &reset))
		return -EINVAL;
	if (reset)
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(dev->stats, cpu), 0,
			       sizeof(struct sbull_stats));
	return count;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *sbull_attrs[] = {
	&dev_attr_mode.attr,
	&sbull_attr_bios.dattr.attr,
	&sbull_attr_requests.dattr.attr,
	&sbull_attr_segments.dattr.attr,
	&sbull_attr_read_bytes.dattr.attr,
	&sbull_attr_write_bytes.dattr.attr,
	&sbull_attr_flushes.dattr.attr,
	&sbull_attr_discards.dattr.attr,
	&sbull_attr_write_zeroes.dattr.attr,
	&sbull_attr_errors.dattr.attr,
	&sbull_attr_polled.dattr.attr,
	&dev_attr_nsegs_hist.attr,
	&dev_attr_segsize_hist.attr,
	&dev_attr_reset.attr,
	NULL,
};

/* Handed to device_add_disk() by sbull_disk.c, beside the mirror's. */
const struct attribute_group sbull_stats_attr_group = {
	.name	= "sbull",
	.attrs	= sbull_attrs,
};

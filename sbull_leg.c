// SPDX-License-Identifier: GPL-2.0
/*
 * The legs of the mirror: configuration, on-leg headers, restore, resync.
 *
 * A leg is a region of another block device: a 4 KiB header, then a copy
 * of the store. The header names the mirror set (a UUID), the store's
 * geometry, a history and whether the set was shut down cleanly.
 *
 * The history: each load and each change of the set of legs in service
 * starts a new epoch, a random 64-bit identity, written with a generation
 * count to the legs still in service only; the header keeps the epochs
 * before it, newest first. A leg whose epoch is in another leg's history is
 * behind it, and is resynced rather than trusted. Two legs whose epochs are
 * each missing from the other's history were in service apart (each loaded
 * without the other, say): neither is a copy of the other, and the load
 * refuses them rather than keep one and silently drop the other's writes.
 * A counter alone cannot tell: two histories can reach the same number.
 *
 * sbull writes nothing to a device before it has checked the device and
 * found a header of its own there, unless the user asked for the leg to be
 * initialised (legs_init=1, or "add DEV init" in sysfs).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/dm-io.h>
#include <linux/ioprio.h>
#include <linux/kobject.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull.h"
#include "sbull_compat.h"

#define SBULL_HDR_BYTES		(SBULL_HDR_SECTORS << SECTOR_SHIFT)
#define SBULL_HDR_MAGIC		"SBULLMIR"
#define SBULL_HDR_VERSION	2
/* Restore and resync move the store in chunks of this many sectors. */
#define SBULL_RESTORE_CHUNK	(8U << (20 - SECTOR_SHIFT))
#define SBULL_RESYNC_CHUNK	(1U << (20 - SECTOR_SHIFT))

static char *legs[SBULL_MAX_DEVICES * SBULL_MAX_LEGS];
static int nr_legs_given;
module_param_array(legs, charp, &nr_legs_given, 0444);
MODULE_PARM_DESC(legs,
		 "Mirror legs, DISK=DEV[:START],...: e.g. sbulla=/dev/vdb,sbulla=/dev/vdc:2048 (at most 8 per disk)");

static bool legs_init;
module_param(legs_init, bool, 0444);
MODULE_PARM_DESC(legs_init,
		 "Initialise the legs given, which must carry no sbull header (their content is lost)");

/* The header's state field. */
enum sbull_hdr_state {
	SBULL_HDR_CLEAN = 1,		/* the set was shut down cleanly */
	SBULL_HDR_DIRTY = 2,		/* in use, or it crashed */
	SBULL_HDR_RESYNCING = 3,	/* a copy in progress: never a source */
};

/**
 * struct sbull_leg_header - the first sectors of each leg, little endian
 * @magic: SBULL_HDR_MAGIC
 * @version: SBULL_HDR_VERSION
 * @block_size: the logical block size of the sbull disk
 * @store_bytes: the size of the store
 * @uuid: the mirror set
 * @generation: epochs so far, see the top of this file
 * @state: enum sbull_hdr_state
 * @v1_crc: version 1 ended here, with the crc32 of the fields before it
 * @epoch: the current epoch; 0 in version 1 headers and resyncing legs
 * @history: the epochs before it, newest first; 0 for none
 * @crc: crc32 of the fields before it
 */
struct sbull_leg_header {
	u8 magic[8];
	__le32 version;
	__le32 block_size;
	__le64 store_bytes;
	u8 uuid[16];
	__le64 generation;
	__le32 state;
	__le32 v1_crc;
	__le64 epoch;
	__le64 history[SBULL_HISTORY];
	__le32 crc;
} __packed;

static_assert(sizeof(struct sbull_leg_header) <= SBULL_HDR_BYTES);

/* What a header says, once checked against the device. */
struct sbull_hdr_info {
	bool ours;		/* sbull's, for a store of this geometry */
	bool sbull;		/* sbull's, whatever the geometry */
	uuid_t uuid;
	u64 generation;
	u32 state;
	u64 epoch;
	u64 history[SBULL_HISTORY];
};

/* All open legs, of every device, to refuse overlapping regions. */
static LIST_HEAD(sbull_open_legs);
static DEFINE_MUTEX(sbull_open_legs_lock);
/* The holder of the legs' exclusive opens; one for all, see the overlaps. */
static char sbull_leg_holder;

static const char * const sbull_leg_state_names[] = {
	[SBULL_LEG_UNUSED]	= "unused",
	[SBULL_LEG_IN_SYNC]	= "in_sync",
	[SBULL_LEG_RESYNCING]	= "resyncing",
	[SBULL_LEG_FAILED]	= "failed",
	[SBULL_LEG_OFFLINE]	= "offline",
};

static const char *sbull_name(struct sbull_dev *dev)
{
	return dev->disk->disk_name;
}

static struct sbull_dev *sbull_dev_of_mirror(struct sbull_mirror *m)
{
	return container_of(m, struct sbull_dev, mirror);
}

static unsigned int sbull_slot(const struct sbull_leg *leg)
{
	return leg - leg->dev->mirror.legs;
}

static sector_t sbull_store_sectors(struct sbull_dev *dev)
{
	return dev->size >> SECTOR_SHIFT;
}

/* A leg region: the header, then the store. */
static sector_t sbull_leg_sectors(struct sbull_dev *dev)
{
	return SBULL_HDR_SECTORS + sbull_store_sectors(dev);
}

static unsigned int sbull_block_size(struct sbull_dev *dev)
{
	return queue_logical_block_size(dev->disk->queue);
}

static void sbull_set_state(struct sbull_mirror *m, unsigned int slot,
			    enum sbull_leg_state state)
{
	spin_lock_irq(&m->lock);
	sbull_mirror_set_state(m, slot, state);
	spin_unlock_irq(&m->lock);
}

static void sbull_leg_uevent(struct sbull_dev *dev, unsigned int slot,
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

/* ---- headers ----------------------------------------------------------- */

/* Synchronous dm-io to a piece of a leg: never called from a request path. */
static int sbull_leg_io(struct sbull_dev *dev, struct sbull_leg *leg,
			blk_opf_t opf, enum dm_io_mem_type type, void *mem,
			sector_t sector, sector_t count)
{
	struct dm_io_region where = {
		.bdev	= leg->bdev,
		.sector	= leg->start + sector,
		.count	= count,
	};
	struct dm_io_request req = {
		.bi_opf		= opf,
		.mem.type	= type,
		.mem.ptr.addr	= mem,
		.client		= dev->mirror.client,
	};
	unsigned long error = 0;
	int err;

	err = sbull_dm_io(&req, 1, &where, &error, IOPRIO_DEFAULT);
	return err ?: (error ? -EIO : 0);
}

static u32 sbull_hdr_crc(const struct sbull_leg_header *hdr, size_t end)
{
	return crc32_le(~0, (const u8 *)hdr, end);
}

/* A header sbull wrote, of either version, its crc intact. */
static bool sbull_hdr_valid(const struct sbull_leg_header *hdr)
{
	if (memcmp(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic)))
		return false;
	switch (le32_to_cpu(hdr->version)) {
	case 1:
		return le32_to_cpu(hdr->v1_crc) ==
		       sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
						   v1_crc));
	case SBULL_HDR_VERSION:
		return le32_to_cpu(hdr->crc) ==
		       sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
						   crc));
	default:
		return false;
	}
}

/* Version 1 headers have no epochs: they read as epoch 0, no history. */
static void sbull_hdr_decode(struct sbull_dev *dev,
			     const struct sbull_leg_header *hdr,
			     struct sbull_hdr_info *info)
{
	bool v2 = le32_to_cpu(hdr->version) == SBULL_HDR_VERSION;
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->sbull = sbull_hdr_valid(hdr);
	info->ours = info->sbull &&
		     le64_to_cpu(hdr->store_bytes) == dev->size &&
		     le32_to_cpu(hdr->block_size) == sbull_block_size(dev);
	import_uuid(&info->uuid, hdr->uuid);
	info->generation = le64_to_cpu(hdr->generation);
	info->state = le32_to_cpu(hdr->state);
	if (!v2)
		return;
	info->epoch = le64_to_cpu(hdr->epoch);
	for (i = 0; i < SBULL_HISTORY; i++)
		info->history[i] = le64_to_cpu(hdr->history[i]);
}

/* Read a leg's header; refuse the leg if it is not ours, unless @init. */
static int sbull_leg_read_header(struct sbull_dev *dev, struct sbull_leg *leg,
				 const char *what, bool init,
				 struct sbull_hdr_info *info)
{
	struct sbull_leg_header *hdr;
	int err;

	hdr = kmalloc(SBULL_HDR_BYTES, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;
	err = sbull_leg_io(dev, leg, REQ_OP_READ, DM_IO_KMEM, hdr, 0,
			   SBULL_HDR_SECTORS);
	if (err) {
		pr_err("%s: cannot read the header of %pg (%d); accepted: a working device\n",
		       what, leg->bdev, err);
		goto out;
	}
	sbull_hdr_decode(dev, hdr, info);
	/* init overwrites a device without a header of sbull's, only. */
	if (info->ours && !init)
		goto out;
	if (!info->sbull && init)
		goto out;
	if (init)
		pr_err("%s: %pg holds an sbull leg (set %pUb); accepted for init: a device without sbull header (erase its first 4 KiB at sector %llu to reuse it)\n",
		       what, leg->bdev, &info->uuid,
		       (unsigned long long)leg->start);
	else if (info->sbull)
		pr_err("%s: %pg holds a leg of a %llu-byte store of %u-byte blocks, %s has %zu of %u; accepted: a leg of the same geometry\n",
		       what, leg->bdev, le64_to_cpu(hdr->store_bytes),
		       le32_to_cpu(hdr->block_size), sbull_name(dev),
		       dev->size, sbull_block_size(dev));
	else
		pr_err("%s: no sbull header on %pg at sector %llu; accepted: a leg sbull wrote, or legs_init=1 (\"init\" in sysfs) to initialise it, losing its content\n",
		       what, leg->bdev, (unsigned long long)leg->start);
	err = -EINVAL;
out:
	kfree(hdr);
	return err;
}

/*
 * Header writes go after a flush and as FUA: the data they vouch for is
 * on the leg's media first. A resyncing leg's header (@generation 0) has
 * no epoch: it is no copy of anything yet.
 */
static int sbull_leg_write_header(struct sbull_dev *dev, unsigned int slot,
				  enum sbull_hdr_state state, u64 generation)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_leg *leg = &m->legs[slot];
	struct sbull_leg_header *hdr;
	unsigned int i;
	int err;

	hdr = kzalloc(SBULL_HDR_BYTES, GFP_NOIO);
	if (!hdr)
		return -ENOMEM;
	memcpy(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic));
	hdr->version = cpu_to_le32(SBULL_HDR_VERSION);
	hdr->block_size = cpu_to_le32(sbull_block_size(dev));
	hdr->store_bytes = cpu_to_le64(dev->size);
	export_uuid(hdr->uuid, &dev->mirror.uuid);
	hdr->generation = cpu_to_le64(generation);
	hdr->state = cpu_to_le32(state);
	if (generation) {
		hdr->epoch = cpu_to_le64(m->epoch);
		for (i = 0; i < SBULL_HISTORY; i++)
			hdr->history[i] = cpu_to_le64(m->history[i]);
	}
	hdr->crc = cpu_to_le32(sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
							   crc)));
	err = sbull_leg_io(dev, leg, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA |
			   REQ_SYNC, DM_IO_KMEM, hdr, 0, SBULL_HDR_SECTORS);
	kfree(hdr);
	if (!err)
		leg->generation = generation;
	return err;
}

/* Stamp the in-sync legs with the mirror's generation. */
static void sbull_legs_write_headers(struct sbull_dev *dev,
				     enum sbull_hdr_state state)
{
	struct sbull_mirror *m = &dev->mirror;
	unsigned long legs, failed = 0;
	unsigned int slot;

	lockdep_assert_held(&m->config);
	spin_lock_irq(&m->lock);
	legs = sbull_legs_in(m, SBULL_LEG_IN_SYNC);
	spin_unlock_irq(&m->lock);
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		if (sbull_leg_write_header(dev, slot, state, m->generation))
			failed |= BIT(slot);
	if (failed)
		sbull_mirror_fail_legs(m, failed);
}

/*
 * The set of legs in service changed: a new epoch, in their headers. The
 * epoch before it joins the history (version 1's epoch 0 does not).
 */
static void sbull_legs_new_generation(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;

	if (m->epoch) {
		memmove(&m->history[1], &m->history[0],
			sizeof(m->history) - sizeof(m->history[0]));
		m->history[0] = m->epoch;
	}
	do {
		m->epoch = get_random_u64();
	} while (!m->epoch);
	m->generation++;
	sbull_legs_write_headers(dev, SBULL_HDR_DIRTY);
}

/*
 * Say the legs in service in the in-sync legs' headers, a new generation:
 * the writes held meanwhile may then end (sbull_mirror_end_held(), once
 * @config is released).
 */
static void sbull_legs_commit(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;
	unsigned int changes;

	lockdep_assert_held(&m->config);
	spin_lock_irq(&m->lock);
	changes = m->changes;
	spin_unlock_irq(&m->lock);
	if (m->started)
		sbull_legs_new_generation(dev);
	sbull_mirror_headers_written(m, changes);
}

/* The legs waiting for, or in, a resync pass. */
static unsigned long sbull_legs_resyncing(struct sbull_mirror *m)
{
	unsigned long legs;

	spin_lock_irq(&m->lock);
	legs = sbull_legs_in(m, SBULL_LEG_RESYNCING);
	spin_unlock_irq(&m->lock);
	return legs;
}

/* ---- opening and closing legs ------------------------------------------ */

/*
 * "DEV[:START]": START is what follows the last colon, if it is a number,
 * in decimal (a leading 0 is no octal).
 */
static int sbull_parse_region(const char *spec, char **path, sector_t *start)
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

static bool sbull_is_sbull_disk(struct block_device *bdev)
{
	const struct block_device_operations *fops = bdev->bd_disk->fops;

	return fops == &sbull_bio_fops || fops == &sbull_mq_fops;
}

/* Regions on one disk, a partition's offset included, that intersect. */
static bool sbull_legs_overlap(const struct sbull_leg *a,
			       const struct sbull_leg *b, sector_t len)
{
	sector_t a0 = get_start_sect(a->bdev) + a->start;
	sector_t b0 = get_start_sect(b->bdev) + b->start;

	return a->bdev->bd_disk == b->bdev->bd_disk &&
	       a0 < b0 + len && b0 < a0 + len;
}

/* Each refusal is one line: what was given, why, what is accepted. */
static int sbull_leg_check(struct sbull_dev *dev, struct sbull_leg *leg,
			   const char *what)
{
	struct block_device *bdev = leg->bdev;
	unsigned int lbs = bdev_logical_block_size(bdev);
	sector_t have = bdev_nr_sectors(bdev);
	sector_t need = sbull_leg_sectors(dev);
	struct sbull_leg *other;

	if (sbull_is_sbull_disk(bdev)) {
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
		if (!sbull_legs_overlap(leg, other, need))
			continue;
		pr_err("%s: overlaps leg %u of %s (%s:%llu); accepted: %llu sectors that no other leg uses\n",
		       what, sbull_slot(other), sbull_name(other->dev),
		       other->path, (unsigned long long)other->start,
		       (unsigned long long)need);
		return -EBUSY;
	}
	return 0;
}

static void sbull_leg_close(struct sbull_leg *leg)
{
	mutex_lock(&sbull_open_legs_lock);
	list_del_init(&leg->node);
	mutex_unlock(&sbull_open_legs_lock);
	sbull_close_leg(leg->bdev, leg->handle, &sbull_leg_holder);
	kfree(leg->path);
	leg->path = NULL;
	leg->bdev = NULL;
}

/*
 * Open @path as leg @slot of @dev and check it; the leg takes @path. The
 * slot stays SBULL_LEG_UNUSED, out of the data path, until the caller has
 * decided what the header means.
 */
static int sbull_leg_attach(struct sbull_dev *dev, unsigned int slot,
			    const char *what, char *path, sector_t start,
			    bool init, struct sbull_hdr_info *info)
{
	struct sbull_leg *leg = &dev->mirror.legs[slot];
	struct block_device *bdev;
	void *handle = NULL;
	int err;

	err = sbull_mirror_open(dev);
	if (err) {
		kfree(path);
		return err;
	}
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

	mutex_lock(&sbull_open_legs_lock);
	err = sbull_leg_check(dev, leg, what);
	if (!err)
		list_add_tail(&leg->node, &sbull_open_legs);
	mutex_unlock(&sbull_open_legs_lock);
	if (!err)
		err = sbull_leg_read_header(dev, leg, what, init, info);
	if (err)
		sbull_leg_close(leg);
	return err;
}

/* ---- load: assemble, restore, start ------------------------------------ */

/**
 * sbull_legs_parse - check the legs parameter before anything is set up
 * @ndevices: the number of sbull disks
 *
 * Return: 0, or -EINVAL after one error line naming the bad element.
 */
int sbull_legs_parse(int ndevices)
{
	unsigned int count[SBULL_MAX_DEVICES] = { 0 };
	int i;

	for (i = 0; i < nr_legs_given; i++) {
		const char *spec = legs[i], *eq = strchr(spec, '=');
		int disk = eq && eq - spec == 6 && !strncmp(spec, "sbull", 5) ?
			   spec[5] - 'a' : -1;

		if (disk < 0 || disk >= ndevices || !eq[1]) {
			pr_err("legs=%s: accepted values are DISK=DEV[:START], DISK sbulla to sbull%c\n",
			       spec, 'a' + ndevices - 1);
			return -EINVAL;
		}
		if (++count[disk] > SBULL_MAX_LEGS) {
			pr_err("legs=%s: a leg too many for sbull%c; accepted values are at most %d legs per disk\n",
			       spec, 'a' + disk, SBULL_MAX_LEGS);
			return -EINVAL;
		}
	}
	return 0;
}

/* A copy of the store as it was at some epoch: a restore source. */
static bool sbull_hdr_complete(const struct sbull_hdr_info *info)
{
	return info->ours && (info->state == SBULL_HDR_CLEAN ||
			      info->state == SBULL_HDR_DIRTY);
}

static bool sbull_hdr_same_epoch(const struct sbull_hdr_info *a,
				 const struct sbull_hdr_info *b)
{
	return a->epoch == b->epoch && a->generation == b->generation;
}

/* Was @b's epoch one of @a's past ones? Version 1 has counters only. */
static bool sbull_hdr_descends(const struct sbull_hdr_info *a,
			       const struct sbull_hdr_info *b)
{
	unsigned int i;

	if (!a->epoch || !b->epoch)
		return a->generation > b->generation;
	for (i = 0; i < SBULL_HISTORY && a->history[i]; i++)
		if (a->history[i] == b->epoch)
			return true;
	return false;
}

/*
 * The leg to restore from: a complete one that every other complete leg
 * is the same as, or behind; of those, a clean one. -1 if no leg is
 * complete; -2 - i if leg i and leg *@other parted.
 */
static int sbull_pick_source(const struct sbull_hdr_info *info,
			     unsigned int n, int *other)
{
	int src = -1;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!sbull_hdr_complete(&info[i]))
			continue;
		if (src < 0 || sbull_hdr_descends(&info[i], &info[src]) ||
		    (sbull_hdr_same_epoch(&info[i], &info[src]) &&
		     info[i].state == SBULL_HDR_CLEAN))
			src = i;
	}
	for (i = 0; src >= 0 && i < n; i++) {
		if (!sbull_hdr_complete(&info[i]) ||
		    sbull_hdr_same_epoch(&info[i], &info[src]) ||
		    sbull_hdr_descends(&info[src], &info[i]))
			continue;
		*other = src;
		return -2 - i;
	}
	return src;
}

static u64 sbull_mib_per_s(size_t bytes, ktime_t start)
{
	s64 ms = max_t(s64, ktime_ms_delta(ktime_get(), start), 1);

	return div64_u64((u64)bytes * 1000 >> 20, ms);
}

/* Open the legs the parameter gives @dev; none is written to yet. */
static int sbull_legs_attach_params(struct sbull_dev *dev,
				    struct sbull_hdr_info *info)
{
	unsigned int n = 0;
	char what[64];
	int i, err;

	for (i = 0; i < nr_legs_given; i++) {
		const char *spec = legs[i];
		sector_t start;
		char *path;

		if (strncmp(spec, sbull_name(dev), 6) || spec[6] != '=')
			continue;
		snprintf(what, sizeof(what), "legs=%s", spec);
		err = sbull_parse_region(spec + 7, &path, &start) ?:
		      sbull_leg_attach(dev, n, what, path, start, legs_init,
				       &info[n]);
		if (err)
			goto out_close;
		n++;
	}
	return n;

out_close:
	while (n--)
		sbull_leg_close(&dev->mirror.legs[n]);
	return err;
}

/*
 * The legs' headers must tell one story: one mirror set, and a complete
 * copy to restore from if any leg is sbull's. Otherwise refuse, even with
 * legs_init, rather than guess which data to keep.
 */
static int sbull_legs_check_set(struct sbull_dev *dev,
				const struct sbull_hdr_info *info,
				unsigned int n, int *src)
{
	struct sbull_mirror *m = &dev->mirror;
	int first = -1, other = -1, i;

	for (i = 0; i < n; i++) {
		if (!info[i].ours)
			continue;
		if (first < 0)
			first = i;
		if (!uuid_equal(&info[i].uuid, &info[first].uuid)) {
			pr_err("legs=%s=%s: belongs to another mirror set than %s; accepted: legs of one set (erase a leg's first 4 KiB to reuse it)\n",
			       sbull_name(dev), m->legs[i].path,
			       m->legs[first].path);
			return -EINVAL;
		}
	}
	*src = sbull_pick_source(info, n, &other);
	if (*src <= -2) {
		i = -2 - *src;
		pr_err("legs=%s=%s: it and %s hold different histories of the set (generations %llu and %llu: each was in service without the other, or one was away for more than 64 changes); accepted: legs of one history: load with the leg to keep, then \"add\" the other in sysfs to resync it\n",
		       sbull_name(dev), m->legs[i].path, m->legs[other].path,
		       info[i].generation, info[other].generation);
		return -EINVAL;
	}
	if (*src < 0 && first >= 0) {
		pr_err("legs=%s=%s: holds an unfinished resync and no leg given holds a complete copy; accepted: the legs of the set with a complete one, or a leg without header and legs_init=1 to start afresh\n",
		       sbull_name(dev), m->legs[first].path);
		return -EINVAL;
	}
	return 0;
}

/**
 * sbull_legs_assemble - open and check the legs the parameter gives a disk
 * @dev: a device whose disk is allocated but not yet added
 *
 * Picks the leg to restore from, the newest complete one; legs of that set
 * and generation that were shut down cleanly are in sync, every other leg
 * is to be resynced. Nothing is read or written beyond the headers here:
 * sbull_legs_restore() reads the store once every disk's legs are checked,
 * and sbull_legs_start() writes to them once the disks are live.
 *
 * Return: 0, or a negative errno after one error line.
 */
int sbull_legs_assemble(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_hdr_info *info;
	int n, src, i, err;

	m->source = -1;
	/* A header's history is 512 bytes: too much for eight on the stack. */
	info = kcalloc(SBULL_MAX_LEGS, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	n = sbull_legs_attach_params(dev, info);
	if (n <= 0) {
		kfree(info);
		return n;
	}

	err = sbull_legs_check_set(dev, info, n, &src);
	if (err)
		goto out_close;

	if (src < 0) {		/* all new: the empty store is the truth */
		uuid_gen(&m->uuid);
	} else {
		m->uuid = info[src].uuid;
		m->generation = info[src].generation;
		m->epoch = info[src].epoch;
		memcpy(m->history, info[src].history, sizeof(m->history));
	}
	for (i = 0; i < n; i++) {
		bool in_sync = i == src ||
			(src >= 0 && sbull_hdr_complete(&info[i]) &&
			 sbull_hdr_same_epoch(&info[i], &info[src]) &&
			 info[i].state == SBULL_HDR_CLEAN &&
			 info[src].state == SBULL_HDR_CLEAN);

		m->legs[i].generation = info[i].generation;
		sbull_set_state(m, i, in_sync ? SBULL_LEG_IN_SYNC :
						SBULL_LEG_RESYNCING);
	}
	m->source = src;
	m->nr_legs = n;
	err = sbull_set_write_cache(dev->disk, true);
	if (!err) {
		kfree(info);
		return 0;
	}

out_close:
	for (i = 0; i < n; i++) {
		m->legs[i].state = SBULL_LEG_UNUSED;
		sbull_leg_close(&m->legs[i]);
	}
	m->nr_legs = 0;
	kfree(info);
	return err;
}

/**
 * sbull_legs_restore - read the store back from the leg picked at assembly
 * @dev: a device that sbull_legs_assemble() set up, not yet added
 *
 * Return: 0, or -EIO after one error line.
 */
int sbull_legs_restore(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;
	sector_t size = sbull_store_sectors(dev), pos, n;
	ktime_t start = ktime_get();
	struct sbull_leg *leg;
	int err;

	if (m->source < 0)
		return 0;
	leg = &m->legs[m->source];
	pr_info("%s: restoring %zu MiB from leg %d (%s:%llu), generation %llu\n",
		sbull_name(dev), dev->size >> 20, m->source, leg->path,
		(unsigned long long)leg->start, m->generation);
	for (pos = 0; pos < size; pos += n) {
		n = min_t(sector_t, size - pos, SBULL_RESTORE_CHUNK);
		err = sbull_leg_io(dev, leg, REQ_OP_READ, DM_IO_VMA,
				   dev->data + (pos << SECTOR_SHIFT),
				   SBULL_HDR_SECTORS + pos, n);
		if (err) {
			pr_err("%s: restoring from leg %d (%s): read error at sector %llu (%d)\n",
			       sbull_name(dev), m->source, leg->path,
			       (unsigned long long)pos, err);
			return err;
		}
	}
	pr_info("%s: restored %zu MiB in %lld ms (%llu MiB/s)\n",
		sbull_name(dev), dev->size >> 20,
		ktime_ms_delta(ktime_get(), start),
		sbull_mib_per_s(dev->size, start));
	return 0;
}

/**
 * sbull_legs_start - put the legs of a live disk in service
 * @dev: a device that sbull_legs_assemble() set up and that is now added
 *
 * Marks the in-sync legs dirty with a new generation and starts the resync
 * of the others.
 */
void sbull_legs_start(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;
	unsigned long legs;
	unsigned int slot;

	mutex_lock(&m->config);
	m->started = true;
	if (m->nr_legs) {
		sbull_legs_new_generation(dev);
		legs = sbull_legs_resyncing(m);
		for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
			if (sbull_leg_write_header(dev, slot,
						   SBULL_HDR_RESYNCING, 0))
				sbull_mirror_fail_legs(m, BIT(slot));
		queue_work(m->resync_wq, &m->resync_work);
	}
	mutex_unlock(&m->config);
}

/* ---- resync ------------------------------------------------------------ */

static void sbull_resync_chunk(struct sbull_dev *dev, unsigned long legs,
			       sector_t pos, sector_t n)
{
	struct sbull_mirror *m = &dev->mirror;
	struct dm_io_region where[SBULL_MAX_LEGS];
	struct dm_io_request req = {
		.bi_opf		= REQ_OP_WRITE,
		.mem.type	= DM_IO_VMA,
		.mem.ptr.vma	= dev->data + (pos << SECTOR_SHIFT),
		.client		= m->client,
	};
	unsigned long error = 0;
	unsigned int slot, nr = 0;

	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS) {
		struct sbull_leg *leg = &m->legs[slot];

		where[nr].bdev = leg->bdev;
		where[nr].sector = leg->start + SBULL_HDR_SECTORS + pos;
		where[nr].count = n;
		nr++;
	}
	/* A synchronous dm_io() fails if any region did: trust the bits. */
	if (sbull_dm_io(&req, nr, where, &error, IOPRIO_DEFAULT) && !error)
		error = ~0UL;
	if (error)
		sbull_mirror_fail_legs(m, sbull_failed_legs(legs, error));
}

/* Between chunks: the copy has passed @lo, and is about to copy to @hi. */
static unsigned long sbull_resync_window(struct sbull_mirror *m,
					 sector_t lo, sector_t hi)
{
	unsigned long legs;

	spin_lock_irq(&m->lock);
	m->resync_lo = lo;
	m->resync_hi = hi;
	legs = m->resync_stop ? 0 : m->resync_legs;
	spin_unlock_irq(&m->lock);
	sbull_mirror_resume_deferred(m);
	return legs;
}

/**
 * sbull_resync_work - copy the store to the legs that are resyncing
 * @work: the mirror's resync_work
 *
 * One pass takes the legs resyncing when it starts; a leg added meanwhile
 * waits for the next pass. Writes keep flowing: see sbull_mirror.c.
 */
void sbull_resync_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(work, struct sbull_mirror,
					      resync_work);
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	sector_t size = sbull_store_sectors(dev), pos = 0, n;
	ktime_t start = ktime_get();
	unsigned long legs;
	unsigned int slot;
	bool again;

	spin_lock_irq(&m->lock);
	legs = m->resync_stop ? 0 : sbull_legs_in(m, SBULL_LEG_RESYNCING);
	m->resync_legs = legs;
	spin_unlock_irq(&m->lock);
	if (!legs)
		return;
	pr_info("%s: resyncing %zu MiB to leg(s) %*pbl\n", sbull_name(dev),
		dev->size >> 20, SBULL_MAX_LEGS, &legs);

	for (; pos < size; pos += n) {
		n = min_t(sector_t, size - pos, SBULL_RESYNC_CHUNK);
		legs = sbull_resync_window(m, pos, pos + n);
		if (!legs)
			break;
		sbull_resync_chunk(dev, legs, pos, n);
		cond_resched();
	}

	spin_lock_irq(&m->lock);
	legs = pos == size ? m->resync_legs : 0;
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		sbull_mirror_set_state(m, slot, SBULL_LEG_IN_SYNC);
	m->resynced |= legs;
	m->resync_legs = 0;
	m->resync_lo = 0;
	m->resync_hi = 0;
	again = !m->resync_stop && sbull_legs_in(m, SBULL_LEG_RESYNCING);
	spin_unlock_irq(&m->lock);
	sbull_mirror_resume_deferred(m);

	if (legs) {
		pr_info("%s: resynced leg(s) %*pbl: %zu MiB in %lld ms (%llu MiB/s)\n",
			sbull_name(dev), SBULL_MAX_LEGS, &legs, dev->size >> 20,
			ktime_ms_delta(ktime_get(), start),
			sbull_mib_per_s(dev->size, start));
		queue_work(m->event_wq, &m->event_work);
	}
	if (again)
		queue_work(m->resync_wq, &m->resync_work);
}

/* Stop a running pass and keep another from starting until this returns. */
static void sbull_resync_stop(struct sbull_mirror *m)
{
	spin_lock_irq(&m->lock);
	m->resync_stop = true;
	spin_unlock_irq(&m->lock);
	cancel_work_sync(&m->resync_work);
	spin_lock_irq(&m->lock);
	m->resync_stop = false;
	spin_unlock_irq(&m->lock);
}

/* ---- events ------------------------------------------------------------ */

static unsigned int sbull_legs_in_service(struct sbull_mirror *m)
{
	return hweight_long(sbull_legs_in(m, SBULL_LEG_IN_SYNC) |
			    sbull_legs_in(m, SBULL_LEG_RESYNCING));
}

/**
 * sbull_legs_event_work - report failed and resynced legs
 * @work: the mirror's event_work
 *
 * Each state change is logged once and raises a KOBJ_CHANGE uevent; the
 * legs in sync get a new generation, so that a failed leg is known to be
 * behind at the next load, and a resynced one in sync; then the writes
 * held meanwhile end. Process context, on the mirror's event workqueue.
 */
void sbull_legs_event_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(work, struct sbull_mirror,
					      event_work);
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	unsigned long failed, resynced;
	unsigned int slot, in_service, noio;
	bool behind;

	mutex_lock(&m->config);
	/* Writeback may wait for the writes held here: no I/O for memory. */
	noio = memalloc_noio_save();
	spin_lock_irq(&m->lock);
	failed = m->failed & sbull_legs_in(m, SBULL_LEG_FAILED);
	resynced = m->resynced & sbull_legs_in(m, SBULL_LEG_IN_SYNC);
	m->failed = 0;
	m->resynced = 0;
	in_service = sbull_legs_in_service(m);
	behind = m->behind;
	spin_unlock_irq(&m->lock);

	for_each_set_bit(slot, &failed, SBULL_MAX_LEGS) {
		pr_err("%s: leg %u (%s:%llu) failed; %u of %u legs in service\n",
		       sbull_name(dev), slot, m->legs[slot].path,
		       (unsigned long long)m->legs[slot].start, in_service,
		       m->nr_legs);
		sbull_leg_uevent(dev, slot, "failed");
	}
	if (failed && !in_service)
		pr_err("%s: no leg left in service: writes fail with EIO, reads go on\n",
		       sbull_name(dev));
	for_each_set_bit(slot, &resynced, SBULL_MAX_LEGS)
		sbull_leg_uevent(dev, slot, "in_sync");
	if (failed || resynced || behind)
		sbull_legs_commit(dev);
	memalloc_noio_restore(noio);
	mutex_unlock(&m->config);
	sbull_mirror_end_held(m);
}

/* ---- unload ------------------------------------------------------------ */

/**
 * sbull_legs_stop - flush the legs, mark them clean and close them
 * @dev: a device that takes no more I/O (deleted, or never added)
 */
void sbull_legs_stop(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;
	unsigned int slot, clean;

	if (!m->client)		/* never had a leg */
		return;
	sbull_resync_stop(m);
	flush_workqueue(m->wq);		/* the writes still pending */
	for (slot = 0; slot < SBULL_MAX_LEGS; slot++)
		if (m->legs[slot].bdev)
			sbull_mirror_wait_idle(m, slot);
	flush_workqueue(m->event_wq);	/* their failures, held writes */

	mutex_lock(&m->config);
	if (m->started && m->nr_legs) {
		m->started = false;	/* no event rewrites them dirty */
		sbull_legs_write_headers(dev, SBULL_HDR_CLEAN);
		spin_lock_irq(&m->lock);
		clean = hweight_long(sbull_legs_in(m, SBULL_LEG_IN_SYNC));
		spin_unlock_irq(&m->lock);
		pr_info("%s: %u of %u legs flushed and marked clean, generation %llu\n",
			sbull_name(dev), clean, m->nr_legs, m->generation);
	}
	mutex_unlock(&m->config);
	flush_workqueue(m->event_wq);	/* events of the last header writes */

	for (slot = 0; slot < SBULL_MAX_LEGS; slot++) {
		if (!m->legs[slot].bdev)
			continue;
		m->legs[slot].state = SBULL_LEG_UNUSED;
		sbull_leg_close(&m->legs[slot]);
	}
	m->nr_legs = 0;
}

/* ---- sysfs: /sys/block/sbullX/sbull/{legs,generation,uuid} ------------- */

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

/* "add DEV[:START] [init]": a new leg, resynced from the store. */
static int sbull_legs_add(struct sbull_dev *dev, const char *spec, bool init)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_hdr_info info;
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
	err = sbull_parse_region(spec, &path, &start) ?:
	      sbull_leg_attach(dev, slot, what, path, start, init, &info);
	if (err)
		return err;
	/* The store overwrites the leg: only a leg of this very set, or init. */
	if (!init && !uuid_equal(&info.uuid, &m->uuid)) {
		pr_err("%s: %pg belongs to another mirror set; accepted: a leg of this set, or a device without sbull header and \"add %s init\"\n",
		       what, m->legs[slot].bdev, spec);
		err = -EINVAL;
		goto out_close;
	}
	if (uuid_is_null(&m->uuid))
		uuid_gen(&m->uuid);
	err = sbull_leg_write_header(dev, slot, SBULL_HDR_RESYNCING, 0);
	if (err) {
		pr_err("%s: cannot write the header (%d)\n", what, err);
		goto out_close;
	}
	sbull_set_state(m, slot, SBULL_LEG_RESYNCING);
	sbull_set_nr_legs(dev, m->nr_legs + 1);
	pr_info("%s: leg %d added, resyncing\n", what, slot);
	sbull_leg_uevent(dev, slot, "resyncing");
	queue_work(m->resync_wq, &m->resync_work);
	return 0;

out_close:
	sbull_leg_close(&m->legs[slot]);
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
	sbull_legs_commit(dev);
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

static ssize_t legs_store(struct device *ddev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct sbull_dev *dev = sbull_dev_of(ddev);
	char *cmd = kstrndup(buf, count, GFP_KERNEL);
	unsigned int noio;
	int err;

	if (!cmd)
		return -ENOMEM;
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

DEVICE_ATTR_RW(legs);

static ssize_t generation_show(struct device *ddev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  sbull_dev_of(ddev)->mirror.generation);
}

DEVICE_ATTR_RO(generation);

static ssize_t uuid_show(struct device *ddev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &sbull_dev_of(ddev)->mirror.uuid);
}

DEVICE_ATTR_RO(uuid);

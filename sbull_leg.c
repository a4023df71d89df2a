// SPDX-License-Identifier: GPL-2.0
/*
 * The legs of the mirror: opening and checking them, putting them in
 * service at load and taking them out at unload, and the event work that
 * follows a leg's failure or resync.
 *
 * sbull writes nothing to a device before it has checked the device and
 * found a header of its own there, unless the user asked for the leg to be
 * initialised (legs_init=1, or "add DEV init" in sysfs). The header and
 * the history it keeps: sbull_leg_header.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/ioprio.h>
#include <linux/kobject.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull_compat.h"
#include "sbull_leg.h"

static char *legs[SBULL_MAX_DEVICES * SBULL_MAX_LEGS];
static int nr_legs_given;
module_param_array(legs, charp, &nr_legs_given, 0444);
MODULE_PARM_DESC(legs,
		 "Mirror legs, DISK=DEV[:START],...: e.g. sbulla=/dev/vdb,sbulla=/dev/vdc:2048 (at most 8 per disk)");

static bool legs_init;
module_param(legs_init, bool, 0444);
MODULE_PARM_DESC(legs_init,
		 "Initialise the legs given, which must carry no sbull header (their content is lost)");

/* All open legs, of every device, to refuse overlapping regions. */
static LIST_HEAD(sbull_open_legs);
static DEFINE_MUTEX(sbull_open_legs_lock);
/* The holder of the legs' exclusive opens; one for all, see the overlaps. */
static char sbull_leg_holder;

/**
 * sbull_leg_uevent - tell udev that a leg changed state (KOBJ_CHANGE)
 * @dev: the sbull device
 * @slot: the leg
 * @state: its new state, as in the legs file, or "removed"
 *
 * Process context; nothing before add_disk() or after del_gendisk().
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

/**
 * sbull_leg_io - synchronous dm-io to a piece of a leg
 * @dev: the sbull device
 * @where: the piece, see sbull_leg_region()
 * @opf: operation and flags
 * @type: what @mem is: DM_IO_KMEM or DM_IO_VMA
 * @mem: the buffer
 *
 * Process context, never a request path: dm_io() waits here.
 *
 * Return: 0, or a negative errno.
 */
int sbull_leg_io(struct sbull_dev *dev, struct dm_io_region *where,
		 blk_opf_t opf, enum dm_io_mem_type type, void *mem)
{
	struct dm_io_request req = {
		.bi_opf		= opf,
		.mem.type	= type,
		.mem.ptr.addr	= mem,
		.client		= dev->mirror.client,
	};
	unsigned long error = 0;
	int err;

	err = sbull_dm_io(&req, 1, where, &error, IOPRIO_DEFAULT);
	return err ?: (error ? -EIO : 0);
}

/* ---- opening and closing legs ------------------------------------------ */

/**
 * sbull_parse_region - split "DEV[:START]"
 * @spec: what the user gave
 * @path: set to DEV, allocated
 * @start: set to START, or 0
 *
 * START is what follows the last colon, if it is a number, in decimal (a
 * leading 0 is no octal).
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_parse_region(const char *spec, char **path, sector_t *start)
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

/* Regions on one disk, a partition's offset included, that intersect. */
static bool sbull_legs_overlap(const struct sbull_leg *a,
			       const struct sbull_leg *b, sector_t len)
{
	sector_t a0 = get_start_sect(a->bdev) + a->start;
	sector_t b0 = get_start_sect(b->bdev) + b->start;

	return a->bdev->bd_disk == b->bdev->bd_disk &&
	       a0 < b0 + len && b0 < a0 + len;
}

/* A disk of sbull's, or a partition of one (whatever its major). */
static bool sbull_is_sbull_disk(struct block_device *bdev)
{
	const struct block_device_operations *fops = bdev->bd_disk->fops;

	return fops == &sbull_bio_fops || fops == &sbull_mq_fops;
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

	/* Built on one, through dm or loop: sbull_legs_store_check(). */
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

/**
 * sbull_leg_close - close a leg that is out of service and idle
 * @leg: the leg
 */
void sbull_leg_close(struct sbull_leg *leg)
{
	struct sbull_mirror *m = &leg->dev->mirror;

	mutex_lock(&sbull_open_legs_lock);
	list_del_init(&leg->node);
	mutex_unlock(&sbull_open_legs_lock);
	/* A bitmap write may have taken the leg before it left service. */
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
 * sbull_leg_attach - open a device as a leg, check it, read its header
 * @dev: the sbull device; under @config, or loading
 * @slot: a free slot
 * @what: what the user gave, for the error line
 * @path: the device; the leg takes it, and frees it on error
 * @start: the region's first sector
 * @init: the leg is to be initialised (see sbull_leg_read_header())
 * @info: what its header says
 *
 * The slot stays SBULL_LEG_UNUSED, out of the data path, until the caller
 * has decided what the header means.
 *
 * Return: 0, or a negative errno after one error line.
 */
int sbull_leg_attach(struct sbull_dev *dev, unsigned int slot,
		     const char *what, char *path, sector_t start, bool init,
		     struct sbull_hdr_info *info)
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
	/* Kept for its life: header writes must not wait for memory. */
	leg->block = kzalloc(SBULL_HDR_SECTORS << SECTOR_SHIFT, GFP_KERNEL);
	if (!leg->block) {
		sbull_leg_close(leg);
		return -ENOMEM;
	}

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

/* ---- load: assemble, then start once restored ------------------------- */

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

	if (sbull_bitmap_parse() || sbull_wb_parse(ndevices))
		return -EINVAL;
	for (i = 0; i < nr_legs_given; i++) {
		const char *spec = legs[i], *eq = strchr(spec, '=');
		int disk = eq && eq - spec == 6 && !strncmp(spec, "sbull", 5) ?
			   spec[5] - 'a' : -1;

		if (disk < 0 || disk >= ndevices || !eq[1] ||
		    strchr(eq, ',')) {
			pr_err("legs=%s: accepted values are DISK=DEV[:START], DISK one of the %d made at load (sbulla on; configfs gives the others theirs)\n",
			       spec, ndevices);
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

/**
 * sbull_legs_param - the legs the parameter gives a disk
 * @name: the disk, sbulla to sbullz
 *
 * Return: its "DEV[:START]" comma-separated, allocated; NULL if none, or
 * ERR_PTR(-ENOMEM).
 */
char *sbull_legs_param(const char *name)
{
	char *list = NULL, *more;
	int i;

	for (i = 0; i < nr_legs_given; i++) {
		const char *spec = legs[i];

		if (strncmp(spec, name, 6) || spec[6] != '=')
			continue;
		more = list ? kasprintf(GFP_KERNEL, "%s,%s", list, spec + 7) :
			      kstrdup(spec + 7, GFP_KERNEL);
		kfree(list);
		if (!more)
			return ERR_PTR(-ENOMEM);
		list = more;
	}
	return list;
}

/**
 * sbull_legs_init_param - the legs_init parameter
 *
 * Return: true if the legs given at load are to be initialised.
 */
bool sbull_legs_init_param(void)
{
	return legs_init;
}

/*
 * Open the legs of @list, "DEV[:START]" comma-separated; none is written.
 * An error line starts with @setting, "legs=sbulla=" or "configfs NAME/legs=".
 */
static int sbull_legs_attach_list(struct sbull_dev *dev, const char *list,
				  bool init, const char *setting,
				  struct sbull_hdr_info *info)
{
	char *specs, *next, *spec;
	unsigned int n = 0;
	char what[64];
	int err = 0;

	if (!list)
		return 0;
	specs = kstrdup(list, GFP_KERNEL);
	if (!specs)
		return -ENOMEM;
	next = specs;
	while ((spec = strsep(&next, ",")) && n < SBULL_MAX_LEGS) {
		sector_t start;
		char *path;

		snprintf(what, sizeof(what), "%s%s", setting, spec);
		err = sbull_parse_region(spec, &path, &start) ?:
		      sbull_leg_attach(dev, n, what, path, start, init,
				       &info[n]);
		if (err)
			goto out_close;
		n++;
	}
	kfree(specs);
	return n;

out_close:
	while (n--)
		sbull_leg_close(&dev->mirror.legs[n]);
	kfree(specs);
	return err;
}

/*
 * The legs' headers must tell one story: one mirror set, and a complete
 * copy to restore from if any leg is sbull's. Otherwise refuse, even with
 * legs_init, rather than guess which data to keep.
 */
static int sbull_legs_check_set(struct sbull_dev *dev,
				const struct sbull_hdr_info *info,
				unsigned int n, const char *setting, int *src)
{
	struct sbull_mirror *m = &dev->mirror;
	int first = -1, other = -1, i;

	for (i = 0; i < n; i++) {
		if (!info[i].ours)
			continue;
		if (first < 0)
			first = i;
		if (!uuid_equal(&info[i].uuid, &info[first].uuid)) {
			pr_err("%s%s: belongs to another mirror set than %s; accepted: legs of one set (erase a leg's first 4 KiB to reuse it)\n",
			       setting, m->legs[i].path,
			       m->legs[first].path);
			return -EINVAL;
		}
	}
	*src = sbull_pick_source(info, n, &other);
	if (*src <= -2) {
		i = -2 - *src;
		pr_err("%s%s: it and %s hold different histories of the set (generations %llu and %llu: each was in service without the other, or one was away for more than 64 changes); accepted: legs of one history: load with the leg to keep, then \"add DEV init\" the other in sysfs to overwrite it\n",
		       setting, m->legs[i].path, m->legs[other].path,
		       info[i].generation, info[other].generation);
		return -EINVAL;
	}
	if (*src < 0 && first >= 0) {
		pr_err("%s%s: holds an unfinished resync and no leg given holds a complete copy; accepted: the legs of the set with a complete one, or a leg without header and legs_init=1 to start afresh\n",
		       setting, m->legs[first].path);
		return -EINVAL;
	}
	return 0;
}

/*
 * A leg that crashed with the source, in its epoch, differs from it only
 * where a write was in flight: where the bitmap of either says. Headers
 * without a bitmap, or with another region size, say nothing.
 */
static bool sbull_hdr_bitmap_covers(struct sbull_mirror *m,
				    const struct sbull_hdr_info *src,
				    const struct sbull_hdr_info *leg)
{
	return sbull_hdr_complete(leg) && sbull_hdr_same_epoch(leg, src) &&
	       src->state == SBULL_HDR_DIRTY && leg->state == SBULL_HDR_DIRTY &&
	       src->region_sectors == 1U << m->region_shift &&
	       leg->region_sectors == src->region_sectors;
}

/**
 * sbull_legs_assemble - open and check a disk's legs
 * @dev: a device whose disk is allocated but not yet added
 * @list: the legs, "DEV[:START]" comma-separated, at most SBULL_MAX_LEGS
 *	  (sbull_legs_parse() or the configfs attribute checked it); or NULL
 * @init: initialise them (legs_init), if they carry no sbull header
 * @where: "" if the module parameters gave them, else "configfs NAME/"
 *
 * Picks the leg to restore from, the newest complete one; legs of that set
 * and generation that were shut down cleanly are in sync, every other leg
 * is to be resynced: whole, or only the regions of the write-intent
 * bitmaps if it crashed with the source. Nothing is read or written
 * beyond the headers here:
 * sbull_legs_restore() reads the store once every disk's legs are checked,
 * and sbull_legs_start() writes to them once the disks are live.
 *
 * Return: 0, or a negative errno after one error line.
 */
int sbull_legs_assemble(struct sbull_dev *dev, const char *list, bool init,
			const char *where)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_hdr_info *info;
	char setting[CONFIGFS_ITEM_NAME_LEN + 24];
	unsigned long partial = 0;
	int n, src, i, err;

	m->source = -1;
	sbull_wb_init(dev);
	/* A header's history is 512 bytes: too much for eight on the stack. */
	info = kcalloc(SBULL_MAX_LEGS, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	/* What each error line starts with, naming the setting. */
	if (*where)
		snprintf(setting, sizeof(setting), "%slegs=", where);
	else
		snprintf(setting, sizeof(setting), "legs=%s=", sbull_name(dev));
	n = sbull_legs_attach_list(dev, list, init, setting, info);
	if (n <= 0) {
		kfree(info);
		return n;
	}

	err = sbull_legs_check_set(dev, info, n, setting, &src);
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
		if (!in_sync && src >= 0 &&
		    sbull_hdr_bitmap_covers(m, &info[src], &info[i])) {
			sbull_leg_bitmap_import(dev, i);
			partial |= BIT(i);
		}
	}
	if (partial)
		sbull_leg_bitmap_import(dev, src);
	spin_lock_irq(&m->lock);
	m->partial_legs = partial;
	spin_unlock_irq(&m->lock);
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
		/*
		 * The legs put in service at assembly made the headers behind:
		 * this generation says which they are, and catches them up.
		 */
		sbull_legs_commit(dev);
		legs = sbull_legs_resyncing(m);
		for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
			if (sbull_leg_write_header(dev, slot,
						   SBULL_HDR_RESYNCING, 0))
				sbull_mirror_fail_legs(m, BIT(slot));
		queue_work(m->resync_wq, &m->resync_work);
	}
	mutex_unlock(&m->config);
}

/* ---- events ------------------------------------------------------------ */

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
	in_service = hweight_long(sbull_legs_in_service(m));
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
	sbull_wb_drain(m);		/* write-back: the store to the legs */
	sbull_mirror_drain(m);		/* the writes pending or in flight */
	flush_workqueue(m->event_wq);	/* their failures, held writes */
	sbull_bitmap_stop(m);		/* clean: no write left anywhere */

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


// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror set, the top of the mirror's layers (sbull_mirror_internal.h):
 * the module parameters of the legs; a disk's legs assembled at load,
 * put in service, stopped at unload; the event work that follows a leg's
 * failure or resync and writes the headers that say so; the legs
 * commands of sysfs; and the door the request paths knock at (takes,
 * refuses, begin, write). Every layer below hears from above through
 * calls, and wakes this one through @changed, which queues the event work.
 *
 * sbull writes nothing to a device before it has checked the device and
 * found a header of its own there, unless the user asked for the leg to be
 * initialised (legs_init=1, or "add DEV init" in sysfs).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull_compat.h"
#include "sbull_mirror_internal.h"

static char *legs[SBULL_MAX_DEVICES * SBULL_MAX_LEGS];
static int nr_legs_given;
module_param_array(legs, charp, &nr_legs_given, 0444);
MODULE_PARM_DESC(legs,
		 "Mirror legs, DISK=DEV[:START],...: e.g. sbulla=/dev/vdb,sbulla=/dev/vdc:2048 (at most 8 per disk)");

static bool legs_init;
module_param(legs_init, bool, 0444);
MODULE_PARM_DESC(legs_init,
		 "Initialise the legs given that carry no sbull header (their content is lost); legs of a set are kept");

/* ---- the module parameters --------------------------------------------- */

/**
 * sbull_mirror_parse - check the mirror's parameters before anything is set up
 * @ndevices: the number of sbull disks made at load
 *
 * The legs parameter here; the bitmap's and write-back's by their layers.
 *
 * Return: 0, or -EINVAL after one error line naming the bad element.
 */
int sbull_mirror_parse(int ndevices)
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
 * sbull_mirror_legs_param - the legs the parameter gives a disk
 * @name: the disk, sbulla to sbullz
 *
 * Return: its "DEV[:START]" comma-separated, allocated; NULL if none, or
 * ERR_PTR(-ENOMEM).
 */
char *sbull_mirror_legs_param(const char *name)
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
 * sbull_mirror_legs_init_param - the legs_init parameter
 *
 * Return: true if the legs given at load may be initialised.
 */
bool sbull_mirror_legs_init_param(void)
{
	return legs_init;
}

/* ---- the door of the request paths -------------------------------------- */

/* Does the device have legs? Read without a lock on the data path. */
static bool sbull_mirrored(struct sbull_mirror *m)
{
	return READ_ONCE(m->nr_legs);
}

/**
 * sbull_mirror_takes - does this operation go to the legs?
 * @dev: the sbull device
 * @op: the operation of a bio or request
 *
 * Asked once per I/O: the answer decides both sbull_mirror_begin() and
 * sbull_mirror_write(), and a leg may come or go in between.
 *
 * Context: any; takes no lock.
 * Return: true for writes, discards, write-zeroes and flushes on a device
 * with legs.
 */
bool sbull_mirror_takes(struct sbull_dev *dev, enum req_op op)
{
	switch (op) {
	case REQ_OP_WRITE:
	case REQ_OP_FLUSH:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		return sbull_mirrored(dev->mirror);
	default:
		return false;
	}
}

/**
 * sbull_mirror_refilling - must an I/O wait for the store to be read back?
 * @dev: the sbull device
 * @sector: the I/O's first sector
 * @nr_sectors: its length; 0 for a flush
 *
 * After a load the store is read back from a leg while the disk serves
 * I/O: an I/O into a part not read back yet waits for it, through
 * sbull_mirror_wait(), which looks again. Once the store is whole this
 * is one load, without a lock.
 *
 * Context: any; takes the refill's lock while it runs.
 * Return: true if the I/O touches a part of the store not yet read back.
 */
bool sbull_mirror_refilling(struct sbull_dev *dev, sector_t sector,
			    unsigned int nr_sectors)
{
	return sbull_refill_pending(dev->mirror, sector, nr_sectors);
}

/**
 * sbull_mirror_wait - park an I/O until the store holds what it touches
 * @dev: the sbull device
 * @w: the I/O, its @sector and @nr_sectors set, @resume its way back
 *
 * Reads and writes alike: a write into a region not yet read back would
 * be overwritten by it.
 *
 * Context: a request path, in any context but interrupt; never sleeps.
 * Return: true if the I/O waits: @w->resume() sends it on, in process
 * context; false if it may go on now.
 */
bool sbull_mirror_wait(struct sbull_dev *dev, struct sbull_wait *w)
{
	return sbull_refill_wait(dev->mirror, w);
}

/**
 * sbull_mirror_refuses - must this I/O fail, the legs unable to take it?
 * @dev: the sbull device
 * @op: the operation, about to change or read the store
 * @sector: its first sector
 * @nr_sectors: its length; 0 for a flush
 *
 * Asked before the store is touched, so that reads keep returning what
 * the legs hold. A write or flush fails once no leg is left in service;
 * a flush or FUA write with no leg in sync but one resyncing passes: it
 * waits for the resync when it reaches the legs. Any I/O fails that
 * touches a region the refill could not read back, no leg in sync being
 * left, and any I/O once the refill has stopped, the disk going
 * (sbull_refill.c).
 *
 * Context: any; takes no lock but the refill's, while it runs.
 * Return: true if the I/O must fail with EIO.
 */
bool sbull_mirror_refuses(struct sbull_dev *dev, enum req_op op,
			  sector_t sector, unsigned int nr_sectors)
{
	if ((op_is_write(op) || op == REQ_OP_FLUSH) &&
	    READ_ONCE(dev->mirror->no_leg_left))
		return true;
	return sbull_refill_lost(dev->mirror, sector, nr_sectors);
}

/**
 * sbull_mirror_begin - a write the legs take is about to change the store
 * @dev: the sbull device
 * @sector: the write's first sector
 * @nr_sectors: its length; 0 for a flush
 *
 * Called by the request paths after every check that may fail the I/O,
 * before they change the store; the write then goes to
 * sbull_mirror_write(). From here until the legs have it, the store is
 * ahead of them in its regions, and the write-intent bitmap knows it
 * (sbull_bitmap_begin()).
 *
 * Context: any but interrupt.
 */
void sbull_mirror_begin(struct sbull_dev *dev, sector_t sector,
			unsigned int nr_sectors)
{
	sbull_bitmap_begin(dev->mirror, sector, nr_sectors);
}

/**
 * sbull_mirror_write - send a write that reached the store to the legs
 * @mio: the write, filled in by the request path, begun by
 *	 sbull_mirror_begin()
 *
 * In write-through mode @mio->end_io() ends the original I/O when the legs
 * have it; in write-back mode, at once, or after the flusher's next pass
 * for a flush (sbull_writeback.c).
 *
 * Context: any but interrupt; never sleeps.
 */
void sbull_mirror_write(struct sbull_mirror_io *mio)
{
	if (READ_ONCE(mio->dev->mirror->wb.on))
		sbull_wb_write(mio);
	else
		sbull_wt_queue(mio);
}

/* ---- set up, and torn down ------------------------------------------------- */

/* The layers below wake the mirror set: a leg failed, a resync ended, a write is held. */
static void sbull_mirror_changed(struct sbull_mirror *m)
{
	queue_work(m->event_wq, &m->event_work);
}

static void sbull_mirror_event_work(struct work_struct *work);

/**
 * sbull_mirror_init - give a device its mirror, without legs
 * @dev: the sbull device
 *
 * What the legs need, dm-io's client and the workqueues, comes with the
 * first leg: sbull_mirror_open().
 *
 * Return: 0 or -ENOMEM.
 */
int sbull_mirror_init(struct sbull_dev *dev)
{
	struct sbull_mirror *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return -ENOMEM;
	dev->mirror = m;
	m->dev = dev;

	spin_lock_init(&m->lock);
	mutex_init(&m->config);
	m->changed = sbull_mirror_changed;
	m->source = -1;
	INIT_WORK(&m->event_work, sbull_mirror_event_work);
	sbull_bitmap_init(m);
	sbull_wt_init(m);
	sbull_resync_init(m);
	sbull_refill_init(m);
	return 0;
}

/* Events queue issue work, resyncs queue events: destroyed in that order. */
static void sbull_mirror_destroy_wqs(struct sbull_mirror *m)
{
	if (m->resync_wq)
		destroy_workqueue(m->resync_wq);
	if (m->event_wq)
		destroy_workqueue(m->event_wq);
	if (m->wq)
		destroy_workqueue(m->wq);
	m->resync_wq = NULL;
	m->event_wq = NULL;
	m->wq = NULL;
}

/*
 * Make ready for a first leg: the bitmap, write-back's state, dm-io's
 * client and the workqueues. Under @config, or loading.
 */
static int sbull_mirror_open(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;
	const char *name = sbull_name(dev);
	struct dm_io_client *client;
	int err;

	if (m->client)
		return 0;
	err = sbull_bitmap_alloc(dev);
	if (err)
		return err;
	err = sbull_wb_alloc(dev);
	if (err)
		goto out_bitmap;
	/* A header's history is 512 bytes: not for the stack. */
	m->hdr = kmalloc(sizeof(*m->hdr), GFP_KERNEL);
	if (!m->hdr) {
		err = -ENOMEM;
		goto out_wb;
	}
	client = dm_io_client_create();
	if (IS_ERR(client)) {
		err = PTR_ERR(client);
		goto out_wb;
	}
	/*
	 * Writeback may wait on these writes, held or deferred ones too: both
	 * queues must make progress under memory pressure. Unbound: nothing
	 * gains from the submitting CPU, and 7.x warns about a workqueue that
	 * does not say (WQ_PERCPU, the other choice, is only in 6.17 on).
	 */
	m->wq = alloc_workqueue("%s_mirror", WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
				name);
	m->event_wq = alloc_workqueue("%s_events", WQ_MEM_RECLAIM | WQ_UNBOUND,
				      0, name);
	m->resync_wq = alloc_workqueue("%s_resync", WQ_MEM_RECLAIM | WQ_UNBOUND,
				       0, name);
	if (!m->wq || !m->event_wq || !m->resync_wq) {
		sbull_mirror_destroy_wqs(m);
		dm_io_client_destroy(client);
		err = -ENOMEM;
		goto out_wb;
	}
	/* Last: sbull_wb_set() reads it without @config. */
	smp_store_release(&m->client, client);
	return 0;

out_wb:
	kfree(m->hdr);
	m->hdr = NULL;
	sbull_wb_free(m);
out_bitmap:
	sbull_bitmap_free(m);
	return err;
}

/**
 * sbull_mirror_destroy - free the mirror of a device
 * @dev: the sbull device, whose legs are closed (sbull_mirror_stop())
 */
void sbull_mirror_destroy(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;

	if (!m)
		return;
	if (m->client) {
		sbull_wb_free(m);
		sbull_mirror_destroy_wqs(m);
		dm_io_client_destroy(m->client);
		sbull_bitmap_free(m);
		kfree(m->hdr);
	}
	kfree(m);
	dev->mirror = NULL;
}

/* ---- the headers ------------------------------------------------------------ */

/*
 * Stamp the in-sync legs with the mirror's generation; fail those whose
 * header write fails. Under @config.
 */
static void sbull_mirror_write_headers(struct sbull_dev *dev,
				       enum sbull_hdr_state state)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned long legs, failed = 0;
	unsigned int slot;

	lockdep_assert_held(&m->config);
	sbull_header_of_store(m, state, m->generation, m->hdr);
	legs = sbull_leg_mask(m, SBULL_LEG_IN_SYNC);
	for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
		if (sbull_bitmap_write_header(m, slot, m->hdr))
			failed |= BIT(slot);
	if (failed)
		sbull_leg_fail(m, failed);
}

/*
 * Write a leg's header as a resync target's: no copy of anything yet.
 * Under @config, or loading.
 */
static int sbull_mirror_write_resyncing(struct sbull_dev *dev,
					unsigned int slot)
{
	struct sbull_mirror *m = dev->mirror;

	sbull_header_of_store(m, SBULL_HDR_RESYNCING, 0, m->hdr);
	return sbull_bitmap_write_header(m, slot, m->hdr);
}

/*
 * A new epoch, in the in-sync legs' headers; the epoch before it joins the
 * history (version 1's epoch 0 does not). Under @config.
 */
static void sbull_mirror_new_generation(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;

	lockdep_assert_held(&m->config);
	if (m->epoch) {
		memmove(&m->history[1], &m->history[0],
			sizeof(m->history) - sizeof(m->history[0]));
		m->history[0] = m->epoch;
	}
	do {
		m->epoch = get_random_u64();
	} while (!m->epoch);
	m->generation++;
	sbull_mirror_write_headers(dev, SBULL_HDR_DIRTY);
}

/*
 * The headers say which legs are in service: a new generation on the
 * in-sync legs. The writes held meanwhile may then end
 * (sbull_wt_end_held(), once @config is released), and a flush waiting
 * for a resync that this change ended goes on. Under @config.
 */
static void sbull_mirror_commit(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned int changes;

	lockdep_assert_held(&m->config);
	changes = sbull_leg_changes(m);
	if (m->started)
		sbull_mirror_new_generation(dev);
	sbull_leg_caught_up(m, changes);
	sbull_wt_resume_deferred(m);
}

/* ---- assembly at load ------------------------------------------------------ */

/*
 * Open leg @slot and read its header; closed again if it is refused. Under
 * @config, or loading.
 */
static int sbull_mirror_attach(struct sbull_dev *dev, unsigned int slot,
			       const char *what, char *path, sector_t start,
			       bool init, struct sbull_hdr_info *info)
{
	int err;

	err = sbull_mirror_open(dev);
	if (err) {
		kfree(path);
		return err;
	}
	err = sbull_leg_attach(dev, slot, what, path, start);
	if (err)
		return err;
	err = sbull_header_read(&dev->mirror->legs[slot], what, init, info);
	if (err)
		sbull_leg_close(&dev->mirror->legs[slot]);
	return err;
}

/*
 * Open the legs of @list, "DEV[:START]" comma-separated; none is written.
 * An error line starts with @setting, "legs=sbulla=" or "configfs NAME/legs=".
 */
static int sbull_mirror_attach_list(struct sbull_dev *dev, const char *list,
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
		err = sbull_leg_parse_region(spec, &path, &start) ?:
		      sbull_mirror_attach(dev, n, what, path, start, init,
					  &info[n]);
		if (err)
			goto out_close;
		n++;
	}
	kfree(specs);
	return n;

out_close:
	while (n--)
		sbull_leg_close(&dev->mirror->legs[n]);
	kfree(specs);
	return err;
}

/*
 * The legs' headers must tell one story: one mirror set, and a complete
 * copy to restore from if any leg is sbull's. Otherwise refuse, even with
 * legs_init, rather than guess which data to keep.
 */
static int sbull_mirror_check_set(struct sbull_dev *dev,
				  const struct sbull_hdr_info *info,
				  unsigned int n, const char *setting, int *src)
{
	struct sbull_mirror *m = dev->mirror;
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
	*src = sbull_header_pick_source(info, n, &other);
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
static bool sbull_mirror_bitmap_covers(struct sbull_mirror *m,
				       const struct sbull_hdr_info *src,
				       const struct sbull_hdr_info *leg)
{
	return sbull_header_complete(leg) &&
	       sbull_header_same_epoch(leg, src) &&
	       src->state == SBULL_HDR_DIRTY && leg->state == SBULL_HDR_DIRTY &&
	       src->region_sectors == 1U << m->region_shift &&
	       leg->region_sectors == src->region_sectors;
}

/**
 * sbull_mirror_assemble - open and check a disk's legs
 * @dev: a device whose disk is allocated but not yet added
 * @list: the legs, "DEV[:START]" comma-separated, at most SBULL_MAX_LEGS
 *	  (sbull_mirror_parse() or the configfs attribute checked it); or NULL
 * @init: initialise those that carry no sbull header (legs_init)
 * @where: "" if the module parameters gave them, else "configfs NAME/"
 *
 * Picks the leg to restore from, the newest complete one; legs of that set
 * and generation that were shut down cleanly are in sync, every other leg
 * is to be resynced: whole, or only the regions of the write-intent
 * bitmaps if it crashed with the source. Nothing is read or written
 * beyond the headers here: sbull_mirror_restore() starts reading the
 * store back once every disk's legs are checked, and sbull_mirror_start()
 * writes to them once the disks are live.
 *
 * Context: process context.
 * Return: 0, or a negative errno after one error line.
 */
int sbull_mirror_assemble(struct sbull_dev *dev, const char *list, bool init,
			  const char *where)
{
	struct sbull_mirror *m = dev->mirror;
	struct sbull_hdr_info *info;
	char setting[CONFIGFS_ITEM_NAME_LEN + 24];
	unsigned long partial = 0;
	int n, src, i, err;

	/* The disk is named now: write-back mode, as the parameter says. */
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
	n = sbull_mirror_attach_list(dev, list, init, setting, info);
	if (n <= 0) {
		kfree(info);
		return n;
	}

	err = sbull_mirror_check_set(dev, info, n, setting, &src);
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
			(src >= 0 && sbull_header_complete(&info[i]) &&
			 sbull_header_same_epoch(&info[i], &info[src]) &&
			 info[i].state == SBULL_HDR_CLEAN &&
			 info[src].state == SBULL_HDR_CLEAN);

		m->legs[i].generation = info[i].generation;
		sbull_leg_set_state(m, i, in_sync ? SBULL_LEG_IN_SYNC :
						    SBULL_LEG_RESYNCING);
		if (!in_sync && src >= 0 &&
		    sbull_mirror_bitmap_covers(m, &info[src], &info[i])) {
			sbull_bitmap_import(m, i);
			partial |= BIT(i);
		}
	}
	if (partial)
		sbull_bitmap_import(m, src);
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
 * sbull_mirror_refills - will the store be read back from a leg?
 * @dev: a device that sbull_mirror_assemble() set up
 *
 * If not, the store starts as zeroes; if so, the refill overwrites it
 * whole, and nothing reads a part of it before (sbull_refill.c).
 *
 * Return: true if a leg holds the store to read back.
 */
bool sbull_mirror_refills(struct sbull_dev *dev)
{
	return dev->mirror->source >= 0;
}

/**
 * sbull_mirror_restore - start reading the store back from the leg picked
 * @dev: a device that sbull_mirror_assemble() set up, not yet added
 *
 * Returns at once: the store is refilled while the disk serves I/O, an
 * I/O waiting for the regions it touches (sbull_mirror_wait()).
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int sbull_mirror_restore(struct sbull_dev *dev)
{
	if (!sbull_mirror_refills(dev))
		return 0;
	return sbull_refill_start(dev->mirror, dev->mirror->source);
}

/**
 * sbull_mirror_start - put the legs of a live disk in service
 * @dev: a device that sbull_mirror_assemble() set up and that is now added
 *
 * Marks the in-sync legs dirty with a new generation and starts the resync
 * of the others.
 *
 * Context: process context; takes @config.
 */
void sbull_mirror_start(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned long legs;
	unsigned int slot;

	mutex_lock(&m->config);
	m->started = true;
	if (m->nr_legs) {
		/*
		 * The legs put in service at assembly made the headers behind:
		 * this generation says which they are, and catches them up.
		 */
		sbull_mirror_commit(dev);
		legs = sbull_leg_mask(m, SBULL_LEG_RESYNCING);
		for_each_set_bit(slot, &legs, SBULL_MAX_LEGS)
			if (sbull_mirror_write_resyncing(dev, slot))
				sbull_leg_fail(m, BIT(slot));
		sbull_resync_kick(m);
	}
	mutex_unlock(&m->config);
}

/* ---- events ------------------------------------------------------------------ */

/*
 * Report failed and resynced legs: each state change is logged once and
 * raises a KOBJ_CHANGE uevent; the legs in sync get a new generation, so
 * that a failed leg is known to be behind at the next load, and a resynced
 * one in sync; then the writes held meanwhile end. Process context, on the
 * mirror's event workqueue, woken by the layers below (@changed).
 */
static void sbull_mirror_event_work(struct work_struct *work)
{
	struct sbull_mirror *m = container_of(work, struct sbull_mirror,
					      event_work);
	struct sbull_dev *dev = sbull_dev_of_mirror(m);
	unsigned long failed, resynced;
	unsigned int slot, in_service, noio;
	bool behind, refill_ended;

	mutex_lock(&m->config);
	/* Writeback may wait for the writes held here: no I/O for memory. */
	noio = memalloc_noio_save();
	spin_lock_irq(&m->lock);
	failed = m->failed & __sbull_leg_mask(m, SBULL_LEG_FAILED);
	resynced = m->resynced & __sbull_leg_mask(m, SBULL_LEG_IN_SYNC);
	m->failed = 0;
	m->resynced = 0;
	refill_ended = m->refill_ended;
	m->refill_ended = false;
	in_service = hweight_long(__sbull_leg_in_service(m));
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
		sbull_mirror_commit(dev);
	/* A resync waits for the refill: it is over, kick it. */
	if (refill_ended && m->started && !sbull_refill_active(m))
		sbull_resync_kick(m);
	memalloc_noio_restore(noio);
	mutex_unlock(&m->config);
	sbull_wt_end_held(m);
	/* Lost: the flushes that waited for a resync fail now. */
	if (refill_ended)
		sbull_wt_resume_deferred(m);
}

/* ---- unload -------------------------------------------------------------------- */

/**
 * sbull_mirror_stop - flush the legs, mark them clean and close them
 * @dev: a device that takes no more I/O (deleted, or never added)
 *
 * Context: process context; takes @config.
 */
void sbull_mirror_stop(struct sbull_dev *dev)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned int slot, clean;

	if (!m || !m->client)	/* never had a leg */
		return;
	sbull_refill_stop(m);
	flush_workqueue(m->event_wq);	/* no resync kicked after the stop */
	sbull_resync_stop(m);
	sbull_wb_drain(m);		/* write-back: the store to the legs */
	sbull_wt_drain(m);		/* the writes pending or in flight */
	flush_workqueue(m->event_wq);	/* their failures, held writes */
	sbull_bitmap_stop(m);		/* clean: no write left anywhere */

	mutex_lock(&m->config);
	if (m->started && m->nr_legs) {
		m->started = false;	/* no event rewrites them dirty */
		sbull_mirror_write_headers(dev, SBULL_HDR_CLEAN);
		clean = hweight_long(sbull_leg_mask(m, SBULL_LEG_IN_SYNC));
		pr_info("%s: %u of %u legs flushed and marked clean, generation %llu\n",
			sbull_name(dev), clean, m->nr_legs, m->generation);
		if (!clean)
			pr_err("%s: no leg holds a complete copy: what was written since the last one failed goes with the store; the next load restores from the legs as they are\n",
			       sbull_name(dev));
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

/* ---- the legs commands of sysfs ---------------------------------------------- */

static int sbull_mirror_free_slot(struct sbull_mirror *m)
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
static void sbull_mirror_set_nr_legs(struct sbull_dev *dev, unsigned int nr)
{
	struct sbull_mirror *m = dev->mirror;
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
static int sbull_mirror_may_overwrite(struct sbull_dev *dev,
				      unsigned int slot, const char *what,
				      const char *spec,
				      const struct sbull_hdr_info *info)
{
	struct sbull_mirror *m = dev->mirror;
	struct sbull_hdr_info *store;
	int err = 0;

	if (!uuid_equal(&info->uuid, &m->uuid)) {
		pr_err("%s: %pg belongs to another mirror set; accepted: a leg of this set, or a device without sbull header and \"add %s init\"\n",
		       what, m->legs[slot].bdev, spec);
		return -EINVAL;
	}
	if (!sbull_header_complete(info))
		return 0;
	if (!info->epoch) {
		pr_err("%s: %pg has a version 1 header, without the history that tells whether it is behind %s; accepted: \"add %s init\" to overwrite it with the store (to keep its data instead, unload and load with it)\n",
		       what, m->legs[slot].bdev, sbull_name(dev), spec);
		return -EINVAL;
	}
	store = kmalloc(sizeof(*store), GFP_KERNEL);
	if (!store)
		return -ENOMEM;
	sbull_header_of_store(m, SBULL_HDR_DIRTY, m->generation, store);
	if (!sbull_header_same_epoch(info, store) &&
	    !sbull_header_behind(info, store)) {
		pr_err("%s: %pg holds writes %s lacks (generation %llu, in service without it, or away for more than 64 changes); accepted: a leg behind the store, or \"add %s init\" to overwrite it with the store (to keep its data instead, unload and load with it)\n",
		       what, m->legs[slot].bdev, sbull_name(dev),
		       info->generation, spec);
		err = -EINVAL;
	}
	kfree(store);
	return err;
}

/* "add DEV[:START] [init]": a new leg, resynced from the store. */
static int sbull_mirror_add(struct sbull_dev *dev, const char *spec, bool init)
{
	struct sbull_mirror *m = dev->mirror;
	struct sbull_hdr_info *info;
	int slot = sbull_mirror_free_slot(m), err;
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
	err = sbull_leg_parse_region(spec, &path, &start) ?:
	      sbull_mirror_attach(dev, slot, what, path, start, init, info);
	if (err)
		goto out_free;
	if (!init) {
		err = sbull_mirror_may_overwrite(dev, slot, what, spec, info);
		if (err)
			goto out_close;
	}
	if (uuid_is_null(&m->uuid))
		uuid_gen(&m->uuid);
	err = sbull_mirror_write_resyncing(dev, slot);
	if (err) {
		pr_err("%s: cannot write the header (%d)\n", what, err);
		goto out_close;
	}
	/*
	 * Counted first: the first leg freezes the queue, which must not
	 * wait for a flush that a resyncing leg holds back.
	 */
	sbull_mirror_set_nr_legs(dev, m->nr_legs + 1);
	sbull_leg_set_state(m, slot, SBULL_LEG_RESYNCING);
	pr_info("%s: leg %d added, resyncing\n", what, slot);
	sbull_leg_uevent(dev, slot, "resyncing");
	sbull_resync_kick(m);
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
 * disk (unload and load again to restore from it). A leg in sync goes
 * offline, as does any leg being removed; a failed leg to resync stays
 * failed. Another leg may fail as the command waits for this one's writes:
 * a resync looks again (sbull_mirror_still_needed()).
 */
static int sbull_mirror_take_out(struct sbull_dev *dev, unsigned int slot,
				 const char *verb)
{
	struct sbull_mirror *m = dev->mirror;
	bool resync = !strcmp(verb, "resync");
	const char *why = NULL;
	unsigned long in_sync;

	spin_lock_irq(&m->lock);
	in_sync = __sbull_leg_mask(m, SBULL_LEG_IN_SYNC);
	if (in_sync == BIT(slot) && sbull_refill_active(m))
		why = "the store is still being read back from it";
	else if (in_sync == BIT(slot) && (resync || m->nr_legs > 1))
		why = "it holds the only complete copy";
	else if (resync && !in_sync)
		why = "no leg is in sync, and it may hold the newest copy";
	else if (!resync || m->legs[slot].state == SBULL_LEG_IN_SYNC)
		__sbull_leg_set_state(m, slot, SBULL_LEG_OFFLINE);
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
 * fails beside a resync (guarantee 3 of docs/design/mirror.md).
 */
static int sbull_mirror_still_needed(struct sbull_dev *dev, unsigned int slot)
{
	if (sbull_leg_mask(dev->mirror, SBULL_LEG_IN_SYNC))
		return 0;
	pr_err("%s: resync %u: every other leg in sync failed while leg %u's writes landed: it holds the only complete copy; refused: it stays offline, for the next load to restore from it\n",
	       sbull_name(dev), slot, slot);
	return -EBUSY;
}

/* "remove SLOT": out of service, then closed once its writes are done. */
static int sbull_mirror_remove(struct sbull_dev *dev, unsigned int slot)
{
	struct sbull_mirror *m = dev->mirror;
	int err;

	err = sbull_mirror_take_out(dev, slot, "remove");
	if (err)
		return err;
	/* The resync pass may be copying to it: wait for that, too. */
	sbull_resync_stop(m);
	sbull_leg_wait_idle(m, slot);
	pr_info("%s: leg %u (%s:%llu) removed\n", sbull_name(dev), slot,
		m->legs[slot].path, (unsigned long long)m->legs[slot].start);
	sbull_leg_close(&m->legs[slot]);
	sbull_leg_set_state(m, slot, SBULL_LEG_UNUSED);
	sbull_mirror_set_nr_legs(dev, m->nr_legs - 1);
	sbull_leg_uevent(dev, slot, "removed");

	sbull_mirror_commit(dev);
	if (sbull_leg_mask(m, SBULL_LEG_RESYNCING))
		sbull_resync_kick(m);
	return 0;
}

/* "resync SLOT": copy the store to the leg again, e.g. once it is mended. */
static int sbull_mirror_resync(struct sbull_dev *dev, unsigned int slot)
{
	struct sbull_mirror *m = dev->mirror;
	int err;

	if (m->legs[slot].state == SBULL_LEG_RESYNCING)
		return 0;
	/*
	 * Out of service and out of any resync pass until the writes sent
	 * before it failed have landed: they must not land after the copy.
	 * Writes completed meanwhile are held until the other legs' headers
	 * say that it left (sbull_mirror_commit()).
	 */
	err = sbull_mirror_take_out(dev, slot, "resync");
	if (err)
		return err;
	sbull_leg_wait_idle(m, slot);
	/*
	 * The others' headers say that it left before it becomes a resync
	 * target: until they do, it is a complete copy that they may fail
	 * to be (sbull_mirror_still_needed()).
	 */
	sbull_mirror_commit(dev);
	err = sbull_mirror_still_needed(dev, slot);
	if (err)
		return err;
	err = sbull_mirror_write_resyncing(dev, slot);
	if (err) {
		pr_err("%s: resync %u: cannot write the header of %s (%d)\n",
		       sbull_name(dev), slot, m->legs[slot].path, err);
		sbull_leg_set_state(m, slot, SBULL_LEG_FAILED);
		sbull_leg_uevent(dev, slot, "failed");
		sbull_mirror_commit(dev);
		return err;
	}
	sbull_leg_set_state(m, slot, SBULL_LEG_RESYNCING);
	pr_info("%s: leg %u (%s:%llu) resyncing\n", sbull_name(dev), slot,
		m->legs[slot].path, (unsigned long long)m->legs[slot].start);
	sbull_leg_uevent(dev, slot, "resyncing");
	sbull_resync_kick(m);
	return 0;
}

/* A command of the legs file, under @config. */
static int sbull_mirror_dispatch(struct sbull_dev *dev, char *cmd)
{
	char *verb = strsep(&cmd, " "), *arg = strsep(&cmd, " ");
	struct sbull_mirror *m = dev->mirror;
	unsigned int slot;

	lockdep_assert_held(&m->config);
	if (!strcmp(verb, "add") && arg && (!cmd || !strcmp(cmd, "init")))
		return sbull_mirror_add(dev, arg, !!cmd);
	if ((!strcmp(verb, "remove") || !strcmp(verb, "resync")) && arg &&
	    !cmd && !kstrtouint(arg, 10, &slot)) {
		if (slot >= SBULL_MAX_LEGS || !m->legs[slot].bdev) {
			pr_err("%s: %s %s: no such leg; accepted: a slot listed in legs\n",
			       sbull_name(dev), verb, arg);
			return -ENOENT;
		}
		if (!strcmp(verb, "remove"))
			return sbull_mirror_remove(dev, slot);
		return sbull_mirror_resync(dev, slot);
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
static int sbull_mirror_check_stack(struct sbull_dev *dev, const char *cmd)
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
	err = sbull_leg_parse_region(spec, &path, &start);
	if (!err && !lookup_bdev(path, &devt))
		found = sbull_leg_stacked_on(devt, dev->disk->major);
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

/**
 * sbull_mirror_command - a command written to /sys/block/sbullX/mirror/legs
 * @dev: the sbull device
 * @cmd: "add DEV[:START] [init]", "remove SLOT" or "resync SLOT", trimmed
 *
 * Runs under @config in a memalloc_noio scope (writeback may wait for the
 * writes it holds), then ends the writes it held.
 *
 * Context: process context (sysfs).
 * Return: 0, or a negative errno after one error line.
 */
int sbull_mirror_command(struct sbull_dev *dev, char *cmd)
{
	struct sbull_mirror *m = dev->mirror;
	unsigned int noio;
	int err;

	/* A cut would take the store back behind the legs: sbull_cache.c. */
	if (dev->cache && !strncmp(cmd, "add ", 4)) {
		pr_err("%s: %s: the disk has a write cache (cache_kb); accepted: legs on a disk without one\n",
		       sbull_name(dev), cmd);
		return -EINVAL;
	}
	err = sbull_mirror_check_stack(dev, cmd);
	if (err)
		return err;
	mutex_lock(&m->config);
	noio = memalloc_noio_save();
	/* Not before sbull_mirror_start(), while the module still loads. */
	err = m->started ? sbull_mirror_dispatch(dev, cmd) : -EBUSY;
	memalloc_noio_restore(noio);
	mutex_unlock(&m->config);
	sbull_wt_end_held(m);
	return err;
}

/**
 * sbull_mirror_set_mode - switch a disk to write-back mode, or back
 * @dev: the sbull device
 * @writeback: true for write-back, false for write-through
 *
 * Context: process context (sysfs).
 */
void sbull_mirror_set_mode(struct sbull_dev *dev, bool writeback)
{
	sbull_wb_set(dev, writeback);
}

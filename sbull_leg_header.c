// SPDX-License-Identifier: GPL-2.0
/*
 * The legs' on-disk header, and what a set of headers proves.
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
 * Header writes go after a flush and as FUA: the data a header vouches for
 * is on the leg's media before the header says so.
 *
 * The header takes the first 1 KiB of the block; the write-intent bitmap
 * (sbull_bitmap.c) the other 3 KiB. The block is written whole, from the
 * leg's own image (@block), under @bitmap_lock: a header write carries the
 * bits, a bitmap write the header, and neither can overtake the other.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull_leg.h"

#define SBULL_HDR_BYTES		(SBULL_HDR_SECTORS << SECTOR_SHIFT)
#define SBULL_HDR_MAGIC		"SBULLMIR"
#define SBULL_HDR_VERSION	3

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
 * @v2_crc: version 2 ended here
 * @region_sectors: a bit of the bitmap covers this many sectors
 * @crc: crc32 of the fields before it
 *
 * Versions 1 and 2 have no bitmap: a crash resyncs such a leg whole.
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
	__le32 v2_crc;
	__le32 region_sectors;
	__le32 crc;
} __packed;

static_assert(sizeof(struct sbull_leg_header) <= SBULL_BITMAP_OFFSET);
static_assert(SBULL_BITMAP_OFFSET +
	      SBULL_BITMAP_MAX_REGIONS / BITS_PER_BYTE == SBULL_HDR_BYTES);

static void *sbull_block_bitmap(void *block)
{
	return block + SBULL_BITMAP_OFFSET;
}

static struct dm_io_region sbull_header_region(const struct sbull_leg *leg)
{
	return (struct dm_io_region) {
		.bdev	= leg->bdev,
		.sector	= leg->start,
		.count	= SBULL_HDR_SECTORS,
	};
}

static u32 sbull_hdr_crc(const struct sbull_leg_header *hdr, size_t end)
{
	return crc32_le(~0, (const u8 *)hdr, end);
}

/* A header sbull wrote, of any version, its crc intact. */
static bool sbull_hdr_valid(const struct sbull_leg_header *hdr)
{
	if (memcmp(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic)))
		return false;
	switch (le32_to_cpu(hdr->version)) {
	case 1:
		return le32_to_cpu(hdr->v1_crc) ==
		       sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
						   v1_crc));
	case 2:
		return le32_to_cpu(hdr->v2_crc) ==
		       sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
						   v2_crc));
	case SBULL_HDR_VERSION:
		return le32_to_cpu(hdr->crc) ==
		       sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
						   crc));
	default:
		return false;
	}
}

/*
 * Version 1 headers have no epochs: they read as epoch 0, no history.
 * Versions 1 and 2 have no bitmap: region 0.
 */
static void sbull_hdr_decode(struct sbull_dev *dev,
			     const struct sbull_leg_header *hdr,
			     struct sbull_hdr_info *info)
{
	u32 version = le32_to_cpu(hdr->version);
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->magic = !memcmp(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic));
	info->sbull = sbull_hdr_valid(hdr);
	info->ours = info->sbull &&
		     le64_to_cpu(hdr->store_bytes) == dev->size &&
		     le32_to_cpu(hdr->block_size) == sbull_block_size(dev);
	import_uuid(&info->uuid, hdr->uuid);
	info->generation = le64_to_cpu(hdr->generation);
	info->state = le32_to_cpu(hdr->state);
	if (version < 2)
		return;
	info->epoch = le64_to_cpu(hdr->epoch);
	for (i = 0; i < SBULL_HISTORY; i++)
		info->history[i] = le64_to_cpu(hdr->history[i]);
	if (version >= 3)
		info->region_sectors = le32_to_cpu(hdr->region_sectors);
}

/**
 * sbull_leg_read_header - read a leg's header, and refuse a leg not ours
 * @dev: the sbull device
 * @leg: the leg, open
 * @what: what the user gave, for the error line
 * @init: the user asked for the leg to be initialised: refuse one that
 *	holds another set's sbull header instead
 * @info: what the header says
 *
 * Process context, before the leg is in service.
 *
 * Return: 0, or a negative errno after one error line.
 */
int sbull_leg_read_header(struct sbull_dev *dev, struct sbull_leg *leg,
			  const char *what, bool init,
			  struct sbull_hdr_info *info)
{
	struct dm_io_region where = sbull_header_region(leg);
	struct sbull_leg_header *hdr = leg->block;
	int err;

	err = sbull_leg_io(dev, &where, REQ_OP_READ, DM_IO_KMEM, hdr);
	if (err) {
		pr_err("%s: cannot read the header of %pg (%d); accepted: a working device\n",
		       what, leg->bdev, err);
		return err;
	}
	sbull_hdr_decode(dev, hdr, info);
	/*
	 * A leg of a set is taken; at load, the legs' headers are checked
	 * together (one set, one history). init also takes a device without
	 * a header of sbull's, to initialise it, as mdadm's --add would; at
	 * run time, only a leg of this very set (whatever its history: the
	 * user chose the store), never one of another set. Nor a header with
	 * sbull's magic that does not check out: a header write torn by a
	 * crash (it spans two sectors) must not turn a leg into a blank one.
	 */
	if (info->ours && (!init || !dev->mirror.started ||
			   uuid_equal(&info->uuid, &dev->mirror.uuid)))
		return 0;
	if (init && !info->magic)
		return 0;
	if (info->magic && !info->sbull)
		pr_err("%s: %pg holds an sbull header at sector %llu that does not check out (torn by a crash, or damaged); accepted: a leg with a whole header (to reuse this one, erase its first 4 KiB and initialise it)\n",
		       what, leg->bdev, (unsigned long long)leg->start);
	else if (init && info->ours)
		pr_err("%s: %pg holds a leg of another sbull set (%pUb); accepted for init: a device without sbull header, or a leg of this set (erase its first 4 KiB at sector %llu to reuse it)\n",
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
	return -EINVAL;
}

/**
 * sbull_leg_bitmap_import - add the bits a leg's header block holds
 * @dev: the sbull device, loading
 * @slot: the leg, whose header sbull_leg_read_header() read, of the
 *	bitmap's region size
 */
void sbull_leg_bitmap_import(struct sbull_dev *dev, unsigned int slot)
{
	sbull_bitmap_import(&dev->mirror,
			    sbull_block_bitmap(dev->mirror.legs[slot].block));
}

/**
 * sbull_leg_write_block - write a leg's header block: its header, the bits
 * @dev: the sbull device
 * @slot: the leg
 * @flush: after a flush of the leg, for bits that are cleared
 *
 * The bitmap's writes call it as they are; a header write after filling in
 * the header. FUA either way. Process context.
 *
 * Return: 0 or a negative errno.
 */
int sbull_leg_write_block(struct sbull_dev *dev, unsigned int slot,
			  bool flush)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_leg *leg = &m->legs[slot];
	struct dm_io_region where = sbull_header_region(leg);
	blk_opf_t opf = REQ_OP_WRITE | REQ_FUA | REQ_SYNC;

	lockdep_assert_held(&m->bitmap_lock);
	sbull_bitmap_export(m, sbull_block_bitmap(leg->block));
	return sbull_leg_io(dev, &where, opf | (flush ? REQ_PREFLUSH : 0),
			    DM_IO_KMEM, leg->block);
}

/**
 * sbull_leg_write_header - write a leg's header, after a flush, as FUA
 * @dev: the sbull device, whose @config is held
 * @slot: the leg
 * @state: what the header says of the leg
 * @generation: the mirror's, or 0 for a resyncing leg: no copy of anything
 *	yet, it gets no epoch
 *
 * Process context; allocates nothing, as writeback may wait for it.
 *
 * Return: 0 or a negative errno.
 */
int sbull_leg_write_header(struct sbull_dev *dev, unsigned int slot,
			   enum sbull_hdr_state state, u64 generation)
{
	struct sbull_mirror *m = &dev->mirror;
	struct sbull_leg *leg = &m->legs[slot];
	struct sbull_leg_header *hdr = leg->block;
	unsigned int i;
	int err;

	lockdep_assert_held(&m->config);
	mutex_lock(&m->bitmap_lock);
	memset(hdr, 0, SBULL_BITMAP_OFFSET);
	memcpy(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic));
	hdr->version = cpu_to_le32(SBULL_HDR_VERSION);
	hdr->block_size = cpu_to_le32(sbull_block_size(dev));
	hdr->store_bytes = cpu_to_le64(dev->size);
	export_uuid(hdr->uuid, &m->uuid);
	hdr->generation = cpu_to_le64(generation);
	hdr->state = cpu_to_le32(state);
	if (generation) {
		hdr->epoch = cpu_to_le64(m->epoch);
		for (i = 0; i < SBULL_HISTORY; i++)
			hdr->history[i] = cpu_to_le64(m->history[i]);
	}
	hdr->region_sectors = cpu_to_le32(1U << m->region_shift);
	hdr->crc = cpu_to_le32(sbull_hdr_crc(hdr, offsetof(struct sbull_leg_header,
							   crc)));
	err = sbull_leg_write_block(dev, slot, true);
	mutex_unlock(&m->bitmap_lock);
	if (!err)
		leg->generation = generation;
	return err;
}

/**
 * sbull_legs_write_headers - stamp the in-sync legs with the generation
 * @dev: the sbull device, whose @config is held
 * @state: SBULL_HDR_DIRTY in service, SBULL_HDR_CLEAN at unload
 *
 * A leg whose header write fails is failed.
 */
void sbull_legs_write_headers(struct sbull_dev *dev,
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

/**
 * sbull_legs_new_generation - a new epoch, in the in-sync legs' headers
 * @dev: the sbull device, whose @config is held
 *
 * The epoch before it joins the history (version 1's epoch 0 does not).
 */
void sbull_legs_new_generation(struct sbull_dev *dev)
{
	struct sbull_mirror *m = &dev->mirror;

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
	sbull_legs_write_headers(dev, SBULL_HDR_DIRTY);
}

/**
 * sbull_legs_commit - the headers say which legs are in service
 * @dev: the sbull device, whose @config is held
 *
 * A new generation on the in-sync legs: the writes held meanwhile may then
 * end (sbull_mirror_end_held(), once @config is released).
 */
void sbull_legs_commit(struct sbull_dev *dev)
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

/**
 * sbull_hdr_complete - is the leg a copy of the store as it was at an epoch?
 * @info: the leg's header
 *
 * Return: true for a restore source.
 */
bool sbull_hdr_complete(const struct sbull_hdr_info *info)
{
	return info->ours && (info->state == SBULL_HDR_CLEAN ||
			      info->state == SBULL_HDR_DIRTY);
}

/**
 * sbull_hdr_same_epoch - were two legs last written in the same epoch?
 * @a: a leg's header
 * @b: another's
 *
 * Return: true if they hold the same copy, once both were flushed.
 */
bool sbull_hdr_same_epoch(const struct sbull_hdr_info *a,
			  const struct sbull_hdr_info *b)
{
	return a->epoch == b->epoch && a->generation == b->generation;
}

/**
 * sbull_hdr_behind - did @a leave service before @b's epoch?
 * @a: a leg's header
 * @b: another's, or the store's (sbull_hdr_of_store())
 *
 * Version 1 headers have counters only, and are compared by them.
 *
 * Return: true if @a's epoch is in @b's history.
 */
bool sbull_hdr_behind(const struct sbull_hdr_info *a,
		      const struct sbull_hdr_info *b)
{
	unsigned int i;

	if (!a->epoch || !b->epoch)
		return a->generation < b->generation;
	for (i = 0; i < SBULL_HISTORY && b->history[i]; i++)
		if (b->history[i] == a->epoch)
			return true;
	return false;
}

/**
 * sbull_hdr_of_store - the header the in-sync legs carry
 * @m: the mirror, whose @config is held
 * @info: filled in
 */
void sbull_hdr_of_store(struct sbull_mirror *m, struct sbull_hdr_info *info)
{
	lockdep_assert_held(&m->config);
	memset(info, 0, sizeof(*info));
	info->ours = true;
	info->sbull = true;
	info->uuid = m->uuid;
	info->generation = m->generation;
	info->state = SBULL_HDR_DIRTY;
	info->epoch = m->epoch;
	memcpy(info->history, m->history, sizeof(info->history));
}

/**
 * sbull_pick_source - the leg to restore the store from
 * @info: the legs' headers
 * @n: how many
 * @other: set to the leg that parted from the one returned, if any
 *
 * A complete leg that every other complete leg is the same as, or behind;
 * of those, a clean one.
 *
 * Return: the leg; -1 if no leg is complete; -2 - i if leg i and leg
 * *@other parted.
 */
int sbull_pick_source(const struct sbull_hdr_info *info, unsigned int n,
		      int *other)
{
	int src = -1;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!sbull_hdr_complete(&info[i]))
			continue;
		if (src < 0 || sbull_hdr_behind(&info[src], &info[i]) ||
		    (sbull_hdr_same_epoch(&info[i], &info[src]) &&
		     info[i].state == SBULL_HDR_CLEAN))
			src = i;
	}
	for (i = 0; src >= 0 && i < n; i++) {
		if (!sbull_hdr_complete(&info[i]) ||
		    sbull_hdr_same_epoch(&info[i], &info[src]) ||
		    sbull_hdr_behind(&info[i], &info[src]))
			continue;
		*other = src;
		return -2 - i;
	}
	return src;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The legs' on-disk header, and what a set of headers proves. It writes
 * and reads through the leg layer (sbull_leg.c) and calls nothing above.
 *
 * A leg is a region of another block device: a 4 KiB header block, then a
 * copy of the store. The header (struct sbull_header, in
 * sbull_mirror_internal.h with the format's constants) names the mirror
 * set (a UUID), the store's geometry, a history and whether the set was
 * shut down cleanly; the bitmap (sbull_bitmap.c) takes the block's last
 * 3 KiB. Each leg keeps an image of its block (@block): the bitmap layer
 * fills in the bits, this file the header, and the block is written whole
 * (sbull_header_write()), its writers serialised by @bitmap_lock.
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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/crc32.h>
#include <linux/string.h>

#include "sbull_mirror_internal.h"

static_assert(sizeof(struct sbull_header) <= SBULL_BITMAP_OFFSET);
static_assert(SBULL_BITMAP_OFFSET +
	      SBULL_BITMAP_MAX_REGIONS / BITS_PER_BYTE == SBULL_HDR_BYTES);

static struct dm_io_region sbull_header_region(const struct sbull_leg *leg)
{
	return (struct dm_io_region) {
		.bdev	= leg->bdev,
		.sector	= leg->start,
		.count	= SBULL_HDR_SECTORS,
	};
}

static u32 sbull_header_crc(const struct sbull_header *hdr, size_t end)
{
	return crc32_le(~0, (const u8 *)hdr, end);
}

/* A header sbull wrote, of any version, its crc intact. */
static bool sbull_header_valid(const struct sbull_header *hdr)
{
	if (memcmp(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic)))
		return false;
	switch (le32_to_cpu(hdr->version)) {
	case 1:
		return le32_to_cpu(hdr->v1_crc) ==
		       sbull_header_crc(hdr, offsetof(struct sbull_header,
						      v1_crc));
	case 2:
		return le32_to_cpu(hdr->v2_crc) ==
		       sbull_header_crc(hdr, offsetof(struct sbull_header,
						      v2_crc));
	case SBULL_HDR_VERSION:
		return le32_to_cpu(hdr->crc) ==
		       sbull_header_crc(hdr, offsetof(struct sbull_header,
						      crc));
	default:
		return false;
	}
}

/*
 * Version 1 headers have no epochs: they read as epoch 0, no history.
 * Versions 1 and 2 have no bitmap: region 0.
 */
static void sbull_header_decode(struct sbull_dev *dev,
				const struct sbull_header *hdr,
				struct sbull_hdr_info *info)
{
	u32 version = le32_to_cpu(hdr->version);
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->magic = !memcmp(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic));
	info->sbull = sbull_header_valid(hdr);
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
 * sbull_header_read - read a leg's header block, and refuse a leg not ours
 * @leg: the leg, open (sbull_leg_attach())
 * @what: what the user gave, for the error line
 * @init: the user asked for the leg to be initialised: take a device
 *	without sbull's header too
 * @info: what the header says
 *
 * A leg of a set is taken; at load, the legs' headers are checked together
 * (one set, one history) by the mirror set. init also takes a device without
 * a header of sbull's, to initialise it, as mdadm's --add would; at run
 * time, only a leg of this very set (whatever its history: the user chose
 * the store), never one of another set. Nor a header with sbull's magic
 * that does not check out: a header write torn by a crash (it spans two
 * sectors) must not turn a leg into a blank one.
 *
 * Context: process context, before the leg is in service.
 * Return: 0, or a negative errno after one error line.
 */
int sbull_header_read(struct sbull_leg *leg, const char *what, bool init,
		      struct sbull_hdr_info *info)
{
	struct sbull_dev *dev = leg->dev;
	struct sbull_mirror *m = dev->mirror;
	struct dm_io_region where = sbull_header_region(leg);
	struct sbull_header *hdr = leg->block;
	int err;

	err = sbull_leg_io(leg, &where, REQ_OP_READ, DM_IO_KMEM, hdr);
	if (err) {
		pr_err("%s: cannot read the header of %pg (%d); accepted: a working device\n",
		       what, leg->bdev, err);
		return err;
	}
	sbull_header_decode(dev, hdr, info);
	if (info->ours && (!init || !m->started ||
			   uuid_equal(&info->uuid, &m->uuid)))
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
 * sbull_header_bitmap - where the bits are in a leg's header block image
 * @leg: the leg
 *
 * Return: the bitmap area, SBULL_BITMAP_MAX_REGIONS bits, little-endian
 * bit order.
 */
void *sbull_header_bitmap(struct sbull_leg *leg)
{
	return leg->block + SBULL_BITMAP_OFFSET;
}

/**
 * sbull_header_encode - fill in the header of a leg's block image
 * @leg: the leg
 * @info: what the header is to say (sbull_header_of_store())
 *
 * The bitmap area is left as it is. A resyncing leg's header (generation
 * 0) carries no epoch: it holds no copy of anything yet.
 *
 * Context: under @bitmap_lock, which serialises the block's writers.
 */
void sbull_header_encode(struct sbull_leg *leg,
			 const struct sbull_hdr_info *info)
{
	struct sbull_dev *dev = leg->dev;
	struct sbull_header *hdr = leg->block;
	unsigned int i;

	lockdep_assert_held(&dev->mirror->bitmap_lock);
	memset(hdr, 0, SBULL_BITMAP_OFFSET);
	memcpy(hdr->magic, SBULL_HDR_MAGIC, sizeof(hdr->magic));
	hdr->version = cpu_to_le32(SBULL_HDR_VERSION);
	hdr->block_size = cpu_to_le32(sbull_block_size(dev));
	hdr->store_bytes = cpu_to_le64(dev->size);
	export_uuid(hdr->uuid, &info->uuid);
	hdr->generation = cpu_to_le64(info->generation);
	hdr->state = cpu_to_le32(info->state);
	if (info->generation) {
		hdr->epoch = cpu_to_le64(info->epoch);
		for (i = 0; i < SBULL_HISTORY; i++)
			hdr->history[i] = cpu_to_le64(info->history[i]);
	}
	hdr->region_sectors = cpu_to_le32(info->region_sectors);
	hdr->crc = cpu_to_le32(sbull_header_crc(hdr,
						offsetof(struct sbull_header,
							 crc)));
}

/**
 * sbull_header_write - write a leg's header block image, as FUA
 * @leg: the leg
 * @flush: after a flush of the leg: for a header that vouches for data,
 *	and for bits that are cleared
 *
 * Allocates nothing, as writeback may wait for it.
 *
 * Context: process context, under @bitmap_lock.
 * Return: 0 or a negative errno.
 */
int sbull_header_write(struct sbull_leg *leg, bool flush)
{
	struct dm_io_region where = sbull_header_region(leg);
	blk_opf_t opf = REQ_OP_WRITE | REQ_FUA | REQ_SYNC;

	lockdep_assert_held(&leg->dev->mirror->bitmap_lock);
	return sbull_leg_io(leg, &where, opf | (flush ? REQ_PREFLUSH : 0),
			    DM_IO_KMEM, leg->block);
}

/**
 * sbull_header_of_store - the header of the store, as the mirror stands
 * @m: the mirror, whose @config is held (or loading)
 * @state: what the header is to say of the leg
 * @generation: the mirror's, or 0 for a resyncing leg
 * @info: filled in
 */
void sbull_header_of_store(struct sbull_mirror *m, enum sbull_hdr_state state,
			   u64 generation, struct sbull_hdr_info *info)
{
	memset(info, 0, sizeof(*info));
	info->ours = true;
	info->sbull = true;
	info->magic = true;
	info->uuid = m->uuid;
	info->generation = generation;
	info->state = state;
	info->epoch = m->epoch;
	memcpy(info->history, m->history, sizeof(info->history));
	info->region_sectors = 1U << m->region_shift;
}

/**
 * sbull_header_complete - is the leg a copy of the store as it was at an epoch?
 * @info: the leg's header
 *
 * Return: true for a restore source.
 */
bool sbull_header_complete(const struct sbull_hdr_info *info)
{
	return info->ours && (info->state == SBULL_HDR_CLEAN ||
			      info->state == SBULL_HDR_DIRTY);
}

/**
 * sbull_header_same_epoch - were two legs last written in the same epoch?
 * @a: a leg's header
 * @b: another's
 *
 * Return: true if they hold the same copy, once both were flushed.
 */
bool sbull_header_same_epoch(const struct sbull_hdr_info *a,
			     const struct sbull_hdr_info *b)
{
	return a->epoch == b->epoch && a->generation == b->generation;
}

/**
 * sbull_header_behind - did @a leave service before @b's epoch?
 * @a: a leg's header
 * @b: another's, or the store's (sbull_header_of_store())
 *
 * Version 1 headers have counters only, and are compared by them.
 *
 * Return: true if @a's epoch is in @b's history.
 */
bool sbull_header_behind(const struct sbull_hdr_info *a,
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
 * sbull_header_pick_source - the leg to restore the store from
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
int sbull_header_pick_source(const struct sbull_hdr_info *info,
			     unsigned int n, int *other)
{
	int src = -1;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!sbull_header_complete(&info[i]))
			continue;
		if (src < 0 || sbull_header_behind(&info[src], &info[i]) ||
		    (sbull_header_same_epoch(&info[i], &info[src]) &&
		     info[i].state == SBULL_HDR_CLEAN))
			src = i;
	}
	for (i = 0; src >= 0 && i < n; i++) {
		if (!sbull_header_complete(&info[i]) ||
		    sbull_header_same_epoch(&info[i], &info[src]) ||
		    sbull_header_behind(&info[i], &info[src]))
			continue;
		*other = src;
		return -2 - i;
	}
	return src;
}

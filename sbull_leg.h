/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the legs share; the rest of the driver sees the mirror
 * through sbull_mirror.h only.
 *
 * sbull_leg.c		a leg's open and checks, the legs at load and unload,
 *			the event work that follows failures
 * sbull_leg_header.c	the on-disk header, its history and what it proves
 * sbull_leg_stack.c	what a leg is built from: never sbull itself
 * sbull_leg_resync.c	restore at load, and the copy to resyncing legs
 * sbull_leg_sysfs.c	/sys/block/sbullX/mirror/: legs, generation, uuid,
 *			the bitmap's counters
 * sbull_bitmap.c	the write-intent bitmap: what a crash resyncs
 *
 * Locking and context: see sbull_mirror.h.
 */
#ifndef _SBULL_LEG_H
#define _SBULL_LEG_H

#include <linux/dm-io.h>

#include "sbull.h"

/* The header's state field. */
enum sbull_hdr_state {
	SBULL_HDR_CLEAN = 1,		/* the set was shut down cleanly */
	SBULL_HDR_DIRTY = 2,		/* in use, or it crashed */
	SBULL_HDR_RESYNCING = 3,	/* a copy in progress: never a source */
};

/**
 * struct sbull_hdr_info - what a leg's header says, once checked
 * @ours: sbull's, for a store of this geometry
 * @sbull: sbull's, whatever the geometry
 * @magic: sbull's magic, whether the rest checks out or not
 * @uuid: the mirror set
 * @generation: epochs so far
 * @state: enum sbull_hdr_state
 * @epoch: the current epoch; 0 in version 1 headers and resyncing legs
 * @history: the epochs before it, newest first
 * @region_sectors: the bitmap's region; 0 in headers without a bitmap
 */
struct sbull_hdr_info {
	bool ours;
	bool sbull;
	bool magic;
	uuid_t uuid;
	u64 generation;
	u32 state;
	u64 epoch;
	u64 history[SBULL_HISTORY];
	u32 region_sectors;
};

static inline const char *sbull_name(struct sbull_dev *dev)
{
	return dev->disk->disk_name;
}

static inline struct sbull_dev *sbull_dev_of_mirror(struct sbull_mirror *m)
{
	return container_of(m, struct sbull_dev, mirror);
}

static inline unsigned int sbull_slot(const struct sbull_leg *leg)
{
	return leg - leg->dev->mirror.legs;
}

static inline sector_t sbull_store_sectors(struct sbull_dev *dev)
{
	return dev->size >> SECTOR_SHIFT;
}

static inline unsigned int sbull_block_size(struct sbull_dev *dev)
{
	return queue_logical_block_size(dev->disk->queue);
}

static inline void sbull_set_state(struct sbull_mirror *m, unsigned int slot,
				   enum sbull_leg_state state)
{
	spin_lock_irq(&m->lock);
	sbull_mirror_set_state(m, slot, state);
	spin_unlock_irq(&m->lock);
}

/* sbull_leg.c */
int sbull_parse_region(const char *spec, char **path, sector_t *start);
int sbull_leg_attach(struct sbull_dev *dev, unsigned int slot,
		     const char *what, char *path, sector_t start, bool init,
		     struct sbull_hdr_info *info);
void sbull_leg_close(struct sbull_leg *leg);
int sbull_leg_io(struct sbull_dev *dev, struct dm_io_region *where,
		 blk_opf_t opf, enum dm_io_mem_type type, void *mem);
void sbull_leg_uevent(struct sbull_dev *dev, unsigned int slot,
		      const char *state);

/* sbull_leg_header.c */
int sbull_leg_read_header(struct sbull_dev *dev, struct sbull_leg *leg,
			  const char *what, bool init,
			  struct sbull_hdr_info *info);
int sbull_leg_write_header(struct sbull_dev *dev, unsigned int slot,
			   enum sbull_hdr_state state, u64 generation);
int sbull_leg_write_block(struct sbull_dev *dev, unsigned int slot,
			  bool flush);
void sbull_leg_bitmap_import(struct sbull_dev *dev, unsigned int slot);
void sbull_legs_write_headers(struct sbull_dev *dev,
			      enum sbull_hdr_state state);
void sbull_legs_new_generation(struct sbull_dev *dev);
void sbull_legs_commit(struct sbull_dev *dev);
bool sbull_hdr_complete(const struct sbull_hdr_info *info);
bool sbull_hdr_same_epoch(const struct sbull_hdr_info *a,
			  const struct sbull_hdr_info *b);
bool sbull_hdr_behind(const struct sbull_hdr_info *a,
		      const struct sbull_hdr_info *b);
void sbull_hdr_of_store(struct sbull_mirror *m, struct sbull_hdr_info *info);
int sbull_pick_source(const struct sbull_hdr_info *info, unsigned int n,
		      int *other);

/* sbull_leg_stack.c */
dev_t sbull_stacked_on(dev_t devt, unsigned int major);

/* sbull_leg_resync.c */
unsigned long sbull_legs_resyncing(struct sbull_mirror *m);
void sbull_resync_stop(struct sbull_mirror *m);

#endif /* _SBULL_LEG_H */

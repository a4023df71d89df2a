/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mirror, as the rest of the driver sees it: each sbull store kept on
 * up to eight "legs", regions of other block devices, through the kernel's
 * dm-io engine. The entry points that sbull_main.c, sbull_disk.c and the
 * request paths call; a write handed to the mirror is a struct
 * sbull_mirror_io (sbull.h). The mirror's own files share
 * sbull_mirror_internal.h, which says how they are layered and holds
 * their types.
 *
 * Locking: the table at the top of sbull.h.
 */
#ifndef _SBULL_MIRROR_H
#define _SBULL_MIRROR_H

#include <linux/blk_types.h>
#include <linux/list.h>

struct attribute_group;
struct sbull_dev;
struct sbull_mirror;
struct sbull_mirror_io;

#define SBULL_MAX_LEGS		8

/**
 * struct sbull_wait - an I/O waiting for its part of the store to be refilled
 * @node: on the refill's list of waiters
 * @sector: the I/O's first sector
 * @nr_sectors: its length
 * @resume: sends the I/O on again, from the start of its request path;
 *	called in process context once its regions are in the store, or
 *	will never be (sbull_mirror_refuses() then fails it)
 *
 * The request paths keep it in the request's PDU (blk-mq) or take it from
 * their pool with the bio (sbull_end.c).
 */
struct sbull_wait {
	struct list_head node;
	sector_t sector;
	unsigned int nr_sectors;
	void (*resume)(struct sbull_wait *w);
};

/* sbull_mirror_set.c: module parameters; a disk's legs, made to unmade */
int sbull_mirror_parse(int ndevices);
char *sbull_mirror_legs_param(const char *name);
bool sbull_mirror_legs_init_param(void);
int sbull_mirror_init(struct sbull_dev *dev);
int sbull_mirror_assemble(struct sbull_dev *dev, const char *list, bool init,
			  const char *where);
bool sbull_mirror_refills(struct sbull_dev *dev);
int sbull_mirror_restore(struct sbull_dev *dev);
void sbull_mirror_start(struct sbull_dev *dev);
void sbull_mirror_stop(struct sbull_dev *dev);
void sbull_mirror_destroy(struct sbull_dev *dev);

/* sbull_mirror_set.c: the request paths' door */
bool sbull_mirror_takes(struct sbull_dev *dev, enum req_op op);
bool sbull_mirror_refilling(struct sbull_dev *dev, sector_t sector,
			    unsigned int nr_sectors);
bool sbull_mirror_wait(struct sbull_dev *dev, struct sbull_wait *w);
bool sbull_mirror_refuses(struct sbull_dev *dev, enum req_op op,
			  sector_t sector, unsigned int nr_sectors);
void sbull_mirror_begin(struct sbull_dev *dev, sector_t sector,
			unsigned int nr_sectors);
void sbull_mirror_write(struct sbull_mirror_io *mio);

/* sbull_mirror_sysfs.c: /sys/block/sbullX/mirror/ */
extern const struct attribute_group sbull_mirror_attr_group;

#endif /* _SBULL_MIRROR_H */

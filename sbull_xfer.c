// SPDX-License-Identifier: GPL-2.0
/*
 * The only code that touches the store.
 *
 * Every request path ends here. The store is one contiguous vmalloc area,
 * so 512-byte sector s lives at data + s * 512 whatever the logical block
 * size. No lock is taken: the block layer does not order overlapping I/O
 * for any disk, so a lock would buy nothing (brd makes the same choice).
 */
#include <linux/highmem.h>
#include <linux/string.h>

#include "sbull.h"
#include "sbull_stats.h"
#include "sbull_trace.h"

static void *sbull_store_addr(const struct sbull_dev *dev, sector_t sector)
{
	return dev->data + ((size_t)sector << SECTOR_SHIFT);
}

/**
 * sbull_in_range - check that an I/O lies inside the store
 * @dev: the sbull device
 * @sector: first 512-byte sector of the I/O
 * @nr_sectors: its length in 512-byte sectors
 *
 * The block layer already fails I/O past the end of a disk or partition;
 * sbull checks again because a miss here would overwrite kernel memory
 * rather than fail one I/O.
 *
 * Return: true if the whole I/O is inside the store.
 */
bool sbull_in_range(const struct sbull_dev *dev, sector_t sector,
		    unsigned int nr_sectors)
{
	sector_t capacity = dev->size >> SECTOR_SHIFT;

	return sector <= capacity && nr_sectors <= capacity - sector;
}

/**
 * sbull_xfer_segment - copy one segment between a bio_vec and the store
 * @dev: the sbull device
 * @sector: the 512-byte sector of the store the segment starts at
 * @bvec: a single-page segment, as bio_for_each_segment() yields it
 * @write: true to copy the segment into the store, false to fill it
 *
 * The page may be in high memory, so it is mapped for the copy with
 * kmap_local_page() (memcpy_to_bvec() and memcpy_from_bvec() wrap the same
 * steps). After a read, flush_dcache_page() keeps the user's view of the
 * page coherent on architectures with aliasing caches; on x86 it is empty.
 */
void sbull_xfer_segment(struct sbull_dev *dev, sector_t sector,
			const struct bio_vec *bvec, bool write)
{
	void *store = sbull_store_addr(dev, sector);
	void *buf;

	trace_sbull_segment(dev->disk, sector, bvec, write);
	/* EXERCISE 1 BEGIN: map the page, copy bv_len bytes at bv_offset */
	buf = kmap_local_page(bvec->bv_page) + bvec->bv_offset;
	if (write) {
		memcpy(store, buf, bvec->bv_len);
	} else {
		memcpy(buf, store, bvec->bv_len);
		flush_dcache_page(bvec->bv_page);
	}
	kunmap_local(buf);
	/* EXERCISE 1 END */
	sbull_count_segment(dev, bvec->bv_len, write);
}

/**
 * sbull_do_nodata - carry out an operation that carries no data pages
 * @dev: the sbull device
 * @op: the operation
 * @sector: first 512-byte sector it covers
 * @nr_sectors: its length in 512-byte sectors, already checked in range
 *
 * Return: BLK_STS_OK, or BLK_STS_NOTSUPP for an operation sbull lacks.
 */
blk_status_t sbull_do_nodata(struct sbull_dev *dev, enum req_op op,
			     sector_t sector, unsigned int nr_sectors)
{
	switch (op) {
	case REQ_OP_FLUSH:
		return BLK_STS_OK;	/* RAM has no cache; the mirror flushes the legs */
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		/* Discarded blocks read back as zeroes, as on brd. */
		memset(sbull_store_addr(dev, sector), 0,
		       (size_t)nr_sectors << SECTOR_SHIFT);
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}
}

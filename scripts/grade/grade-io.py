#!/usr/bin/env python3
"""Write known data to a disk and read it back, for the grader.

Usage: grade-io.py DEVICE CHECK...

Each CHECK, in turn, is one of:
  direct-aligned  O_DIRECT writes and reads from page-aligned buffers
  direct-offset   the same from buffers that start 512 bytes or more into a
                  page, so that a bio's segments have different lengths
  direct-split    direct-offset again, named apart for a caller that has
                  made the queue split bios (max_sectors_kb)
  buffered        writes through the page cache, fsync, drop_caches

The disk is first filled whole; each check then writes it at 64 random
places with random lengths, reads every byte back and compares it with a
model of what must be there. Prints "# check CHECK: ok" or "# check CHECK:
FAIL" and the first wrong byte; exits 1 if a check failed.
"""
import mmap
import os
import random
import sys

SECTOR = 512
PAGE = 4096


def aligned_buffer(size, offset):
    """A writable view of size bytes that starts offset bytes into a page."""
    area = mmap.mmap(-1, size + offset + PAGE)
    return memoryview(area)[offset:offset + size]


def direct_write(fd, pos, data, offset):
    buf = aligned_buffer(len(data), offset)
    buf[:] = data
    if os.pwritev(fd, [buf], pos) != len(data):
        sys.exit(f"short write at {pos}")


def direct_read(fd, pos, size, offset):
    buf = aligned_buffer(size, offset)
    got = os.preadv(fd, [buf], pos)
    if got != size:
        sys.exit(f"short read at {pos}: {got} of {size} bytes")
    return bytes(buf)


def compare(fd, model, offset):
    """Read the whole disk back in 1 MiB pieces; None or what is wrong."""
    step = 1 << 20
    for pos in range(0, len(model), step):
        size = min(step, len(model) - pos)
        got = direct_read(fd, pos, size, offset)
        if got != model[pos:pos + size]:
            bad = next(i for i in range(size) if got[i] != model[pos + i])
            return (f"byte {pos + bad} (sector {(pos + bad) // SECTOR}) "
                    "reads back different from what was written")
    return None


def run_check(fd, dev, check, rng, model):
    """Write the disk at random places in the way check says, read it
    back; None or what is wrong."""
    size = len(model)
    offsets = [0] if check == "direct-aligned" else [512, 1536, 3584]
    lengths = [512, 4096, 8192, 12288, 65536, 262144]
    if check == "buffered":
        bfd = os.open(dev, os.O_RDWR)
    for _ in range(64):
        length = min(rng.choice(lengths), size)
        pos = rng.randrange(0, size - length + 1, SECTOR)
        data = rng.randbytes(length)
        model[pos:pos + length] = data
        if check == "buffered":
            os.pwrite(bfd, data, pos)
        else:
            direct_write(fd, pos, data, rng.choice(offsets))
    if check == "buffered":
        os.fsync(bfd)
        os.close(bfd)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    return compare(fd, model, offsets[-1])


def main():
    dev, checks = sys.argv[1], sys.argv[2:]
    rng = random.Random(1)
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    size = os.lseek(fd, 0, os.SEEK_END)
    model = None
    failed = False
    for check in checks:
        if model is None:   # first, or after a failure: a known state
            model = bytearray(rng.randbytes(size))
            for pos in range(0, size, 1 << 20):
                direct_write(fd, pos, model[pos:pos + (1 << 20)], 0)
        try:
            why = run_check(fd, dev, check, rng, model)
        except OSError as e:
            why = f"{e}"
        print(f"# check {check}: " + (f"FAIL {why}" if why else "ok"),
              flush=True)
        if why:
            failed = True
            model = None
    os.close(fd)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

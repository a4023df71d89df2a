#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read a dm-log-writes log: list its entries, find one, replay a prefix.

dm-log-writes (the kernel's Documentation/admin-guide/device-mapper/
log-writes.rst, drivers/md/dm-log-writes.c) passes every write to a device
and appends it to a log device, in the order in which it became durable: a
plain write is logged only once a later flush has completed (just before
that flush's entry), a FUA write as soon as it completes. Any prefix of the
log ending on a FLUSH or FUA entry is therefore a state the device could
have been left in by a power cut right after that flush or FUA write.

The log: at byte 0 a super, struct log_write_super { le64 magic, version,
nr_entries; le32 sectorsize }; from byte sectorsize on, nr_entries entries,
each a sector holding struct log_write_entry { le64 sector, nr_sectors,
flags, data_len } followed by the nr_sectors sectors written (none for a
discard, a flush without data or a mark). A mark's name is in its entry's
sector, after the struct, data_len bytes long. sector and nr_sectors count
sectorsize units (the logical block size of the logged device).

Entries are numbered from 0 in log order.

Usage:
  replay-log.py list LOG
      one line per entry: INDEX SECTOR NR_SECTORS FLAGS [MARK_NAME]
      (FLAGS: names joined by '|', or '-')
  replay-log.py find LOG (--flush | --durable) [--before-mark NAME |
                         --before INDEX]
      print the index of the last entry with FLUSH (--flush), or with
      FLUSH or FUA (--durable), that comes before the first mark NAME, or
      before entry INDEX, or in the whole log; status 1 if there is none
  replay-log.py mark LOG NAME
      print the index of the first mark NAME; status 1 if there is none
  replay-log.py replay LOG TARGET --end INDEX
      write entries 0 to INDEX (included) onto TARGET, in log order: the
      data of each write at its sector, zeroes over a discard; marks and
      flushes write nothing. TARGET should be zeroed first.
"""
import argparse
import fcntl
import os
import stat
import struct
import sys

MAGIC = 0x6a736677736872
VERSION = 1
FLAGS = [(1, 'FLUSH'), (2, 'FUA'), (4, 'DISCARD'), (8, 'MARK'),
         (16, 'METADATA')]
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8
SUPER = struct.Struct('<QQQI')
ENTRY = struct.Struct('<QQQQ')
BLKFLSBUF = 0x1261
BLKGETSIZE64 = 0x80081272


class LogError(Exception):
    pass


def flag_names(flags):
    names = [name for bit, name in FLAGS if flags & bit]
    unknown = flags & ~sum(bit for bit, _ in FLAGS)
    if unknown:
        names.append('0x%x' % unknown)
    return '|'.join(names) or '-'


def device_size(fd):
    """Size in bytes of the file or block device open on fd."""
    if stat.S_ISBLK(os.fstat(fd).st_mode):
        buf = fcntl.ioctl(fd, BLKGETSIZE64, b'\0' * 8)
        return struct.unpack('<Q', buf)[0]
    return os.fstat(fd).st_size


class Entry:
    def __init__(self, index, sector, nr_sectors, flags, name, data_pos):
        self.index = index
        self.sector = sector
        self.nr_sectors = nr_sectors
        self.flags = flags
        self.name = name          # a mark's name, else None
        self.data_pos = data_pos  # byte of the log where its data starts

    def line(self):
        text = '%d %d %d %s' % (self.index, self.sector, self.nr_sectors,
                                flag_names(self.flags))
        if self.name is not None:
            text += ' ' + self.name
        return text


class Log:
    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        if stat.S_ISBLK(os.fstat(self.fd).st_mode):
            # dm-log-writes wrote the log with bios, around the page
            # cache: drop whatever an earlier read left there.
            fcntl.ioctl(self.fd, BLKFLSBUF, 0)
        self.size = device_size(self.fd)
        magic, version, self.nr_entries, self.sectorsize = SUPER.unpack(
            self.read(0, SUPER.size))
        if magic != MAGIC:
            raise LogError('%s: magic 0x%x, expected 0x%x: not a '
                           'dm-log-writes log' % (path, magic, MAGIC))
        if version != VERSION:
            raise LogError('%s: version %d, expected %d'
                           % (path, version, VERSION))
        if self.sectorsize < 512 or self.sectorsize & (self.sectorsize - 1):
            raise LogError('%s: sector size %d' % (path, self.sectorsize))
        self._entries = None

    def read(self, pos, length):
        data = os.pread(self.fd, length, pos)
        if len(data) != length:
            raise LogError('%s: %d bytes at byte %d, the log ends at %d'
                           % (self.path, length, pos, self.size))
        return data

    def entries(self):
        """Every entry, read once (their data is read when replayed)."""
        if self._entries is not None:
            return self._entries
        entries = []
        pos = self.sectorsize
        for index in range(self.nr_entries):
            raw = self.read(pos, self.sectorsize)
            sector, nr_sectors, flags, data_len = ENTRY.unpack_from(raw)
            name = None
            if flags & MARK:
                if data_len > self.sectorsize - ENTRY.size:
                    raise LogError('%s: entry %d: a mark of %d bytes'
                                   % (self.path, index, data_len))
                name = raw[ENTRY.size:ENTRY.size + data_len].decode(
                    errors='replace')
            pos += self.sectorsize
            entries.append(Entry(index, sector, nr_sectors, flags, name,
                                 pos))
            # As the kernel's log_writes_kthread() advances next_sector.
            if not flags & DISCARD:
                pos += nr_sectors * self.sectorsize
        if pos > self.size:
            raise LogError('%s: %d entries end at byte %d, past the end of '
                           'the log (%d)' % (self.path, self.nr_entries, pos,
                                             self.size))
        self._entries = entries
        return entries

    def mark(self, name):
        for e in self.entries():
            if e.name == name:
                return e.index
        raise LogError('%s: no mark %r among %d entries'
                       % (self.path, name, self.nr_entries))

    def last_with(self, flags, before):
        """The index of the last entry before index `before` that has one
        of `flags`."""
        for e in reversed(self.entries()[:before]):
            if e.flags & flags:
                return e.index
        raise LogError('%s: no %s entry before entry %d'
                       % (self.path, flag_names(flags), before))

    def replay(self, target, end):
        entries = self.entries()
        if not 0 <= end < len(entries):
            raise LogError('%s: no entry %d (it has %d)'
                           % (self.path, end, len(entries)))
        fd = os.open(target, os.O_WRONLY)
        try:
            size = device_size(fd)
            for e in entries[:end + 1]:
                if e.flags & MARK or not e.nr_sectors:
                    continue
                pos = e.sector * self.sectorsize
                length = e.nr_sectors * self.sectorsize
                if pos + length > size:
                    raise LogError('%s: entry %d writes bytes %d to %d, past '
                                   'the end of %s (%d)'
                                   % (self.path, e.index, pos, pos + length,
                                      target, size))
                if e.flags & DISCARD:
                    data = bytes(length)
                else:
                    data = self.read(e.data_pos, length)
                if os.pwrite(fd, data, pos) != length:
                    raise LogError('%s: short write at byte %d' % (target, pos))
            os.fsync(fd)
        finally:
            os.close(fd)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__[__doc__.index('Usage:'):])
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('list')
    p.add_argument('log')
    p = sub.add_parser('find')
    p.add_argument('log')
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument('--flush', action='store_const', const=FLUSH,
                      dest='flags')
    kind.add_argument('--durable', action='store_const', const=FLUSH | FUA,
                      dest='flags')
    where = p.add_mutually_exclusive_group()
    where.add_argument('--before-mark', metavar='NAME')
    where.add_argument('--before', metavar='INDEX', type=int)
    p = sub.add_parser('mark')
    p.add_argument('log')
    p.add_argument('name')
    p = sub.add_parser('replay')
    p.add_argument('log')
    p.add_argument('target')
    p.add_argument('--end', metavar='INDEX', type=int, required=True)
    args = parser.parse_args()

    try:
        log = Log(args.log)
        if args.command == 'list':
            for e in log.entries():
                print(e.line())
        elif args.command == 'mark':
            print(log.mark(args.name))
        elif args.command == 'find':
            if args.before_mark is not None:
                before = log.mark(args.before_mark)
            elif args.before is not None:
                before = args.before
            else:
                before = len(log.entries())
            print(log.last_with(args.flags, before))
        else:
            log.replay(args.target, args.end)
    except (LogError, OSError) as e:
        sys.exit('replay-log.py: %s' % e)


if __name__ == '__main__':
    main()

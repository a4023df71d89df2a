#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise bench-refill-guest.sh's refill.csv as table.md: per store size,
the median of each point, and the ratios the targets are about: the time
to the first read with a leg against without (target: at most 1.1x, or
50 ms more), the refill's rate against dd's (target: at least 0.8x), and
fio's verified reads during the refill against after it.

Usage: report-refill.py RESULTS_DIR [TITLE]
"""
import csv
import os
import statistics
import sys


def main():
    out = sys.argv[1]
    title = sys.argv[2] if len(sys.argv) > 2 else ''
    points = {}
    with open(os.path.join(out, 'refill.csv')) as f:
        for row in csv.DictReader(f):
            key = (int(row['size_mb']), row['point'])
            points.setdefault(key, []).append(float(row['value']))
    med = {k: statistics.median(v) for k, v in points.items()}
    spread = {k: (min(v), max(v)) for k, v in points.items()}
    lines = [f'# The refill: {title}', '',
             'Medians of the repetitions (min-max in brackets); one run, '
             'on a noisy machine: read the ratios, not the absolutes.', '',
             '| store | point | no legs | one leg | ratio | target | met |',
             '|---|---|---|---|---|---|---|']
    for mb in sorted({k[0] for k in med}):
        def cell(p):
            lo, hi = spread[(mb, p)]
            return f'{med[(mb, p)]:.0f} ({lo:.0f}-{hi:.0f})'
        a, b = med.get((mb, 'first-read-nolegs')), med.get((mb, 'first-read-legs'))
        if a is not None and b is not None:
            ok = b <= max(a * 1.1, a + 50)
            lines.append(f'| {mb} MiB | ms to the first 4 KiB read | '
                         f'{cell("first-read-nolegs")} | {cell("first-read-legs")} | '
                         f'{b / a:.2f}x | 1.1x or +50 ms | {"yes" if ok else "no"} |')
        a, b = med.get((mb, 'modprobe-nolegs')), med.get((mb, 'modprobe-legs'))
        if a is not None and b is not None:
            lines.append(f'| {mb} MiB | of which modprobe, ms | '
                         f'{cell("modprobe-nolegs")} | {cell("modprobe-legs")} | '
                         f'{b / a:.2f}x | - | - |')
        a, b = med.get((mb, 'dd-mibs')), med.get((mb, 'refill-mibs'))
        if a and b is not None:
            lines.append(f'| {mb} MiB | MiB/s: dd of the leg, the refill | '
                         f'{cell("dd-mibs")} | {cell("refill-mibs")} | '
                         f'{b / a:.2f}x | 0.8x | {"yes" if b >= 0.8 * a else "no"} |')
        a, b = med.get((mb, 'verify-after-iops')), med.get((mb, 'verify-during-iops'))
        if a and b is not None:
            lines.append(f'| {mb} MiB | fio verified 4k random read IOPS: '
                         f'after, during the refill | {cell("verify-after-iops")} | '
                         f'{cell("verify-during-iops")} | {b / a:.2f}x | - | - |')
    with open(os.path.join(out, 'table.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""How far the repetitions of one benchmark point agree, for report.py and
report-mirror.py; and, run as a script, which points of a raw.csv to run
again because they do not.

Two quick runs hours apart disagreed by up to 1.7x on one point (brd's
4k random read): a median of 3 says little without its spread. A point
(workload, engine, QD, jobs, device) is noisy when its repetitions differ
by more than THRESHOLD (max/min). Its range is that of the BASE of its
repetitions closest together around its median (BASE consecutive in
value, the median among them), BASE being the fewest repetitions any
point of the CSV has (3 by default): all of them when it has no extra
ones. Over all of them a repetition more could only widen the range, and
a point repeated to outvote an outlier would stay noisy for good; set
aside, the outlier no longer counts once the others agree. Keeping the
median inside keeps a point whose runs fall in two clusters noisy. A
ratio of two points is within the noise when their ranges overlap: this
run cannot tell them apart.

Usage: noise.py [--max-reps N] [--threshold X] CSV
prints the noisy points with fewer than N repetitions (6) as lines
"DEVICE WORKLOAD:ENGINE:QD:JOBS...", one per device, in the CSV's order; a
device's first-touch points (*-first) on a line of their own, as they need
a freshly loaded device and the others a filled one.
"""
import argparse
import csv
import math
import statistics
from collections import defaultdict

THRESHOLD = 1.3


def metric(row):
    """IOPS for 4k points, MiB/s for the large blocks; reads plus writes."""
    if row["workload"].endswith("4k") or "4k-" in row["workload"]:
        return float(row["read_iops"] or 0) + float(row["write_iops"] or 0), "IOPS"
    return float(row["read_mibs"] or 0) + float(row["write_mibs"] or 0), "MiB/s"


def base_reps(runs):
    """The fewest repetitions of any point: those every point had."""
    return min((len(v) for v in runs.values()), default=0)


def _ratio(lo, hi):
    """hi / lo of two values, lo <= hi (1.0: equal)."""
    if hi <= 0:
        return 1.0
    return hi / lo if lo > 0 else math.inf


def kept(values, base):
    """The base values closest together, consecutive in value, among which
    the median lies: the others are outliers."""
    n = len(values)
    if n <= base:
        return list(values)
    v = sorted(values)
    # The middle value (or the two middle ones) must be kept.
    first, last = (n - 1) // 2, n // 2
    k = max(base, last - first + 1)
    starts = range(max(0, last - k + 1), min(first, n - k) + 1)
    i = min(starts, key=lambda i: _ratio(v[i], v[i + k - 1]))
    return v[i:i + k]


def value_range(values, base):
    """(min, max) of the kept repetitions."""
    k = kept(values, base)
    return min(k), max(k)


def spread(values, base):
    """max/min of the kept repetitions (1.0: they agree)."""
    return _ratio(*value_range(values, base))


def noisy(values, base, threshold=THRESHOLD):
    return spread(values, base) > threshold


def half_range(values, base):
    """Half the kept range relative to the median: the x of "±x%"."""
    lo, hi = value_range(values, base)
    median = statistics.median(values)
    return (hi - lo) / 2 / median if median else 0.0


def within_noise(a, b, base):
    """Whether the ranges of points a and b overlap; the same as the
    ratio's range, min(a)/max(b) .. max(a)/min(b), containing 1.0."""
    lo_a, hi_a = value_range(a, base)
    lo_b, hi_b = value_range(b, base)
    return lo_a <= hi_b and lo_b <= hi_a


def read_runs(path):
    """{(workload, engine, QD, jobs, device): [value per repetition]},
    the keys in the order the CSV first gives them (dicts keep it)."""
    runs = defaultdict(list)
    with open(path) as f:
        for row in csv.DictReader(f):
            key = tuple(row[c] for c in ("workload", "engine", "iodepth",
                                         "jobs", "device"))
            runs[key].append(metric(row)[0])
    return runs


def to_repeat(runs, max_reps, threshold=THRESHOLD):
    """[(device, [point...])]: the noisy points with fewer than max_reps
    repetitions, grouped by device and first-touch or not."""
    base = base_reps(runs)
    groups = defaultdict(list)
    for (workload, engine, qd, jobs, device), values in runs.items():
        if len(values) < max_reps and noisy(values, base, threshold):
            groups[device, workload.endswith("-first")].append(
                f"{workload}:{engine}:{qd}:{jobs}")
    return [(device, points) for (device, _), points in groups.items()]


def main():
    parser = argparse.ArgumentParser(
        description="Print the noisy points of a raw.csv to run again.")
    parser.add_argument("--max-reps", type=int, default=6)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("csv")
    args = parser.parse_args()
    for device, points in to_repeat(read_runs(args.csv), args.max_reps,
                                    args.threshold):
        print(device, *points)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise bench-mirror-guest.sh's raw.csv as table.md: per workload, the
median of each device's repetitions and their spread, then the ratios that
tell what sbull's mirror costs, marked where they are within the noise
(bench/noise.py): sbull with 2 legs against dm-raid1 over the same two brd
disks (writes), sbull with legs against sbull without (reads should not
change: they are served from RAM), and both mirrors against brd alone.

Usage: report-mirror.py RESULTS_DIR [TITLE]
RESULTS_DIR may also hold setup.txt (sizes and times, from the guest),
resync.csv (seconds per sbull load with legs), crash-resync.csv (the resync
after a crash with 1% of the bitmap dirty, and a whole one),
host-load (the host's load average while the guest ran) and wall-seconds
(the guest's run, then the whole make bench-mirror), the last two written
by scripts/bench-mirror.sh.
"""
import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from noise import THRESHOLD, base_reps, metric, noisy, spread
from report import ratio as ratio_of, summary

WORKLOADS = ["seqwrite-1m", "randwrite-4k", "seqread-1m", "randread-4k",
             "randwrite-4k-fsync32"]
LEGS = ["0", "1", "2", "2wb"]
MODES = ["bio", "mq", "simple"]


def ratio(num, den):
    return f"{num / den:.2f}x" if num and den else ""


def per_rep(by_rep, workload, num, den):
    """num / den within each repetition, where both ran minutes apart:
    how far the host's drift moves the ratio."""
    a, b = by_rep.get((workload, num), {}), by_rep.get((workload, den), {})
    return " ".join(f"{a[r] / b[r]:.2f}" for r in sorted(a, key=int)
                    if r in b and b[r])


def minutes(seconds):
    return f"{seconds // 60} min {seconds % 60} s"


def main():
    out = Path(sys.argv[1])
    title = sys.argv[2] if len(sys.argv) > 2 else ""
    runs = defaultdict(list)
    by_rep = defaultdict(dict)
    units = {}
    labels = {}
    with open(out / "raw.csv") as f:
        for row in csv.DictReader(f):
            v, unit = metric(row)
            runs[row["workload"], row["device"]].append(v)
            by_rep[row["workload"], row["device"]][row["rep"]] = v
            units[row["workload"]] = unit
            labels[row["workload"]] = (f"{row['workload']} QD {row['iodepth']}"
                                       f" ({row['engine']}, {row['jobs']} job)")
    med = {k: statistics.median(v) for k, v in runs.items()}
    base = base_reps(runs)
    present = {d for _, d in med}
    modes = [m for m in MODES if f"sbull-{m}-0" in present]
    sbull = [f"sbull-{m}-{n}" for m in modes for n in LEGS
             if f"sbull-{m}-{n}" in present]
    devices = sbull + [d for d in ("dm-raid1", "brd") if d in present]
    workloads = [w for w in WORKLOADS if w in units]

    setup = out / "setup.txt"
    if setup.exists():
        title += ("; " if title else "") + setup.read_text().strip()
    lines = [title, "",
             "The median of each point's repetitions, devices interleaved, "
             "± half their range relative to it; IOPS for 4 KiB, MiB/s for "
             "1 MiB. sbull-MODE-N: sbull in request mode MODE with N legs "
             "on brd (2wb: two, in write-back mode); dm-raid1: the mirror "
             "target over the same two brd disks; brd: one of them alone. "
             f"A point whose {base} repetitions differ by more than "
             f"{THRESHOLD}x (max/min) is run again by bench-mirror-guest.sh, "
             "up to SBULL_BENCH_MAX_REPS times in all (\"N runs\"), and its "
             f"range is then that of the {base} of its runs closest "
             "together around its median, the others set aside as "
             "outliers; **noisy**: still over "
             f"{THRESHOLD}x.", "",
             "| workload | unit | " + " | ".join(devices) + " |",
             "|---" * (2 + len(devices)) + "|"]
    for w in workloads:
        cells = [summary(runs[w, d], base) if (w, d) in med else ""
                 for d in devices]
        lines.append(f"| {labels[w]} | {units[w]} | " + " | ".join(cells)
                     + " |")

    cols = ["2 legs / dm-raid1", "per repetition", "1 leg / 0 legs",
            "2 legs / 0 legs",
            "0 legs / brd", "dm-raid1 / brd"]
    lines += ["", "Ratios of the medians, per sbull request mode. For writes "
              "read the first column (the mirrors against each other), for "
              "reads the next two (legs should not slow reads, served from "
              "RAM). A ? after a ratio: within the noise, the two points' "
              "ranges overlap (the same as the ratio's range, min(A)/max(B) "
              "to max(A)/min(B), containing 1.0): this run cannot tell them "
              "apart.", "",
              "| workload | mode | " + " | ".join(cols) + " |",
              "|---" * (2 + len(cols)) + "|"]
    def r(w, num, den):
        return ratio_of(runs.get((w, num)), runs.get((w, den)), base)

    for w in workloads:
        for m in modes:
            s = [f"sbull-{m}-{n}" for n in range(3)]
            cells = [r(w, s[2], "dm-raid1"),
                     per_rep(by_rep, w, s[2], "dm-raid1"),
                     r(w, s[1], s[0]), r(w, s[2], s[0]), r(w, s[0], "brd"),
                     r(w, "dm-raid1", "brd")]
            lines.append(f"| {w} | {m} | " + " | ".join(cells) + " |")

    if any(d.endswith("-2wb") for d in present):
        cols = ["2wb / 0 legs", "2wb / dm-raid1", "per repetition",
                "2wb / 2 legs"]
        lines += ["", "Write-back mode (2wb: two legs in write-back mode): "
                  "against no legs and dm-raid1 for writes, and against "
                  "write-through (2 legs) for writes with fsyncs (? as "
                  "above):", "",
                  "| workload | mode | " + " | ".join(cols) + " |",
                  "|---" * (2 + len(cols)) + "|"]
        for w in workloads:
            if w.startswith("seqread") or w.startswith("randread"):
                continue
            for m in modes:
                wb = f"sbull-{m}-2wb"
                cells = [r(w, wb, f"sbull-{m}-0"), r(w, wb, "dm-raid1"),
                         per_rep(by_rep, w, wb, "dm-raid1"),
                         r(w, wb, f"sbull-{m}-2")]
                lines.append(f"| {w} | {m} | " + " | ".join(cells) + " |")

    lines.append("")
    spreads = [spread(v, base) for v in runs.values() if len(v) > 1]
    if spreads:
        repeated = [v for v in runs.values() if len(v) > base]
        lines += [f"Noise: the {base} repetitions of a point (or, if it was "
                  f"repeated, its {base} kept) differ by "
                  f"{statistics.median(spreads):.2f}x (max/min, median over "
                  f"points; worst {max(spreads):.2f}x). {len(repeated)} "
                  "points were repeated, "
                  f"{sum(noisy(v, base) for v in runs.values())} are "
                  "noisy."]

    resync = defaultdict(list)
    if (out / "resync.csv").exists():
        with open(out / "resync.csv") as f:
            for row in csv.DictReader(f):
                resync[row["device"]].append(float(row["seconds"]))
    if resync:
        lines.append("Resync after each load with legs (the store copied to "
                     "fresh legs), seconds, median: " + ", ".join(
                         f"{d} {statistics.median(v):.1f}"
                         for d, v in sorted(resync.items())) + ".")
    crash = defaultdict(list)
    if (out / "crash-resync.csv").exists():
        with open(out / "crash-resync.csv") as f:
            for row in csv.DictReader(f):
                crash[row["kind"]].append(row)
    if crash.get("bitmap") and crash.get("whole"):
        def med(kind, key):
            return statistics.median(float(r[key]) for r in crash[kind])
        b, w = crash["bitmap"][0], crash["whole"][0]
        lines.append(
            f"Resync after a crash with 1% of the regions dirty: "
            f"{b['regions_copied']} of {b['regions']} regions copied "
            f"({100 * int(b['regions_copied']) / int(b['regions']):.1f}% "
            f"of the store) in {med('bitmap', 'ms'):.0f} ms; a whole "
            f"resync, {w['regions_copied']} regions, {med('whole', 'ms'):.0f} "
            f"ms: {ratio(med('whole', 'ms'), max(med('bitmap', 'ms'), 1))} "
            f"as long (medians of {len(crash['bitmap'])}).")
    if (out / "host-load").exists():
        load = [float(x) for x in (out / "host-load").read_text().split()]
        if load:
            lines.append("Host load average (1 min, every 10 s) during the "
                         f"run: median {statistics.median(load):.1f}, max "
                         f"{max(load):.1f}; the guest alone makes about 2.")
    if (out / "wall-seconds").exists():
        guest, total = (int(x) for x in
                        (out / "wall-seconds").read_text().split())
        lines.append(f"Wall time: {minutes(total)} for make bench-mirror, "
                     f"of which {minutes(guest)} in the guest.")

    (out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise bench-guest.sh's raw.csv: the median of the repetitions of each
point and their spread, as a Markdown table with each device's ratio to brd
(table.md), marked where the two are within the noise (bench/noise.py), the
memcpy bound and the mq scaling, and a chart of the ratios (chart.png, with
gnuplot).

Usage: report.py RESULTS_DIR [TITLE]
"""
import csv
import math
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from noise import (THRESHOLD, base_reps, half_range, metric, noisy, spread,
                   within_noise)

DEVICES = ["sbull-bio", "sbull-mq", "sbull-simple", "brd", "null_blk"]
WORKLOADS = ["randread-4k", "randwrite-4k-first", "randwrite-4k", "randrw-4k",
             "randread-64k", "seqread-1m", "seqwrite-1m"]


def summary(runs, base):
    """A point's median, ± half its range, how many runs if it was
    repeated, and whether it is still noisy."""
    text = f"{statistics.median(runs):.0f} ±{half_range(runs, base):.0%}"
    if len(runs) > base:
        text += f", {len(runs)} runs"
    if noisy(runs, base):
        text += ", **noisy**"
    return text


def ratio(num, den, base):
    """The ratio of the medians of two points, with a ? when it is within
    the noise; "" if either is missing."""
    if not num or not den or not statistics.median(den):
        return ""
    r = statistics.median(num) / statistics.median(den)
    return f"{r:.2f}x" + ("?" if within_noise(num, den, base) else "")


def best_sbull(med, point):
    """The fastest sbull mode on a point, as (value, device)."""
    return max((med.get((point, d), 0), d) for d in DEVICES
               if d.startswith("sbull"))


def geomean_ratio(med, points, device):
    """The geometric mean of device's ratios to brd over points."""
    ratios = [med[p, device] / med[p, "brd"] for p in points
              if med.get((p, device)) and med.get((p, "brd"))]
    if not ratios:
        return None
    return math.exp(sum(math.log(r) for r in ratios) / len(ratios))


def geomean_table(med, points):
    """Each device against brd, one row per workload over all its points:
    steadier than any single point on a noisy machine."""
    others = [d for d in DEVICES if d != "brd"]
    lines = ["", "Ratio to brd, geometric mean over each workload's points "
             "(engines, queue depths, jobs):", "",
             "| workload | points | " + " | ".join(others) + " |",
             "|---" * (2 + len(others)) + "|"]
    workloads = [w for w in WORKLOADS if any(p[0] == w for p in points)]
    for w in workloads + ["all"]:
        pts = [p for p in points if w in ("all", p[0])]
        cells = [geomean_ratio(med, pts, d) for d in others]
        lines.append(f"| {w} | {len(pts)} | " + " | ".join(
            f"{c:.2f}x" if c else "" for c in cells) + " |")
    return lines


def targets(runs, med, memcpy, points, base):
    """The project's performance goals next to what this run measured."""
    def measured(num, den):
        return ratio(runs.get(num), runs.get(den), base) or "not measured"

    qd32 = ("libaio", 32, 1)
    rows = []
    for workload, goal in (("randread-4k", "1.25x"),
                           ("randwrite-4k-first", "1.50x")):
        point = (workload,) + qd32
        dev = best_sbull(med, point)[1]
        rows.append((f"best sbull / brd, {workload} ({dev})",
                     measured((point, dev), (point, "brd")), goal))
        pts = [p for p in points if p[0] == workload]
        best = max((geomean_ratio(med, pts, d) or 0, d) for d in DEVICES
                   if d.startswith("sbull"))
        if len(pts) > 1 and best[0]:
            rows.append((f"same, geometric mean over its {len(pts)} points "
                         f"({best[1]})", f"{best[0]:.2f}x", goal))
    value, dev = best_sbull(med, ("seqread-1m",) + qd32)
    bound = statistics.median(memcpy) if memcpy else 0
    rows.append((f"seqread-1m / memcpy bound ({dev})",
                 f"{value / bound:.0%}" if bound else "not measured", "90%"))
    hwq = [(("randread-4k", "libaio", 32, j), f"sbull-mq-hwq{q}")
           for q, j in ((2, 2), (1, 1))]
    rows.append(("mq 2 queues 2 jobs / 1 queue 1 job", measured(*hwq),
                 "1.70x"))
    cache = ("randwrite-4k",) + qd32
    rows.append(("write cache / none, randwrite-4k (sbull mq)",
                 measured((cache, "sbull-mq-cache"), (cache, "sbull-mq")),
                 "0.90x"))
    return ["", "Targets (libaio, QD 32, 1 job unless said; ? as above):", "",
            "| target | measured | goal |", "|---|---|---|"] + [
                f"| {t} | {m} | {g} |" for t, m, g in rows]


def main():
    out = Path(sys.argv[1])
    title = sys.argv[2] if len(sys.argv) > 2 else ""
    runs = defaultdict(list)
    units = {}
    memcpy = []
    with open(out / "raw.csv") as f:
        for row in csv.DictReader(f):
            if row["device"] == "memcpy":
                memcpy.append(float(row["read_mibs"]))
                continue
            v, unit = metric(row)
            point = (row["workload"], row["engine"], int(row["iodepth"]),
                     int(row["jobs"]))
            runs[point, row["device"]].append(v)
            units[row["workload"]] = unit
    med = {k: statistics.median(v) for k, v in runs.items()}
    base = base_reps(runs)

    points = sorted({p for p, d in med if d in DEVICES},
                    key=lambda p: (WORKLOADS.index(p[0]) if p[0] in WORKLOADS
                                   else 99, p[1], p[2], p[3]))
    lines = [f"{title}", "",
             "Each cell: the median of the point's repetitions ± half "
             "their range relative to it; in brackets, the ratio of the "
             f"medians to brd on the same row. A point whose {base} "
             f"repetitions differ by more than {THRESHOLD}x (max/min) is run "
             "again by bench-guest.sh, up to SBULL_BENCH_MAX_REPS times in "
             f"all (\"N runs\"), and its range is then that of the {base} "
             "of its runs closest together around its median, the others "
             "set aside as outliers; "
             f"**noisy**: still over {THRESHOLD}x. A ? after a ratio: within "
             "the noise, the two devices' ranges overlap (the same as the "
             "ratio's range, min(A)/max(B) to max(A)/min(B), containing "
             "1.0): this run cannot tell them apart.", "",
             "| workload | engine | QD | jobs | unit | "
             + " | ".join(DEVICES) + " |",
             "|---" * (5 + len(DEVICES)) + "|"]
    chart = []
    marked = total = 0
    for p in points:
        brd = runs.get((p, "brd"))
        cells = []
        for d in DEVICES:
            v = runs.get((p, d))
            if v is None:
                cells.append("")
            elif d == "brd" or not brd:
                cells.append(summary(v, base))
            else:
                r = ratio(v, brd, base)
                total += 1
                marked += r.endswith("?")
                cells.append(f"{summary(v, base)} ({r})")
        lines.append(f"| {p[0]} | {p[1]} | {p[2]} | {p[3]} | {units[p[0]]} | "
                     + " | ".join(cells) + " |")
        if med.get((p, "brd")) and (p[1], p[2], p[3]) == ("libaio", 32, 1):
            chart.append((p[0], [med.get((p, d), 0) / med[p, "brd"]
                                 for d in DEVICES]))

    spreads = [spread(v, base) for v in runs.values() if len(v) > 1]
    if spreads:
        repeated = [v for v in runs.values() if len(v) > base]
        still = sum(noisy(v, base) for v in runs.values())
        lines += ["", f"Noise: the {base} repetitions of a point (or, if it "
                  f"was repeated, its {base} kept) differ by "
                  f"{statistics.median(spreads):.2f}x (max/min, median over "
                  f"all {len(spreads)} points of this report; worst "
                  f"{max(spreads):.2f}x). {len(repeated)} points were "
                  f"repeated, {still} are noisy; {marked} of the "
                  f"{total} ratios to brd above are within the noise."]
        if repeated:
            lines[-1] += (" Runs per repeated point: up to "
                          f"{max(len(v) for v in repeated)}.")

    if memcpy:
        bound = statistics.median(memcpy)
        lines += ["", "memcpy bound (1 MiB copies, median): "
                  f"{summary(memcpy, base)} MiB/s."]
        for p in points:
            if p[0] == "seqread-1m":
                best = best_sbull(med, p)
                lines.append(f"- seqread-1m {p[1]} QD {p[2]} jobs {p[3]}: best "
                             f"sbull ({best[1]}) {best[0] / bound:.0%} of memcpy")

    scaling = sorted(k for k in med if k[1].startswith("sbull-mq-hwq"))
    if scaling:
        lines += ["", "sbull mq scaling, 4k random read, libaio, QD 32:", "",
                  "| hw queues | jobs | IOPS | vs 1 queue, 1 job |",
                  "|---|---|---|---|"]
        one = runs.get((("randread-4k", "libaio", 32, 1), "sbull-mq-hwq1"))
        for p, d in scaling:
            lines.append(f"| {d.rsplit('hwq', 1)[1]} | {p[3]} | "
                         f"{summary(runs[p, d], base)} | "
                         f"{ratio(runs[p, d], one, base)} |")

    cached = [k for k in sorted(med) if k[1] == "sbull-mq-cache"]
    if cached:
        lines += ["", "The write cache (cache_kb=65536), sbull mq, 4k random "
                  "writes:", "",
                  "| point | without (IOPS) | with (IOPS) | with / without |",
                  "|---|---|---|---|"]
        for p, d in cached:
            plain = runs.get((p, "sbull-mq"))
            lines.append(f"| {p[0]} {p[1]} QD {p[2]} | "
                         f"{summary(plain, base) if plain else ''} | "
                         f"{summary(runs[p, d], base)} | "
                         f"{ratio(runs[p, d], plain, base) if plain else ''} |")

    polled = sorted({d for (p, d) in med if d.endswith("-poll")})
    if polled:
        lines += ["", "Polled I/O, 4k random read, io_uring QD 1, one poll "
                  "queue:", "",
                  "| device | not polled (IOPS) | hipri (IOPS) | "
                  "hipri / not polled |", "|---|---|---|---|"]
        for d in polled:
            plain = runs.get((("randread-4k", "io_uring", 1, 1), d))
            hipri = runs.get((("randread-4k-poll", "io_uring", 1, 1), d))
            if plain and hipri:
                lines.append(f"| {d[:-5]} | {summary(plain, base)} | "
                             f"{summary(hipri, base)} | "
                             f"{ratio(hipri, plain, base)} |")

    lines += geomean_table(med, points)
    lines += targets(runs, med, memcpy, points, base)
    (out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    if chart:
        data = out / "chart.dat"
        with open(data, "w") as f:
            f.write("workload " + " ".join(DEVICES) + "\n")
            for w, ratios in chart:
                f.write(w + " " + " ".join(f"{r:.3f}" for r in ratios) + "\n")
        script = f"""
set terminal pngcairo size 1000,500 noenhanced
set output '{out / "chart.png"}'
set title 'Throughput relative to brd (libaio, QD 32, 1 job) {title}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel 'ratio to brd'
set yrange [0:*]
set key outside right top
set xtics rotate by -20
plot for [i=2:{len(DEVICES) + 1}] '{data}' using i:xtic(1) title columnhead
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main()

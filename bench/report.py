#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise bench-guest.sh's raw.csv: the median of the repetitions of each
point, as a Markdown table with each device's ratio to brd (table.md), the
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

DEVICES = ["sbull-bio", "sbull-mq", "sbull-simple", "brd", "null_blk"]
WORKLOADS = ["randread-4k", "randwrite-4k-first", "randwrite-4k", "randrw-4k",
             "randread-64k", "seqread-1m", "seqwrite-1m"]


def metric(row):
    """IOPS for 4k points, MiB/s for the large blocks; reads plus writes."""
    if row["workload"].endswith("4k") or "4k-" in row["workload"]:
        return float(row["read_iops"] or 0) + float(row["write_iops"] or 0), "IOPS"
    return float(row["read_mibs"] or 0) + float(row["write_mibs"] or 0), "MiB/s"


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


def targets(med, memcpy, points):
    """The project's performance goals next to what this run measured."""
    def ratio(num, den):
        return f"{num / den:.2f}x" if num and den else "not measured"

    qd32 = ("libaio", 32, 1)
    rows = []
    for workload, goal in (("randread-4k", "1.25x"),
                           ("randwrite-4k-first", "1.50x")):
        value, dev = best_sbull(med, (workload,) + qd32)
        rows.append((f"best sbull / brd, {workload} ({dev})",
                     ratio(value, med.get(((workload,) + qd32, "brd"))), goal))
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
    hwq = [med.get((("randread-4k", "libaio", 32, j), f"sbull-mq-hwq{q}"))
           for q, j in ((2, 2), (1, 1))]
    rows.append(("mq 2 queues 2 jobs / 1 queue 1 job", ratio(*hwq), "1.70x"))
    return ["", "Targets (libaio, QD 32, 1 job unless said):", "",
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
            value, unit = metric(row)
            point = (row["workload"], row["engine"], int(row["iodepth"]),
                     int(row["jobs"]))
            runs[point, row["device"]].append(value)
            units[row["workload"]] = unit
    med = {k: statistics.median(v) for k, v in runs.items()}
    reps = max(len(v) for v in runs.values())

    points = sorted({p for p, d in med if d in DEVICES},
                    key=lambda p: (WORKLOADS.index(p[0]) if p[0] in WORKLOADS
                                   else 99, p[1], p[2], p[3]))
    lines = [f"{title}", "",
             f"Median of {reps} repetitions; in brackets, the ratio to brd "
             "on the same row.", "",
             "| workload | engine | QD | jobs | unit | "
             + " | ".join(DEVICES) + " |",
             "|---" * (5 + len(DEVICES)) + "|"]
    chart = []
    for p in points:
        brd = med.get((p, "brd"))
        cells = []
        for d in DEVICES:
            v = med.get((p, d))
            if v is None:
                cells.append("")
            elif d == "brd" or not brd:
                cells.append(f"{v:.0f}")
            else:
                cells.append(f"{v:.0f} ({v / brd:.2f}x)")
        lines.append(f"| {p[0]} | {p[1]} | {p[2]} | {p[3]} | {units[p[0]]} | "
                     + " | ".join(cells) + " |")
        if brd and (p[1], p[2], p[3]) == ("libaio", 32, 1):
            chart.append((p[0], [med.get((p, d), 0) / brd for d in DEVICES]))

    if memcpy:
        bound = statistics.median(memcpy)
        lines += ["", f"memcpy bound (1 MiB copies, median): {bound:.0f} MiB/s."]
        for p in points:
            if p[0] == "seqread-1m":
                best = best_sbull(med, p)
                lines.append(f"- seqread-1m {p[1]} QD {p[2]} jobs {p[3]}: best "
                             f"sbull ({best[1]}) {best[0] / bound:.0%} of memcpy")

    scaling = sorted(k for k in med if k[1].startswith("sbull-mq-hwq"))
    if scaling:
        base = med.get((("randread-4k", "libaio", 32, 1), "sbull-mq-hwq1"))
        lines += ["", "sbull mq scaling, 4k random read, libaio, QD 32:", "",
                  "| hw queues | jobs | IOPS | vs 1 queue, 1 job |",
                  "|---|---|---|---|"]
        for p, d in scaling:
            v = med[p, d]
            lines.append(f"| {d.rsplit('hwq', 1)[1]} | {p[3]} | {v:.0f} | "
                         f"{v / base:.2f}x |")

    polled = sorted({d for (p, d) in med if d.endswith("-poll")})
    if polled:
        lines += ["", "Polled I/O, 4k random read, io_uring QD 1, one poll "
                  "queue:", "",
                  "| device | not polled (IOPS) | hipri (IOPS) | "
                  "hipri / not polled |", "|---|---|---|---|"]
        for d in polled:
            plain = med.get((("randread-4k", "io_uring", 1, 1), d))
            hipri = med.get((("randread-4k-poll", "io_uring", 1, 1), d))
            if plain and hipri:
                lines.append(f"| {d[:-5]} | {plain:.0f} | {hipri:.0f} | "
                             f"{hipri / plain:.2f}x |")

    lines += geomean_table(med, points)
    lines += targets(med, memcpy, points)
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

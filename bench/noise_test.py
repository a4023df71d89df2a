#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of bench/noise.py on synthetic raw.csv files, on the host: which
points the guest runs again, and that repeating one can clear it. Not part
of make check (nothing there runs the benchmark).

Usage: python3 bench/noise_test.py
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import noise  # noqa: E402

HEADER = ("rep,workload,engine,iodepth,jobs,device,read_iops,write_iops,"
          "read_mibs,write_mibs\n")
NOISE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "noise.py")


def row(rep, workload, device, value, engine="libaio", qd=32, jobs=1):
    """A raw.csv row whose metric (noise.metric) is value."""
    if device == "memcpy":
        return f"{rep},memcpy-1m,,,1,memcpy,,,{value},\n"
    if "4k" in workload:
        return f"{rep},{workload},{engine},{qd},{jobs},{device},{value},0,0,0\n"
    return f"{rep},{workload},{engine},{qd},{jobs},{device},0,0,{value},0\n"


def write_csv(rows):
    f = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False)
    f.write(HEADER + "".join(rows))
    f.close()
    return f.name


# Three repetitions: brd's randread-4k 1.4x apart, its first-touch point
# 1.5x; the rest within 1.3x.
BASE = {
    ("randread-4k", "brd"): [100, 140, 102],
    ("seqread-1m", "brd"): [2000, 2100, 2050],
    ("randwrite-4k-first", "brd"): [50, 75, 52],
    ("randread-4k", "sbull-bio"): [120, 125, 118],
    ("memcpy-1m", "memcpy"): [1900, 1950, 1880],
}


def rows_of(table):
    out = []
    for (workload, device), values in table.items():
        out += [row(r + 1, workload, device, v) for r, v in enumerate(values)]
    return out


class Selection(unittest.TestCase):
    def tearDown(self):
        for path in getattr(self, "paths", []):
            os.unlink(path)

    def csv(self, table):
        path = write_csv(rows_of(table))
        self.paths = getattr(self, "paths", []) + [path]
        return path

    def selected(self, path, *args):
        out = subprocess.run([sys.executable, NOISE, *args, path],
                             check=True, capture_output=True, text=True)
        return out.stdout.splitlines()

    def test_noisy_points_by_device_first_touch_apart(self):
        self.assertEqual(self.selected(self.csv(BASE)), [
            "brd randread-4k:libaio:32:1",
            "brd randwrite-4k-first:libaio:32:1"])

    def test_steady_run_selects_nothing(self):
        table = {k: [v[0]] * 3 for k, v in BASE.items()}
        self.assertEqual(self.selected(self.csv(table)), [])

    def test_an_agreeing_repetition_clears_the_outlier(self):
        table = dict(BASE)
        table["randread-4k", "brd"] = [100, 140, 102, 101]
        runs = noise.read_runs(self.csv(table))
        values = runs["randread-4k", "libaio", "32", "1", "brd"]
        self.assertEqual(noise.base_reps(runs), 3)
        self.assertEqual(sorted(noise.kept(values, 3)), [100, 101, 102])
        self.assertFalse(noise.noisy(values, 3))
        self.assertEqual(self.selected(self.csv(table)), [
            "brd randwrite-4k-first:libaio:32:1"])

    def test_cap(self):
        table = dict(BASE)
        # Two clusters: no 3 runs near the median agree.
        table["randread-4k", "brd"] = [100, 140, 102, 138, 99, 141]
        path = self.csv(table)
        self.assertEqual(self.selected(path), [
            "brd randwrite-4k-first:libaio:32:1"])
        self.assertEqual(self.selected(path, "--max-reps", "7"), [
            "brd randread-4k:libaio:32:1",
            "brd randwrite-4k-first:libaio:32:1"])
        runs = noise.read_runs(path)
        self.assertTrue(noise.noisy(runs["randread-4k", "libaio", "32", "1",
                                         "brd"], 3))

    def test_threshold_and_memcpy(self):
        table = dict(BASE)
        table["memcpy-1m", "memcpy"] = [1900, 1300, 1880]
        self.assertEqual(self.selected(self.csv(table), "--threshold",
                                       "1.45"), [
            "brd randwrite-4k-first:libaio:32:1",
            "memcpy memcpy-1m:::1"])


class Rules(unittest.TestCase):
    def test_spread(self):
        self.assertAlmostEqual(noise.spread([100, 140, 102], 3), 1.4)
        self.assertEqual(noise.spread([0, 0, 0], 3), 1.0)
        self.assertEqual(noise.spread([0, 10, 10], 3), float("inf"))
        self.assertAlmostEqual(noise.half_range([90, 100, 110], 3), 0.1)

    def test_within_noise_is_the_ratio_range_rule(self):
        cases = [([100, 110, 120], [115, 130, 140]),
                 ([100, 110, 120], [121, 130, 140]),
                 ([100, 101, 102], [100, 101, 102]),
                 ([50, 90, 200], [100, 100, 100])]
        for a, b in cases:
            lo = min(a) / max(b)
            hi = max(a) / min(b)
            self.assertEqual(noise.within_noise(a, b, 3), lo <= 1 <= hi)
        self.assertTrue(noise.within_noise(*cases[0], 3))
        self.assertFalse(noise.within_noise(*cases[1], 3))


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run several benchmark points on one device in a single fio process.

Under TCG fio needs seconds just to start, so bench-guest.sh hands every
point of one device to one fio run: each point is its job file from
bench/jobs/ with the ${...} variables filled in for that point, separated
from the others by stonewall and new_group so they run one after the other
and report apart. One CSV row per point is appended to the CSV file.

Usage: fio-batch.py CSV REP DEVICE_NAME DEV SIZE_MB WORKLOAD:ENGINE:QD:JOBS...
Environment: FIRST_TOUCH_REGIONS, the number of regions the first-touch
points divide the device into (by default, one per first-touch point):
so that a point run again alone writes a region of the size it had among
the others.
"""
import json
import os
import re
import subprocess
import sys

JOBS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'jobs')


def point_section(workload, engine, qd, jobs, dev, size_mb, region):
    """The job file of one point, its job renamed after the point.

    region is (offset, size) in MiB: the part of a fresh device that a
    first-touch point writes, so that several of them share one load.
    """
    with open(os.path.join(JOBS_DIR, workload + '.fio')) as f:
        text = f.read()
    span = '%dm' % (size_mb // jobs)
    values = {'DEV': dev, 'ENGINE': engine, 'QD': qd, 'JOBS': jobs,
              'RUNTIME': os.environ.get('RUNTIME', '2'),
              'RAMP': os.environ.get('RAMP', '1'),
              'JOB_SPAN': span,
              'FIRST_TOUCH_OFFSET': '%dm' % region[0],
              'FIRST_TOUCH_SIZE': '%dm' % (region[1] // jobs)}
    text = re.sub(r'\$\{([A-Z_]+)\}', lambda m: str(values[m.group(1)]),
                  text)
    name = '%s:%s:%d:%d' % (workload, engine, qd, jobs)
    return text.replace('[%s]\n' % workload,
                        '[%s]\nstonewall\nnew_group\n' % name), name


def main():
    csv, rep, device, dev, size_mb = sys.argv[1:6]
    points = [p.split(':') for p in sys.argv[6:]]
    size_mb = int(size_mb)
    first_touch = sum(p[0].endswith('-first') for p in points)
    regions = max(int(os.environ.get('FIRST_TOUCH_REGIONS') or 0),
                  first_touch, 1)
    region_mb = size_mb // regions
    sections = []
    names = []
    fresh = 0
    for workload, engine, qd, jobs in points:
        region = (0, size_mb)
        if workload.endswith('-first'):
            region = (fresh * region_mb, region_mb)
            fresh += 1
        text, name = point_section(workload, engine, int(qd), int(jobs),
                                   dev, size_mb, region)
        sections.append(text)
        names.append(name)
    out = subprocess.run(['fio', '--output-format=json', '-'], check=True,
                         input='\n'.join(sections), stdout=subprocess.PIPE,
                         text=True).stdout
    # One entry per reporting group, named after its first job.
    results = {j['jobname']: j for j in json.loads(out)['jobs']}
    with open(csv, 'a') as f:
        for name in names:
            r = results[name]
            workload, engine, qd, jobs = name.split(':')
            f.write('%s,%s,%s,%s,%s,%s,%d,%d,%d,%d\n' % (
                rep, workload, engine, qd, jobs, device,
                round(r['read']['iops']), round(r['write']['iops']),
                r['read']['bw'] // 1024, r['write']['bw'] // 1024))


if __name__ == '__main__':
    main()

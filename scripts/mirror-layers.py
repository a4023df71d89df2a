#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The mirror's call graph, by layer: calls go down only.

The layers are the files of the table at the top of
sbull_mirror_internal.h, from the top down. For every function that a
mirror file defines without "static", this prints the files of the mirror
that call it, one line per caller and callee file:

    CALLER -> CALLEE  (down N): name, name, ...

and a line "UP" for a call from a lower layer to a higher one. The inline
helpers of sbull_mirror_internal.h count as the ground floor. Exit status
1 if any call goes up (or the table names a file that does not exist).

This reads the C as text: identifiers followed by "(" outside comments
and strings. An indirect call (the mirror's @changed callback) is not a
call here, as it is not one in the picture either: it is how a lower
layer tells an upper one.

Usage: mirror-layers.py [DIR]   (the repository by default)
"""
import os
import re
import sys

HEADER = 'sbull_mirror_internal.h'


def strip(code):
    """C without its comments, strings and character constants."""
    code = re.sub(r'/\*.*?\*/', ' ', code, flags=re.S)
    code = re.sub(r'//[^\n]*', ' ', code)
    code = re.sub(r'"(\\.|[^"\\])*"', '""', code)
    return re.sub(r"'(\\.|[^'\\])*'", "''", code)


def layers(root):
    """The files of the header's table, from the top down."""
    with open(os.path.join(root, HEADER)) as f:
        text = f.read()
    start = text.index('/*\n')      # the file's comment, past the SPDX line
    table = text[start:text.index('*/', start)]
    return re.findall(r'^ \*   (sbull_\w+\.c)\b', table, flags=re.M)


def defined(code):
    """Functions defined at file scope without "static"."""
    names = set()
    for m in re.finditer(r'^(?!static\b)[a-z][^;{}()\n=]*?\b(\w+)\(([^;{}]*?)\)\s*\{',
                         code, flags=re.M | re.S):
        names.add(m.group(1))
    return names


def inlines(code):
    """The static inline helpers a header defines."""
    return set(re.findall(r'^static inline [^;{(]*?\b(\w+)\(', code, flags=re.M))


def called(code):
    return set(re.findall(r'\b([a-z_][a-z0-9_]*)\s*\(', code))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    files = layers(root)
    code = {}
    for f in files + [HEADER]:
        path = os.path.join(root, f)
        if not os.path.exists(path):
            print(f'{HEADER} names {f}, which does not exist')
            return 1
        with open(path) as fh:
            code[f] = strip(fh.read())
    owner = {}
    for f in files:
        for name in defined(code[f]):
            owner[name] = f
    for name in inlines(code[HEADER]):
        owner.setdefault(name, HEADER)
    rank = {f: i for i, f in enumerate(files)}
    rank[HEADER] = len(files)
    up = 0
    print('The mirror, from the top layer down (%s):' % HEADER)
    for f in files:
        print(f'  {rank[f]} {f}')
    for caller in files:
        edges = {}
        for name in called(code[caller]):
            callee = owner.get(name)
            if callee and callee != caller:
                edges.setdefault(callee, set()).add(name)
        for callee in sorted(edges, key=rank.get):
            d = rank[callee] - rank[caller]
            what = f'down {d}' if d > 0 else 'UP'
            up += d <= 0
            print(f'{caller} -> {callee}  ({what}): '
                  + ', '.join(sorted(edges[callee])))
    if up:
        print(f'{up} call(s) go up')
    return 1 if up else 0


if __name__ == '__main__':
    sys.exit(main())

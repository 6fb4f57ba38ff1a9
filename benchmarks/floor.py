"""The floor leaklint is measured against: read and ``ast.parse`` every file, nothing else.

``python floor.py parse --jobs 2 PATH...`` reads and parses every ``.py`` file in 2 processes;
``python floor.py walk --jobs 1 PATH...`` also visits every node once (``ast.walk``), which is the
least any ast-based linter must do.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import List


def python_files(paths: List[str]) -> List[str]:
    out = []
    for root in paths:
        if os.path.isfile(root):
            out.append(root)
            continue
        for directory, dirs, files in os.walk(root):
            dirs.sort()
            out.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(".py"))
    return out


def parse_only(paths: List[str]) -> int:
    count = 0
    for path in paths:
        with open(path, "rb") as handle:
            raw = handle.read()
        try:
            ast.parse(raw, filename=path)
        except (SyntaxError, ValueError):
            continue
        count += 1
    return count


def parse_and_walk(paths: List[str]) -> int:
    nodes = 0
    for path in paths:
        with open(path, "rb") as handle:
            raw = handle.read()
        try:
            tree = ast.parse(raw, filename=path)
        except (SyntaxError, ValueError):
            continue
        for _node in ast.walk(tree):
            nodes += 1
    return nodes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("parse", "walk"))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    files = python_files(args.paths)
    work = parse_only if args.mode == "parse" else parse_and_walk
    if args.jobs <= 1:
        work(files)
        return 0
    # big files first, dealt round-robin, the same balancing leaklint's engine uses
    files.sort(key=lambda p: -os.path.getsize(p))
    chunks = [files[i::args.jobs * 8] for i in range(args.jobs * 8)]
    with ProcessPoolExecutor(args.jobs) as pool:
        sum(pool.map(work, chunks))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How fast ``leaklint server`` answers an edit, and how much memory it keeps, driven as an editor
drives it (over stdio, with the test suite's LSP client).

    python benchmarks/server_latency.py                        # the benchmark corpus (benchmarks/run.py builds it)
    python benchmarks/server_latency.py --workspace DIR        # any folder of Python code
    python benchmarks/server_latency.py --file FILE --repeats 30

Latency: the time from sending ``textDocument/didChange`` to receiving the diagnostics of that
version, for the file of the workspace closest to 3,000 lines (the server's debounce included),
median over the repeats; the edits alternate between adding and removing a timeout so every
result differs from the last. Memory: the server's resident set once the workspace is indexed and
the file is open, and the peak of the process that builds the index. The workspace is copied to a
temporary folder first, so the index's cache starts cold and nothing is written next to it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from typing import List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests"))

from lsp_client import Client, server_command  # noqa: E402

CORPUS = os.path.join(HERE, "corpus", "src")
TARGET_LINES = 3000
EDIT = "\n\ndef _benchmark_edit(url):\n    import requests\n    return requests.get(url{})\n"


def python_files(root: str) -> List[Tuple[str, int]]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    out.append((path, handle.read().count(b"\n")))
    return out


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> List[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                out.extend(int(c) for c in handle.read().split())
        except OSError:
            pass
    return out


def tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid``'s children and their children (the index builder and its workers)."""
    total = 0
    todo = children(pid)
    while todo:
        child = todo.pop()
        try:
            total += rss_kib(child)
            todo.extend(children(child))
        except OSError:
            pass
    return total


class PeakSampler:
    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak = max(self.peak, tree_rss_kib(self.pid))
            except OSError:
                return

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", default=CORPUS, help="folder of Python code (default: the benchmark corpus)")
    parser.add_argument("--file", help="the file to edit (default: the one closest to 3,000 lines)")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    if not os.path.isdir(args.workspace):
        print(f"no workspace at {args.workspace}: run benchmarks/run.py once, or pass --workspace", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="leaklint-server-bench-") as tmp:
        root = os.path.join(tmp, "workspace")
        shutil.copytree(args.workspace, root, ignore=shutil.ignore_patterns(".leaklint_cache", "__pycache__"))
        files = python_files(root)
        total_lines = sum(n for _, n in files)
        if args.file:
            target = os.path.join(root, os.path.relpath(os.path.abspath(args.file), os.path.abspath(args.workspace)))
        else:
            target = min(files, key=lambda item: abs(item[1] - TARGET_LINES))[0]
        with open(target, encoding="utf-8") as handle:
            text = handle.read()
        client = Client(server_command(), cwd=root)
        try:
            started = time.perf_counter()
            sampler = PeakSampler(client.process.pid)
            client.initialize(root)
            client.wait_indexed(timeout=1800)
            indexed = time.perf_counter() - started
            index_peak = sampler.stop()
            since = client.mark()
            uri = client.open(target, text)
            client.diagnostics(uri, since)
            latencies = []
            for i in range(args.repeats):
                edited = text + EDIT.format("" if i % 2 else ", timeout=5")
                since = client.mark()
                sent = time.perf_counter()
                version = client.change(uri, edited)
                client.diagnostics(uri, since, version)
                latencies.append(time.perf_counter() - sent)
            server_rss = rss_kib(client.process.pid)
            status = client.shutdown()
        finally:
            client.kill()
    load = os.getloadavg()
    print(f"workspace: {len(files)} files, {total_lines:,} lines; indexed in {indexed:.1f} s")
    print(f"edited file: {os.path.relpath(target, root)} ({text.count(chr(10)):,} lines)")
    print(f"diagnostics after an edit: median {statistics.median(latencies):.3f} s, "
          f"min {min(latencies):.3f} s, max {max(latencies):.3f} s over {len(latencies)} edits")
    print(f"server resident memory: {server_rss / 1024:.0f} MiB; index builder peak {index_peak / 1024:.0f} MiB")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; exit status {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

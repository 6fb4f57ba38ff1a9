"""Overhead of ``pytest --leaklint``: a generated suite of 400 trivial tests, and this project's suite.

    python benchmarks/runtime_overhead.py [--repeats 5] [--own-repeats 1] [--write]

Times each suite with and without ``--leaklint`` in fresh pytest processes, alternating the two so that
load on the machine hits both alike, and prints the medians and their ratio. ``--write`` replaces the
"Run-time checks" section at the end of docs/benchmarks.md with the result.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Run-time checks (`pytest --leaklint`)"
TRIVIAL_FILES, TRIVIAL_PER_FILE = 8, 50
TARGET = 1.3
QUIET = ["-q", "-p", "no:cacheprovider"]


def write_trivial_suite(folder: Path) -> None:
    for i in range(TRIVIAL_FILES):
        body = "".join(f"def test_{j}():\n    assert {j} + 1 > {j}\n\n" for j in range(TRIVIAL_PER_FILE))
        (folder / f"test_trivial_{i}.py").write_text(body, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")


def run_once(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *QUIET, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"pytest {' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}")
    return elapsed


def measure(args: list[str], cwd: Path, repeats: int) -> tuple[float, float]:
    plain, checked = [], []
    for _ in range(repeats):
        plain.append(run_once(args, cwd))
        checked.append(run_once([*args, "--leaklint"], cwd))
    return statistics.median(plain), statistics.median(checked)


def section(rows: list[tuple[str, int, float, float]]) -> str:
    lines = [HEADING, "",
             "`python benchmarks/runtime_overhead.py`: fresh pytest processes, with and without `--leaklint`,",
             "alternated, median of the repeats (2 shared cores, so read the ratio rather than the seconds).",
             f"Target: at most {TARGET}x on the trivial suite.", "",
             "| Suite | Repeats | Without | With `--leaklint` | Ratio |", "| --- | ---: | ---: | ---: | ---: |"]
    lines += [f"| {name} | {n} | {plain:.2f} s | {checked:.2f} s | {checked / plain:.2f}x |"
              for name, n, plain, checked in rows]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    old = BENCHMARKS.read_text(encoding="utf-8")
    if HEADING in old:
        before, rest = old.split(HEADING, 1)
        after = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
        new = before + text + ("\n## " + after if after else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    BENCHMARKS.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--own-repeats", type=int, default=1)
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        write_trivial_suite(Path(tmp))
        rows.append((f"{TRIVIAL_FILES * TRIVIAL_PER_FILE} trivial tests", options.repeats,
                     *measure([], Path(tmp), options.repeats)))
    if options.own_repeats:
        rows.append(("leaklint's own suite", options.own_repeats,
                     *measure(["tests"], ROOT, options.own_repeats)))
    text = section(rows)
    print(text)
    if options.write:
        write_section(text)


if __name__ == "__main__":
    main()

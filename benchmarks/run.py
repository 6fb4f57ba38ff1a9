"""leaklint against its peers and against the parse floor, on a pinned corpus of real service code.

    python benchmarks/run.py            # everything: corpus, peers, leaklint, scaling, docs
    python benchmarks/run.py --quick    # one run per tool, no scaling (a smoke test of the script)

Any Python 3 runs it. It builds the corpus from pinned PyPI wheels into ``benchmarks/corpus/``,
and leaklint (installed from this checkout, not editable) and the peers into their own
virtualenvs (``benchmarks/.venv-*``), so every tool runs as ``pip install`` leaves it, bytecode
compiled. All are git-ignored and reused while what they were built from is unchanged; prints a
table of median wall time, lines per second, peak memory and each tool's time as a ratio to
leaklint's cold run (measured in the same run), and writes it to ``docs/benchmarks.md`` between
the result markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")
WHEELS = os.path.join(CORPUS, "wheels")
SOURCES = os.path.join(CORPUS, "src")
DOC = os.path.join(REPO, "docs", "benchmarks.md")
START, END = "<!-- results:start -->", "<!-- results:end -->"

# web and service code, pinned: the numbers are only comparable on the same bytes
PACKAGES = [
    ("matrix-synapse", "1.163.2"),
    ("jupyterhub", "6.1.1"),
    ("flower", "2.2.0"),
    ("celery", "5.4.0"),
    ("sentry-sdk", "2.19.0"),
]
# flake8-async builds libcst metadata for every file (about 2 s per thousand lines here), so it
# runs once on this subset and its full-corpus time is extrapolated by lines
ASYNC_SUBSET = ("flower", "sentry-sdk")

VENVS = {
    "peers": "requirements-peers.txt",
    "flake8-async": "requirements-flake8-async.txt",
    "flake8-plain": "requirements-flake8-plain.txt",
}
SLOW_SECONDS = 20.0  # a tool whose first run takes longer runs only once


# --------------------------------------------------------------------------- corpus
def build_corpus() -> Dict[str, Dict[str, int]]:
    """Download each pinned wheel (no dependencies) and unpack its ``.py`` files."""
    os.makedirs(WHEELS, exist_ok=True)
    manifest_path = os.path.join(CORPUS, "manifest.json")
    wanted = {f"{name}=={version}" for name, version in PACKAGES}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if set(manifest.get("pins", [])) == wanted:
            return manifest["packages"]
    shutil.rmtree(SOURCES, ignore_errors=True)
    packages: Dict[str, Dict[str, int]] = {}
    for name, version in PACKAGES:
        wheel = _find_wheel(name, version) or _download_wheel(name, version)
        target = os.path.join(SOURCES, name)
        files = lines = 0
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                top = member.split("/", 1)[0]
                if not member.endswith(".py") or top.endswith((".dist-info", ".data")):
                    continue
                data = archive.read(member)
                path = os.path.join(target, member)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as handle:
                    handle.write(data)
                files += 1
                lines += data.count(b"\n")
        packages[name] = {"version": version, "files": files, "lines": lines}  # type: ignore[dict-item]
        log(f"corpus: {name}=={version}: {files} files, {lines} lines")
    with open(manifest_path, "w", encoding="utf-8") as handle:
        json.dump({"pins": sorted(wanted), "packages": packages}, handle, indent=1)
    return packages


def _find_wheel(name: str, version: str) -> Optional[str]:
    stem = f"{name.replace('-', '_')}-{version}-".lower()
    for entry in os.listdir(WHEELS):
        if entry.lower().startswith(stem) and entry.endswith(".whl"):
            return os.path.join(WHEELS, entry)
    return None


def _download_wheel(name: str, version: str) -> str:
    # fixed platform tags: synapse ships only binary wheels, and the same wheel on every machine
    # keeps the corpus identical
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp",
         "--dest", WHEELS, f"{name}=={version}"],
        check=True,
    )
    wheel = _find_wheel(name, version)
    if wheel is None:
        raise SystemExit(f"pip did not download a wheel for {name}=={version}")
    return wheel


def copies(factor: int) -> str:
    """The corpus ``factor`` times over (hard links), for the scaling run."""
    target = os.path.join(CORPUS, f"scale-{factor}x")
    if not os.path.isdir(target):
        for i in range(factor):
            shutil.copytree(SOURCES, os.path.join(target, f"copy{i}"), copy_function=os.link)
    return target


# --------------------------------------------------------------------------- peers
def venv_bin(name: str, tool: str) -> str:
    return os.path.join(HERE, f".venv-{name}", "bin", tool)


def build_leaklint() -> None:
    """leaklint from this checkout as a user gets it: a wheel installed by pip, bytecode compiled
    (an editable install, or a tree whose bytecode may not be written, recompiles every module on
    every run). Reinstalled whenever the checkout's sources change."""
    _ensure_venv("leaklint", [REPO], source_digest())


def build_venvs(with_plugin: bool) -> None:
    """One virtualenv per set of peers, so no plugin slows down another tool's run."""
    for name, requirements in VENVS.items():
        _ensure_venv(name, ["-r", os.path.join(HERE, requirements)])
    if with_plugin:
        _ensure_venv("flake8-leaklint", ["-r", os.path.join(HERE, VENVS["flake8-plain"]), REPO], source_digest())


def source_digest() -> str:
    """What an install of this checkout is built from."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("src", "rules"):
        for directory, dirs, files in sorted(os.walk(os.path.join(REPO, folder))):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".py", ".toml")):
                    path = os.path.join(directory, name)
                    digest.update(os.path.relpath(path, REPO).encode())
                    with open(path, "rb") as handle:
                        digest.update(handle.read())
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as handle:
        digest.update(handle.read())
    return digest.hexdigest()[:16]


def _ensure_venv(name: str, install: Sequence[str], built_from: str = "") -> None:
    directory = os.path.join(HERE, f".venv-{name}")
    stamp = os.path.join(directory, ".installed")
    spec = " ".join(install) + (f" @ {built_from}" if built_from else "")
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as handle:
            if handle.read() == spec:
                return
    log(f"virtualenv: {name}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", directory], check=True)
    # PYTHONDONTWRITEBYTECODE would stop pip compiling what it installs
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([os.path.join(directory, "bin", "python"), "-m", "pip", "install", "--quiet", *install],
                   check=True, env=env)
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(spec)


def has_flake8_plugin() -> bool:
    return os.path.exists(os.path.join(REPO, "src", "leaklint", "integrations", "flake8.py"))


# --------------------------------------------------------------------------- measuring
@dataclass
class Sample:
    wall: float
    peak_kb: int  # largest single process of the tree (ru_maxrss after wait4)
    cpu: float = 0.0  # user + system seconds of the tree, reaped children included
    main_kb: int = 0  # the command's own process, sampled from /proc
    worker_kb: int = 0  # its largest child process, sampled from /proc
    worker_uss_kb: int = 0  # the same worker's private memory (pages not shared with its parent)
    rc: int = 0


@dataclass
class Row:
    name: str
    command: List[str]
    lines: int
    samples: List[Sample] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_kb for s in self.samples) / 1024

    @property
    def worker_mb(self) -> float:
        return max(s.worker_kb for s in self.samples) / 1024

    @property
    def worker_uss_mb(self) -> float:
        return max(s.worker_uss_kb for s in self.samples) / 1024

    @property
    def main_mb(self) -> float:
        return max(s.main_kb for s in self.samples) / 1024


def run_once(command: Sequence[str], cwd: str, ok: Sequence[int] = (0, 1)) -> Sample:
    for attempt in range(3):
        try:
            return _run_once(command, cwd, ok)
        except RuntimeError as exc:
            if attempt == 2:
                raise
            log(f"warning: retrying in 10 s: {exc}")
            time.sleep(10)
    raise AssertionError("unreachable")


def _run_once(command: Sequence[str], cwd: str, ok: Sequence[int]) -> Sample:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err,
                                stdin=subprocess.DEVNULL)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            message = f"{' '.join(command)} exited {proc.returncode}:\n{tail}"
            # a usage or configuration error is not a measurement
            if proc.returncode not in ok or "Traceback" in tail or ": error:" in tail:
                raise RuntimeError(message)
            log("warning: " + message)
    return Sample(wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, sampler.main_kb, sampler.worker_kb,
                  sampler.worker_uss_kb, proc.returncode)


class _TreeSampler(threading.Thread):
    """High-water marks (VmHWM) of a process and its descendants, read from /proc while they run.
    ``ru_maxrss`` cannot tell the main process from its workers; this can. A forked worker's RSS
    also counts the pages it shares with its parent (the files the parent has read), so the
    private memory (USS) of the workers is sampled too."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.main_kb = 0
        self.worker_kb = 0
        self.worker_uss_kb = 0
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.is_set():
            self.main_kb = max(self.main_kb, _hwm(self.pid))
            for child in _descendants(self.pid):
                self.worker_kb = max(self.worker_kb, _hwm(child))
                self.worker_uss_kb = max(self.worker_uss_kb, _uss(child))
            self._done.wait(0.02)


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _uss(pid: int) -> int:
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1])
    except (OSError, ValueError):
        return 0
    return total


def _descendants(pid: int) -> List[int]:
    out: List[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                kids = [int(k) for k in handle.read().split()]
        except (OSError, ValueError):
            kids = []
        out.extend(kids)
        todo.extend(kids)
    return out


def measure(row: Row, repeats: int, cwd: str, ok: Sequence[int] = (0, 1), before=None) -> Row:
    for i in range(repeats):
        if before is not None:
            before()
        sample = run_once(row.command, cwd, ok)
        row.samples.append(sample)
        if sample.wall > SLOW_SECONDS and i == 0:
            break
    runs = len(row.samples)
    log(f"{row.name:<48} {row.wall:8.2f} s wall {row.cpu:8.2f} s CPU ({runs} run{'s' if runs > 1 else ''}, "
        f"peak {row.peak_mb:.0f} MB)")
    return row


def tool_version(command: Sequence[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = " ".join((out.stdout or out.stderr).split())  # flake8 wraps its plugin list
    return text or "?"


# --------------------------------------------------------------------------- the run
def leaklint_command() -> List[str]:
    return [venv_bin("leaklint", "leaklint")]


def benchmark(args: argparse.Namespace, packages: Dict[str, Dict[str, int]]) -> Tuple[List[Row], Dict[str, str], List[Row]]:
    repeats = 1 if args.quick else args.repeats
    lines = sum(p["lines"] for p in packages.values())
    src = SOURCES
    work = tempfile.mkdtemp(prefix="leaklint-bench-")  # cwd: no config, caches land here
    ll = leaklint_command()
    lint = [*ll, "check", "--quiet", "--exit-zero"]
    # with --exit-zero leaklint exits 0, or 2 when a rule raised on some file (LL002: still timed,
    # and logged); 1 would be a crash
    ll_ok = (0, 2)
    rows: List[Row] = []
    versions: Dict[str, str] = {"leaklint": tool_version([*ll, "--version"])}

    def add(name: str, command: List[str], n_lines: int = lines, reps: int = repeats, ok=(0, 1), before=None,
            note: str = "") -> Row:
        row = measure(Row(name, command, n_lines, note=note), reps, work, ok, before)
        rows.append(row)
        return row

    cold = add("leaklint cold (--no-cache, default jobs)", [*lint, "--no-cache", src], ok=ll_ok)
    add("leaklint cold (--no-cache, --jobs 1)", [*lint, "--no-cache", "--jobs", "1", src], ok=ll_ok)
    cache_dir = os.path.join(work, ".leaklint_cache")
    shutil.rmtree(cache_dir, ignore_errors=True)
    run_once([*lint, src], work, ll_ok)  # fills the cache
    add("leaklint warm (cache kept)", [*lint, src], ok=ll_ok)
    # the same, after an edit: the last run cannot be replayed, each file's entry is checked instead
    touched = os.path.join(src, "flower", "flower", "__init__.py")

    def touch() -> None:
        os.utime(touched, None)  # a new mtime, the same content: only that file is read again

    add("leaklint warm, one file touched (per-file cache)", [*lint, src], ok=ll_ok, before=touch)
    add("leaklint --fix --diff --unsafe-fixes (libcst)",
        [*lint, "--no-cache", "--fix", "--diff", "--unsafe-fixes", src], ok=ll_ok)
    floor = os.path.join(HERE, "floor.py")
    add("floor: read + ast.parse, 2 processes", [sys.executable, floor, "parse", "--jobs", "2", src])
    walk2 = add("floor: ast.parse + walk, 2 processes", [sys.executable, floor, "walk", "--jobs", "2", src])
    add("floor: ast.parse + walk, 1 process", [sys.executable, floor, "walk", "--jobs", "1", src])

    if not args.no_peers:
        peers = lambda tool: venv_bin("peers", tool)  # noqa: E731
        versions.update({
            "ruff": tool_version([peers("ruff"), "--version"]),
            "flake8": tool_version([peers("flake8"), "--version"]),
            "pylint": tool_version([peers("pylint"), "--version"]),
            "bandit": tool_version([peers("bandit"), "--version"]),
            "semgrep": tool_version([peers("semgrep"), "--version"]),
            "flake8 (flake8-async venv)": tool_version([venv_bin("flake8-async", "flake8"), "--version"]),
        })
        add("ruff --select S113,ASYNC,B019,RUF006,SIM115",
            [peers("ruff"), "check", "--no-cache", "--isolated", "--exit-zero", "--quiet",
             "--select", "S113,ASYNC,B019,RUF006,SIM115", src])
        add("semgrep, one rule (requests without timeout)",
            [peers("semgrep"), "scan", "--config", os.path.join(HERE, "rules", "requests-without-timeout.yml"),
             "--metrics=off", "--disable-version-check", "--quiet", src])
        add("bandit -t B113", [peers("bandit"), "-q", "-r", "-t", "B113", src])
        add("flake8 + flake8-bugbear (--select B)",
            [peers("flake8"), "--isolated", "--exit-zero", "--select", "B", src])
        add("pylint missing-timeout, consider-using-with",
            [peers("pylint"), "--disable=all", "--enable=missing-timeout,consider-using-with",
             "--exit-zero", "--recursive=y", src])
        subset = [os.path.join(src, name) for name in ASYNC_SUBSET]
        subset_lines = sum(packages[name]["lines"] for name in ASYNC_SUBSET)
        sub_ll = add("leaklint cold on the flake8-async subset", [*lint, "--no-cache", *subset],
                     n_lines=subset_lines, ok=ll_ok)
        sub_async = add("flake8 + flake8-async (--select ASYNC), subset",
                        [venv_bin("flake8-async", "flake8"), "--isolated", "--exit-zero", "--select", "ASYNC", *subset],
                        n_lines=subset_lines, reps=1)
        extrapolated = Row("flake8 + flake8-async, full corpus (extrapolated)", [], lines,
                           note=f"subset time x {lines / subset_lines:.1f} (lines); measured ratio on the "
                                f"subset: {sub_async.wall / sub_ll.wall:.0f}x")
        scale = lines / subset_lines
        extrapolated.samples.append(Sample(sub_async.wall * scale, sub_async.samples[0].peak_kb, sub_async.cpu * scale))
        rows.append(extrapolated)
        add("flake8 alone (default checks)", [venv_bin("flake8-plain", "flake8"), "--isolated", "--exit-zero", src],
            reps=1)
        if has_flake8_plugin():
            f8 = venv_bin("flake8-leaklint", "flake8")
            versions["flake8 + leaklint plugin"] = tool_version([f8, "--version"])
            add("flake8 + leaklint plugin (default checks + LL)",
                [f8, "--isolated", "--exit-zero", "--extend-select", "LL", src], reps=1)

    scaling: List[Row] = []
    if not args.quick and not args.no_scaling:
        for factor in (1, 2, 4):
            path = SOURCES if factor == 1 else copies(factor)
            row = measure(Row(f"leaklint cold, corpus x{factor}", [*lint, "--no-cache", path], lines * factor),
                          1 if factor > 1 else repeats, work, ll_ok)
            scaling.append(row)
    shutil.rmtree(work, ignore_errors=True)
    del cold, walk2
    return rows, versions, scaling


# --------------------------------------------------------------------------- report
def machine() -> Dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "?"
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            memory = f"{int(handle.readline().split()[1]) / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {"CPU": cpu, "cores": str(os.cpu_count()), "memory": memory,
            "Python": platform.python_version(), "OS": platform.platform()}


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def _ratio(value: float) -> str:
    return f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"


def targets(rows: List[Row], scaling: List[Row]) -> List[str]:
    """The targets of the performance work, checked against this run's rows."""
    by_name = {row.name: row for row in rows}
    cold = rows[0]
    out = ["| Target | Measured | Met |", "| --- | --- | --- |"]

    def add(target: str, measured: str, met: bool) -> None:
        out.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")

    floor = by_name.get("floor: ast.parse + walk, 2 processes")
    if floor:
        add("cold, every rule, at most 3x an `ast.parse` + walk pass in 2 processes",
            f"{cold.wall / floor.wall:.2f}x wall, {cold.cpu / floor.cpu:.2f}x CPU", cold.wall <= 3 * floor.wall)
    for name, factor, label in (("flake8 + flake8-bugbear (--select B)", 5, "flake8 + bugbear"),
                                ("pylint missing-timeout, consider-using-with", 10, "pylint's two checkers")):
        peer = by_name.get(name)
        if peer:
            add(f"at least {factor}x faster than {label}",
                f"{peer.wall / cold.wall:.1f}x wall, {peer.cpu / cold.cpu:.1f}x CPU", peer.wall >= factor * cold.wall)
    semgrep = by_name.get("semgrep, one rule (requests without timeout)")
    if semgrep:
        add("faster than semgrep running one rule",
            f"{semgrep.wall / cold.wall:.2f}x wall, {semgrep.cpu / cold.cpu:.2f}x CPU", semgrep.wall > cold.wall)
    warm = by_name.get("leaklint warm (cache kept)")
    if warm:
        add("warm run at most 5% of cold", f"{100 * warm.wall / cold.wall:.1f}% wall ({_seconds(warm.wall)} of "
            f"{_seconds(cold.wall)}), {100 * warm.cpu / cold.cpu:.1f}% CPU", warm.wall <= 0.05 * cold.wall)
    if scaling:
        worker = max(row.worker_mb for row in scaling)
        add("peak memory per worker under 300 MB", f"{worker:.0f} MB RSS at most, x1 to {scaling[-1].name.rsplit(' ', 1)[-1]}",
            worker < 300)
        cpu = " / ".join(f"{row.cpu / scaling[0].cpu:.2f}" for row in scaling)
        uss = " / ".join(f"{row.worker_uss_mb:.0f}" for row in scaling)
        linear = all(abs(row.cpu / scaling[0].cpu - row.lines / scaling[0].lines) <= 0.15 * row.lines / scaling[0].lines
                     for row in scaling)
        add("time linear in the corpus, memory per worker flat",
            f"CPU {cpu} at x1 / x2 / x4; worker private memory {uss} MB", linear)
    return out


def table(rows: List[Row], reference: Row) -> List[str]:
    out = ["| Tool | Median wall | CPU (user+sys) | Runs | Lines/s | Peak RSS (largest process) "
           "| Wall ratio to leaklint cold | CPU ratio |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        same = row.lines == reference.lines
        ratio = _ratio(row.wall / reference.wall) if same else "(subset)"
        cpu_ratio = _ratio(row.cpu / reference.cpu) if same and reference.cpu else "(subset)"
        runs = "extrapolated" if not row.command else str(len(row.samples))
        name = row.name + (f" ({row.note})" if row.note else "")
        out.append(f"| {name} | {_seconds(row.wall)} | {_seconds(row.cpu)} | {runs} | {row.lines / row.wall:,.0f} | "
                   f"{row.peak_mb:.0f} MB | {ratio} | {cpu_ratio} |")
    return out


def render(rows: List[Row], versions: Dict[str, str], scaling: List[Row],
           packages: Dict[str, Dict[str, int]]) -> str:
    reference = rows[0]
    files = sum(p["files"] for p in packages.values())
    lines = sum(p["lines"] for p in packages.values())
    out = [START, "", f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average "
           f"{LOAD['start']} at the start, {LOAD['end']} at the end.", "", "### Machine", ""]
    out += [f"- {k}: {v}" for k, v in machine().items()]
    out += ["", "### Corpus", "", "| Package | Files | Lines |", "| --- | ---: | ---: |"]
    out += [f"| {name}=={p['version']} | {p['files']} | {p['lines']:,} |" for name, p in packages.items()]
    out += [f"| total | {files} | {lines:,} |", "", "### Tools", ""]
    out += [f"- {k}: {v}" for k, v in versions.items()]
    out += ["", "### Results", "",
            "Ratio = the tool's median wall time / leaklint cold with default jobs, same run, same files; "
            "below 1 is faster than leaklint.", ""]
    out += table(rows, reference)
    if scaling:
        base = scaling[0]
        out += ["", "### Scaling", "",
                "| Corpus | Lines | Wall | CPU | CPU / x1 CPU | Main process peak RSS | Largest worker peak RSS "
                "| Largest worker private (USS) |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in scaling:
            out.append(f"| {row.name.rsplit(' ', 1)[-1]} | {row.lines:,} | {_seconds(row.wall)} | {_seconds(row.cpu)} | "
                       f"{row.cpu / base.cpu:.2f} | {row.main_mb:.0f} MB | {row.worker_mb:.0f} MB | "
                       f"{row.worker_uss_mb:.0f} MB |")
    out += ["", "### Targets", ""]
    out += targets(rows, scaling)
    out += ["", END]
    return "\n".join(out)


def write_doc(block: str) -> None:
    os.makedirs(os.path.dirname(DOC), exist_ok=True)
    text = ""
    if os.path.exists(DOC):
        with open(DOC, encoding="utf-8") as handle:
            text = handle.read()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = "# Benchmarks\n\n" + block + "\n" + text
    with open(DOC, "w", encoding="utf-8") as handle:
        handle.write(text)


LOAD: Dict[str, str] = {"start": "?", "end": "?"}


def _load() -> str:
    """Other work on the machine inflates wall times (not CPU times): the report says how much."""
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs per fast tool (median reported)")
    parser.add_argument("--quick", action="store_true", help="one run per tool, no scaling")
    parser.add_argument("--no-peers", action="store_true", help="leaklint and the floor only")
    parser.add_argument("--no-scaling", action="store_true", help="skip the x1/x2/x4 scaling run")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {os.path.relpath(DOC, REPO)}")
    args = parser.parse_args()
    packages = build_corpus()
    build_leaklint()
    if not args.no_peers:
        build_venvs(has_flake8_plugin())
    LOAD["start"] = _load()
    rows, versions, scaling = benchmark(args, packages)
    LOAD["end"] = _load()
    block = render(rows, versions, scaling, packages)
    print(block)
    if not args.no_write:
        write_doc(block)
        log(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

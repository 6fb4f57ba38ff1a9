"""The analyse step: read and hash each file, take what the per-file cache still vouches for,
analyse the rest in workers (``leaklint.run.workers``), index the project and resolve the deferred
findings against it. Returns a ``RunResult``; fixing and reporting are later steps."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple

from leaklint.config import registry
from leaklint.files import source as source_module
from leaklint.cache.digest import digest_of
from leaklint.cache.folder import RACY_NS
from leaklint.files.discovery import module_name_for
from leaklint.findings import Finding
from leaklint.fixes.select import without_displaced_fixes

if TYPE_CHECKING:  # the rest is imported when a run is not the last one again
    from leaklint.cache.store import Cache
    from leaklint.config.settings import Settings
    from leaklint.analysis.results import FileResult
    from leaklint.semantic.project import ProjectIndex


@dataclass
class Job:
    path: str  # where to read it
    display: str  # how to report it
    module: str = ""
    is_package: bool = False
    raw: Optional[bytes] = None
    stat: Optional[os.stat_result] = None  # as discovery found it, when it did


@dataclass
class RunResult:
    findings: List[Finding]
    files: int
    results: Dict[str, FileResult]
    sources: Dict[str, str] = field(default_factory=dict)  # display -> path on disk
    cache_hits: int = 0
    timings: Dict[str, float] = field(default_factory=dict)
    internal_errors: int = 0
    index: Optional[ProjectIndex] = None
    reused: bool = False  # the findings of the last identical run (no results, no index)
    # every file's result comes from content its stat vouches for (``_confirmed``)
    confirmed: bool = False
    digests: Dict[str, str] = field(default_factory=dict)  # display -> digest of the content analysed
    cache: Optional[Cache] = None  # where computed fix edits are remembered

    def remember_edits(self, findings: Sequence[Finding]) -> None:
        """Keep the fix edits computed for ``findings`` in the per-file cache, beside the findings
        they belong to, so later runs over the same content need not compute them again."""
        if self.cache is not None and self.cache.remember_edits(findings):
            self.cache.save()


def read_jobs(jobs: List[Job], cache: Cache) -> Tuple[List[Tuple[Job, Optional[str]]], Dict[str, Tuple[int, int, int]],
                                                     Dict[str, os.stat_result]]:
    """Read each file once in the main process so its content hash can hit the cache; a file
    whose size and mtime match its cache entry is not read at all. Returns the digests, per file
    read its (size, mtime_ns, read_ns), and the stat of each file not read."""
    out = []
    stats: Dict[str, Tuple[int, int, int]] = {}
    skipped: Dict[str, os.stat_result] = {}
    for job in jobs:
        if job.raw is None:
            try:
                st = job.stat if job.stat is not None else os.stat(job.path)
                if not stat.S_ISREG(st.st_mode):
                    raise OSError("not a regular file")  # never block on a FIFO or device
                if st.st_size > source_module.MAX_FILE_BYTES:
                    raise OSError("too large")  # the worker refuses it without reading it
                known = cache.unchanged_digest(job.display, st.st_size, st.st_mtime_ns)
                if known is not None:
                    skipped[job.display] = st
                    out.append((job, known))
                    continue
                _read(job, st, stats)
            except OSError:
                out.append((job, None))  # the worker reports why
                continue
        out.append((job, digest_of(job.raw)))
    return out, stats, skipped


def _read(job: Job, st: os.stat_result, stats: Dict[str, Tuple[int, int, int]]) -> None:
    read_ns = time.time_ns()
    with open(job.path, "rb") as handle:
        job.raw = handle.read()
    if len(job.raw) == st.st_size:
        stats[job.display] = (st.st_size, st.st_mtime_ns, read_ns)


def analyse_jobs(paths_or_jobs: Sequence[Job], settings: Settings, workers: int = 0, use_cache: bool = True,
                 timings: bool = False) -> RunResult:
    """Analyse the jobs' files (or take them from the cache) and resolve deferred findings."""
    # imported here: a replayed run needs neither the per-file cache nor the project index
    from leaklint.cache.store import Cache, modules_tag
    from leaklint.semantic.project import ProjectIndex
    from leaklint.run.workers import analyse_in_workers  # imported here: a replayed run starts no worker

    t_start = time.perf_counter()
    phase: Dict[str, float] = {}
    work = list(paths_or_jobs)
    packages: Dict[str, str] = {}
    for job in work:
        if not job.module:
            job.module, job.is_package = module_name_for(job.path, packages)
    project_modules = tuple(sorted({j.module for j in work if j.module}))
    module_set = frozenset(project_modules)
    cache = Cache(settings.root, settings.fingerprint(), enabled=use_cache)

    t0 = time.perf_counter()
    hashed, stats, skipped = read_jobs(work, cache)
    phase["read"] = time.perf_counter() - t0

    results: Dict[str, FileResult] = {}
    todo: List[Job] = []

    tag = modules_tag(project_modules)
    hits = 0
    for job, digest in hashed:
        cached = cache.usable(job.display, digest, tag, module_set) if digest else None
        if cached is not None:
            hits += 1
            results[job.display] = cached
            if job.display in stats:
                cache.restat(job.display, stats[job.display])  # next time, its stat will do
                job.raw = None  # read only for its hash: do not hold every file of the tree
        else:
            if job.display in skipped:  # unchanged, but its entry is unusable: read it here so
                try:                    # the new entry records its stat
                    _read(job, skipped[job.display], stats)
                except OSError:
                    pass  # the worker reports why
            todo.append(job)

    t1 = time.perf_counter()
    for result in analyse_in_workers(todo, settings, project_modules, workers, timings):
        results[result.path] = result
        cache.put(result, stats.get(result.path), tag)
        if timings:
            for k, v in result.timings.items():
                phase[k] = phase.get(k, 0.0) + v
    phase["analyse (wall)"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    index = ProjectIndex()
    modules_by_display = {j.display: j.module for j in work}
    for display, result in results.items():
        index.add(modules_by_display.get(display, ""),
                  result.summary_text if result.summary_text is not None else result.summary)
    findings: List[Finding] = []
    for result in results.values():
        findings.extend(result.findings)
        findings.extend(resolve_deferred(index, result.deferred))
    phase["project index"] = time.perf_counter() - t2

    cache.prune({j.display for j in work})
    cache.save()
    findings = without_displaced_fixes(findings)
    findings.sort(key=lambda f: f.sort_key)
    phase["total"] = time.perf_counter() - t_start
    return RunResult(
        findings=findings, files=len(work), results=results,
        sources={j.display: j.path for j in work}, cache_hits=hits, timings=phase,
        internal_errors=sum(1 for f in findings if f.code == "LL002"), index=index,
        confirmed=use_cache and _confirmed(work, stats, skipped, results),
        digests={d: r.digest for d, r in results.items() if r.digest}, cache=cache if use_cache else None,
    )


def _confirmed(work: List[Job], stats: Dict[str, Tuple[int, int, int]], skipped: Dict[str, os.stat_result],
               results: Dict[str, FileResult]) -> bool:
    """Whether every file's result comes from content its stat vouches for: read in this run long
    enough after its last change, or found unchanged by that stat against an entry that was."""
    for job in work:
        if job.raw is not None and job.display not in stats:
            return False  # standard input
        result = results.get(job.display)
        if result is None or not result.cacheable:
            return False
        if job.display in skipped and job.display not in stats:
            continue
        read = stats.get(job.display)
        if read is None or job.stat is None or (read[0], read[1]) != (job.stat.st_size, job.stat.st_mtime_ns):
            return False
        if read[2] - read[1] < RACY_NS:
            return False
    return True


def resolve_deferred(index: ProjectIndex, deferred) -> List[Finding]:
    """The deferred findings whose condition holds in the project index."""
    out: List[Finding] = []
    for item in deferred:
        kind, *args = item.condition
        resolver = _resolver(kind)
        if resolver is None:
            continue
        fields = resolver(index, *args)
        if fields is None:
            continue
        finding = item.finding
        try:
            message = finding.message.format(**fields)
        except (KeyError, IndexError, ValueError):
            message = finding.message
        out.append(Finding(finding.path, finding.line, finding.column, finding.end_line,
                           finding.end_column, finding.code, message, finding.fix, finding.fingerprint))
    return out


_RESOLVERS: Dict[str, Optional[Callable[..., Any]]] = {}  # noqa: LL302 one entry per kind of deferred finding


def _resolver(kind: str) -> Optional[Callable[..., Any]]:
    """The function deciding deferred findings of ``kind``. Only the family that defers it is
    imported: a run served from the cache imports none it does not need."""
    if kind not in _RESOLVERS:
        where = registry.RESOLVERS.get(kind)
        if where is not None:
            from importlib import import_module

            module, name = where
            classes: Sequence[type] = (getattr(import_module(module), name),)
        else:
            from leaklint.checks import checker_classes

            classes = checker_classes()  # a checker the registry does not know (a test's)
        _RESOLVERS[kind] = next((cls.resolvers[kind] for cls in classes  # type: ignore[attr-defined]
                                 if kind in cls.resolvers), None)  # type: ignore[attr-defined]
    return _RESOLVERS[kind]

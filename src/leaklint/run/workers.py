"""The analyse step's worker processes: how many, what each holds, and how the files are dealt
to them. A warm run, or a run on a handful of files, never starts a pool."""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, List, Tuple

from leaklint.findings import Finding

if TYPE_CHECKING:
    from leaklint.analysis.results import FileResult
    from leaklint.config.catalogue import Catalogue
    from leaklint.config.settings import Settings
    from leaklint.run.analyse import Job

MIN_FILES_PER_WORKER = 8


@dataclass
class _State:
    """What each worker process holds for every file it analyses."""

    settings: Settings
    catalogue: Catalogue
    project_modules: Tuple[str, ...]
    timings: bool


_WORKER: List[_State] = []  # this process's state, once ``_init_worker`` ran


def _init_worker(settings: Settings, project_modules: Tuple[str, ...], timings: bool) -> None:
    from leaklint.config.catalogue import Catalogue  # imported here: a warm run loads no catalogue

    _WORKER[:] = [_State(settings, Catalogue(settings.catalogue_extensions), project_modules, timings)]


def _run_job(job: Job) -> FileResult:
    from leaklint.analysis.file import analyse_file  # imported here: a warm run imports no rule family

    state = _WORKER[0]
    return analyse_file(job.path, job.display, state.settings, state.catalogue, job.module, job.is_package,
                        state.project_modules, job.raw, timings=state.timings)


def _run_chunk(jobs: List[Job]) -> List[FileResult]:
    with _collect_per_file():
        return [_collected(_run_job(job)) for job in jobs]


@contextmanager
def _collect_per_file():
    """Run with the automatic cyclic collector off, collecting once after each file instead.

    ``ast.parse`` allocates tens of thousands of nodes per file; each 700 allocations the
    collector would scan the young objects and, every so often, every live object of the process:
    about 40% of the CPU time of an analysis. Trees and models are freed by reference counting
    (``Model.release``); the collection after each file only catches cycles a rule may create."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _collected(result: FileResult) -> FileResult:
    gc.collect(0)
    return result


def analyse_in_workers(todo: List[Job], settings: Settings, project_modules: Tuple[str, ...],
                       workers: int, timings: bool) -> Iterator[FileResult]:
    """Analyse ``todo`` with ``workers`` processes (0: one per CPU), in this process when a pool
    would not pay for itself; a worker that dies costs only the results of its own files."""
    if not todo:
        return  # a warm run: loading the catalogues for nothing would cost a tenth of it
    workers = workers if workers > 0 else (os.cpu_count() or 1)
    workers = min(workers, max(1, len(todo) // MIN_FILES_PER_WORKER))
    if workers <= 1 or len(todo) <= 1:
        _init_worker(settings, project_modules, timings)
        for job in todo:
            with _collect_per_file():
                result = _collected(_run_job(job))
            yield result
        return
    # chunks keep inter-process traffic low; sorted by size so the big files start first
    todo = sorted(todo, key=lambda j: -len(j.raw or b""))
    chunk_count = workers * 8
    chunks = [todo[i::chunk_count] for i in range(chunk_count)]
    chunks = [c for c in chunks if c]
    pending = list(chunks)
    # imported here: a warm run, or a run on a handful of files, never starts a process pool
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(settings, project_modules, timings)) as pool:
            futures = [(chunk, pool.submit(_run_chunk, chunk)) for chunk in chunks]
            for chunk, future in futures:
                try:
                    batch = future.result()
                except BrokenProcessPool:
                    break
                pending.remove(chunk)
                yield from batch
    except BrokenProcessPool:
        pass
    # files whose worker died: run each alone so one bad file costs only its own results
    for chunk in pending:
        for job in chunk:
            yield _isolated(job, settings, project_modules, timings)


def _isolated(job: Job, settings: Settings, project_modules: Tuple[str, ...], timings: bool) -> FileResult:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from leaklint.analysis.results import FileResult

    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    try:
        with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker,
                                 initargs=(settings, project_modules, timings)) as pool:
            # analysing one file waits on no peer and always ends: a timeout would only cut a large file short
            return pool.submit(_run_job, job).result()  # noqa: LL101
    except BrokenProcessPool:
        result = FileResult(job.display, cacheable=False)
        result.findings.append(Finding(job.display, 1, 1, 1, 1, "LL002",
                                       "internal error: the worker process analysing this file died"))
        return result

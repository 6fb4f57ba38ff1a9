"""Fix a run's files: apply, re-check until nothing more is fixable, then write or diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from leaklint.analysis.file import analyse_file
from leaklint.cache.digest import digest_of
from leaklint.config.catalogue import Catalogue
from leaklint.run.analyse import Job, RunResult, resolve_deferred
from leaklint.findings import Finding, Safety
from leaklint.fixes.apply import Parsed, fix_text, with_edits
from leaklint.fixes.writer import WriteError, write_atomic
from leaklint.files.source import Source, SourceError, decode, split_lines

MAX_PASSES = 4


@dataclass
class FixOutcome:
    findings: List[Finding]
    fixed: int = 0
    diff: str = ""
    stdin_text: Optional[str] = None


def _reanalyse(job: Job, text: str, source: Source, settings, catalogue, run: RunResult) -> List[Finding]:
    raw = text.encode(source.encoding)
    result = analyse_file(job.path, job.display, settings, catalogue, job.module, job.is_package,
                          tuple(run.index.modules) if run.index else (), raw=raw)
    return result.findings + (resolve_deferred(run.index, result.deferred) if run.index else [])


@dataclass
class FileFix:
    """One file's fixes, computed: the text read, the fixed text, its findings after fixing."""

    source: Source
    text: str
    findings: List[Finding]
    applied: int = 0
    failures: List[Tuple[Finding, str]] = field(default_factory=list)


def fix_one(job: Job, findings: List[Finding], settings, catalogue, run: RunResult, unsafe: bool) -> Optional[FileFix]:
    """Apply the fixes of one file, re-analysing after each pass until nothing more is fixable;
    ``None`` when the file cannot be read again. Writes nothing."""
    try:
        source = decode(job.display, job.raw) if job.raw is not None else None
        if source is None:
            with open(job.path, "rb") as handle:
                source = decode(job.display, handle.read())
    except (OSError, SourceError):
        return None
    outcome = FileFix(source, source.text, findings)
    for _ in range(MAX_PASSES):
        new_text, applied, failed = fix_text(outcome.text, outcome.findings, unsafe)
        outcome.failures = failed
        if not applied:
            break
        try:
            new_text.encode(source.encoding)
        except UnicodeEncodeError as exc:  # e.g. a non-ASCII timeout expression in an ASCII file
            outcome.failures = failed + [(f, f"the fixed text cannot be encoded as {source.encoding}: {exc.reason}")
                                         for f in applied]
            break
        outcome.applied += len(applied)
        outcome.text = new_text
        outcome.findings = _reanalyse(job, new_text, source, settings, catalogue, run)
    return outcome


def fix_files(run: RunResult, jobs: List[Job], settings, options, write: bool) -> FixOutcome:
    by_path: Dict[str, List[Finding]] = {}
    for f in run.findings:
        by_path.setdefault(f.path, []).append(f)
    catalogue = Catalogue(settings.catalogue_extensions)
    out: List[Finding] = []
    diffs: List[str] = []
    fixed_total = 0
    stdin_text = None
    to_fix = [job for job in jobs if any(f.fix is not None and (f.fix.safety is Safety.SAFE or options.unsafe_fixes)
                                         for f in by_path.get(job.display, []))]
    computed = _fix_all(to_fix, by_path, settings, catalogue, run, options)
    for job in jobs:
        findings = by_path.get(job.display, [])
        is_stdin = job.raw is not None and job.path == job.display and not _exists(job.path)
        if job.display not in computed:
            out.extend(findings)
            if is_stdin:
                stdin_text = _text_of(job)
            continue
        outcome = computed[job.display]
        if outcome is None:  # could not be read again
            out.extend(findings)
            continue
        source, text, current = outcome.source, outcome.text, outcome.findings
        for finding, reason in outcome.failures:
            out.append(_not_applied(finding, reason))
        if text == source.text:
            out.extend(current)
            if is_stdin:
                stdin_text = text
            continue
        if is_stdin:
            stdin_text = text
        if options.diff or not write:
            diffs.append(_unified(job.display, source.text, text))
            out.extend(current)
            fixed_total += outcome.applied
            continue
        try:
            write_atomic(job.path, source, text, read_only_too=options.fix_read_only)
        except WriteError as exc:
            out.extend(findings)
            out.append(Finding(job.display, 1, 1, 1, 1, "LL003", f"fixes not written: {exc}"))
            continue
        fixed_total += outcome.applied
        out.extend(current)
    out.sort(key=lambda f: f.sort_key)
    return FixOutcome(findings=out, fixed=fixed_total, diff="".join(diffs), stdin_text=stdin_text)


# what forked workers computing fixes share with the main process
_SHARED: Dict[str, Any] = {}


def _fix_all(jobs: List[Job], by_path: Dict[str, List[Finding]], settings, catalogue, run: RunResult,
             options) -> Dict[str, Optional[FileFix]]:
    """Each file's fixes, computed in worker processes when there are several files (the libcst
    passes and re-analyses of one file do not depend on another's); written by the caller."""
    shared = {"by_path": by_path, "settings": settings, "catalogue": catalogue, "run": run,
              "unsafe": options.unsafe_fixes}
    return dict(_in_workers(_fix_in_worker, jobs, options.workers, shared, lambda job: (
        job.display, fix_one(job, by_path[job.display], settings, catalogue, run, options.unsafe_fixes))))


def _in_workers(worker: Callable[[Any], Any], items: List[Any], workers: int, shared: Dict[str, Any],
                here: Callable[[Any], Any]) -> List[Any]:
    """``worker`` over ``items`` in forked processes that share ``shared`` (``here`` does the same
    in this process): ``workers`` processes (0: one per CPU), none for a single item. An item whose
    worker died, or that would not pickle, is done here."""
    import os

    workers = min(workers if workers > 0 else (os.cpu_count() or 1), len(items))
    if workers <= 1 or not hasattr(os, "fork"):
        return [here(item) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    _SHARED.update(shared)
    done: List[Any] = []
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for result in pool.map(worker, items):
                done.append(result)
    except Exception:  # a worker died (BrokenProcessPool), or an item would not pickle:
        pass  # the items left are done here, one by one
    finally:
        _SHARED.clear()
    return done + [here(item) for item in items[len(done):]]


def _fix_in_worker(job: Job) -> Tuple[str, Optional[FileFix]]:
    shared = _SHARED
    return job.display, fix_one(job, shared["by_path"][job.display], shared["settings"], shared["catalogue"],
                                shared["run"], shared["unsafe"])


def _exists(path: str) -> bool:
    import os

    return os.path.isfile(path)


def _text_of(job: Job) -> str:
    try:
        return decode(job.display, job.raw or b"").text
    except SourceError:
        return (job.raw or b"").decode("utf-8", errors="replace")


def _not_applied(finding: Finding, reason: str) -> Finding:
    return Finding(finding.path, finding.line, finding.column, finding.end_line, finding.end_column,
                   "LL003", f"fix for {finding.code} not applied: {reason}")


def _unified(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(split_lines(old), split_lines(new),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
    return text


def attach_edits(findings: List[Finding], run: RunResult, workers: int = 0) -> List[Finding]:
    """Compute concrete edits for JSON/SARIF output, parsing with libcst only the files that need
    it, once each; in worker processes when there are several."""
    by_path: Dict[str, List[Finding]] = {}
    for f in findings:
        if f.fix is not None and not f.fix.edits:  # without its edits yet (they may come from the cache)
            by_path.setdefault(f.path, []).append(f)
    work = list(by_path.items())
    computed: Dict[str, List[Finding]] = dict(_in_workers(_edits_in_worker, work, workers, {"run": run},
                                                          lambda item: (item[0], _edits_of_file(*item, run))))
    edited = {id(old): new for path, olds in by_path.items() for old, new in zip(olds, computed[path])}
    return [edited.get(id(f), f) for f in findings]


def _edits_of_file(path: str, findings: List[Finding], run: RunResult) -> List[Finding]:
    """``findings`` of one file with the edits of their fixes, or as they are when the file cannot
    be read or parsed, or changed since it was analysed (its findings' positions no longer hold)."""
    try:
        with open(run.sources.get(path, path), "rb") as handle:
            raw = handle.read()
        expected = run.digests.get(path)
        if expected and digest_of(raw) != expected:
            return findings
        parsed = Parsed(decode(path, raw).text)
    except Exception:  # unreadable, undecodable, or libcst cannot parse it
        return findings
    return [with_edits(parsed, f) for f in findings]


def _edits_in_worker(item: Tuple[str, List[Finding]]) -> Tuple[str, List[Finding]]:
    return item[0], _edits_of_file(item[0], item[1], _SHARED["run"])

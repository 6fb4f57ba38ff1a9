"""Fix a run's files: apply, re-check until nothing more is fixable, then write or diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Dict, List, Optional

from leaklint.analysis import analyse
from leaklint._digest import digest_of
from leaklint.catalogue import Catalogue
from leaklint.engine import Job, RunResult, resolve_deferred
from leaklint.findings import Finding
from leaklint.fixes.apply import Parsed, fix_text, with_edits
from leaklint.fixes.writer import WriteError, write_atomic
from leaklint.source import Source, SourceError, decode, split_lines

MAX_PASSES = 4


@dataclass
class FixOutcome:
    findings: List[Finding]
    fixed: int = 0
    diff: str = ""
    stdin_text: Optional[str] = None


def _reanalyse(job: Job, text: str, source: Source, settings, catalogue, run: RunResult) -> List[Finding]:
    raw = text.encode(source.encoding)
    result = analyse(job.path, job.display, settings, catalogue, job.module, job.is_package,
                     tuple(run.index.modules) if run.index else (), raw=raw)
    return result.findings + (resolve_deferred(run.index, result.deferred) if run.index else [])


def fix_files(run: RunResult, jobs: List[Job], settings, options, write: bool) -> FixOutcome:
    by_path: Dict[str, List[Finding]] = {}
    for f in run.findings:
        by_path.setdefault(f.path, []).append(f)
    catalogue = Catalogue(settings.catalogue_extensions)
    out: List[Finding] = []
    diffs: List[str] = []
    fixed_total = 0
    stdin_text = None
    for job in jobs:
        findings = by_path.get(job.display, [])
        fixable = [f for f in findings if f.fix is not None and (f.fix.safety == "safe" or options.unsafe_fixes)]
        is_stdin = job.raw is not None and job.path == job.display and not _exists(job.path)
        if not fixable:
            out.extend(findings)
            if is_stdin:
                stdin_text = _text_of(job)
            continue
        try:
            source = decode(job.display, job.raw) if job.raw is not None else None
            if source is None:
                with open(job.path, "rb") as handle:
                    source = decode(job.display, handle.read())
        except (OSError, SourceError):
            out.extend(findings)
            continue
        text = source.text
        current = findings
        applied_here = 0
        failures = []
        for _ in range(MAX_PASSES):
            new_text, applied, failed = fix_text(text, current, options.unsafe_fixes)
            failures = failed
            if not applied:
                break
            try:
                new_text.encode(source.encoding)
            except UnicodeEncodeError as exc:  # e.g. a non-ASCII timeout expression in an ASCII file
                failures = failed + [(f, f"the fixed text cannot be encoded as {source.encoding}: {exc.reason}")
                                     for f in applied]
                break
            applied_here += len(applied)
            text = new_text
            current = _reanalyse(job, text, source, settings, catalogue, run)
        for finding, reason in failures:
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
            fixed_total += applied_here
            continue
        try:
            write_atomic(job.path, source, text)
        except WriteError as exc:
            out.extend(findings)
            out.append(Finding(job.display, 1, 1, 1, 1, "LL003", f"fixes not written: {exc}"))
            continue
        fixed_total += applied_here
        out.extend(current)
    out.sort(key=lambda f: f.sort_key)
    return FixOutcome(findings=out, fixed=fixed_total, diff="".join(diffs), stdin_text=stdin_text)


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


def attach_edits(findings: List[Finding], run: RunResult) -> List[Finding]:
    """Compute concrete edits for JSON/SARIF output, parsing with libcst only the files that need it."""
    texts: Dict[str, Optional[str]] = {}
    parsed: Dict[str, Optional[Parsed]] = {}
    out = []
    for f in findings:
        if f.fix is None or f.fix.edits:  # no fix, or its edits already known (from the cache)
            out.append(f)
            continue
        if f.path not in texts:
            path = run.sources.get(f.path, f.path)
            try:
                with open(path, "rb") as handle:
                    raw = handle.read()
                expected = run.digests.get(f.path)
                # changed since it was analysed: the findings' positions no longer hold
                texts[f.path] = None if expected and digest_of(raw) != expected else decode(f.path, raw).text
            except (OSError, SourceError):
                texts[f.path] = None
        if f.path not in parsed:
            try:  # once per file, for all its fixes
                parsed[f.path] = Parsed(texts[f.path]) if texts[f.path] is not None else None
            except Exception:  # libcst cannot parse it: no edits, the findings stay
                parsed[f.path] = None
        source = parsed[f.path]
        out.append(with_edits(source, f) if source is not None else f)
    return out

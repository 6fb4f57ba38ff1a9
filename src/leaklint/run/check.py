"""What ``leaklint check`` does, from parsed options to an exit status."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import click

from leaklint.config import registry
from leaklint.config.settings import TARGET_VERSIONS, ConfigError, Settings, load_settings, validate_code
from leaklint.cache.lastrun import LastRun, Replay
from leaklint.files.discovery import DiscoveryError, Trail, discover, module_name_for
from leaklint.run.analyse import Job, RunResult, run
from leaklint.findings import SAFE, Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FILE_DIAGNOSTICS = ("LL001", "LL002", "LL003")  # about files and fixes, not code
MAX_FIX_PASSES = 4


@dataclass(frozen=True)
class Report:
    """One more report of a run: ``--report FORMAT:FILE``."""

    output_format: str
    path: str


@dataclass
class CheckOptions:
    paths: List[str]
    select: List[str] = field(default_factory=list)
    ignore: List[str] = field(default_factory=list)
    extend_select: List[str] = field(default_factory=list)
    output_format: str = "text"
    output_file: Optional[str] = None
    fix: bool = False
    unsafe_fixes: bool = False
    fix_read_only: bool = False
    fix_only: bool = False  # fix, and report only files and fixes that failed
    github_level: Optional[str] = None  # None: as configured
    reports: List[Report] = field(default_factory=list)
    diff: bool = False
    exit_zero: bool = False
    statistics: bool = False
    timings: bool = False
    config_path: Optional[str] = None
    use_cache: bool = True
    jobs: int = 0
    quiet: bool = False
    stdin_filename: Optional[str] = None
    baseline: Optional[str] = None
    write_baseline: Optional[str] = None
    diff_only: Optional[str] = None
    target_version: Optional[str] = None


def render_fix_only(problems: str, fixed: int, left: int, held_back: int) -> str:
    """``--fix-only``'s text: the problems (files not read, fixes not written) as rendered, one
    line of summary, and how many more fixes ``--unsafe-fixes`` would apply."""
    from leaklint.report.text import unsafe_hint

    noun = "finding" if left == 1 else "findings"
    summary = f"Fixed {fixed}; {left} {noun} left, reported by `leaklint check`." if left else f"Fixed {fixed}."
    hint = unsafe_hint(held_back, fixing=True)
    return problems + summary + "\n" + (hint + "\n" if hint else "")


def _held_back(findings: List[Finding], options: CheckOptions) -> int:
    """How many findings have a fix that only ``--unsafe-fixes`` would apply."""
    if options.unsafe_fixes:
        return 0
    return sum(1 for f in findings if f.fix is not None and f.fix.safety != SAFE)


def _write_report(path: str, report: str) -> Optional[str]:
    """Write one report; the error to print when it cannot be written."""
    try:
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(report)
    except OSError as exc:
        return f"{path}: cannot write: {exc.strerror}"
    return None


def _error(message: str) -> int:
    click.echo(f"leaklint: error: {message}", err=True)
    return EXIT_ERROR


def resolve_settings(options: CheckOptions) -> Settings:
    first = options.stdin_filename or (options.paths[0] if options.paths and options.paths[0] != "-" else ".")
    search_from = first if os.path.exists(first) else os.getcwd()
    settings = load_settings(options.config_path or None, search_from)
    known = registry.CODES
    for flag, values in (("--select", options.select), ("--ignore", options.ignore),
                         ("--extend-select", options.extend_select)):
        for code in values:
            validate_code(code, flag, known)
    if options.select:
        settings.select = tuple(options.select)
    if options.ignore:
        settings.ignore = tuple(settings.ignore) + tuple(options.ignore)
    if options.extend_select:
        settings.extend_select = tuple(settings.extend_select) + tuple(options.extend_select)
    if options.target_version:
        settings.target_version = TARGET_VERSIONS[options.target_version]
    # `unsafe-fixes = true` in the config lets hooks and editors fix everything without a flag
    options.unsafe_fixes = options.unsafe_fixes or settings.unsafe_fixes
    if options.github_level:
        settings.github_level = options.github_level
    return settings


def make_jobs(options: CheckOptions, settings: Settings, trail: Optional[Trail] = None) -> List[Job]:
    """The files to check, with their module names; ``trail`` records what deciding them took."""
    jobs: List[Job] = []
    file_paths = [p for p in options.paths if p != "-"]
    if "-" in options.paths:
        data = sys.stdin.buffer.read()
        display = options.stdin_filename or "-"
        jobs.append(Job(path=display, display=display, raw=data))
    exclude = tuple(settings.exclude) + tuple(settings.extend_exclude)
    stats: Dict[str, os.stat_result] = {}
    for path in discover(file_paths, exclude, settings.root, stats=stats, trail=trail):
        display = _display(path)
        st = stats.get(path)
        if st is None:  # named on the command line
            try:
                st = os.stat(path)
            except OSError:
                st = None  # reported when it is read
        jobs.append(Job(path=path, display=display, stat=st))
    packages: Dict[str, str] = {}
    for job in jobs:
        if job.raw is None:
            job.module, job.is_package = module_name_for(job.path, packages)
    if trail is not None:
        for folder in packages:  # each looked for an __init__.py
            if not folder.startswith("\0"):
                trail.folder(folder)
    return jobs


def _display(path: str) -> str:
    """How a discovered path is reported."""
    return os.path.normpath(path) if not path.startswith("./") else path[2:]


def unreadable_folders(trail: Trail) -> List[Finding]:
    """An LL001 for each folder the walk could not list: what is in it was never checked."""
    out = []
    for folder in trail.unreadable:
        out.append(Finding(_display(folder.path), 1, 1, 1, 1, "LL001", f"could not read directory: {folder.reason}"))
    return out


def _recorded_jobs(replay: Replay) -> Optional[List[Job]]:
    """The jobs of a recorded run, each with its stat now; ``None`` when a file cannot be stat'ed
    (its folder's mtime says it is still there: a race, left to a full discovery)."""
    jobs = []
    for path, display, module, is_package in replay.jobs:
        try:
            st = os.stat(path)
        except OSError:
            return None
        jobs.append(Job(path=path, display=display, module=module, is_package=is_package, stat=st))
    return jobs


def only_new_findings(options: CheckOptions) -> Optional[Callable[[List[Finding]], List[Finding]]]:
    """``--baseline`` and ``--diff-only`` narrow the report to what is new; internal errors always show."""
    steps: List[Callable[[List[Finding]], List[Finding]]] = []
    if options.baseline:
        from leaklint.baseline import load_baseline, new_findings

        recorded = load_baseline(options.baseline)
        steps.append(lambda fs: new_findings(fs, recorded, options.baseline))
    if options.diff_only:
        from leaklint.files.gitdiff import changed_lines

        changed = changed_lines(options.diff_only)
        steps.append(lambda fs: [f for f in fs if f.code == "LL002" or changed.contains(f.path, f.line)])
    if not steps:
        return None

    def narrow(findings: List[Finding]) -> List[Finding]:
        for step in steps:
            findings = step(findings)
        return findings
    return narrow


def run_check(options: CheckOptions) -> int:
    try:
        settings = resolve_settings(options)
    except ConfigError as exc:
        return _error(str(exc))
    narrow = None
    if options.baseline or options.diff_only:  # imported only when asked for
        from leaklint.baseline import BaselineError
        from leaklint.files.gitdiff import GitDiffError

        try:
            narrow = only_new_findings(options)
        except (BaselineError, GitDiffError) as exc:
            return _error(str(exc))
    clock = time.perf_counter
    t_discover = clock()
    stdin_mode = "-" in options.paths
    use_cache = options.use_cache and not stdin_mode
    last_run = key = None
    if use_cache:
        last_run = LastRun(settings.root, settings.fingerprint())
        key = LastRun.key([os.getcwd(), settings.root, options.paths, settings.exclude, settings.extend_exclude])
    # fixing needs every file's results and the project index: never a replay, nor a record
    fixing = options.fix or options.diff
    replay = last_run.replay(key) if last_run is not None and key and not fixing else None
    jobs: List[Job] = []
    trail = Trail()
    if replay is not None and replay.complete:
        phases = {"discover": 0.0}
        result = RunResult(findings=replay.findings, files=replay.count, results={}, cache_hits=replay.count,
                           reused=True, digests=replay.digests, timings={"replay": clock() - t_discover})
    else:
        # the same files as the record's when only some of their contents changed
        known = _recorded_jobs(replay) if replay is not None else None
        if known is None:
            replay = None
            try:
                jobs = make_jobs(options, settings, trail)
            except DiscoveryError as exc:
                return _error(str(exc))
        else:
            jobs = known
        phases = {"discover": clock() - t_discover}
        result = run(jobs, settings, jobs=options.jobs, use_cache=use_cache, timings=options.timings)
    if options.write_baseline:
        from leaklint.baseline import write_baseline

        try:
            count = write_baseline(result.findings, options.write_baseline)
        except OSError as exc:
            return _error(f"{options.write_baseline}: cannot write: {exc.strerror}")
        click.echo(f"leaklint: recorded {count} findings in {options.write_baseline}", err=True)
        return EXIT_ERROR if result.internal_errors else EXIT_CLEAN
    findings = result.findings
    fixed_count = 0
    diff_text = ""
    wants_edits = bool({options.output_format, *(r.output_format for r in options.reports)} & {"json", "sarif"})
    t_fixes = clock()
    if options.fix or options.diff:
        from leaklint.fixes.session import fix_files

        outcome = fix_files(result, jobs, settings, options, write=options.fix and not options.diff and not stdin_mode)
        findings = outcome.findings
        fixed_count = outcome.fixed
        diff_text = outcome.diff
        if stdin_mode and options.fix and not options.diff:
            sys.stdout.write(outcome.stdin_text if outcome.stdin_text is not None else "")
            problems = [f for f in findings if f.code in ("LL002", "LL003")]
            for f in problems:  # stdout holds the source: say on stderr what went wrong
                click.echo(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}", err=True)
            if any(f.code == "LL002" for f in problems):
                return EXIT_ERROR
            return EXIT_CLEAN if not findings or options.exit_zero else EXIT_FINDINGS
    elif wants_edits and any(f.fix is not None and not f.fix.edits for f in findings):
        from leaklint.fixes.session import attach_edits

        findings = attach_edits(findings, result, options.jobs)
        if result.reused and replay is not None and last_run is not None:
            last_run.update(replay, findings)  # the edits are kept for the next replay ...
        else:
            result.remember_edits(findings)  # ... and for the next run over the same contents
    phases["fixes"] = clock() - t_fixes
    if last_run is not None and key and not fixing and not result.reused and result.confirmed:
        checked = [(j.path, j.display, j.module, j.is_package, j.stat.st_size, j.stat.st_mtime_ns)
                   for j in jobs if j.stat is not None]
        if len(checked) == len(jobs):
            if replay is not None:
                last_run.save_again(replay, checked, findings, result.digests)
            elif trail.complete:
                last_run.save(key, trail.folders, trail.files, checked, findings, result.digests)
    if trail.unreadable and settings.is_enabled("LL001"):
        findings = sorted(findings + unreadable_folders(trail), key=lambda f: f.sort_key)
    if narrow is not None:  # once, after fixing: fixes still apply to every fixable finding
        findings = narrow(findings)
    left = held_back = 0
    if options.fix_only:  # the fixer of a pair of hooks: the checker reports what is left
        left = sum(1 for f in findings if f.code not in FILE_DIAGNOSTICS)
        held_back = _held_back(findings, options)
        findings = [f for f in findings if f.code in FILE_DIAGNOSTICS]
    t_output = clock()
    from leaklint.report import formatter

    def render(output_format: str, quiet: bool = options.quiet) -> str:
        return formatter(output_format)(
            findings, statistics=options.statistics, quiet=quiet, fixed=fixed_count,
            unsafe_fixes=options.unsafe_fixes, fixing=options.fix, github_level=settings.github_level,
            root=settings.root if settings.config_path else os.getcwd(),
        )

    if options.diff:
        report = diff_text
        for f in findings:
            if f.code == "LL003":  # a fix left out of the diff must not go unnoticed
                click.echo(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}", err=True)
        from leaklint.report.text import unsafe_hint

        hint = unsafe_hint(_held_back(findings, options), fixing=True)
        if hint:
            click.echo(f"leaklint: {hint}", err=True)
    else:
        if options.fix_only and options.output_format == "text" and not options.quiet:
            report = render_fix_only(render("text", quiet=True), fixed_count, left, held_back)
        else:
            report = render(options.output_format)
    if options.output_file:
        problem = _write_report(options.output_file, report)
        if problem:
            return _error(problem)
    elif report:
        sys.stdout.write(report)
    for extra in options.reports:  # the same findings, in more formats, from this one run
        problem = _write_report(extra.path, render(extra.output_format))
        if problem:
            return _error(problem)
    phases["output"] = clock() - t_output
    if options.timings:
        for name, seconds in {"discover": phases["discover"], **result.timings, "fixes": phases["fixes"],
                              "output": phases["output"]}.items():
            click.echo(f"timing: {name:<18} {seconds * 1000:9.1f} ms", err=True)
        reused = "; the findings of the last identical run reused" if result.reused else ""
        click.echo(f"timing: files {result.files}, cache hits {result.cache_hits}{reused}", err=True)
    if result.internal_errors or any(f.code == "LL002" for f in findings):
        return EXIT_ERROR
    if options.diff:
        return EXIT_FINDINGS if diff_text and not options.exit_zero else EXIT_CLEAN
    if findings and not options.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN

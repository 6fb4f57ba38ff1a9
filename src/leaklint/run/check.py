"""``leaklint check``, from parsed options to an exit status: settings, then the steps of
``leaklint.run``: replay the last run if nothing changed (``replay``), else find the files
(``leaklint.files``) and analyse them (``analyse``), fix (``fix``), report (``report``)."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from leaklint.config import registry
from leaklint.config.settings import TARGET_VERSIONS, ConfigError, Settings, load_settings, validate_code
from leaklint.files.discovery import DiscoveryError, Trail, discover, module_name_for
from leaklint.findings import Finding
from leaklint.run.analyse import Job, analyse_jobs
from leaklint.run.fix import fix
from leaklint.run.replay import Record
from leaklint.run.report import (EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, FILE_DIAGNOSTICS, Report, error,
                                 exit_status, only_new_findings, print_timings, report, report_fixed_stdin,
                                 write_baseline)

__all__ = ["EXIT_CLEAN", "EXIT_ERROR", "EXIT_FINDINGS", "CheckOptions", "Report", "make_jobs", "run_check"]


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
    reports: List[Report] = field(default_factory=list)  # ``--report FORMAT:FILE``
    diff: bool = False
    exit_zero: bool = False
    statistics: bool = False
    timings: bool = False
    config_path: Optional[str] = None
    use_cache: bool = True
    workers: int = 0  # worker processes (``--jobs``); 0: one per CPU
    quiet: bool = False
    stdin_filename: Optional[str] = None
    baseline: Optional[str] = None
    write_baseline: Optional[str] = None
    diff_only: Optional[str] = None
    target_version: Optional[str] = None


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


def run_check(options: CheckOptions) -> int:
    try:
        settings = resolve_settings(options)
    except ConfigError as exc:
        return error(str(exc))
    narrow = None
    if options.baseline or options.diff_only:
        from leaklint.baseline import BaselineError  # imported only when asked for
        from leaklint.files.gitdiff import GitDiffError

        try:
            narrow = only_new_findings(options)
        except (BaselineError, GitDiffError) as exc:
            return error(str(exc))
    clock = time.perf_counter
    t_discover = clock()
    stdin_mode = "-" in options.paths
    use_cache = options.use_cache and not stdin_mode
    fixing = options.fix or options.diff
    record = Record.open(settings, options.paths, use_cache, fixing)
    jobs: List[Job] = []
    trail = Trail()
    result = record.replayed(t_discover)
    if result is not None:
        phases = {"discover": 0.0}
    else:
        # the same files as the record's when only some of their contents changed
        known = record.recorded_jobs()
        if known is None:
            try:
                jobs = make_jobs(options, settings, trail)
            except DiscoveryError as exc:
                return error(str(exc))
        else:
            jobs = known
        phases = {"discover": clock() - t_discover}
        result = analyse_jobs(jobs, settings, workers=options.workers, use_cache=use_cache, timings=options.timings)
    if options.write_baseline:
        return write_baseline(result.findings, options.write_baseline, result.internal_errors)

    t_fixes = clock()
    fixed = fix(result, jobs, settings, options, record, stdin_mode)
    if fixed.stdin_text is not None:
        return report_fixed_stdin(fixed, options)
    phases["fixes"] = clock() - t_fixes
    record.save(result, jobs, trail, fixed.findings, fixing)

    findings = fixed.findings
    if trail.unreadable and settings.is_enabled("LL001"):
        findings = sorted(findings + unreadable_folders(trail), key=lambda f: f.sort_key)
    if narrow is not None:  # once, after fixing: fixes still apply to every fixable finding
        findings = narrow(findings)
    t_output = clock()
    status = report(findings, fixed, settings, options)
    if status != EXIT_CLEAN:
        return status
    phases["output"] = clock() - t_output
    if options.timings:
        print_timings(phases, result)
    if options.fix_only:  # the fixer of a pair of hooks: the findings left are the checker's
        findings = [f for f in findings if f.code in FILE_DIAGNOSTICS]
    return exit_status(findings, fixed, result, options)

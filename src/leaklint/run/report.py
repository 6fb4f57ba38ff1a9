"""The report step: narrow the findings to what is new (``--baseline``, ``--diff-only``), format
them (``leaklint.report``), write them, and turn them into an exit status."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

import click

from leaklint.findings import Finding, Safety
from leaklint.report import formatter

if TYPE_CHECKING:
    from leaklint.config.settings import Settings
    from leaklint.run.analyse import RunResult
    from leaklint.run.check import CheckOptions
    from leaklint.run.fix import Fixed

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FILE_DIAGNOSTICS = ("LL001", "LL002", "LL003")  # about files and fixes, not code


@dataclass(frozen=True)
class Report:
    """One more report of a run: ``--report FORMAT:FILE``."""

    output_format: str
    path: str


def error(message: str) -> int:
    click.echo(f"leaklint: error: {message}", err=True)
    return EXIT_ERROR


def only_new_findings(options: CheckOptions) -> Optional[Callable[[List[Finding]], List[Finding]]]:
    """``--baseline`` and ``--diff-only`` narrow the report to what is new; internal errors always show."""
    steps: List[Callable[[List[Finding]], List[Finding]]] = []
    if options.baseline:
        from leaklint.baseline import load_baseline, new_findings  # imported only when asked for

        recorded = load_baseline(options.baseline)
        steps.append(lambda fs: new_findings(fs, recorded, options.baseline))
    if options.diff_only:
        from leaklint.files.gitdiff import changed_lines  # imported only when asked for

        changed = changed_lines(options.diff_only)
        steps.append(lambda fs: [f for f in fs if f.code == "LL002" or changed.contains(f.path, f.line)])
    if not steps:
        return None

    def narrow(findings: List[Finding]) -> List[Finding]:
        for step in steps:
            findings = step(findings)
        return findings
    return narrow


def write_baseline(findings: List[Finding], path: str, internal_errors: int) -> int:
    from leaklint.baseline import write_baseline as write  # imported only when asked for

    try:
        count = write(findings, path)
    except OSError as exc:
        return error(f"{path}: cannot write: {exc.strerror}")
    click.echo(f"leaklint: recorded {count} findings in {path}", err=True)
    return EXIT_ERROR if internal_errors else EXIT_CLEAN


def report_fixed_stdin(fixed: Fixed, options: CheckOptions) -> int:
    """``--fix`` on standard input: the fixed source goes to stdout, what went wrong to stderr."""
    sys.stdout.write(fixed.stdin_text or "")
    problems = [f for f in fixed.findings if f.code in ("LL002", "LL003")]
    for f in problems:
        click.echo(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}", err=True)
    if any(f.code == "LL002" for f in problems):
        return EXIT_ERROR
    return EXIT_CLEAN if not fixed.findings or options.exit_zero else EXIT_FINDINGS


def report(findings: List[Finding], fixed: Fixed, settings: Settings, options: CheckOptions) -> int:
    """Print the report, or write it to ``--output-file``, and each ``--report``; an exit status
    other than ``EXIT_CLEAN`` when one cannot be written."""
    from leaklint.report.text import unsafe_hint

    def render(output_format: str, shown: List[Finding] = findings, quiet: bool = options.quiet) -> str:
        return formatter(output_format)(
            shown, statistics=options.statistics, quiet=quiet, fixed=fixed.count,
            unsafe_fixes=options.unsafe_fixes, fixing=options.fix, github_level=settings.github_level,
            root=settings.root if settings.config_path else os.getcwd(),
        )

    if options.diff:
        text = fixed.diff
        for f in findings:
            if f.code == "LL003":  # a fix left out of the diff must not go unnoticed
                click.echo(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}", err=True)
        hint = unsafe_hint(_held_back(findings, options), fixing=True)
        if hint:
            click.echo(f"leaklint: {hint}", err=True)
    elif options.fix_only:  # the fixer of a pair of hooks: the findings left are the checker's
        problems = [f for f in findings if f.code in FILE_DIAGNOSTICS]
        if options.output_format == "text" and not options.quiet:
            text = render_fix_only(render("text", problems, quiet=True), fixed.count,
                                   len(findings) - len(problems), _held_back(findings, options))
        else:
            text = render(options.output_format, problems)
    else:
        text = render(options.output_format)
    if options.output_file:
        problem = _write_report(options.output_file, text)
        if problem:
            return error(problem)
    elif text:
        sys.stdout.write(text)
    for extra in options.reports:  # the same findings, in more formats, from this one run
        problem = _write_report(extra.path, render(extra.output_format))
        if problem:
            return error(problem)
    return EXIT_CLEAN


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
    return sum(1 for f in findings if f.fix is not None and f.fix.safety is not Safety.SAFE)


def _write_report(path: str, text: str) -> Optional[str]:
    """Write one report; the error to print when it cannot be written."""
    try:
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
    except OSError as exc:
        return f"{path}: cannot write: {exc.strerror}"
    return None


def print_timings(phases: Dict[str, float], result: RunResult) -> None:
    for name, seconds in {"discover": phases["discover"], **result.timings, "fixes": phases["fixes"],
                          "output": phases["output"]}.items():
        click.echo(f"timing: {name:<18} {seconds * 1000:9.1f} ms", err=True)
    reused = "; the findings of the last identical run reused" if result.reused else ""
    click.echo(f"timing: files {result.files}, cache hits {result.cache_hits}{reused}", err=True)


def exit_status(findings: List[Finding], fixed: Fixed, result: RunResult, options: CheckOptions) -> int:
    if result.internal_errors or any(f.code == "LL002" for f in findings):
        return EXIT_ERROR
    if options.diff:
        return EXIT_FINDINGS if fixed.diff and not options.exit_zero else EXIT_CLEAN
    if findings and not options.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN

"""The fix step: with ``--fix`` or ``--diff``, apply the fixes (``leaklint.fixes``) and check the
fixed files again; for JSON and SARIF reports, compute the edits of each fixable finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional

from leaklint.findings import Finding
from leaklint.run.analyse import Job, RunResult
from leaklint.run.replay import Record

if TYPE_CHECKING:
    from leaklint.config.settings import Settings
    from leaklint.run.check import CheckOptions

REPORTS_WITH_EDITS = ("json", "sarif")


@dataclass
class Fixed:
    """The findings left to report, how many fixes were applied, the ``--diff`` text, and the fixed
    source when standard input was fixed (it goes to stdout instead of a report)."""

    findings: List[Finding]
    count: int = 0
    diff: str = ""
    stdin_text: Optional[str] = None


def fix(result: RunResult, jobs: List[Job], settings: Settings, options: CheckOptions, record: Record,
        stdin_mode: bool) -> Fixed:
    findings = result.findings
    if options.fix or options.diff:
        from leaklint.fixes.session import fix_files  # imported here: libcst loads only to fix

        outcome = fix_files(result, jobs, settings, options,
                            write=options.fix and not options.diff and not stdin_mode)
        stdin_text = None
        if stdin_mode and options.fix and not options.diff:
            stdin_text = outcome.stdin_text if outcome.stdin_text is not None else ""
        return Fixed(outcome.findings, outcome.fixed, outcome.diff, stdin_text)
    wants_edits = any(fmt in REPORTS_WITH_EDITS
                      for fmt in (options.output_format, *(r.output_format for r in options.reports)))
    if wants_edits and any(f.fix is not None and not f.fix.edits for f in findings):
        from leaklint.fixes.session import attach_edits  # imported here: libcst loads only to fix

        findings = attach_edits(findings, result, options.workers)
        record.keep_edits(findings, result)
    return Fixed(findings)

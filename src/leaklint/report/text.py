"""flake8-style lines: ``path:line:col: CODE message``, then a summary."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from leaklint.findings import Finding, Safety

DOC_HINT = "`leaklint rule CODE` explains a rule: what it finds, why it hurts, how to fix it."


def render(findings: Sequence[Finding], *, statistics: bool = False, quiet: bool = False,
           show_summary: bool = True, fixed: int = 0, unsafe_fixes: bool = False, fixing: bool = False,
           **_: object) -> str:
    """A finding's ``[*]``, a rule's ``[*]`` in the statistics and the summary's "fixable" all mean
    one thing: this command's options fix it under ``--fix`` (``fixing``: this command fixes it);
    ``[*unsafe]``: only ``--unsafe-fixes`` would."""
    def applies(f: Finding) -> bool:
        return f.fix is not None and (unsafe_fixes or f.fix.safety is Safety.SAFE)

    def held_back(f: Finding) -> bool:
        return f.fix is not None and not applies(f)

    lines = []
    for f in findings:
        marker = " [*]" if applies(f) else " [*unsafe]" if held_back(f) else ""
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.code}{marker} {f.message}")
    counts = Counter(f.code for f in findings)
    if statistics and findings:
        fixable = Counter(f.code for f in findings if applies(f))
        unsafe_only = Counter(f.code for f in findings if held_back(f))
        from leaklint.config.registry import NAMES

        lines.append("")
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            name = NAMES.get(code, "")
            mark = " [*]" if fixable.get(code) else " [*unsafe]" if unsafe_only.get(code) else ""
            lines.append(f"{count:>6}  {code}{mark}  {name}")
    if show_summary and not quiet:
        fixable_count = sum(1 for f in findings if applies(f))
        n = len(findings)
        noun = "finding" if n == 1 else "findings"
        summary = f"Found {n} {noun} ({fixable_count} fixable)"
        if fixed:
            summary += f"; fixed {fixed}"
        unread = len({f.path for f in findings if f.code == "LL001"})
        if unread:
            summary += f"; {unread} {'path' if unread == 1 else 'paths'} not analysed (LL001)"
        if n == 0 and not fixed:
            summary = "All checks passed."
        lines.append(summary + ("." if not summary.endswith(".") else ""))
        hint = unsafe_hint(sum(1 for f in findings if held_back(f)), fixing)
        if hint:
            lines.append(hint)
        if findings:
            lines.append(DOC_HINT)
    return "\n".join(lines) + ("\n" if lines else "")


def unsafe_hint(count: int, fixing: bool) -> str:
    """One line saying how many more fixes ``--unsafe-fixes`` would apply; "" when none."""
    if not count:
        return ""
    flags = "--unsafe-fixes" if fixing else "--fix --unsafe-fixes"
    return f"{count} more fix{'es' if count != 1 else ''} available with `{flags}`."

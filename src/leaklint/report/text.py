"""flake8-style lines: ``path:line:col: CODE message``, then a summary."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from leaklint.findings import Finding


def render(findings: Sequence[Finding], *, statistics: bool = False, quiet: bool = False,
           show_summary: bool = True, fixed: int = 0, unsafe_hint: bool = True, **_: object) -> str:
    lines = []
    for f in findings:
        marker = ""
        if f.fix is not None:
            marker = " [*]" if f.fix.safety == "safe" else " [*unsafe]"
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.code}{marker} {f.message}")
    if statistics and findings:
        counts = Counter(f.code for f in findings)
        fixable = Counter(f.code for f in findings if f.fix is not None)
        from leaklint.registry import NAMES

        lines.append("")
        for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            name = NAMES.get(code, "")
            mark = " [*]" if fixable.get(code) else ""
            lines.append(f"{count:>6}  {code}{mark}  {name}")
    if show_summary and not quiet:
        fixable_count = sum(1 for f in findings if f.fix is not None)
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
        if fixable_count and unsafe_hint:
            unsafe = sum(1 for f in findings if f.fix is not None and f.fix.safety != "safe")
            if unsafe:
                lines.append(f"{unsafe} fix{'es' if unsafe != 1 else ''} available with `--fix --unsafe-fixes`.")
    elif quiet:
        pass
    return "\n".join(lines) + ("\n" if lines else "")

"""Which fixes one ``--fix`` pass applies: no two that overlap, none twice. Apart from the
libcst code, so that the analysis can decide what is fixable without importing libcst."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, Iterable, List, Sequence, Tuple

from leaklint.findings import Finding, Safety


def _ranges_overlap(a: Tuple[int, int, int, int], b: Tuple[int, int, int, int]) -> bool:
    return not ((a[2], a[3]) <= (b[0], b[1]) or (b[2], b[3]) <= (a[0], a[1]))


def select_fixes(findings: Iterable[Finding], unsafe: bool) -> List[Finding]:
    """The fixable findings to apply, without overlaps (the first in source order wins)."""
    chosen: List[Finding] = []
    taken: List[Tuple[int, int, int, int]] = []
    seen_ops = set()
    for finding in sorted(findings, key=lambda f: f.sort_key):
        fix = finding.fix
        if fix is None or (fix.safety is not Safety.SAFE and not unsafe):
            continue
        ranges = [op.range for op in fix.ops if op.range is not None]
        key = tuple(fix.ops)
        if key in seen_ops:
            continue  # two findings proposing the same change
        if any(_ranges_overlap(r, t) for r in ranges for t in taken):
            continue
        seen_ops.add(key)
        taken.extend(ranges)
        chosen.append(finding)
    return chosen


def without_displaced_fixes(findings: Sequence[Finding]) -> List[Finding]:
    """``findings`` with the fix taken off those whose fix one ``--fix`` would not apply (it
    overlaps an earlier fix in the file, or repeats one): what is reported as fixable is what a
    fix pass changes, one edit per fixable finding, and nothing is changed that was not shown."""
    by_path: Dict[str, List[Finding]] = {}
    for finding in findings:
        if finding.fix is not None:
            by_path.setdefault(finding.path, []).append(finding)
    displaced = set()
    for group in by_path.values():
        if len(group) > 1:
            chosen = {id(f) for f in select_fixes(group, unsafe=True)}
            displaced.update(id(f) for f in group if id(f) not in chosen)
    if not displaced:
        return list(findings)
    return [replace(f, fix=None) if id(f) in displaced else f for f in findings]

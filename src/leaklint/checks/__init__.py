"""Rule families. Each module holds its rules' metadata, docs and one checker."""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, List, Tuple

from leaklint.checks.base import Checker, Rule

# diagnostics about files rather than code; always reported unless ignored explicitly
LL001 = Rule(
    code="LL001",
    name="file-not-analysed",
    family="core",
    summary="A file could not be read, decoded or parsed, so nothing in it was checked.",
    doc="""
## What it finds
A file that cannot be read (vanished, permission denied, not a regular file), cannot be decoded
(invalid bytes for its encoding, a wrong encoding cookie, NUL bytes) or does not parse as Python,
and a folder that cannot be listed (`could not read directory: Permission denied`): nothing under
it was checked. The summary counts these paths as not analysed, so a run that could read nothing
never says "All checks passed".

## Why it hurts in production
Nothing in such a file is checked, so its hazards stay invisible. The diagnostic says where the
problem is so the file can be fixed or excluded.

## Example
```python
def broken(:
```

## Use instead
Fix the syntax or encoding, or exclude the file with `exclude`/`extend-exclude`.

## Fix safety
No fix.

## Options
None.
""",
)

LL002 = Rule(
    code="LL002",
    name="internal-error",
    family="core",
    summary="A rule failed on a file; its other rules and the other files were still checked.",
    doc="""
## What it finds
A rule that raised an exception (or a worker process that died) while checking a file. The
message names the rule and the error. The run exits with status 2.

## Why it hurts in production
The rule's findings for that file are missing. Please report it with the file's shape.

## Example
Not applicable.

## Use instead
Report the error; meanwhile `per-file-ignores` can silence the rule for that file.

## Fix safety
No fix.

## Options
None.
""",
)

LL003 = Rule(
    code="LL003",
    name="fix-not-applied",
    family="core",
    summary="A fix was computed but dropped because the result would not parse or the file changed.",
    doc="""
## What it finds
An autofix that was not written: applying it produced code that does not parse, the file changed
on disk between reading and writing, the file is read-only (no write permission bit: its owner
marked it not to be changed; `--fix-read-only` writes it anyway), or the write failed. The
original file is left intact.

## Why it hurts in production
The hazard the fix was meant to remove is still there.

## Example
Not applicable.

## Use instead
Apply the change by hand, following the rule's documentation.

## Fix safety
No fix.

## Options
None.
""",
)

CORE_RULES: Tuple[Rule, ...] = (LL001, LL002, LL003)


@lru_cache(maxsize=None)
def checker_classes() -> Tuple[type, ...]:
    from leaklint.checks import caches, cardinality, lifetime, timeouts

    return (timeouts.TimeoutChecker, cardinality.CardinalityChecker, caches.CacheChecker,
            lifetime.LifetimeChecker)


def make_checkers() -> List[Checker]:
    return [cls() for cls in checker_classes()]


@lru_cache(maxsize=None)
def all_rules() -> Tuple[Rule, ...]:
    rules = list(CORE_RULES)
    for cls in checker_classes():
        rules.extend(cls.rules)
    return tuple(sorted(rules, key=lambda r: r.code))


def rules_by_code() -> Dict[str, Rule]:
    return {r.code: r for r in all_rules()}

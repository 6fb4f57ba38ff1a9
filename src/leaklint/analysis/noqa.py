"""Suppression comments: ``# noqa``, ``# noqa: LL101,LL2`` (flake8 semantics) and skip-file."""

from __future__ import annotations

import re
from typing import Optional, Tuple

NOQA_RE = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
SKIP_FILE_RE = re.compile(r"^[ \t]*#[ \t]*leaklint:[ \t]*skip-file[ \t]*$", re.MULTILINE)
CODE_RE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def parse_noqa(line: str) -> Optional[Tuple[str, ...]]:
    """``None`` when the line has no noqa; ``()`` for a bare noqa; else the listed codes."""
    if "#" not in line:
        return None
    match = NOQA_RE.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return ()
    return tuple(c.upper() for c in CODE_RE.findall(codes))


def is_suppressed(line: str, code: str) -> bool:
    codes = parse_noqa(line)
    if codes is None:
        return False
    if not codes:
        return True
    return any(code.startswith(c) for c in codes)


def skips_file(text: str) -> bool:
    return "leaklint:" in text and SKIP_FILE_RE.search(text) is not None

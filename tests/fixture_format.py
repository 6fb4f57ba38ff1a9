"""Fixture files state their own expectations (the flake8-async style).

- ``# error: LL101`` at the end of a line: that line must be reported with LL101 (several codes:
  ``# error: LL101, LL104``; a column: ``# error: LL101:12``). Lines without it must not be.
  A quoted fragment after a code pins part of the message: ``# error: LL101 "requests.get"``
  (the fragment holds no double quote).
- Header comments before the first statement:
  ``# select: LL1`` which codes the fixture checks (default: the code its file or folder name
  starts with); ``# config: <TOML line>`` lines form a ``[tool.leaklint]`` table for this fixture;
  ``# fix: safe`` applies only safe fixes when producing the ``.fixed.py`` output (default: unsafe too).
- ``NAME.fixed.py`` next to ``NAME.py`` is the expected source after ``--fix``.
- A folder under ``tests/fixtures`` is a project: all its files are checked together (so
  cross-module cases work); its header lines are read from its ``__init__.py`` or first file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

FIXTURES = Path(__file__).parent / "fixtures"
_ITEM = r'LL\d+(?::\d+)?(?:\s+"[^"]*")?'
ERROR_RE = re.compile(rf"#\s*error:\s*(?P<items>{_ITEM}(?:\s*,\s*{_ITEM})*)")
ITEM_RE = re.compile(r'(?P<code>LL\d+)(?::(?P<column>\d+))?(?:\s+"(?P<fragment>[^"]*)")?')
CODE_PREFIX_RE = re.compile(r"^(LL\d+)")


@dataclass
class Expectation:
    path: str
    line: int
    code: str
    column: Optional[int] = None
    fragment: Optional[str] = None


@dataclass
class Fixture:
    name: str
    files: List[Path]
    select: List[str]
    config_lines: List[str] = field(default_factory=list)
    fix_unsafe: bool = True

    def expectations(self) -> List[Expectation]:
        out = []
        for path in self.files:
            for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                match = ERROR_RE.search(line)
                if not match:
                    continue
                for item in ITEM_RE.finditer(match.group("items")):
                    col = item.group("column")
                    out.append(Expectation(str(path), lineno, item.group("code"), int(col) if col else None,
                                           item.group("fragment")))
        return out


def _header(path: Path) -> Tuple[List[str], List[str], bool]:
    select: List[str] = []
    config: List[str] = []
    unsafe = True
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        body = stripped[1:].strip()
        if body.startswith("select:"):
            select.extend(c.strip() for c in body[7:].split(",") if c.strip())
        elif body.startswith("config:"):
            config.append(body[7:].strip())
        elif body.startswith("fix:"):
            unsafe = body[4:].strip() != "safe"
    return select, config, unsafe


def discover_fixtures() -> List[Fixture]:
    out = []
    for entry in sorted(FIXTURES.iterdir()):
        if entry.name.startswith(("_", ".")):
            continue
        match = CODE_PREFIX_RE.match(entry.name)
        if entry.is_dir():
            files = sorted(p for p in entry.rglob("*.py") if not p.name.endswith(".fixed.py"))
            if not files:
                continue
            head = entry / "__init__.py"
            select, config, unsafe = _header(head if head.exists() else files[0])
        elif entry.suffix == ".py" and not entry.name.endswith(".fixed.py"):
            files = [entry]
            select, config, unsafe = _header(entry)
        else:
            continue
        if not select and match:
            select = [match.group(1)]
        out.append(Fixture(entry.name, files, select or ["LL"], config, unsafe))
    return out

"""Fixes do what they say: every fixable finding of every fixture is fixed, by one edit each,
and the fixed code reports nothing that the original did not (no fix creates a finding)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import ast

import pytest

from fixture_format import discover_fixtures
from helpers import check_files, settings_for

from leaklint.files.syntax import parse
from leaklint.fixes.apply import fix_text


def _unused_imports(text: str):
    """Names bound by imports that nothing in ``text`` reads (``__all__`` strings count)."""
    tree = parse(text)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                imported.add(alias.asname or alias.name.split(".")[0])
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    read |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return imported - read

FIXABLE = []
for _fixture in discover_fixtures():
    for _path in _fixture.files:
        if ".fixed." not in _path.name:
            FIXABLE.append((_fixture, _path))


def _copy(fixture, tmp_path: Path):
    """The fixture's files under ``tmp_path``, keeping a project's folder layout."""
    root = fixture.files[0].parent if len(fixture.files) == 1 else Path(min(str(p.parent) for p in fixture.files))
    copies = []
    for path in fixture.files:
        copy = tmp_path / root.name / path.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    return copies


@pytest.mark.parametrize("fixture,path", FIXABLE, ids=[f"{f.name}:{p.name}" for f, p in FIXABLE])
def test_fixes_apply_one_for_one_and_create_no_finding(fixture, path: Path, tmp_path: Path) -> None:
    settings = settings_for(fixture.select, fixture.config_lines)
    settings.unsafe_fixes = True
    copies = _copy(fixture, tmp_path)
    target = copies[fixture.files.index(path)]
    # a project fixture's files are checked together, so cross-module findings are there too
    before = [f for f in check_files(copies, settings).findings if f.path == str(target)]
    fixable = [f for f in before if f.fix is not None]
    if not fixable:
        pytest.skip("nothing to fix")
    text = target.read_text(encoding="utf-8")
    new, applied, failed = fix_text(text, before, unsafe=True)
    assert not failed, failed
    assert len(applied) == len(fixable), (
        f"{len(fixable)} fixable reported, {len(applied)} applied: "
        f"{sorted({(f.line, f.code) for f in fixable} - {(f.line, f.code) for f in applied})} not applied")
    target.write_text(new, encoding="utf-8")
    after = [f for f in check_files(copies, settings).findings if f.path == str(target)]
    remaining = Counter(f.code for f in before) - Counter(f.code for f in applied)
    created = Counter(f.code for f in after) - remaining
    assert not created, f"the fixes created {dict(created)}: " + "; ".join(
        f"{f.line}: {f.code} {f.message}" for f in after if f.code in created)
    orphaned = _unused_imports(new) - _unused_imports(text)
    assert not orphaned, f"the fixes left imports unused: {sorted(orphaned)}"
    trailing = [n for n, line in enumerate(new.splitlines(), 1) if line != line.rstrip()]
    assert len(trailing) <= sum(1 for line in text.splitlines() if line != line.rstrip()), (
        f"the fixes left trailing spaces on lines {trailing}")

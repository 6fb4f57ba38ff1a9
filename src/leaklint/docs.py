"""Generate the rule documentation from the registry: ``python -m leaklint.docs``.

Writes ``docs/rules/<CODE>.md`` (what ``leaklint rule CODE`` prints) and the rules table between
the ``rules-table`` markers of README.md. ``--check`` writes nothing and exits 1 when a file is
out of date, which is what the test suite runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List

START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
REPO_ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m leaklint.docs"


def expected_files(root: Path) -> Dict[Path, str]:
    """Every generated file and the content it should have."""
    from leaklint.checks import all_rules
    from leaklint.cli import rules_table_markdown

    out = {root / "docs" / "rules" / f"{rule.code}.md": rule.render_doc() for rule in all_rules()}
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: the {START} and {END} markers are missing")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    out[readme] = f"{head}{START}\n{rules_table_markdown()}\n{END}{tail}"
    return out


def stale_files(root: Path) -> List[Path]:
    """Generated files that differ from the registry, and rule docs of rules that no longer exist."""
    expected = expected_files(root)
    stale = [p for p, content in expected.items()
             if not p.is_file() or p.read_text(encoding="utf-8") != content]
    stale += [p for p in sorted((root / "docs" / "rules").glob("*.md")) if p not in expected]
    return stale


def generate(root: Path) -> List[Path]:
    expected = expected_files(root)
    changed = stale_files(root)
    (root / "docs" / "rules").mkdir(parents=True, exist_ok=True)
    for path in changed:
        if path in expected:
            path.write_text(expected[path], encoding="utf-8", newline="\n")
        else:
            path.unlink()
    return changed


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the repository (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.root)
        for path in stale:
            print(f"out of date: {path.relative_to(args.root)}")
        if stale:
            print(f"regenerate with: {REGENERATE}")
        return 1 if stale else 0
    for path in generate(args.root):
        print(f"updated {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

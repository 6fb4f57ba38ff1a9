"""Which lines changed since a git revision, for ``--diff-only REV``.

``git diff -U0 REV`` compares the working tree (staged or not) with REV (``A...`` means the
merge base of A and HEAD, as for ``git diff A...``); each hunk header
``@@ -a,b +c,d @@`` names the new lines c..c+d-1. Files git does not track yet count as changed
throughout, as do files git reports as added.
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Dict, List, Optional, Set

HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")


GIT_TIMEOUT = 300  # seconds; `git diff` of a large repository takes a few


class GitDiffError(Exception):
    """git is missing, the directory is not a repository, or the revision is unknown."""


def _git(args: List[str], cwd: str) -> str:
    try:
        proc = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd,
                              capture_output=True, text=True, encoding="utf-8", errors="surrogateescape",
                              timeout=GIT_TIMEOUT)
    except OSError as exc:
        raise GitDiffError(f"cannot run git: {exc.strerror}") from None
    except subprocess.TimeoutExpired:  # a lock held, a credential prompt, a network filesystem gone
        raise GitDiffError(f"git {args[0]}: no answer after {GIT_TIMEOUT} seconds") from None
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit status {proc.returncode}"
        raise GitDiffError(f"git {args[0]}: {message}")
    return proc.stdout


def _unquote(name: str) -> str:
    """git C-quotes paths with unusual characters: ``"a\\303\\251.py"``."""
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        raw = name[1:-1].encode("latin-1", errors="backslashreplace").decode("unicode_escape")
        return raw.encode("latin-1", errors="ignore").decode("utf-8", errors="surrogateescape")
    return name


class ChangedLines:
    def __init__(self, lines: Dict[str, Set[int]], whole_files: Set[str]):
        self.lines = lines
        self.whole_files = whole_files

    def contains(self, path: str, line: int) -> bool:
        real = os.path.realpath(path)
        return real in self.whole_files or line in self.lines.get(real, ())


def parse_diff(diff: str, top: str) -> Dict[str, Set[int]]:
    changed: Dict[str, Set[int]] = {}
    current: Optional[Set[int]] = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = _unquote(line[4:].rstrip("\t"))
            if name == "/dev/null":  # deleted: nothing left to report on
                current = None
                continue
            name = name[2:] if name.startswith("b/") else name
            current = changed.setdefault(os.path.realpath(os.path.join(top, name)), set())
        elif line.startswith("@@") and current is not None:
            match = HUNK_RE.match(line)
            if match:
                start = int(match["start"])
                count = int(match["count"]) if match["count"] is not None else 1
                current.update(range(start, start + count))
    return changed


def changed_lines(rev: str, cwd: Optional[str] = None) -> ChangedLines:
    cwd = cwd or os.getcwd()
    top = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    try:
        if "..." in rev:  # `origin/main...`: since the merge base, as `git diff A...B` means
            left, _, right = rev.partition("...")
            base = _git(["merge-base", left or "HEAD", right or "HEAD"], top).strip()
        else:
            base = _git(["rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}"], top).strip()
    except GitDiffError:
        raise GitDiffError(f"unknown git revision {rev!r} in {top}") from None
    rev = base
    diff = _git(["diff", "-U0", "--no-color", "--no-ext-diff", "--find-renames", rev, "--"], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    whole = {os.path.realpath(os.path.join(top, name)) for name in untracked.split("\0") if name}
    return ChangedLines(parse_diff(diff, top), whole)

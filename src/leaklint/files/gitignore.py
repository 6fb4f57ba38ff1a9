"""``.gitignore`` files: each one's rules, matched relative to the folder that holds it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from leaklint.files.discovery import Trail


def _gitignore_regex(pattern: str) -> str:
    """Translate one gitignore glob (without negation / trailing slash) into a regex."""
    i, out = 0, []
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            if pattern[i : i + 2] == "**":
                if pattern[i : i + 3] == "**/":
                    out.append(r"(?:.*/)?")
                    i += 3
                    continue
                out.append(r".*")
                i += 2
                continue
            out.append(r"[^/]*")
        elif c == "?":
            out.append(r"[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@dataclass
class GitIgnore:
    """The rules of one ``.gitignore``, relative to the folder that holds it."""

    base: str
    rules: List[Tuple[re.Pattern, bool, bool]]  # (regex, negated, dir_only)

    def __post_init__(self) -> None:
        # without negations the last matching rule is any matching rule: one regex for folders,
        # one for files, instead of every rule per entry
        self._any: Optional[Tuple[Optional[re.Pattern], Optional[re.Pattern]]] = None
        if not any(negated for _, negated, _ in self.rules):
            self._any = (_either([r.pattern for r, _, _ in self.rules]),
                         _either([r.pattern for r, _, dir_only in self.rules if not dir_only]))

    @classmethod
    def load(cls, directory: str, trail: Optional[Trail] = None) -> Optional["GitIgnore"]:
        path = os.path.join(directory, ".gitignore")
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                if trail is not None:
                    trail.file(path, os.fstat(handle.fileno()))
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return None
        except OSError:  # there, but unreadable: what it would ignore is unknown to a replay
            if trail is not None:
                trail.complete = False
            return None
        rules = []
        for line in lines:
            line = line.rstrip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            regex = _gitignore_regex(line)
            if not anchored:
                regex = r"(?:.*/)?" + regex
            rules.append((re.compile(r"^" + regex + r"$"), negated, dir_only))
        return cls(directory, rules)

    def match(self, path: str, is_dir: bool) -> Optional[bool]:
        """True ignored, False re-included, None when no rule speaks. ``path`` is absolute."""
        rel = relative_path(path, self.base)
        if self._any is not None:
            regex = self._any[0] if is_dir else self._any[1]
            return True if regex is not None and regex.match(rel) else None
        verdict = None
        for regex, negated, dir_only in self.rules:
            if dir_only and not is_dir:
                continue
            if regex.match(rel):
                verdict = not negated
        return verdict


def _either(patterns: Sequence[str]) -> Optional[re.Pattern]:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def relative_path(path: str, base: str) -> str:
    """``path`` relative to ``base`` (both absolute and normalized), with ``/`` separators."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    rel = path[len(prefix):] if path.startswith(prefix) else os.path.relpath(path, base)
    return rel.replace(os.sep, "/") if os.sep != "/" else rel

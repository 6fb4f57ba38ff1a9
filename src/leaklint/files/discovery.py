"""Which files to check: walk directories, honour excludes and ``.gitignore`` (``leaklint.files.gitignore``)."""

from __future__ import annotations

import os
import re
import stat
import time
from dataclasses import dataclass
from fnmatch import translate
from typing import Dict, List, Optional, Sequence, Tuple

from leaklint.files.gitignore import GitIgnore, relative_path


class DiscoveryError(Exception):
    pass


@dataclass(frozen=True)
class Unreadable:
    """A folder the walk could not list: nothing under it was checked."""

    path: str
    reason: str  # the operating system's word for it: "Permission denied", ...


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Trail:
    """What a discovery looked at: each folder it listed or searched, with its mtime and when it
    looked, and each ``.gitignore`` it read. Adding, removing or renaming an entry changes its
    folder's mtime, so while none of these changes, the same discovery finds the same files (the
    idea of git's untracked cache)."""

    def __init__(self) -> None:
        self.folders: Dict[str, Tuple[int, int]] = {}  # absolute path -> (mtime_ns, seen_ns)
        self.files: Dict[str, Tuple[int, int, int]] = {}  # absolute path -> (size, mtime_ns, seen_ns)
        self.complete = True  # False when something could not be looked at
        self.unreadable: List[Unreadable] = []  # folders that could not be listed, in walk order

    def folder(self, path: str, st: Optional[os.stat_result] = None) -> None:
        seen = time.time_ns()
        if st is None:
            try:
                st = os.stat(path)
            except OSError:
                self.complete = False
                return
        self.folders[path] = (st.st_mtime_ns, seen)

    def file(self, path: str, st: os.stat_result) -> None:
        self.files[path] = (st.st_size, st.st_mtime_ns, time.time_ns())


class _Excluder:
    """The exclude patterns compiled once: a pattern matches an entry's name, its path relative
    to the configuration root or its absolute path; a pattern with ``/`` also excludes
    everything below the folder it names. (``fnmatch`` per pattern and entry was most of the time
    of a run that found every file in the cache.)"""

    def __init__(self, patterns: Sequence[str], root: str):
        self.root = root
        stripped = [p.rstrip("/") for p in patterns if p.rstrip("/")]
        self.any = _union(stripped)
        self.below = _union([p + "/*" for p in stripped if "/" in p])
        self._folders: Dict[str, str] = {}  # folder -> its path relative to the root

    def _relative(self, path: str, name: str) -> str:
        """``path`` relative to the root: once per folder (``relpath`` is slow outside the root)."""
        folder = path[: len(path) - len(name) - 1]
        rel = self._folders.get(folder)
        if rel is None:
            rel = self._folders[folder] = relative_path(folder, self.root)
        return name if rel == "." else f"{rel}/{name}"

    def __call__(self, path: str, name: str) -> bool:
        """``path`` is absolute."""
        if self.any is None:
            return False
        rel = self._relative(path, name) if self.root else path
        if self.any.match(name) or self.any.match(rel) or self.any.match(path):
            return True
        return self.below is not None and self.below.match(rel) is not None


def _union(patterns: Sequence[str]) -> Optional[re.Pattern]:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{translate(os.path.normcase(p))})" for p in patterns))


def discover(paths: Sequence[str], exclude: Sequence[str], root: str,
             respect_gitignore: bool = True, stats: Optional[Dict[str, os.stat_result]] = None,
             trail: Optional[Trail] = None) -> List[str]:
    """Python files under ``paths``. Explicitly named files are always included. Raises
    ``DiscoveryError`` for a path that does not exist. ``stats`` receives the stat of each file
    found in a folder (taken anyway to tell regular files from devices), ``trail`` what the
    discovery looked at."""
    found: List[str] = []
    seen = set()
    for raw in paths:
        try:
            os.lstat(raw)
        except (FileNotFoundError, NotADirectoryError):
            raise DiscoveryError(f"{raw}: no such file or directory") from None
        except OSError:
            pass  # there, but not to be looked at (a folder above it is not searchable): reading it says why
        if not os.path.isdir(raw):
            key = os.path.normpath(raw)
            if key not in seen:
                seen.add(key)
                found.append(raw)
            continue
        for file in _walk(raw, exclude, root, respect_gitignore, stats if stats is not None else {}, trail):
            key = os.path.normpath(file)
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


def _walk(top: str, exclude: Sequence[str], root: str, respect_gitignore: bool,
          stats: Dict[str, os.stat_result], trail: Optional[Trail]) -> List[str]:
    ignores: List[GitIgnore] = []
    if respect_gitignore:
        # .gitignore files above the starting folder, up to the repository root
        chain = []
        current = os.path.abspath(top)
        while True:
            if trail is not None:
                trail.folder(current)  # a .git or .gitignore appearing here changes its mtime
            parent = os.path.dirname(current)
            if os.path.isdir(os.path.join(current, ".git")) or parent == current:
                break
            current = parent
            chain.append(current)
        for directory in reversed(chain):
            gi = GitIgnore.load(directory, trail)
            if gi:
                ignores.append(gi)
    visited = set()
    excluder = _Excluder(exclude, os.path.abspath(root))
    out: List[str] = []
    _walk_dir(top, excluder, ignores, respect_gitignore, visited, stats, out, trail)
    return out


def _ignored(ignores: Sequence[GitIgnore], path: str, is_dir: bool) -> bool:
    """``path`` is absolute."""
    verdict = None
    for gi in ignores:
        result = gi.match(path, is_dir)
        if result is not None:
            verdict = result
    return bool(verdict)


def _walk_dir(directory: str, excluded: _Excluder, ignores: List[GitIgnore], respect_gitignore: bool,
              visited: set, stats: Dict[str, os.stat_result], out: List[str], trail: Optional[Trail]) -> None:
    """Append the files to check under ``directory`` to ``out``, in name order."""
    try:
        st = os.stat(directory)
    except OSError as exc:
        if trail is not None:
            trail.complete = False
            trail.unreadable.append(Unreadable(directory, _reason(exc)))
        return
    key = (st.st_dev, st.st_ino)
    if key in visited:  # symlink loop
        return
    visited.add(key)
    absolute = os.path.abspath(directory)  # once per folder: entries extend it
    if trail is not None:
        trail.folder(absolute, st)  # taken before listing: a change after it changes the mtime
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        if trail is not None:
            trail.complete = False
            trail.unreadable.append(Unreadable(directory, _reason(exc)))
        return
    if respect_gitignore and any(e.name == ".gitignore" for e in entries):
        gi = GitIgnore.load(absolute, trail)
        if gi:
            ignores = ignores + [gi]
    join = os.path.join
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False  # a symlink loop: reported as unreadable below if it names a .py file
        if not is_dir and not name.endswith(".py"):
            continue  # neither walked nor checked: no pattern needs to see it
        entry_abs = join(absolute, name)
        if excluded(entry_abs, name):
            continue
        if ignores and _ignored(ignores, entry_abs, is_dir):
            continue
        if is_dir:
            _walk_dir(entry.path, excluded, ignores, respect_gitignore, visited, stats, out, trail)
        elif _regular_or_broken_link(entry, stats):
            out.append(entry.path)


def _regular_or_broken_link(entry: os.DirEntry, stats: Dict[str, os.stat_result]) -> bool:
    """Regular files, and links that do not resolve (reported as unreadable). Never a FIFO or a
    device: reading one would block the whole run."""
    try:
        st = entry.stat()
    except OSError:
        return entry.is_symlink()
    if stat.S_ISREG(st.st_mode):
        stats[entry.path] = st
        return True
    return False


def module_name_for(path: str, packages: Optional[Dict[str, str]] = None) -> Tuple[str, bool]:
    """Dotted module name from the package structure on disk (``__init__.py`` up the tree).
    ``packages`` memoizes each folder's package name across the files of one run."""
    memo = packages if packages is not None else {}
    given, filename = os.path.split(path)
    stem = filename[:-3] if filename.endswith(".py") else filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    key = "\0" + given  # the folder as given: made absolute once, not once per file
    package = memo.get(key)
    if package is None:
        package = memo[key] = _package_of(os.path.abspath(given or "."), memo)
    if is_package:
        return package, True
    return (f"{package}.{stem}" if package else stem), False


def _package_of(directory: str, memo: Dict[str, str]) -> str:
    """The dotted name of the package ``directory`` is, or "" when it holds no ``__init__.py``."""
    known = memo.get(directory)
    if known is None:
        known = ""
        if os.path.isfile(os.path.join(directory, "__init__.py")):
            parent, name = os.path.split(directory)
            if name:
                above = _package_of(parent, memo)
                known = f"{above}.{name}" if above else name
        memo[directory] = known
    return known

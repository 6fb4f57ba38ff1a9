"""Where a resource was made: the innermost frame that belongs to the code under test."""

from __future__ import annotations

import os
import site
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _library_prefixes() -> tuple[str, ...]:
    found = sysconfig.get_paths()
    paths = {found[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in found}
    paths.update(getattr(site, "getsitepackages", lambda: [])())
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if user_site:
        paths.add(user_site)
    return tuple(sorted({os.path.abspath(p).rstrip(os.sep) + os.sep for p in paths if p}))


_PREFIXES = _library_prefixes()
_IS_LIBRARY: dict[str, bool] = {}


def is_library(filename: str) -> bool:
    """True for the standard library, installed packages and this package's own modules."""
    known = _IS_LIBRARY.get(filename)
    if known is None:
        if filename.startswith("<"):
            known = True  # frozen modules and generated code
        else:
            path = os.path.abspath(filename)
            known = path.startswith(_HERE) or path.startswith(_PREFIXES) or "site-packages" in path
        _IS_LIBRARY[filename] = known
    return known


@dataclass(frozen=True)
class Site:
    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{display_path(self.filename)}:{self.lineno}"


_ROOT: list[Path] = []


def set_display_root(root: Path | None) -> None:
    """Paths under ``root`` (the pytest rootdir) are shown relative to it."""
    _ROOT[:] = [root] if root else []


def display_path(filename: str) -> str:
    root = _ROOT[0] if _ROOT else Path.cwd()
    try:
        return str(Path(filename).resolve().relative_to(root.resolve()))
    except ValueError:
        return filename


def caller_site(frame: FrameType | None) -> Site | None:
    """The innermost frame from ``frame`` outwards that is not library code, or None."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_library(filename):
            return Site(filename, frame.f_lineno)
        frame = frame.f_back
    return None


def traceback_site(traceback) -> Site | None:
    """The same for a tracemalloc traceback (oldest frame first)."""
    if traceback is None:
        return None
    for frame in reversed(list(traceback)):
        if not is_library(frame.filename):
            return Site(frame.filename, frame.lineno)
    return None


def object_site(obj: object) -> Site | None:
    """Where ``obj`` was allocated, if tracemalloc was tracing then."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return None
    try:
        return traceback_site(tracemalloc.get_object_traceback(obj))
    except Exception:  # objects tracemalloc cannot look up
        return None

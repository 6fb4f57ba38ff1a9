"""The cache folder: where leaklint keeps what it learnt about a tree, what each file in it must
say of itself to be used, and how it is written.

Files are replaced atomically, so concurrent runs never leave a torn file (the last writer
wins); anything that does not look exactly like what this version writes is ignored."""

from __future__ import annotations

import json
import os
import sys
from typing import Dict

from leaklint import __version__
from leaklint.findings import Finding, Safety

CACHE_DIR = ".leaklint_cache"
FORMAT = 3
# a file whose size and mtime match its entry is not read again, unless it was modified within
# this many nanoseconds of being read (a later edit in the same clock tick would keep its mtime)
RACY_NS = 2_000_000_000


def header(settings_fingerprint: str) -> Dict[str, object]:
    """What a cache file must say of itself to be used: format, versions and settings."""
    return {"format": FORMAT, "leaklint": __version__, "python": _python(), "settings": settings_fingerprint}


def file_name(prefix: str, settings_fingerprint: str) -> str:
    return f"{prefix}v{FORMAT}-{__version__}-py{_python()}-{settings_fingerprint}.json"


def _python() -> str:
    return f"{sys.version_info[0]}{sys.version_info[1]}"


def write_json(directory: str, path: str, data: dict) -> None:
    """Write ``data`` to ``path`` atomically; a place that cannot be written is left alone."""
    try:
        os.makedirs(directory, exist_ok=True)
        marker = os.path.join(directory, ".gitignore")
        if not os.path.exists(marker):
            with open(marker, "w", encoding="utf-8") as handle:
                handle.write("# created by leaklint\n*\n")
        import tempfile  # only a run that changed something writes

        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # dumps, not dump: only encoding to one string uses the C encoder (5x faster)
                handle.write(json.dumps(data, separators=(",", ":")))
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass  # a read-only tree still gets its results, just not cached


def well_formed_finding(f: Finding) -> bool:
    """Exactly the shape this version writes: a string line number read back from a cache would
    break sorting and every formatter later, far from its cause."""
    numbers = (f.line, f.column, f.end_line, f.end_column)
    if not all(type(n) is int and n >= 1 for n in numbers):
        return False
    if not all(isinstance(v, str) for v in (f.path, f.code, f.message, f.fingerprint)):
        return False
    return f.fix is None or (isinstance(f.fix.safety, Safety) and isinstance(f.fix.ops, tuple))

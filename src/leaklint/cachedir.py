"""The cache folder: where leaklint keeps what it learnt about a tree, how it is written, and the
record of the last run (``LastRun``). The per-file cache itself is ``leaklint.cache``.

Files are replaced atomically, so concurrent runs never leave a torn file (the last writer
wins); anything that does not look exactly like what this version writes is ignored."""

from __future__ import annotations

import json
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from leaklint import __version__
from leaklint._digest import blake2b
from leaklint.findings import Finding

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


class LastRun:
    """The findings of the last run with these settings, reused whole when the next run checks
    the same files, every one with the size and mtime it had then.

    That is exactly when every file's entry in ``Cache`` would be used again, so the findings
    would come out the same; reusing them skips loading every entry, indexing the project and
    resolving deferred findings. The record is written only when each file's content was confirmed
    by a read that was not racy (see ``RACY_NS``), so a later edit within the same clock tick
    cannot hide behind an unchanged mtime. It is one small file per settings: runs on other sets
    of files replace it, and then fall back on the per-file cache."""

    def __init__(self, root: str, settings_fingerprint: str):
        self.directory = os.path.join(root, CACHE_DIR)
        self.path = os.path.join(self.directory, file_name("last-run-", settings_fingerprint))
        self.header = header(settings_fingerprint)

    @staticmethod
    def key(files: Sequence[Tuple[str, str, bool, int, int]]) -> str:
        """The digest of the run's files: (display path, module, is a package, size, mtime_ns)."""
        text = "\n".join(f"{d}\0{m}\0{int(p)}\0{size}\0{mtime}" for d, m, p, size, mtime in files)
        return blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()

    def findings(self, key: str) -> Optional[List[Finding]]:
        """The recorded findings when the record is for ``key``; ``None`` otherwise."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            if not isinstance(data, dict) or data.get("header") != self.header or data.get("key") != key:
                return None
            findings = [Finding.from_dict(f) for f in data["findings"]]
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, KeyError, TypeError, AttributeError):
            return None
        if not all(well_formed_finding(f) for f in findings):
            return None
        return findings

    def save(self, key: str, findings: Sequence[Finding]) -> None:
        write_json(self.directory, self.path,
                    {"header": self.header, "key": key, "findings": [f.to_dict() for f in findings]})


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
                json.dump(data, handle, separators=(",", ":"))
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
    return f.fix is None or (isinstance(f.fix.safety, str) and isinstance(f.fix.ops, tuple))

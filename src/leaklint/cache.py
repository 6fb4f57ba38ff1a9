"""Per-file results keyed by content hash, leaklint version, Python version and settings.

One JSON file per (version, Python, settings) under ``.leaklint_cache/``, replaced atomically, so
concurrent runs never leave a torn file (the last writer wins). Anything that does not look
exactly like a cache written by this version is ignored and rebuilt.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Dict, Optional, Tuple

from leaklint import __version__
from leaklint.results import FileResult, pack_summary

CACHE_DIR = ".leaklint_cache"
FORMAT = 3
# a file whose size and mtime match its entry is not read again, unless it was modified within
# this many nanoseconds of being read (a later edit in the same clock tick would keep its mtime)
RACY_NS = 2_000_000_000


class Cache:
    def __init__(self, root: str, settings_fingerprint: str, enabled: bool = True):
        self.enabled = enabled
        self.directory = os.path.join(root, CACHE_DIR)
        py = f"{sys.version_info[0]}{sys.version_info[1]}"
        self.path = os.path.join(self.directory, f"v{FORMAT}-{__version__}-py{py}-{settings_fingerprint}.json")
        self.header = {"format": FORMAT, "leaklint": __version__, "python": py, "settings": settings_fingerprint}
        self.entries: Dict[str, dict] = {}
        self.hits = 0
        self._dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError):
            return
        if not isinstance(data, dict) or data.get("header") != self.header:
            return
        entries = data.get("files")
        if isinstance(entries, dict):
            self.entries = entries

    def unchanged_digest(self, path: str, size: int, mtime_ns: int) -> Optional[str]:
        """The cached digest of ``path`` when its size and mtime say it is unchanged since it was
        read (and it was not modified too close to that read to tell)."""
        if not self.enabled:
            return None
        entry = self.entries.get(path)
        if not isinstance(entry, dict):
            return None
        stat, read_ns, digest = entry.get("stat"), entry.get("read_ns"), entry.get("digest")
        if stat != [size, mtime_ns] or not isinstance(read_ns, int) or not isinstance(digest, str):
            return None
        if read_ns - mtime_ns < RACY_NS:
            return None
        return digest

    def get(self, path: str, digest: str) -> Optional[FileResult]:
        """The stored result for ``path`` if it was computed from content with this digest."""
        if not self.enabled:
            return None
        entry = self.entries.get(path)
        if not isinstance(entry, dict) or entry.get("digest") != digest:
            return None
        summary_text = entry.get("summary")
        if not isinstance(summary_text, str):
            return None
        try:
            result = FileResult.from_dict({**entry, "summary": {}})
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        result.summary_text = summary_text
        if not _well_formed(result, path):
            return None
        self.hits += 1
        return result

    def modules_tag(self, path: str) -> Optional[str]:
        """The tag of the set of project modules ``path``'s stored dependencies were last checked
        against: while a run's set has the same tag, they need no checking again."""
        entry = self.entries.get(path)
        tag = entry.get("modules") if isinstance(entry, dict) else None
        return tag if isinstance(tag, str) else None

    def retag(self, path: str, modules_tag: str) -> None:
        """Record that ``path``'s dependencies were found unchanged for the set ``modules_tag``."""
        entry = self.entries.get(path)
        if self.enabled and isinstance(entry, dict) and entry.get("modules") != modules_tag:
            entry["modules"] = modules_tag
            self._dirty = True

    def put(self, result: FileResult, stat: Optional[Tuple[int, int, int]] = None,
            modules_tag: str = "") -> None:
        """Store ``result``; ``stat`` is (size, mtime_ns, read_ns) of the bytes it was computed
        from, ``modules_tag`` the set of project modules its dependencies were resolved in."""
        if not self.enabled or not result.cacheable or not result.digest:
            return
        entry = result.to_dict()
        entry["summary"] = pack_summary(entry["summary"])
        entry["modules"] = modules_tag
        if stat is not None:
            entry["stat"], entry["read_ns"] = [stat[0], stat[1]], stat[2]
        self.entries[result.path] = entry
        self._dirty = True

    def prune(self, checked) -> None:
        """Forget files that no longer exist; ``checked`` (this run's paths) are known to."""
        stale = [p for p in self.entries if p not in checked and not os.path.exists(p)]
        for p in stale:
            del self.entries[p]
            self._dirty = True

    def save(self) -> None:
        if not self.enabled or not self._dirty:
            return
        try:
            os.makedirs(self.directory, exist_ok=True)
            marker = os.path.join(self.directory, ".gitignore")
            if not os.path.exists(marker):
                with open(marker, "w", encoding="utf-8") as handle:
                    handle.write("# created by leaklint\n*\n")
            import tempfile  # only a run that changed something writes

            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump({"header": self.header, "files": self.entries}, handle, separators=(",", ":"))
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a read-only tree still gets its results, just not cached


def _well_formed(result: FileResult, path: str) -> bool:
    """A cached entry must have the exact shape this version writes: a finding with a string line
    number would break sorting and every formatter later, far from its cause."""
    findings = list(result.findings) + [d.finding for d in result.deferred]
    for f in findings:
        numbers = (f.line, f.column, f.end_line, f.end_column)
        if not all(type(n) is int and n >= 1 for n in numbers):
            return False
        if f.path != path or not all(isinstance(v, str) for v in (f.code, f.message, f.fingerprint)):
            return False
        if f.fix is not None and (not isinstance(f.fix.safety, str) or not isinstance(f.fix.ops, tuple)):
            return False
    return (isinstance(result.summary, dict) and all(isinstance(v, dict) for v in result.summary.values())
            and all(isinstance(n, str) for n in result.imports + result.project_deps)
            and all(isinstance(d.condition, tuple) and d.condition for d in result.deferred))

"""Per-file results keyed by content hash, leaklint version, Python version and settings.

One JSON file per (version, Python, settings) in the cache folder (``leaklint.cache.folder``),
replaced atomically. Anything that does not look exactly like a cache written by this version is
ignored and rebuilt.
"""

from __future__ import annotations

import json
import os
from typing import Dict, Optional, Sequence, Tuple

from leaklint.cache.digest import blake2b
from leaklint.cache.folder import CACHE_DIR, RACY_NS, file_name, header, well_formed_finding, write_json
from leaklint.findings import Finding
from leaklint.analysis.results import Deferred, FileResult, pack_summary, project_deps


class Cache:
    def __init__(self, root: str, settings_fingerprint: str, enabled: bool = True):
        self.enabled = enabled
        self.directory = os.path.join(root, CACHE_DIR)
        self.path = os.path.join(self.directory, file_name("", settings_fingerprint))
        self.header = header(settings_fingerprint)
        self.entries: Dict[str, dict] = {}
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
        result = _decode(path, entry)
        if result is None or not _well_formed(result, path):
            return None
        return result

    def usable(self, path: str, digest: str, tag: str, module_set: frozenset) -> Optional[FileResult]:
        """The stored result for ``path``'s content, if it still holds in this run's project: its
        imports resolve to the same project modules (the set ``tag`` names) as when it was made."""
        cached = self.get(path, digest)
        if cached is None:
            return None
        if self.modules_tag(path) != tag and project_deps(cached.imports, module_set) != cached.project_deps:
            return None
        self.retag(path, tag)
        return cached

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

    def restat(self, path: str, stat: Tuple[int, int, int]) -> None:
        """Record the (size, mtime_ns, read_ns) of the content ``path``'s entry was found to match."""
        entry = self.entries.get(path)
        if not self.enabled or not isinstance(entry, dict) or stat[2] - stat[1] < RACY_NS:
            return  # read too soon after its last change: its stat could not spare a read anyway
        read_ns = entry.get("read_ns")
        racy = not isinstance(read_ns, int) or read_ns - stat[1] < RACY_NS
        if entry.get("stat") != [stat[0], stat[1]] or racy:
            entry["stat"], entry["read_ns"] = [stat[0], stat[1]], stat[2]
            self._dirty = True

    def remember_edits(self, findings) -> bool:
        """Store the concrete edits of these findings' fixes in their entries (findings are
        matched by code, position and fingerprint). Returns whether any entry changed."""
        changed = False
        by_path: Dict[str, list] = {}
        for f in findings:
            if f.fix is not None and f.fix.edits:
                by_path.setdefault(f.path, []).append(f)
        for path, found in by_path.items():
            entry = self.entries.get(path)
            if not self.enabled or not isinstance(entry, dict):
                continue
            stored = {}
            for data in list(entry.get("findings") or ()) + [d.get("finding") for d in entry.get("deferred") or ()
                                                              if isinstance(d, dict)]:
                if isinstance(data, dict) and isinstance(data.get("fix"), dict):
                    key = tuple(data.get(k) for k in ("line", "column", "end_line", "end_column", "code", "fingerprint"))
                    stored[key] = data["fix"]
            for f in found:
                fix = stored.get((f.line, f.column, f.end_line, f.end_column, f.code, f.fingerprint))
                if fix is not None and not fix.get("edits"):
                    fix["edits"] = [e.to_dict() for e in f.fix.edits]
                    self._dirty = changed = True
        return changed

    def put(self, result: FileResult, stat: Optional[Tuple[int, int, int]] = None,
            modules_tag: str = "") -> None:
        """Store ``result``; ``stat`` is (size, mtime_ns, read_ns) of the bytes it was computed
        from, ``modules_tag`` the set of project modules its dependencies were resolved in."""
        if not self.enabled or not result.cacheable or not result.digest:
            return
        entry = _encode(result)
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
        if self.enabled and self._dirty:
            write_json(self.directory, self.path, {"header": self.header, "files": self.entries})


def _encode(result: FileResult) -> dict:
    """An entry: imports and dependencies joined into one string each, the summary packed, as
    most entries of a run are only checked for being unchanged and these are their bulk."""
    return {
        "digest": result.digest,
        "findings": [f.to_dict() for f in result.findings],
        "deferred": [d.to_dict() for d in result.deferred],
        "summary": pack_summary(result.summary),
        "imports": "\n".join(result.imports),
        "project_deps": "\n".join(result.project_deps),
    }


def _decode(path: str, entry: dict) -> Optional[FileResult]:
    try:
        summary, imports, deps = entry["summary"], entry["imports"], entry["project_deps"]
        if not (isinstance(summary, str) and isinstance(imports, str) and isinstance(deps, str)):
            return None
        return FileResult(
            path=path, digest=entry["digest"],
            findings=[Finding.from_dict(f) for f in entry["findings"]],
            deferred=[Deferred.from_dict(d) for d in entry["deferred"]],
            summary_text=summary,
            imports=imports.split("\n") if imports else [],
            project_deps=deps.split("\n") if deps else [],
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _well_formed(result: FileResult, path: str) -> bool:
    """A cached entry must have the exact shape this version writes: a finding with a string line
    number would break sorting and every formatter later, far from its cause."""
    for f in list(result.findings) + [d.finding for d in result.deferred]:
        if f.path != path or not well_formed_finding(f):
            return False
    return all(isinstance(d.condition, tuple) and d.condition for d in result.deferred)


def modules_tag(project_modules: Sequence[str]) -> str:
    """A short digest of the run's set of project modules (sorted)."""
    return blake2b("\n".join(project_modules).encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()

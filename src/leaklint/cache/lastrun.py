"""The record of the last run (``LastRun``), replayed when nothing the run looked at has changed.
The per-file cache is ``leaklint.cache.store``; the folder both live in, ``leaklint.cache.folder``."""

from __future__ import annotations

import json
import os
from stat import S_ISDIR, S_ISREG
from typing import Dict, List, Optional, Sequence, Tuple

from leaklint.cache.digest import blake2b
from leaklint.cache.folder import CACHE_DIR, RACY_NS, file_name, header, well_formed_finding, write_json
from leaklint.findings import Finding


class LastRun:
    """The findings of the last run with these settings, replayed when the next run is the same
    command over a tree in which nothing it looked at has changed.

    The record holds what the run's discovery looked at (each folder listed or searched with its
    mtime, each ``.gitignore`` with its size and mtime: an entry added, removed or renamed changes
    its folder's mtime) and each checked file's size and mtime. When all still match, discovery
    would find the same files and every file's entry in the per-file cache would be used again, so
    the findings would come out the same; replaying them takes one ``stat`` per folder and file
    instead of walking the tree, loading every entry, indexing the project and resolving deferred
    findings. When only checked files changed (edited in place: no folder changed), the same files
    are checked again, without walking the tree, through the per-file cache.

    It is written only when every file's content was confirmed by a read that was not racy, and
    every folder and ``.gitignore`` was looked at long enough after its last change (see
    ``RACY_NS``): a later change within the same clock tick cannot hide behind an unchanged mtime.
    One small file per settings: a run of another command replaces it."""

    def __init__(self, root: str, settings_fingerprint: str):
        self.directory = os.path.join(root, CACHE_DIR)
        self.path = os.path.join(self.directory, file_name("last-run-", settings_fingerprint))
        self.header = header(settings_fingerprint)

    @staticmethod
    def key(command: Sequence[object]) -> str:
        """The digest of what decides which files a run checks and how it names them."""
        text = json.dumps(list(command), default=str)
        return blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()

    def replay(self, key: str) -> Optional["Replay"]:
        """The recorded run when the record is for ``key`` and no folder or ``.gitignore`` it
        lists has changed, so the same files would be checked; ``None`` otherwise. The replay is
        ``complete`` when no checked file has changed either: its findings hold as they are."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            if not isinstance(data, dict) or data.get("header") != self.header or data.get("key") != key:
                return None
            folders, ignores, checked, digests = data["folders"], data["ignores"], data["checked"], data["digests"]
            if not isinstance(digests, dict):
                return None
            for path, mtime in folders:
                st = os.stat(path)
                if st.st_mtime_ns != mtime or not S_ISDIR(st.st_mode):
                    return None
            for path, size, mtime in ignores:
                if not _unchanged_file(path, size, mtime):
                    return None
            jobs = [(str(path), str(display), str(module), bool(package))
                    for path, display, module, package, _, _ in checked]
            complete = all(_unchanged_file(path, size, mtime) for path, _, _, _, size, mtime in checked)
            findings = [Finding.from_dict(f) for f in data["findings"]]
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, KeyError, TypeError, AttributeError):
            return None
        if not all(well_formed_finding(f) for f in findings):
            return None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in digests.items()):
            return None
        return Replay(findings, jobs, digests, data, complete)

    def save(self, key: str, folders: Dict[str, Tuple[int, int]], ignores: Dict[str, Tuple[int, int, int]],
             checked: Sequence[Tuple[str, str, str, bool, int, int]], findings: Sequence[Finding],
             digests: Dict[str, str]) -> bool:
        """Record a run: the ``folders`` and ``.gitignore`` files its discovery looked at (with
        when), ``checked`` the (path, display, module, is a package, size, mtime_ns) of each file
        its results were confirmed for, ``digests`` their contents'. Nothing is written when a
        folder or ``.gitignore`` was looked at too soon after it changed; returns whether the
        record was written."""
        if any(seen - mtime < RACY_NS for mtime, seen in folders.values()):
            return False
        if any(seen - mtime < RACY_NS for _, mtime, seen in ignores.values()):
            return False
        self._write(key, [[path, mtime] for path, (mtime, _) in folders.items()],
                    [[path, size, mtime] for path, (size, mtime, _) in ignores.items()], checked, findings, digests)
        return True

    def save_again(self, replay: "Replay", checked: Sequence[Tuple[str, str, str, bool, int, int]],
                   findings: Sequence[Finding], digests: Dict[str, str]) -> None:
        """Record a run that checked the files of ``replay`` again (some had changed): its folders
        and ``.gitignore`` files are the record's, vouched for when it was written."""
        data = replay.data
        self._write(data["key"], data["folders"], data["ignores"], checked, findings, digests)

    def update(self, replay: "Replay", findings: Sequence[Finding]) -> None:
        """Rewrite a replayed record with ``findings`` (the same, with the edits computed since)."""
        write_json(self.directory, self.path, {**replay.data, "findings": [f.to_dict() for f in findings]})

    def _write(self, key: str, folders: list, ignores: list, checked: Sequence[Tuple[str, str, str, bool, int, int]],
               findings: Sequence[Finding], digests: Dict[str, str]) -> None:
        write_json(self.directory, self.path, {
            "header": self.header, "key": key, "folders": folders, "ignores": ignores,
            "checked": [[path, display, module, package, size, mtime]
                        for path, display, module, package, size, mtime in checked],
            "digests": digests,
            "findings": [f.to_dict() for f in findings],
        })


def _unchanged_file(path: str, size: int, mtime: int) -> bool:
    st = os.stat(path)
    return st.st_mtime_ns == mtime and st.st_size == size and S_ISREG(st.st_mode)


class Replay:
    """A recorded run whose files would be checked again: its findings (which hold when it is
    ``complete``), the files as (path, display, module, is a package), and content digests."""

    def __init__(self, findings: List[Finding], jobs: List[Tuple[str, str, str, bool]], digests: Dict[str, str],
                 data: dict, complete: bool):
        self.findings = findings
        self.jobs = jobs
        self.count = len(jobs)
        self.digests = digests
        self.data = data
        self.complete = complete

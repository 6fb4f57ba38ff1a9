"""The replay step: when the command and every folder and file it looked at are as the last run
left them, its findings are replayed without checking anything (``leaklint.cache.lastrun``);
after a run that checked files, the record is written for the next one."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence

from leaklint.cache.lastrun import LastRun, Replay
from leaklint.config.settings import Settings
from leaklint.files.discovery import Trail
from leaklint.findings import Finding
from leaklint.run.analyse import Job, RunResult


@dataclass
class Record:
    """The last run of this command, if one is kept: where it is, its key, and what it says."""

    last_run: Optional[LastRun] = None
    key: Optional[str] = None
    replay: Optional[Replay] = None

    @classmethod
    def open(cls, settings: Settings, paths: Sequence[str], use_cache: bool, fixing: bool) -> Record:
        """The record of this command; fixing needs every file's results and the project index:
        never a replay, nor a record."""
        if not use_cache:
            return cls()
        last_run = LastRun(settings.root, settings.fingerprint())
        key = LastRun.key([os.getcwd(), settings.root, paths, settings.exclude, settings.extend_exclude])
        replay = last_run.replay(key) if key and not fixing else None
        return cls(last_run, key, replay)

    def replayed(self, started: float) -> Optional[RunResult]:
        """The last run's findings, when nothing it looked at has changed."""
        replay = self.replay
        if replay is None or not replay.complete:
            return None
        return RunResult(findings=replay.findings, files=replay.count, results={}, cache_hits=replay.count,
                         reused=True, digests=replay.digests, timings={"replay": time.perf_counter() - started})

    def recorded_jobs(self) -> Optional[List[Job]]:
        """The files of the recorded run, each with its stat now, to check again without walking the
        tree; ``None`` when there is no record or a file cannot be stat'ed (its folder's mtime says
        it is still there: a race, left to a full discovery)."""
        if self.replay is None:
            return None
        jobs = []
        for path, display, module, is_package in self.replay.jobs:
            try:
                st = os.stat(path)
            except OSError:
                self.replay = None
                return None
            jobs.append(Job(path=path, display=display, module=module, is_package=is_package, stat=st))
        return jobs

    def keep_edits(self, findings: List[Finding], result: RunResult) -> None:
        """Remember fix edits computed for the report: in the record when the run was replayed,
        else in the per-file cache, so the next run over the same contents need not compute them."""
        if result.reused and self.replay is not None and self.last_run is not None:
            self.last_run.update(self.replay, findings)
        else:
            result.remember_edits(findings)

    def save(self, result: RunResult, jobs: List[Job], trail: Trail, findings: List[Finding],
             fixing: bool) -> None:
        """Record a run that checked files, when every file's content was confirmed by its stat."""
        if self.last_run is None or not self.key or fixing or result.reused or not result.confirmed:
            return
        checked = [(j.path, j.display, j.module, j.is_package, j.stat.st_size, j.stat.st_mtime_ns)
                   for j in jobs if j.stat is not None]
        if len(checked) != len(jobs):
            return
        if self.replay is not None:
            self.last_run.save_again(self.replay, checked, findings, result.digests)
        elif trail.complete:
            self.last_run.save(self.key, trail.folders, trail.files, checked, findings, result.digests)



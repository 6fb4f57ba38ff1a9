"""Child processes of this process, read from /proc (Linux only)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Child:
    pid: int
    started: str  # the kernel's start time, so a reused pid is another child


def supported() -> bool:
    return os.path.isdir("/proc/self/task")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    # the command name in parentheses may hold spaces; fields after it are plain
    return text[text.rindex(")") + 2:].split()


def _child_pids() -> set[int]:
    pids: set[int] = set()
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as fh:
                pids.update(int(p) for p in fh.read().split())
        except OSError:
            continue
    return pids


def running() -> frozenset[Child]:
    """Children that still run (a zombie has exited; it is not running)."""
    found = set()
    for pid in _child_pids():
        fields = _stat(pid)
        if fields is not None and fields[0] not in ("Z", "X"):
            found.add(Child(pid, fields[19]))
    return frozenset(found)


def still_running(children: set[Child] | frozenset[Child]) -> set[Child]:
    return set(children) & running()


def describe(child: Child) -> str:
    try:
        with open(f"/proc/{child.pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        argv = []
    return f"pid {child.pid}: {' '.join(argv) or '(command line unknown)'}"

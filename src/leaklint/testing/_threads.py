"""Threads: where each one was started, by whom, and whether it still works."""

from __future__ import annotations

import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Callable, Hashable

from leaklint.testing._sites import Site, caller_site


@dataclass(frozen=True)
class ThreadStart:
    site: Site | None
    owner: Hashable | None


_starts: weakref.WeakKeyDictionary[threading.Thread, ThreadStart] = weakref.WeakKeyDictionary()
_owner: list[Callable[[], Hashable | None]] = [lambda: None]
_users = [0]
_original_start = threading.Thread.start


def _recording_start(self: threading.Thread) -> None:
    parent = _starts.get(threading.current_thread())
    # a thread started by a recorded thread belongs to whoever owns that thread
    owner = parent.owner if parent is not None and parent.owner is not None else _owner[0]()
    _starts[self] = ThreadStart(caller_site(sys._getframe(1)), owner)
    _original_start(self)


def start_recording() -> None:
    """Record the start site of every thread from now on (nested calls are counted)."""
    _users[0] += 1
    if _users[0] == 1:
        threading.Thread.start = _recording_start  # type: ignore[method-assign]


def stop_recording() -> None:
    _users[0] -= 1
    if _users[0] == 0:
        threading.Thread.start = _original_start  # type: ignore[method-assign]


def set_owner_source(source: Callable[[], Hashable | None]) -> None:
    _owner[0] = source


def start_of(thread: threading.Thread) -> ThreadStart | None:
    return _starts.get(thread)


def started_by(owner: Hashable) -> list[threading.Thread]:
    return [t for t, start in list(_starts.items()) if start.owner == owner and t.is_alive()]


def _target_name(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    if target is None:
        return f"{type(thread).__qualname__}.run"
    return getattr(target, "__qualname__", None) or repr(target)


def is_idle_pool_worker(thread: threading.Thread) -> bool:
    """A ThreadPoolExecutor worker waiting for work of an executor still in use is pooled, not leaked."""
    target = getattr(thread, "_target", None)
    if getattr(target, "__module__", None) != "concurrent.futures.thread" or target.__name__ != "_worker":
        return False
    args = getattr(thread, "_args", ())
    executor = args[0]() if args and isinstance(args[0], weakref.ref) else None
    if executor is None or getattr(executor, "_shutdown", True):
        return False
    idle = getattr(executor, "_idle_semaphore", None)
    return idle is not None and idle._value >= len(executor._threads)


def still_working(threads: list[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threads if t.is_alive() and not is_idle_pool_worker(t)]


def describe(thread: threading.Thread) -> str:
    start = start_of(thread)
    text = f"'{thread.name}' (target {_target_name(thread)}{', daemon' if thread.daemon else ''})"
    if start is not None and start.site is not None:
        text += f" started at {start.site}"
    return text

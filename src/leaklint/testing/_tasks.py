"""Asyncio tasks on any event loop: where each was created, by whom, and which a loop cancelled at shutdown."""

from __future__ import annotations

import asyncio
import asyncio.runners
import re
import sys
import weakref
from dataclasses import dataclass
from typing import Callable, Hashable

from leaklint.testing._sites import Site, caller_site


@dataclass(frozen=True)
class TaskStart:
    site: Site | None
    owner: Hashable | None


@dataclass(frozen=True)
class ShutdownCancel:
    """A task still pending when its loop shut down (the task itself may be gone by the time we look)."""

    owner: Hashable
    description: str


_starts: weakref.WeakKeyDictionary[asyncio.Task, TaskStart] = weakref.WeakKeyDictionary()
_cancelled_at_shutdown: list[ShutdownCancel] = []
_owner: list[Callable[[], Hashable | None]] = [lambda: None]
_users = [0]
_original_create_task = asyncio.BaseEventLoop.create_task
_original_cancel_all = getattr(asyncio.runners, "_cancel_all_tasks", None)
_DEFAULT_NAME = re.compile(r"Task-\d+$")


def _recording_create_task(self, coro, **kwargs):
    task = _original_create_task(self, coro, **kwargs)
    parent = _starts.get(asyncio.current_task(self)) if self.is_running() else None
    # a task spawned by code under test belongs to the owner of its parent task
    owner = parent.owner if parent is not None and parent.site is not None else _owner[0]()
    _starts[task] = TaskStart(caller_site(sys._getframe(1)), owner)
    return task


def _recording_cancel_all(loop):
    for task in asyncio.all_tasks(loop):
        start = _starts.get(task)
        if start is not None and start.site is not None and start.owner is not None and not task.done():
            _cancelled_at_shutdown.append(ShutdownCancel(start.owner, describe(task)))
    return _original_cancel_all(loop)


def start_recording() -> None:
    _users[0] += 1
    if _users[0] == 1:
        asyncio.BaseEventLoop.create_task = _recording_create_task  # type: ignore[method-assign]
        if _original_cancel_all is not None:
            asyncio.runners._cancel_all_tasks = _recording_cancel_all  # type: ignore[attr-defined]


def stop_recording() -> None:
    _users[0] -= 1
    if _users[0] == 0:
        asyncio.BaseEventLoop.create_task = _original_create_task  # type: ignore[method-assign]
        if _original_cancel_all is not None:
            asyncio.runners._cancel_all_tasks = _original_cancel_all  # type: ignore[attr-defined]


def set_owner_source(source: Callable[[], Hashable | None]) -> None:
    _owner[0] = source


def start_of(task: asyncio.Task) -> TaskStart | None:
    return _starts.get(task)


def pending_of(owner: Hashable) -> list[asyncio.Task]:
    """Tasks that code under test created for ``owner`` and that have not finished."""
    return [t for t, start in list(_starts.items())
            if start.owner == owner and start.site is not None and not t.done()]


def take_cancelled_at_shutdown(owner: Hashable) -> list[str]:
    taken = [c.description for c in _cancelled_at_shutdown if c.owner == owner]
    _cancelled_at_shutdown[:] = [c for c in _cancelled_at_shutdown if c.owner != owner]
    return taken


def take_cancelled_at_shutdown_except(live: set) -> list[ShutdownCancel]:
    """Those whose owner is no longer live: its loop shut down after its own check."""
    taken = [c for c in _cancelled_at_shutdown if c.owner not in live]
    _cancelled_at_shutdown[:] = [c for c in _cancelled_at_shutdown if c.owner in live]
    return taken


def describe(task: asyncio.Task) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or repr(coro)
    text = f"{name}()"
    if not _DEFAULT_NAME.match(task.get_name()):
        text += f" (name '{task.get_name()}')"
    start = _starts.get(task)
    if start is not None and start.site is not None:
        text += f" created at {start.site}"
    return text

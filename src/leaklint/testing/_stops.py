"""Assertions that work stops when it is cancelled or times out, instead of going on for nobody."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Coroutine

from leaklint.testing import _tasks, _threads

POLL = 0.01


def _thread_problems(before: set[threading.Thread], exclude: set[threading.Thread], when: str) -> list[str]:
    new = [t for t in threading.enumerate() if t not in before and t not in exclude]
    return [f"thread {_threads.describe(t)} is still running {when}"
            for t in _threads.still_working(new)]


def _watch(probe: Callable[[], Any] | None, baseline: Any, changed: list[Any]) -> None:
    if probe is not None and not changed:
        value = probe()
        if value != baseline:
            changed.append(value)


def _failure(subject: str, problems: list[str]) -> AssertionError:
    return AssertionError(f"{subject} did not stop:\n" + "\n".join(f"- {p}" for p in problems))


async def assert_cancellation_stops(
    factory: Callable[[], Coroutine[Any, Any, Any]],
    *,
    after: float = 0.05,
    grace: float = 0.5,
    probe: Callable[[], Any] | None = None,
) -> None:
    """Run ``factory()`` as a task, cancel it after ``after`` seconds and prove that the work stopped.

    Raises AssertionError naming each cause: the task did not finish within ``grace`` seconds, or
    finished without raising CancelledError (the cancellation was swallowed); a task it created is
    still running; a thread started meanwhile (``to_thread``, ``run_in_executor``) still works; or
    ``probe()`` changed after the cancellation was delivered (the work went on).
    """
    loop = asyncio.get_running_loop()
    threads_before = set(threading.enumerate())
    tasks_before = asyncio.all_tasks(loop)
    _threads.start_recording()
    _tasks.start_recording()
    try:
        coro = factory()
        subject = f"{getattr(coro, '__qualname__', None) or repr(coro)}()"
        task = loop.create_task(coro)
        await asyncio.wait({task}, timeout=after)
        if task.done():
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio does not log it as never retrieved
            raise AssertionError(f"{subject} finished before it was cancelled {after:g}s in: nothing was "
                                 f"left to cancel (give it longer work or a smaller `after`)")
        task.cancel()
        baseline = probe() if probe is not None else None
        changed: list[Any] = []
        deadline = loop.time() + grace
        own = {task, asyncio.current_task()}
        while loop.time() < deadline:
            await asyncio.sleep(POLL)
            _watch(probe, baseline, changed)
            if probe is None and task.done() and not _children(loop, tasks_before, own) \
                    and not _thread_problems(threads_before, set(), ""):
                break

        problems = []
        if not task.done():
            problems.append(f"{subject} was still running {grace:g}s after it was cancelled")
        elif not task.cancelled():
            error = task.exception()
            outcome = f"raised {error!r}" if error is not None else f"returned {task.result()!r}"
            problems.append(f"{subject} swallowed its cancellation: it {outcome} instead of raising "
                            f"CancelledError")
        orphans = _children(loop, tasks_before, own)
        problems += [f"task {_tasks.describe(t)} that it created is still running after the cancellation "
                     f"(orphaned by its parent)" for t in orphans]
        problems += _thread_problems(threads_before, set(), "after the cancellation (work handed to a thread "
                                     "with to_thread or run_in_executor went on)")
        if changed:
            problems.append(f"probe() changed from {baseline!r} to {changed[0]!r} after the cancellation was "
                            f"delivered: the work went on")
        if problems:
            await _stop(loop, [task, *orphans], grace)
            raise _failure(subject, problems)
    finally:
        _threads.stop_recording()
        _tasks.stop_recording()


def _children(loop: asyncio.AbstractEventLoop, before: set[asyncio.Task], own: set) -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks(loop) if t not in before and t not in own and not t.done()]


async def _stop(loop: asyncio.AbstractEventLoop, tasks: list[asyncio.Task], grace: float) -> None:
    """Cancel what is left once more, so a failure here does not spread into the next test."""
    pending = [t for t in tasks if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending, timeout=grace)
    for t in tasks:
        if t.done() and not t.cancelled():
            t.exception()


def assert_timeout_stops(
    fn: Callable[[], Any],
    *,
    timeout: float,
    grace: float = 0.5,
    probe: Callable[[], Any] | None = None,
) -> Any:
    """Run ``fn()`` in a thread and prove that it honours its ``timeout``; return what it returned.

    Raises AssertionError when ``fn`` is still running ``timeout + grace`` seconds after it started,
    when a thread it started is still working then, or when ``probe()`` changes within ``grace``
    seconds after ``fn`` returned or ``timeout`` passed. An exception from ``fn`` (such as the
    timeout error it should raise) is raised again once those checks pass.
    """
    subject = f"{getattr(fn, '__qualname__', None) or repr(fn)}()"
    threads_before = set(threading.enumerate())
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as error:  # handed back to the caller below
            outcome["error"] = error

    runner = threading.Thread(target=run, name=f"assert_timeout_stops {subject}", daemon=True)
    _threads.start_recording()
    try:
        started = time.monotonic()
        runner.start()
        runner.join(timeout)
        baseline = probe() if probe is not None else None
        watch_until = time.monotonic() + grace
        hard_deadline = started + timeout + grace
        changed: list[Any] = []
        while True:
            now = time.monotonic()
            if now >= hard_deadline or (not runner.is_alive() and now >= watch_until):
                break
            if probe is None and not runner.is_alive() and not _thread_problems(threads_before, {runner}, ""):
                break
            time.sleep(POLL)
            _watch(probe, baseline, changed)

        problems = []
        if runner.is_alive():
            problems.append(f"{subject} was still running {timeout + grace:g}s after it started: its "
                            f"timeout of {timeout:g}s was not honoured")
        problems += _thread_problems(threads_before, {runner}, f"{timeout + grace:g}s after {subject} started")
        if changed:
            problems.append(f"probe() changed from {baseline!r} to {changed[0]!r} after {subject} returned or its "
                            f"timeout passed: the work went on")
        if problems:
            raise _failure(subject, problems)
        runner.join()  # noqa: LL101 the runner was already bounded by the caller's deadline
    finally:
        _threads.stop_recording()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")

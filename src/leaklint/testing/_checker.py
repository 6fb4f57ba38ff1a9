"""Per-test leak checks: what a test (or a wider-scoped fixture) made, and what of it outlived it."""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from collections.abc import Generator
from dataclasses import dataclass, field

import pytest

from leaklint.testing import _fds, _processes, _tasks, _threads, _warnings
from leaklint.testing._kinds import Kind, Leak
from leaklint.testing._sites import set_display_root
from leaklint.testing.plugin import MARKER, allowed_kinds

ORIGIN_DEPTH = 8
POLL = 0.01


@dataclass(eq=False)
class Window:
    """What one test, or one module/class/package/session-scoped fixture, owns.

    Threads and tasks are tagged with their owner when they start; descriptors and children are told
    apart by snapshots taken when the window opens (and, for a fixture, when its setup ends).
    """

    label: str  # empty for the test itself
    fds_before: frozenset[_fds.OpenFd]
    children_before: frozenset[_processes.Child]
    capture: _warnings.Capture | None  # the log that warnings_from and warnings_to index
    warnings_from: int
    owned_fds: frozenset[_fds.OpenFd] = frozenset()
    owned_children: frozenset[_processes.Child] = frozenset()
    warnings_to: int | None = None
    pending_at_return: list[str] = field(default_factory=list)
    reported_tasks: set[str] = field(default_factory=set)

    def leak(self, kind: Kind, text: str) -> Leak:
        return Leak(kind, f"{text} (from {self.label})" if self.label else text)


class LeakChecker:
    NAME = "leaklint-checker"

    def __init__(self, config: pytest.Config, grace: float, tracemalloc_frames: int) -> None:
        self.grace = grace
        self._tracemalloc_frames = tracemalloc_frames
        self._origin_depth = 0
        self._check_fds = _fds.supported()
        self._check_children = _processes.supported()
        self._stack: list[Window] = []
        self._fixtures: dict[object, Window] = {}  # live wider-scoped fixtures by FixtureDef
        self._set_up_here: list[Window] = []  # wider-scoped fixtures set up within the current test
        # fixtures finalized during this teardown: checked after it, once the loops they used are closed too
        self._ended: list[Window] = []
        self._capture: _warnings.Capture | None = None
        self._started_tracemalloc = False
        set_display_root(config.rootpath)

    # lifetime of the checks

    def pytest_sessionstart(self) -> None:
        if self._tracemalloc_frames and not tracemalloc.is_tracing():
            tracemalloc.start(self._tracemalloc_frames)
            self._started_tracemalloc = True
        self._origin_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._origin_depth, ORIGIN_DEPTH))
        _fds.start_recording()
        owner = self._owner
        _threads.set_owner_source(owner)
        _tasks.set_owner_source(owner)
        _threads.start_recording()
        _tasks.start_recording()

    def pytest_unconfigure(self) -> None:
        _threads.stop_recording()
        _tasks.stop_recording()
        _fds.stop_recording()
        sys.set_coroutine_origin_tracking_depth(self._origin_depth)
        _threads.set_owner_source(lambda: None)
        _tasks.set_owner_source(lambda: None)
        if self._started_tracemalloc:
            tracemalloc.stop()

    def pytest_report_header(self) -> list[str]:
        missing = [what for what, ok in (("file descriptors", self._check_fds),
                                         ("child processes", self._check_children)) if not ok]
        if missing:
            return [f"leaklint: {' and '.join(missing)} are not checked on this platform"]
        return []

    def _owner(self) -> Window | None:
        return self._stack[-1] if self._stack else None

    def _open(self, label: str) -> Window:
        window = Window(label,
                        _fds.snapshot() if self._check_fds else frozenset(),
                        _processes.running() if self._check_children else frozenset(),
                        self._capture, len(self._capture.log) if self._capture else 0)
        self._stack.append(window)
        return window

    # hooks

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        with _warnings.Capture() as capture:
            self._capture = capture
            self._open("")
            try:
                return (yield)
            finally:
                self._stack.clear()
                self._set_up_here.clear()
                self._capture = None

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            if self._stack:
                test = self._stack[0]
                test.pending_at_return = [_tasks.describe(t) for t in _tasks.pending_of(test)]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef) -> Generator[None, object, object]:
        if fixturedef.scope == "function" or not self._stack:
            return (yield)
        window = self._open(f"{fixturedef.scope}-scoped fixture '{fixturedef.argname}'")
        try:
            return (yield)
        finally:
            self._stack.remove(window)
            if self._check_fds:
                window.owned_fds = _fds.snapshot() - window.fds_before
            if self._check_children:
                window.owned_children = _processes.running() - window.children_before
            window.warnings_to = len(self._capture.log) if self._capture else 0
            self._fixtures[fixturedef] = window
            self._set_up_here.append(window)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_post_finalizer(self, fixturedef) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            window = self._fixtures.pop(fixturedef, None)
            if window is not None:
                self._ended.append(window)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        result = yield
        if not self._stack:
            return result
        test = self._stack[0]
        leaks = self._leaks_of(test)
        for window in self._ended:
            leaks += self._leaks_of(window)
        self._ended = []
        for late in _tasks.take_cancelled_at_shutdown_except({test, *self._fixtures.values()}):
            # an earlier test's own tasks were reported with that test, and a fixture's pending ones at its end
            if late.owner.label and late.description not in late.owner.reported_tasks:
                leaks.append(late.owner.leak(Kind.TASKS, f"task {late.description}: cancelled when its event "
                                                         f"loop shut down"))
        allowed = allowed_kinds(item)
        leaks = [leak for leak in leaks if leak.kind not in allowed]
        if leaks:
            kinds = ", ".join(sorted({f'"{leak.kind.value}"' for leak in leaks}))
            lines = [str(leak) for leak in leaks]
            lines.append(f"(grace {self.grace:g}s; to exempt a test: @pytest.mark.{MARKER}({kinds}))")
            pytest.fail("\n".join(lines), pytrace=False)
        return result

    # the checks

    def _leaks_of(self, window: Window) -> list[Leak]:
        gc.collect(1)  # young cycles: their files and coroutines warn now, inside this test
        threads = _threads.still_working(_threads.started_by(window))
        tasks = _tasks.pending_of(window)
        fds, children = self._new_fds(window), self._new_children(window)
        if fds:
            gc.collect()  # an unreachable file object closes its descriptor when collected
            fds = self._new_fds(window)
        deadline = time.monotonic() + self.grace
        while (threads or tasks or fds or children) and time.monotonic() < deadline:
            time.sleep(POLL)
            threads = _threads.still_working(threads)
            tasks = [t for t in tasks if not t.done()]
            fds = [fd for fd in fds if fd in self._new_fds(window)]
            children = list(_processes.still_running(set(children)))

        leaks = [window.leak(Kind.THREADS, f"thread {_threads.describe(t)}") for t in threads]
        task_reasons: dict[str, str] = {}
        for text in window.pending_at_return:
            task_reasons.setdefault(text, "still pending when the test returned")
        for text in _tasks.take_cancelled_at_shutdown(window):
            task_reasons.setdefault(text, "cancelled when its event loop shut down")
        for task in tasks:
            task_reasons.setdefault(_tasks.describe(task), "still pending after teardown")
        leaks += [window.leak(Kind.TASKS, f"task {text}: {why}") for text, why in task_reasons.items()]
        window.reported_tasks.update(task_reasons)
        leaks += [window.leak(Kind.FDS, f"file descriptor {text}") for text in _fds.describe(fds)]
        leaks += [window.leak(Kind.PROCESSES, f"child process {_processes.describe(c)}") for c in children]
        if window.capture is not None:
            if window.label:
                found = list(window.capture.leaks(window.warnings_from, window.warnings_to))
            else:
                found = [m for i, m in enumerate(window.capture.log) if _warnings.is_leak(m)
                         and not self._in_fixture_setup(window.capture, i)]
            leaks += [window.leak(Kind.WARNINGS, f"warning {_warnings.describe(m)}") for m in found]
        return leaks

    def _in_fixture_setup(self, capture: _warnings.Capture, index: int) -> bool:
        return any(w.capture is capture and w.warnings_from <= index < (w.warnings_to or 0)
                   for w in self._set_up_here)

    def _new_fds(self, window: Window) -> list[_fds.OpenFd]:
        if not self._check_fds:
            return []
        return self._left(_fds.snapshot(), window.fds_before, window.owned_fds,
                          [w.owned_fds for w in self._holders()], window)

    def _new_children(self, window: Window) -> list[_processes.Child]:
        if not self._check_children:
            return []
        return self._left(_processes.running(), window.children_before, window.owned_children,
                          [w.owned_children for w in self._holders()], window)

    def _holders(self) -> list[Window]:
        return [*self._fixtures.values(), *self._ended]

    @staticmethod
    def _left(now: frozenset, before: frozenset, owned: frozenset, fixtures_own: list, window: Window) -> list:
        """What a fixture owned and still holds, or what is new since a test began and no fixture owns."""
        if window.label:
            left = owned & now
        else:
            left = now - before - set().union(*fixtures_own)
        return sorted(left)

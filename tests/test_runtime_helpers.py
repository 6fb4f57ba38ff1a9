"""assert_cancellation_stops and assert_timeout_stops: each way work outlives its cancel or timeout."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from leaklint.testing import assert_cancellation_stops, assert_timeout_stops

FAST = {"after": 0.02, "grace": 0.15}


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and set(threading.enumerate()) - before:
        time.sleep(0.01)  # the zombie work in these tests ends by itself shortly after the check
    assert not {t for t in threading.enumerate() if t.is_alive()} - before


async def stops():
    await asyncio.sleep(5)


async def swallows():
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        return "done anyway"


async def ignores_until_later():
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        await asyncio.sleep(0.3)
        raise


async def orphans():
    asyncio.ensure_future(asyncio.sleep(0.3))
    await asyncio.sleep(5)


async def hands_to_a_thread():
    await asyncio.to_thread(time.sleep, 0.3)


def test_work_that_stops_passes_and_leaves_no_task():
    async def main():
        await assert_cancellation_stops(stops, **FAST)
        assert asyncio.all_tasks() == {asyncio.current_task()}
    run(main())


def test_swallowed_cancellation():
    with pytest.raises(AssertionError, match=r"swallows\(\) swallowed its cancellation: it returned "
                                             r"'done anyway' instead of raising CancelledError"):
        run(assert_cancellation_stops(swallows, **FAST))


def test_work_still_running_after_grace():
    with pytest.raises(AssertionError, match=r"ignores_until_later\(\) was still running 0.15s after it was "
                                             r"cancelled"):
        run(assert_cancellation_stops(ignores_until_later, **FAST))


def test_task_orphaned_by_its_parent():
    with pytest.raises(AssertionError, match=r"task sleep\(\) created at .*test_runtime_helpers.py:\d+ that it "
                                             r"created is still running after the cancellation \(orphaned"):
        run(assert_cancellation_stops(orphans, **FAST))


def test_to_thread_work_that_keeps_going():
    with pytest.raises(AssertionError, match=r"thread 'asyncio_0' \(target _worker\) started at .* is "
                                             r"still running after the cancellation \(work handed to a thread"):
        run(assert_cancellation_stops(hands_to_a_thread, **FAST))


def test_moving_probe_after_cancellation():
    rows = []

    def keeps_writing():
        for i in range(10):
            time.sleep(0.01)
            rows.append(i)

    async def writer():
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, keeps_writing)

    with pytest.raises(AssertionError, match=r"probe\(\) changed from \d+ to \d+ after the cancellation was "
                                             r"delivered: the work went on"):
        run(assert_cancellation_stops(writer, after=0.02, grace=0.3, probe=lambda: len(rows)))


def test_work_that_finished_before_the_cancel_is_reported():
    async def quick():
        return 1
    with pytest.raises(AssertionError, match=r"quick\(\) finished before it was cancelled"):
        run(assert_cancellation_stops(quick, **FAST))


def test_function_that_honours_its_timeout_passes_and_returns_its_value():
    assert assert_timeout_stops(lambda: time.sleep(0.01) or 7, timeout=0.1, grace=0.1) == 7


def test_function_raising_its_timeout_error_is_raised_again():
    def times_out():
        raise TimeoutError("gave up after 0.01s")
    with pytest.raises(TimeoutError, match="gave up"):
        assert_timeout_stops(times_out, timeout=0.1, grace=0.1)


def test_function_ignoring_its_timeout():
    def ignores(timeout=0.05):
        time.sleep(0.4)
    with pytest.raises(AssertionError, match=r"ignores\(\) was still running 0.2s after it started: its timeout "
                                             r"of 0.1s was not honoured"):
        assert_timeout_stops(ignores, timeout=0.1, grace=0.1)


def test_thread_started_by_the_function_still_running():
    def spawns():
        threading.Thread(target=time.sleep, args=(0.4,), name="straggler").start()
    with pytest.raises(AssertionError, match=r"thread 'straggler' \(target sleep, daemon\) started at "
                                             r".*test_runtime_helpers.py:\d+ is still running"):
        assert_timeout_stops(spawns, timeout=0.05, grace=0.1)


def test_probe_moving_after_the_function_returned():
    calls = []

    def fires_and_forgets():
        threading.Thread(target=lambda: [time.sleep(0.02), calls.append(1)], daemon=True).start()

    with pytest.raises(AssertionError, match=r"probe\(\) changed from 0 to 1 after .* returned or its timeout "
                                             r"passed: the work went on"):
        assert_timeout_stops(fires_and_forgets, timeout=0.05, grace=0.2, probe=lambda: len(calls))


def test_assertions_import_without_pytest():
    import subprocess
    import sys

    code = ("import sys; sys.modules['pytest'] = None; import leaklint.testing as t; "
            "print(t.assert_timeout_stops(lambda: 3, timeout=0.1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: LL101 a one-line child that exits at once
    assert out.stdout.strip() == "3"

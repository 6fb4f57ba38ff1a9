"""pytest --leaklint in real pytest sessions: every kind of leak fails its test, look-alikes pass."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

def line(source: str, text: str) -> int:
    """The line of ``text`` in ``source`` as pytester writes it (leading blank lines dropped)."""
    return source.strip("\n").splitlines().index(next(l for l in source.strip("\n").splitlines() if text in l)) + 1


GRACE = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-o", "leaklint_grace=0.2"]

LEAKS = '''
import asyncio, socket, subprocess, threading
import pytest

def upload_loop(stop):
    stop.wait(3)

def test_thread():
    threading.Thread(target=upload_loop, args=(threading.Event(),), name="report-uploader", daemon=True).start()

def test_file():
    global KEPT
    KEPT = open(__file__)

def test_socket():
    global SOCKETS
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    SOCKETS = (server, socket.create_connection(server.getsockname()))

def test_process():
    global CHILD
    CHILD = subprocess.Popen(["sleep", "3"])

def test_unclosed_file_collected():
    open(__file__)

async def worker():
    await asyncio.sleep(3)

def test_task_cancelled_at_shutdown():
    async def main():
        asyncio.create_task(worker())
        await asyncio.sleep(0)
    asyncio.run(main())

def test_never_awaited():
    worker()

@pytest.fixture
def leaky_function_fixture():
    global FIXTURE_FILE
    FIXTURE_FILE = open(__file__)
    yield

def test_function_fixture(leaky_function_fixture):
    pass

@pytest.fixture(scope="module")
def leaky_module_fixture():
    stop = threading.Event()
    threading.Thread(target=stop.wait, args=(3,), name="module-worker", daemon=True).start()
    yield

def test_module_fixture(leaky_module_fixture):
    pass
'''

LOOK_ALIKES = '''
import asyncio, contextlib, socket, subprocess, threading, time
import pytest

def test_joined_thread():
    t = threading.Thread(target=time.sleep, args=(0.01,))
    t.start()
    t.join()

def test_daemon_thread_ending_within_grace():
    threading.Thread(target=time.sleep, args=(0.05,), daemon=True).start()

async def worker():
    await asyncio.sleep(3)

def test_awaited_task():
    async def main():
        await asyncio.create_task(asyncio.sleep(0))
    asyncio.run(main())

def test_cancelled_and_awaited_task():
    async def main():
        task = asyncio.create_task(worker())
        await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    asyncio.run(main())

def test_to_thread_that_finished():
    async def main():
        await asyncio.to_thread(time.sleep, 0.01)
    asyncio.run(main())

def test_closed_file():
    with open(__file__) as fh:
        fh.read()

def test_closed_socket():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()):
            pass

def test_waited_process():
    subprocess.run(["true"], check=True)

@pytest.mark.leaklint_allow("threads", "fds")
def test_allowed():
    global KEPT
    KEPT = open(__file__)
    threading.Thread(target=time.sleep, args=(1,), daemon=True).start()

{server_fixture}
def test_uses_module_server(server):
    assert server.getsockname()

def test_uses_module_server_again(server):
    assert server.getsockname()
'''


def server_fixture(scope: str, name: str) -> str:
    """A fixture holding a thread, a listening socket and a file for its whole scope, then releasing them."""
    return textwrap.dedent(f'''
        @pytest.fixture(scope="{scope}")
        def {name}():
            stop = threading.Event()
            thread = threading.Thread(target=stop.wait, name="{scope}-server")
            thread.start()
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            log = open(__file__)
            yield listener
            stop.set()
            thread.join()
            listener.close()
            log.close()
    ''')


SESSION_CONFTEST = "import socket, threading\nimport pytest\n" + server_fixture("session", "shared")


def test_each_kind_of_leak_fails_its_test_with_one_line_per_leaked_object(pytester):
    pytester.makepyfile(test_leaks=LEAKS)
    result = pytester.runpytest_subprocess("--leaklint", *GRACE)
    result.assert_outcomes(passed=9, errors=9)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_thread*",
        f"leaked thread 'report-uploader' (target upload_loop, daemon) started at test_leaks.py:{line(LEAKS, 'report-uploader')}",
        "*ERROR at teardown of test_file*",
        f"leaked file descriptor *: file */test_leaks.py opened at test_leaks.py:{line(LEAKS, 'KEPT = open')}",
        "*ERROR at teardown of test_socket*",
        f"leaked file descriptor *: socket tcp 127.0.0.1:* (LISTEN) opened at test_leaks.py:{line(LEAKS, 'server = socket')}",
        f"leaked file descriptor *: socket tcp 127.0.0.1:* -> 127.0.0.1:* (ESTABLISHED) opened at test_leaks.py:{line(LEAKS, 'create_connection')}",
        "*ERROR at teardown of test_process*",
        "leaked child process pid *: sleep 3",
        "*ERROR at teardown of test_unclosed_file_collected*",
        "leaked warning ResourceWarning: unclosed file <_io.TextIOWrapper name='*test_leaks.py'*, reported at "
        f"test_leaks.py:{line(LEAKS, '    open(__file__)')}",
        "*ERROR at teardown of test_task_cancelled_at_shutdown*",
        f"leaked task worker() created at test_leaks.py:{line(LEAKS, 'create_task(worker')}: cancelled when its event loop shut down",
        "*ERROR at teardown of test_never_awaited*",
        f"leaked warning RuntimeWarning: coroutine 'worker' was never awaited, allocated at test_leaks.py:{line(LEAKS, '    worker()')}",
        "*ERROR at teardown of test_function_fixture*",
        f"leaked file descriptor *: file */test_leaks.py opened at test_leaks.py:{line(LEAKS, 'FIXTURE_FILE = open')}",
        "*ERROR at teardown of test_module_fixture*",
        f"leaked thread 'module-worker' (target Event.wait, daemon) started at test_leaks.py:{line(LEAKS, 'module-worker')} "
        "(from module-scoped fixture 'leaky_module_fixture')",
    ])
    result.stdout.fnmatch_lines(['(grace 0.2s; to exempt a test: @pytest.mark.leaklint_allow("threads"))'])


def test_look_alikes_pass(pytester):
    pytester.makepyfile(test_fine=LOOK_ALIKES.replace("{server_fixture}", server_fixture("module", "server")))
    pytester.makeconftest(SESSION_CONFTEST)
    pytester.makepyfile(test_session=textwrap.dedent('''
        def test_one(shared):
            assert shared.getsockname()

        def test_two(shared):
            assert shared.getsockname()
    '''))
    result = pytester.runpytest_subprocess("--leaklint", *GRACE)
    result.assert_outcomes(passed=13)
    assert "leaked" not in result.stdout.str()


def test_ini_option_turns_the_checks_on(pytester):
    pytester.makeini("[pytest]\nleaklint = true\nleaklint_grace = 0.1\n")
    pytester.makepyfile(test_one="def test_kept():\n    global F\n    F = open(__file__)\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["leaked file descriptor *"])


def test_off_by_default(pytester):
    pytester.makepyfile(test_leaks=LEAKS)
    result = pytester.runpytest_subprocess(*GRACE)
    result.assert_outcomes(passed=9)
    assert "leaked" not in result.stdout.str()


def test_unknown_kind_in_the_marker_is_a_usage_error(pytester):
    pytester.makepyfile(test_one='''
        import pytest

        @pytest.mark.leaklint_allow("sockets")
        def test_x():
            pass
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown kind 'sockets' in @pytest.mark.leaklint_allow*threads, tasks, fds*"])


def test_bad_grace_is_a_usage_error(pytester):
    result = pytester.runpytest_subprocess("--leaklint", "-o", "leaklint_grace=soon", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*leaklint_grace must be a float, not 'soon'*"])


def test_each_xdist_worker_checks_its_own_tests(pytester):
    pytester.makepyfile(test_leaks=LEAKS)
    result = pytester.runpytest_subprocess("--leaklint", "-n", "2", *GRACE)
    result.assert_outcomes(passed=9, errors=9)
    result.stdout.fnmatch_lines(["*leaked thread 'report-uploader'*"])


ASYNC_TESTS = '''
import asyncio, contextlib
import pytest

async def worker():
    await asyncio.sleep(3)

{mark}
async def test_leaks_a_task():
    asyncio.create_task(worker())
    await asyncio.sleep(0)

{mark}
async def test_cancels_and_awaits_its_task():
    task = asyncio.create_task(worker())
    await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
'''


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_pytest_asyncio(pytester, mode):
    mark = "@pytest.mark.asyncio" if mode == "strict" else ""
    pytester.makepyfile(test_async=ASYNC_TESTS.format(mark=mark))
    result = pytester.runpytest_subprocess("--leaklint", *GRACE, "-p", "no:anyio", "-o", f"asyncio_mode={mode}",
                                           "-o", "asyncio_default_fixture_loop_scope=function")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks_a_task*",
                                 f"leaked task worker() created at test_async.py:{line(ASYNC_TESTS, 'create_task(worker())')}: still pending when the test "
                                 "returned"])


def test_anyio_plugin(pytester):
    pytester.makepyfile(test_async=ASYNC_TESTS.format(mark="@pytest.mark.anyio"))
    pytester.makeconftest('import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n')
    result = pytester.runpytest_subprocess("--leaklint", *GRACE, "-p", "no:asyncio")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks_a_task*",
                                 f"leaked task worker() created at test_async.py:{line(ASYNC_TESTS, 'create_task(worker())')}: *"])


def test_tracemalloc_option_says_where_a_warned_object_was_allocated(pytester):
    pytester.makepyfile(test_one='''
        class Holder:
            def __init__(self):
                self.fh = open(__file__)
                self.me = self

        def test_cycle():
            Holder()
    ''')
    result = pytester.runpytest_subprocess("--leaklint", *GRACE, "-o", "leaklint_tracemalloc=4")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["leaked warning ResourceWarning: unclosed file *, allocated at test_one.py:3"])


def test_idle_worker_of_a_loop_that_outlives_the_test_is_not_a_leak(pytester):
    pytester.makepyfile(test_pool='''
        import asyncio, time
        import pytest

        @pytest.mark.asyncio(loop_scope="module")
        async def test_work_still_running():
            loop = asyncio.get_running_loop()
            loop.run_in_executor(None, time.sleep, 0.6)

        @pytest.mark.asyncio(loop_scope="module")
        async def test_finished_work():
            await asyncio.to_thread(time.sleep, 0.01)
    ''')
    result = pytester.runpytest_subprocess("--leaklint", *GRACE, "-p", "no:anyio",
                                           "-o", "asyncio_default_fixture_loop_scope=function")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_work_still_running*",
                                 "leaked thread 'asyncio_*' (target _worker) started at test_pool.py:7"])


def test_task_left_by_a_module_scoped_async_fixture_is_reported_once_when_its_scope_ends(pytester):
    pytester.makepyfile(test_fixture_task='''
        import asyncio
        import pytest
        import pytest_asyncio

        async def poller():
            await asyncio.sleep(3)

        @pytest_asyncio.fixture(scope="module", loop_scope="module")
        async def background():
            asyncio.create_task(poller())
            yield

        @pytest.mark.asyncio(loop_scope="module")
        async def test_one(background):
            pass

        @pytest.mark.asyncio(loop_scope="module")
        async def test_two(background):
            pass
    ''')
    result = pytester.runpytest_subprocess("--leaklint", *GRACE, "-p", "no:anyio",
                                           "-o", "asyncio_default_fixture_loop_scope=function")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_two*",
                                 "leaked task poller() created at test_fixture_task.py:10: * "
                                 "(from module-scoped fixture 'background')"])
    assert [line.startswith("leaked") for line in result.stdout.lines].count(True) == 1

"""LL4xx beyond the fixtures: catalogue extensions, options, odd shapes that must not crash, and
the cost guard (the family never imports libcst or astroid while detecting)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from helpers import check_source, codes

from leaklint.checks import rules_by_code
from leaklint.fixes.apply import fix_text


def lint(source: str, select=("LL4",), config=()):
    return check_source(textwrap.dedent(source), select=select, config_lines=config)


def test_inhouse_client_from_the_catalogue_extension():
    config = ['[resources.resources."acme.rpc.Client"]', 'kind = "http-client"', 'release = ["shutdown"]',
              'per-iteration = true']
    source = """
        from acme.rpc import Client

        def call(targets):
            for target in targets:
                client = Client(target)
                client.call("ping")
    """
    found = lint(source, config=config)
    assert sorted(codes(found)) == ["LL401", "LL402"]
    assert "shutdown()" in next(f.message for f in found if f.code == "LL401")


def test_inhouse_borrower_keeps_the_resource_ours():
    config = ['[resources.borrowers]', '"acme.io.parse" = "reads it"']
    source = """
        from acme.io import parse, adopt

        def read(path):
            return parse(open(path))

        def handed(path):
            return adopt(open(path))
    """
    found = lint(source, config=config)
    assert [(f.code, f.line) for f in found] == [("LL401", 5)]


def test_inhouse_queue_and_polling_exception():
    config = ['[resources.queues."acme.WorkQueue"]', 'maxsize-keyword = "limit"',
              '[retries.polling-exceptions]', '"acme.NotReady" = ""']
    source = """
        import time
        from acme import WorkQueue, NotReady

        class Pump:
            def __init__(self):
                self.work = WorkQueue()
                self.bounded = WorkQueue(limit=10)

        def wait_ready(job):
            while True:
                try:
                    return job.result()
                except NotReady:
                    time.sleep(1)
    """
    found = lint(source, config=config)
    assert [(f.code, f.line) for f in found] == [("LL403", 7)]


@pytest.mark.parametrize("option, value, expected", [
    ("retry-attempts", "3", "stop=stop_after_attempt(3)"),
    ("retry-wait", '"wait_exponential_jitter(max=10)"', "wait=wait_exponential_jitter(max=10)"),
    ("retry-backoff-factor", '"1.5"', "backoff_factor=1.5"),
])
def test_fix_options(option, value, expected):
    source = textwrap.dedent("""
        from tenacity import retry
        from urllib3.util import Retry

        @retry
        def charge(payment):
            return payment.submit()

        POLICY = Retry(total=3)
    """)
    config = ["[lifetime]", f"{option} = {value}"]
    found = check_source(source, select=("LL404",), config_lines=config)
    new, applied, failed = fix_text(source, found, unsafe=True)
    assert not failed and applied
    assert expected in new


def test_no_with_fix_for_connections_whose_with_does_not_close():
    found = lint("""
        import sqlite3

        def rows(path):
            conn = sqlite3.connect(path)
            return list(conn.execute("select 1"))
    """)
    assert codes(found) == ["LL401"]
    assert found[0].fix is None


def test_fixes_are_unsafe_and_only_applied_when_asked():
    source = textwrap.dedent("""
        import queue

        class Pump:
            def __init__(self):
                self.work = queue.Queue()
    """)
    found = check_source(source, select=("LL403",))
    assert found[0].fix.safety == "unsafe"
    new, applied, _ = fix_text(source, found, unsafe=False)
    assert new == source and not applied


ODD_SHAPES = [
    "open(*args)\n",
    "def f(*a, **k):\n    return open(*a, **k).read()\n",
    "f = lambda p: open(p)\n",
    "def f(p):\n    g = lambda: open(p).read()\n    return g\n",
    "def f(p):\n    (a, b) = open(p), open(p)\n",
    "def f(p):\n    x: 'IO' = open(p)\n",
    "def f(p):\n    if (x := open(p)):\n        pass\n",
    "def f(p):\n    return [open(q) for q in p]\n",
    "import queue\ndef f():\n    q = queue.Queue(*sizes)\n    q2 = queue.Queue(**opts)\n    return q, q2\n",
    "from tenacity import retry\n@retry()\ndef f(): pass\n@retry(**policy)\ndef g(): pass\n",
    "from urllib3.util import Retry\nR = Retry(*args)\nS = Retry(**kw)\n",
    "def f():\n    while True:\n        try:\n            pass\n        except:\n            pass\n",
    "def f():\n    for i in range(3):\n        try:\n            return g()\n        except (E1, E2.sub):\n            sleep()\n",
    "async def f(s):\n    async with s.open() as x, open(p) as y:\n        pass\n",
    "class C:\n    f = open('x')\n    def m(self):\n        return self.f\n",
    "def f():\n    global G\n    G = open('x')\n",
    "def f():\n    x = open('x')\n    def g():\n        nonlocal x\n        x = None\n",
    "import subprocess\ndef f():\n    subprocess.Popen(cmd)[0]\n",
    "def f(p):\n    with open(p) as (a):\n        pass\n",
]


@pytest.mark.parametrize("source", ODD_SHAPES)
def test_odd_shapes_do_not_crash(source):
    found = check_source(source, select=("LL",))
    assert "LL002" not in codes(found), [f.message for f in found]


def test_rule_docs_name_the_decisions():
    rules = rules_by_code()
    assert "deadlock" in rules["LL403"].doc
    assert "jitter" in rules["LL404"].doc
    assert "docs/parity/LL4.md" in rules["LL401"].doc


def test_detection_imports_neither_libcst_nor_astroid(tmp_path):
    target = tmp_path / "service.py"
    target.write_text("import requests\n\ndef f(u):\n    s = requests.Session()\n    return s.get(u)\n")
    code = textwrap.dedent(f"""
        import sys
        from leaklint.cli import main
        try:
            main(["check", "--select", "LL4", "--no-cache", "-q", {str(target)!r}])
        except SystemExit:
            pass
        print("libcst" in sys.modules, "astroid" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stdout + out.stderr


def test_messages_say_what_leaks():
    found = lint("""
        import sqlite3
        import subprocess

        def start(cmd):
            subprocess.Popen(cmd)

        def rows(path):
            with sqlite3.connect(path) as conn:
                return list(conn.execute("select 1"))

        def pool():
            import requests
            requests.Session()
    """)
    messages = [f.message for f in found]
    assert "zombie" in messages[0]
    assert "never closes the connection" in messages[1]
    assert "connection pool" in messages[2]


def test_with_fix_safety_as_the_fixture_marks_it():
    """``LL401_safe_fix.py`` marks each finding `[*]` (safe: wrapping it in `with` cannot change
    behaviour) or `[*unsafe]`; the fixes must say the same."""
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "LL401_safe_fix.py"
    text = fixture.read_text(encoding="utf-8")
    marked = {i: ("safe" if "LL401 [*]" in line else "unsafe")
              for i, line in enumerate(text.splitlines(), 1) if "# error: LL401" in line}
    findings = check_source(text, select=("LL401",), filename="svc.py")
    assert {f.line: f.fix.safety for f in findings} == marked
    assert list(marked.values()).count("safe") == 3


def test_fix_hook_default_arguments_do_useful_work(tmp_path):
    """`leaklint check --fix-only`, as the leaklint-fix hook runs it with no arguments."""
    from helpers import cli

    (tmp_path / "svc.py").write_text("def read(path):\n    handle = open(path)\n    return handle.read()\n",
                                     encoding="utf-8")
    result = cli("check", "--no-cache", "--fix-only", "svc.py")
    assert result.exit_code == 0 and "Fixed 1." in result.stdout
    assert (tmp_path / "svc.py").read_text(encoding="utf-8") == (
        "def read(path):\n    with open(path) as handle:\n        return handle.read()\n")

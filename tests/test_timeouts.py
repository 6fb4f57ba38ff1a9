"""LL1xx beyond the fixtures: the lazy astroid bridge, cross-module resolution, docs, speed guards."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from helpers import check_source, codes

from leaklint.checks import rules_by_code

LL1 = [f"LL10{i}" for i in range(1, 8)]

PROBE = textwrap.dedent("""
    import sys
    from leaklint.analysis.file import analyse_file
    from leaklint.config.catalogue import Catalogue
    from leaklint.config.settings import Settings, default_options

    settings = Settings(options=default_options())
    settings.select = ("LL1",)
    result = analyse_file("probe.py", "probe.py", settings, Catalogue(), module="probe", raw=sys.stdin.buffer.read())
    print(",".join(sorted(f.code for f in result.findings)))
    print("astroid" in sys.modules)
""")


def _probe(source: str):
    out = subprocess.run([sys.executable, "-c", PROBE], input=textwrap.dedent(source).encode(),
                         capture_output=True, check=True, timeout=120).stdout.decode().split("\n")
    return out[0], out[1] == "True"


def test_astroid_not_imported_when_names_decide():
    found, imported = _probe("""
        import requests, subprocess

        def fetch(url, session, data):
            requests.get(url)
            s = requests.Session()
            s.post(url, timeout=3)
            session.get(url)
            data.get("key")
            subprocess.Popen(["ls"]).wait()
    """)
    assert found == "LL101,LL101"
    assert not imported


def test_astroid_types_a_value_returned_by_a_local_function():
    found, imported = _probe("""
        import subprocess

        def start(cmd):
            return subprocess.Popen(cmd, stdout=subprocess.PIPE)

        def run(cmd):
            proc = start(cmd)
            proc.wait()
    """)
    assert found == "LL101"
    assert imported


def test_every_rule_states_its_parity():
    rules = rules_by_code()
    for code in LL1:
        assert "Parity" in rules[code].doc, code


def test_custom_client_from_configuration():
    source = "import mylib\n\ndef f():\n    mylib.fetch('x')\n    mylib.fetch('x', deadline=3)\n"
    config = ['[blocking-calls.calls."mylib.fetch"]', 'timeout-keyword = "deadline"', 'kind = "http"']
    assert codes(check_source(source, ("LL101",), config)) == ["LL101"]


def test_odd_shapes_do_not_crash():
    source = textwrap.dedent("""
        import asyncio, requests
        f = lambda: requests.get(*[])
        async def g(x):
            try:
                await x
            except* asyncio.CancelledError:
                pass
            (yield)
            requests.get(**{})
            asyncio.create_task()
            asyncio.wait_for()
            [].result(timeout=1)
            x()()()
    """)
    found = check_source(source, ("LL",))
    assert "LL002" not in codes(found)

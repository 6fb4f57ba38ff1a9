"""The semantic model answers what names and values mean."""

from __future__ import annotations

import ast

from helpers import check_source

from leaklint.semantic.model import Model


def _calls(source: str, module: str = "pkg.mod", project=("pkg.metrics",)):
    model = Model(ast.parse(source), module, False, project, {"requests.session": "requests.Session"})
    return model, {ast.unparse(c): c for c in model.nodes[ast.Call]}


def test_aliases_sessions_and_self_attributes_resolve():
    model, calls = _calls(
        "import requests as rq\n"
        "from requests import get as fetch\n"
        "from .metrics import REQUESTS\n"
        "class C:\n"
        "    def __init__(self):\n"
        "        self.s = rq.Session()\n"
        "    def f(self, url):\n"
        "        return self.s.get(url)\n"
        "def g(url):\n"
        "    s = rq.session()\n"
        "    with rq.Session() as t:\n"
        "        t.post(url)\n"
        "    fetch(url)\n"
        "    s.get(url)\n"
        "    REQUESTS.labels(url)\n"
    )
    assert model.call_target(calls["self.s.get(url)"]) == "requests.Session.get"
    assert model.call_target(calls["t.post(url)"]) == "requests.Session.post"
    assert model.call_target(calls["fetch(url)"]) == "requests.get"
    assert model.call_target(calls["s.get(url)"]) == "requests.Session.get"
    assert model.call_target(calls["REQUESTS.labels(url)"]) == "pkg.metrics.REQUESTS.labels"
    assert model.is_project_name(model.qualname(calls["REQUESTS.labels(url)"].func.value))


def test_relative_imports_in_a_package_init():
    model = Model(ast.parse("from .metrics import X\nfrom ..core import Y\nX\nY\n"), "pkg.sub", True)
    names = [n for n in model.nodes[ast.Name]]
    assert [model.qualname(n) for n in names] == ["pkg.sub.metrics.X", "pkg.core.Y"]


def test_a_local_name_shadows_the_import():
    model, calls = _calls("import requests\ndef f(url):\n    requests = object()\n    requests.get(url)\n")
    assert model.call_target(calls["requests.get(url)"]) is None


def test_alias_cycles_resolve_to_nothing_instead_of_recursing():
    model, calls = _calls("dict = dict\nd = dict()\nx = y\ny = x\nx()\n")
    assert model.call_target(calls["dict()"]) is None
    assert model.call_target(calls["x()"]) is None
    findings = check_source("dict = dict\nd = dict()\nx = y\ny = x\nx()\nimport requests\nrequests.get('u')\n")
    assert [f.code for f in findings] == ["LL101"]


def test_async_context_stops_at_a_nested_sync_function():
    model, calls = _calls(
        "import time\n"
        "async def handler():\n"
        "    time.sleep(1)\n"
        "    def work():\n"
        "        time.sleep(2)\n"
        "    await run(lambda: time.sleep(3))\n"
    )
    assert model.in_async_function(calls["time.sleep(1)"])
    assert not model.in_async_function(calls["time.sleep(2)"])
    assert not model.in_async_function(calls["time.sleep(3)"])

"""LL2xx beyond the fixtures: exact messages, the cache across modules, odd shapes, the taint API."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from helpers import check_source, settings_for

from leaklint.config.catalogue import Catalogue
from leaklint.checks.base import DOC_SECTIONS
from leaklint.checks.cardinality import CardinalityChecker
from leaklint.run.analyse import Job, analyse_jobs
from leaklint.semantic.model import Model
from leaklint.semantic.taint import CLEAN, Params, Taint, TaintAnalysis, TaintConfig


def test_message_names_label_metric_source_and_line() -> None:
    source = textwrap.dedent("""\
        from flask import request
        from prometheus_client import Counter

        REQUESTS = Counter("requests_total", "Requests", ["route", "user"])


        def track():
            user = request.headers['X-User-ID']
            REQUESTS.labels("/", user).inc()
        """)
    (finding,) = check_source(source, select=["LL201"])
    assert finding.code == "LL201" and (finding.line, finding.column) == (9, 5)
    assert finding.message == ("label `user` of `REQUESTS` gets `request.headers['X-User-ID']` from line 8: "
                               "every distinct value creates a new time series; "
                               "label with a bounded value (the route template, a class)")


def _project(root: Path, helper_body: str) -> list:
    pkg = root / "shop"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("from flask import request\n\n\ndef route():\n" + helper_body)
    (pkg / "views.py").write_text(textwrap.dedent("""\
        from prometheus_client import Counter

        from shop.helpers import route

        HITS = Counter("hits_total", "Hits", ["route"])


        def view():
            HITS.labels(route()).inc()
        """))
    return [Job(path=str(p), display=str(p)) for p in sorted(pkg.glob("*.py"))]


def test_cached_caller_follows_a_changed_helper(tmp_path: Path) -> None:
    settings = settings_for(["LL2"], root=str(tmp_path))
    first = analyse_jobs(_project(tmp_path, "    return request.path\n"), settings, workers=1, use_cache=True)
    assert [f.code for f in first.findings] == ["LL201"]
    assert "which returns `request.path` from line 5 of `shop.helpers`" in first.findings[0].message
    second = analyse_jobs(_project(tmp_path, "    return 'static'\n"), settings, workers=1, use_cache=True)
    assert second.cache_hits >= 1  # views.py came from the cache, its deferred finding was re-decided
    assert second.findings == []


def test_odd_shapes_do_not_crash() -> None:
    source = textwrap.dedent("""\
        from prometheus_client import Counter, Gauge
        from flask import request

        C = Counter("c", "c", ["a"])
        G = Gauge(*NAMES)
        H = Counter(name=request.path, documentation="x")
        L = Counter("l", "l", labelnames=LABELS)

        def f(*args, **kwargs):
            C.labels(*args, **kwargs).inc()
            C.labels().inc()
            C.labels(**{}).inc()
            C.labels(lambda: request.path).inc()
            C.labels((yield)).inc()
            x = [p for p in request.path]
            C.labels(x[0]).inc()
            C.labels(request).inc()
            loop = loop + 1
            C.labels(loop).inc()
            a, *rest = request.path.split("/")
            C.labels(rest).inc()

        @C.labels("decorator").time()
        def g():
            def inner():
                return request.path
            C.labels(inner()).inc()
        """)
    findings = check_source(source, select=["LL2"])
    assert not [f for f in findings if f.code == "LL002"], findings
    assert {f.line for f in findings if f.code == "LL203"} == {6}
    assert {16, 21, 27} <= {f.line for f in findings if f.code == "LL201"}


def _analysis(source: str) -> tuple:
    tree = ast.parse(textwrap.dedent(source))
    model = Model(tree, "mod")
    return TaintAnalysis(model, TaintConfig(Catalogue()["telemetry-sources"])), tree


def _returned(analysis: TaintAnalysis, tree: ast.Module, name: str):
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return analysis.summarize_function(func)


def test_function_summaries() -> None:
    analysis, tree = _analysis("""
        import uuid
        from flask import request

        def source():
            return request.args["q"]

        def passthrough(a, b):
            return b.strip()

        def constant(x):
            if x:
                return "yes"
            return "no"

        def either(x):
            if x:
                return uuid.uuid4().hex
            return "fixed"

        def unknown(x):
            return compute(x)

        def chained():
            return source().lower()
        """)
    assert isinstance(_returned(analysis, tree, "source"), Taint)
    assert _returned(analysis, tree, "passthrough") == Params(frozenset({1}))
    assert _returned(analysis, tree, "constant") is CLEAN
    assert _returned(analysis, tree, "either").what == "a random UUID"
    assert _returned(analysis, tree, "unknown") is None
    chained = _returned(analysis, tree, "chained")
    assert chained.kind == "helper" and chained.origin.what == "the query string"


def test_long_runs_of_augmented_assignments_stay_linear() -> None:
    import time

    body = "".join(f"    text += part{i}\n" for i in range(80))
    source = "def render(part0):\n    text = ''\n" + body + "    return text\n"
    start = time.perf_counter()
    check_source(source, select=["LL2"])
    assert time.perf_counter() - start < 5

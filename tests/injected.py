"""Test-only checkers injected into the engine, so engine behaviour (deferred findings, rules that
raise, workers that die) is tested without depending on any real rule family."""

from __future__ import annotations

import ast
import os
from contextlib import contextmanager

import leaklint.checks as checks
from leaklint.checks.base import Checker, Rule

TEST_RUNNER_PID = os.getpid()


def inject(monkeypatch, *classes) -> None:
    """Add checker classes for this test; forked workers inherit the patched modules."""
    monkeypatch.setattr(checks, "checker_classes", _with(classes))


@contextmanager
def injected(*classes):
    """``inject`` for code that cannot use a function-scoped fixture (a hypothesis example)."""
    original = checks.checker_classes
    checks.checker_classes = _with(classes)
    try:
        yield
    finally:
        checks.checker_classes = original


def _with(classes):
    combined = tuple(checks.checker_classes()) + tuple(classes)
    return lambda: combined


def _positive_constant(index, qualname):
    facts = index.lookup(qualname) or {}
    value = facts.get("test-value")
    return {"name": qualname, "value": value} if isinstance(value, int) and value > 0 else None


class ConstantUse(Checker):
    """``use(NAME)`` is reported when ``NAME`` is a module-level positive integer in the project:
    a finding that depends on another module, like a metric declared elsewhere."""

    family = "test-constants"
    rules = (Rule("LL901", "uses-positive-constant", "test", "Test rule.", "Test."),)
    resolvers = {"positive-constant": _positive_constant}

    def visit_Call(self, node: ast.Call, ctx) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "use" and node.args:
            target = ctx.model.qualname(node.args[0])
            if target:
                ctx.defer("LL901", node, "uses {name} = {value}", ("positive-constant", target))

    def summarize(self, ctx):
        facts = {}
        for stmt in ctx.tree.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant):
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and type(stmt.value.value) is int:
                        facts[target.id] = {"test-value": stmt.value.value}
        return facts


class RaisesOnMarker(Checker):
    """Raises on any file containing ``RAISE_HERE``."""

    family = "test-raises"
    rules = (Rule("LL902", "raises", "test", "Test rule.", "Test."),)

    def visit_Name(self, node: ast.Name, ctx) -> None:
        if node.id == "RAISE_HERE":
            raise ValueError("boom")


class DiesOnMarker(Checker):
    """Kills the worker process analysing any file containing ``DIE_HERE``, as a segfault in a C
    extension or the OOM killer would."""

    family = "test-dies"
    rules = (Rule("LL903", "dies", "test", "Test rule.", "Test."),)

    def visit_Name(self, node: ast.Name, ctx) -> None:
        if node.id == "DIE_HERE":
            if os.getpid() == TEST_RUNNER_PID:
                raise RuntimeError("DIE_HERE analysed in the test runner itself, not in a worker")
            os._exit(3)

"""LL1xx: cancellation and timeouts.

- LL101 blocking-call-without-timeout: a call from the ``blocking-calls`` catalogue with no timeout.
"""

from __future__ import annotations

import ast
import fnmatch
from typing import Any, Dict, Optional, Tuple

from leaklint.checks.base import Checker, Option, Rule
from leaklint.findings import UNSAFE, Fix

LL101 = Rule(
    code="LL101",
    name="blocking-call-without-timeout",
    family="timeouts",
    summary="A call that waits on a peer (HTTP, socket, database, subprocess, lock or future) has no timeout.",
    fix="unsafe",
    doc="""
## What it finds
Calls listed in the `blocking-calls` catalogue (`rules/blocking-calls.toml`) made without a
timeout: `requests.get(url)` and the other module-level `requests` functions, resolved through
aliases (`from requests import get as fetch`). A timeout passed by keyword, by position where the
call accepts one, or through `**kwargs` (the caller's own, or a dict that holds `timeout`) counts.

## Why it hurts in production
Without a timeout the call waits as long as the peer keeps the connection open: forever, when a
load balancer drops the response or the peer hangs. The worker thread, its connection slot and
everything it holds stay pinned. The client already gave up (504) and retries, so every ghost
request adds load while the pool slowly starves.

## Example
```python
import requests

def fetch_profile(user_id):
    return requests.get(f"https://profiles/{user_id}").json()
```

## Use instead
```python
def fetch_profile(user_id):
    return requests.get(f"https://profiles/{user_id}", timeout=10).json()
```

## Fix safety
Unsafe: a request that used to wait now raises `Timeout` after the configured time. The fix
inserts `timeout=<fix-timeout>` (with `fix-timeout-import` added when set); inside a function that
receives a timeout-like parameter it forwards that parameter instead.

## Options
- `[tool.leaklint.timeouts] fix-timeout` (default `"10"`): the expression the fix inserts,
  e.g. `"settings.HTTP_TIMEOUT"`.
- `fix-timeout-import` (default `""`): the import that expression needs,
  e.g. `"from myapp import settings"`.
- `timeout-parameters` (default `["timeout", "deadline", "*_timeout", "timeout_*"]`): the
  parameter names that carry a caller's budget.
- `[tool.leaklint.blocking-calls.calls."mylib.fetch"]` with `timeout-keyword` and optionally
  `timeout-position` teaches leaklint an in-house client.
""",
)


def _is_timeout_name(name: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def passes_timeout(call: ast.Call, keyword: Optional[str], position: Optional[int], model) -> bool:
    """Whether the call passes a timeout by keyword, position or ``**kwargs``."""
    if position is not None and len(call.args) > position:
        if not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return True
    if any(isinstance(a, ast.Starred) for a in call.args):
        return True  # ``*args`` may carry it; be precise rather than loud
    for kw in call.keywords:
        if kw.arg is not None and kw.arg == keyword:
            return True
        if kw.arg is None:
            if not isinstance(kw.value, ast.Dict):
                value = model.value_of(kw.value) if isinstance(kw.value, ast.Name) else None
                if not isinstance(value, ast.Dict) or any(k is None for k in value.keys):
                    return True  # the caller's own **kwargs, or a dict we cannot see into
                kw_value = value
            else:
                kw_value = kw.value
            for key in kw_value.keys:
                if key is None or (isinstance(key, ast.Constant) and key.value == keyword):
                    return True
    return False


def timeout_param(func: Optional[ast.AST], patterns) -> Optional[str]:
    """The first timeout-like parameter of ``func``."""
    if func is None or not hasattr(func, "args"):
        return None
    args = func.args  # type: ignore[attr-defined]
    for arg in list(getattr(args, "posonlyargs", [])) + list(args.args) + list(args.kwonlyargs):
        if _is_timeout_name(arg.arg, patterns):
            return arg.arg
    return None


def import_op(statement: str) -> Optional[Tuple[str, str, str]]:
    """``"from a.b import c"`` -> ("add_import", "a.b", "c"); ``"import a"`` -> (..., "a", "")."""
    statement = statement.strip()
    if not statement:
        return None
    try:
        node = ast.parse(statement).body[0]
    except (SyntaxError, IndexError):
        return None
    if isinstance(node, ast.ImportFrom) and node.module and len(node.names) == 1:
        return ("add_import", node.module, node.names[0].name)
    if isinstance(node, ast.Import) and len(node.names) == 1:
        return ("add_import", node.names[0].name, "")
    return None


class TimeoutChecker(Checker):
    family = "timeouts"
    rules = (LL101,)
    options = {
        "fix-timeout": Option("str", "10", "The timeout expression the LL101 fix inserts."),
        "fix-timeout-import": Option("str", "", "The import the fix-timeout expression needs."),
        "timeout-parameters": Option("list[str]", ["timeout", "deadline", "*_timeout", "timeout_*"],
                                     "Parameter names (globs) that carry a caller's timeout budget."),
    }

    def begin(self, ctx) -> None:
        self.calls: Dict[str, Dict[str, Any]] = ctx.catalogue.section("blocking-calls", "calls")
        self.patterns = ctx.option("timeouts", "timeout-parameters")

    def visit_Call(self, node: ast.Call, ctx) -> None:
        target = ctx.model.call_target(node)
        if target is None:
            return
        entry = self.calls.get(target)
        if entry is None:
            return
        keyword = entry.get("timeout-keyword", "timeout")
        if passes_timeout(node, keyword, entry.get("timeout-position"), ctx.model):
            return
        ctx.report("LL101", node, f"`{target}` has no timeout: it can wait forever on a peer that never answers",
                   self._fix(node, ctx, keyword))

    def _fix(self, node: ast.Call, ctx, keyword: str) -> Fix:
        func = ctx.model.enclosing_function(node, through_lambda=False)
        param = timeout_param(func, self.patterns)
        if param is not None:
            return Fix(f"Forward `{param}` as `{keyword}=`", UNSAFE,
                       (("add_keyword", ctx.node_range(node), keyword, param),))
        value = ctx.option("timeouts", "fix-timeout")
        ops = [("add_keyword", ctx.node_range(node), keyword, value)]
        extra = import_op(ctx.option("timeouts", "fix-timeout-import"))
        if extra is not None:
            ops.append(extra)
        return Fix(f"Add `{keyword}={value}`", UNSAFE, tuple(ops))

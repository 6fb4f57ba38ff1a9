"""LL105 cancellation-swallowed."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Iterable, List, Optional, Tuple

from leaklint.checks.base import Rule

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

RULE = Rule(
    code="LL105",
    name="cancellation-swallowed",
    family="timeouts",
    summary="An `except` inside `async def` catches the task's cancellation and does not re-raise it.",
    doc="""
## What it finds
Inside `async def`, an `except` clause that catches cancellation and has a path that ends
without re-raising (falls through, `return`s, `break`s, or raises something else):
- `asyncio.CancelledError` in any spelling (`from asyncio import CancelledError`,
  `asyncio.exceptions.CancelledError`, in a tuple), `trio.Cancelled` (the `cancelled-errors`
  table of the `async-blocking` catalogue);
- `BaseException` or a bare `except:`.
Also `contextlib.suppress(...)` of those as a `with` item.

Not findings:
- the documented pattern of cancelling a task you own: `task.cancel()` and then awaiting that
  task under `except CancelledError: pass` or `with contextlib.suppress(CancelledError)`;
- a `try` whose body has no `await`, `async for` or `async with`: cancellation is delivered only
  at those points, so nothing there can be cancelled;
- `except Exception`: since Python 3.8 `CancelledError` is not an `Exception`;
- handlers in sync functions (a thread catching `CancelledError` from `future.result()` is not
  cancelled itself).

## Why it hurts in production
Cancellation is how a timeout, a client disconnect or a shutdown stops a task. A handler that
swallows it lets the task run on: `asyncio.wait_for` waits for it anyway, a server cannot shut
down, and the work the client abandoned keeps holding connections.

## Example
```python
async def consume(queue):
    while True:
        try:
            item = await queue.get()
            await handle(item)
        except BaseException:
            log.exception("consumer failed")
```

## Use instead
```python
async def consume(queue):
    while True:
        try:
            item = await queue.get()
            await handle(item)
        except Exception:
            log.exception("consumer failed")
```

## Fix safety
No fix: where to re-raise, and what cleanup must run first, is the handler's business.

## Options
- `[tool.leaklint.async-blocking.cancelled-errors] "mylib.Cancelled" = true` adds an exception
  class that carries cancellation.

## Parity
Flake8-async ASYNC103 (cancellation caught and not re-raised) and ASYNC104 (cancelled
caught and `return`ed or another exception raised). Deliberate differences: a `try` body without
an await is not reported (ASYNC103 reports it), and the cancel-then-await-your-own-task pattern
is accepted.

## References
- https://docs.python.org/3/library/asyncio-task.html#task-cancellation
- https://docs.python.org/3/library/asyncio-exceptions.html#asyncio.CancelledError
""",
)

_ASYNC_NODES = (ast.Await, ast.AsyncFor, ast.AsyncWith)
_TRY_NODES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)


def catches_cancellation(handler_type: Optional[ast.AST], model, cancelled) -> Optional[str]:
    """What cancellation-carrying class the ``except`` clause catches, if any."""
    if handler_type is None:
        return "bare `except:`"
    items: Iterable[ast.AST] = handler_type.elts if isinstance(handler_type, ast.Tuple) else (handler_type,)
    for item in items:
        name = model.qualname(item)
        if name == "builtins.BaseException":
            return "`BaseException`"
        if name in cancelled:
            return f"`{name}`"
    return None


def always_reraises(body: List[ast.stmt], handler_name: Optional[str]) -> bool:
    """Whether every path through ``body`` ends by re-raising the caught exception."""
    for stmt in body:
        if isinstance(stmt, ast.Raise):
            exc = stmt.exc
            # raising something else replaces the cancellation
            return exc is None or (isinstance(exc, ast.Name) and exc.id == handler_name)
        if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
            return False
        if _compound_reraises(stmt, handler_name):
            return True
        if _may_escape(stmt):
            return False
    return False


def _may_escape(stmt: ast.stmt) -> bool:
    """A ``return``, or a ``break``/``continue`` of an enclosing loop, somewhere inside ``stmt``."""
    stack: List[Tuple[ast.AST, bool]] = [(stmt, False)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, ast.Return) or (isinstance(node, (ast.Break, ast.Continue)) and not in_loop):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        is_loop = isinstance(node, (ast.While, ast.For, ast.AsyncFor))
        for child in ast.iter_child_nodes(node):
            # ``break``/``continue`` in a loop's body leave that loop only
            stack.append((child, in_loop or (is_loop and any(child is b for b in node.body))))  # type: ignore[attr-defined]
    return False


def _compound_reraises(stmt: ast.stmt, name: Optional[str]) -> bool:
    if isinstance(stmt, ast.If):
        return always_reraises(stmt.body, name) and always_reraises(stmt.orelse, name)
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return always_reraises(stmt.body, name)
    if isinstance(stmt, _TRY_NODES):
        if always_reraises(stmt.finalbody, name):
            return True
        return always_reraises(stmt.body + stmt.orelse, name) and all(always_reraises(h.body, name) for h in stmt.handlers)
    if isinstance(stmt, (ast.While, ast.For, ast.AsyncFor)):
        if _has_break(stmt.body):
            return False
        if always_reraises(stmt.orelse, name):
            return True  # the ``else`` runs when the loop ends without ``break``
        runs_once = (isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)) or (
            isinstance(stmt, ast.For) and _non_empty_literal(stmt.iter))
        return runs_once and always_reraises(stmt.body, name)
    if isinstance(stmt, getattr(ast, "Match", ())):
        cases = stmt.cases  # type: ignore[attr-defined]
        last = cases[-1] if cases else None
        wildcard = last is not None and isinstance(last.pattern, ast.MatchAs) and last.pattern.pattern is None
        return wildcard and last.guard is None and all(always_reraises(c.body, name) for c in cases)
    return False


def _has_break(body: List[ast.stmt]) -> bool:
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Break):
            return True
        if not isinstance(node, (ast.While, ast.For, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _non_empty_literal(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(not isinstance(e, ast.Starred) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(k is not None for k in node.keys)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and len(node.args) == 1:
        arg = node.args[0]
        return isinstance(arg, ast.Constant) and isinstance(arg.value, int) and arg.value > 0
    return False


def has_async_point(stmts: List[ast.stmt]) -> bool:
    """A bounded walk of a ``try`` body (not into nested functions)."""
    stack: List[ast.AST] = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, _ASYNC_NODES):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def awaited_names(stmts: List[ast.stmt], state) -> list:
    """Keys of the names directly awaited in ``stmts`` (``await task``, ``await self.task``)."""
    out = []
    stack: List[ast.AST] = list(stmts)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Await) and isinstance(node.value, (ast.Name, ast.Attribute)):
            out.append(state.receiver_key(node.value))
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return out


def cancelled_before(awaited: list, node: ast.AST, state) -> bool:
    """Whether one of the awaited tasks was ``.cancel()``-ed earlier in the same function."""
    lines = state.cancel_calls()
    func = state.model.enclosing_function(node, through_lambda=False)
    for key in awaited:
        for cancel_func, line in lines.get(key, ()):
            if cancel_func is func and line <= node.lineno:  # type: ignore[attr-defined]
                return True
    return False


def check_handler(handler: ast.ExceptHandler, ctx: FileContext, state, cancelled) -> None:
    model = ctx.model
    if not model.in_async_function(handler):
        return
    what = catches_cancellation(handler.type, model, cancelled)
    if what is None or always_reraises(handler.body, handler.name):
        return
    try_node = model.parent(handler)
    if not isinstance(try_node, _TRY_NODES) or not has_async_point(try_node.body):
        return
    broad = what in ("`BaseException`", "bare `except:`")
    if not broad and cancelled_before(awaited_names(try_node.body, state), try_node, state):
        return
    ctx.report("LL105", handler, f"{what} catches the task's cancellation and does not re-raise it: "
               "timeouts and shutdown cannot stop this task; re-raise `CancelledError`")


def check_suppress(with_node: ast.AST, ctx: FileContext, state, cancelled) -> None:
    model = ctx.model
    if not model.in_async_function(with_node):
        return
    for item in with_node.items:  # type: ignore[attr-defined]
        expr = item.context_expr
        if not isinstance(expr, ast.Call) or model.qualname(expr.func) != "contextlib.suppress":
            continue
        what = None
        for arg in expr.args:
            what = what or catches_cancellation(arg, model, cancelled)
        if what is None or not has_async_point(with_node.body):  # type: ignore[attr-defined]
            continue
        body = with_node.body  # type: ignore[attr-defined]
        if what != "`BaseException`" and cancelled_before(awaited_names(body, state), with_node, state):
            continue
        ctx.report("LL105", expr, f"`contextlib.suppress` of {what} swallows the task's cancellation; "
                   "let `CancelledError` propagate")

"""LL107 thread-outlives-timeout."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Mapping, Optional

from leaklint.checks.base import Rule
from leaklint.checks.timeouts.common import argument, is_none

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

RULE = Rule(
    code="LL107",
    name="thread-outlives-timeout",
    family="timeouts",
    summary="A timeout wraps work running in a thread: on timeout the caller moves on but the thread keeps running.",
    doc="""
## What it finds
- `asyncio.wait_for(loop.run_in_executor(...), t)` or `asyncio.wait_for(asyncio.to_thread(...), t)`
  (also through a local name holding that future);
- `await asyncio.to_thread(...)`/`await loop.run_in_executor(...)` inside
  `async with asyncio.timeout(t)` (or `timeout_at`, `async_timeout.timeout`) in the same function;
- `ex.submit(f).result(timeout=t)` inside `with ThreadPoolExecutor() as ex:` (or
  `ProcessPoolExecutor`): the timeout raises, but leaving the `with` block waits for the hung job.

Which calls are deadlines, thread offloads and executors is the `deadlines`, `offloads` and
`executors` tables of the `async-blocking` catalogue. `run_in_executor` is recognised by name on
any receiver.

Not findings: the same offload awaited without a deadline, a deadline around native coroutines,
`result(timeout=...)` on an executor that is not managed by `with` (the caller can
`shutdown(wait=False, cancel_futures=True)`).

## Why it hurts in production
Python cannot stop a thread. The timeout cancels only the awaiting coroutine; the function in
the thread runs to its end, holding its connection, its lock and an executor slot. Under a slow
dependency every timed-out request leaves one more busy thread, until the default executor (a few
dozen threads) is full and every `to_thread` call queues behind the ghosts.

## Example
```python
import asyncio
import socket

async def lookup(host):
    return await asyncio.wait_for(asyncio.to_thread(socket.gethostbyname, host), 2)
```

## Use instead
```python
import asyncio

import requests

async def lookup(host):
    return await asyncio.get_running_loop().getaddrinfo(host, None)   # a native coroutine is really cancelled

def fetch(url):
    return requests.get(url, timeout=2)         # or bound the blocking call itself
```

## Fix safety
No fix: the blocking call itself needs a timeout, or a native async replacement.

## Options
None.

## Parity
No peer checks this.

## References
- https://docs.python.org/3/library/asyncio-task.html#asyncio.wait_for
- https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Executor.shutdown
""",
)


def _is_offload(expr: Optional[ast.AST], model, offloads: Mapping[str, bool]) -> bool:
    if isinstance(expr, ast.Name):
        expr = model.value_of(expr)
    if not isinstance(expr, ast.Call):
        return False
    if isinstance(expr.func, ast.Attribute) and expr.func.attr == "run_in_executor":
        return True
    return model.qualname(expr.func) in offloads


def check_wait_for(call: ast.Call, target: str, ctx: FileContext, offloads: Mapping[str, bool]) -> None:
    inner = argument(call, "fut", 0)
    deadline = argument(call, "timeout", 1)
    if deadline is None or is_none(deadline):
        return
    if _is_offload(inner, ctx.model, offloads):
        ctx.report("LL107", call, f"`{target}` times out the wait, not the thread: the work keeps running after the timeout; "
                   "bound the work itself")


def check_offload_in_deadline(call: ast.Call, ctx: FileContext, offloads: Mapping[str, bool], deadlines: Mapping[str, str]) -> None:
    model = ctx.model
    if not isinstance(model.parent(call), ast.Await) or not _is_offload(call, model, offloads):
        return
    func = model.enclosing_function(call, through_lambda=False)
    for anc in model.ancestors(call):
        if anc is func:
            return
        if isinstance(anc, ast.AsyncWith):
            for item in anc.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call):
                    name = model.qualname(expr.func)
                    if deadlines.get(name or "") == "context" and not all(is_none(a) for a in expr.args[:1]):
                        ctx.report("LL107", call, f"`{name}` cancels the await, not the thread: "
                                   "the work keeps running after the timeout; bound the work itself")
                        return


def check_executor_result(call: ast.Call, ctx: FileContext, executors: Mapping[str, bool]) -> None:
    """``ex.submit(f).result(timeout=t)`` inside ``with Executor() as ex``."""
    model = ctx.model
    deadline = argument(call, "timeout", 0)
    if deadline is None or is_none(deadline):
        return
    receiver = call.func.value  # type: ignore[attr-defined]
    if isinstance(receiver, ast.Name):
        receiver = model.value_of(receiver)
    if not (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)
            and receiver.func.attr == "submit" and isinstance(receiver.func.value, ast.Name)):
        return
    for binding in model.bindings_at(receiver.func.value):
        if binding.kind != "with" or not isinstance(binding.value, ast.Call):
            continue
        if model.call_target(binding.value) in executors and binding.node in set(model.ancestors(call)):
            ctx.report("LL107", call, "the timeout stops the wait, but leaving the `with` block waits for the "
                       "hung job anyway (`shutdown(wait=True)`); bound the work itself or shut down without waiting")
            return

"""LL405 executor-per-call."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict, FrozenSet, Optional, Tuple

from leaklint.checks.base import Rule

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext
    from leaklint.checks.lifetime import LifetimeFacts

RULE = Rule(
    code="LL405",
    name="executor-per-call",
    family="lifetime",
    summary="A thread or process pool is created and shut down on every call of a coroutine.",
    since="0.2.0",
    doc="""
## What it finds
A pool from the `pools` catalogue (`concurrent.futures.ThreadPoolExecutor`,
`ProcessPoolExecutor`, `multiprocessing.Pool`, `multiprocessing.pool.ThreadPool`) created inside
an `async def` and scoped to that call: the context manager of a `with`, or a plain local variable.

Not reported: a pool made at module level, stored on an object or in a global, returned (a
factory), or created in a plain `def` (a script's `main()` makes its pool once).

## Why it hurts in production
A coroutine runs once per request or message. A pool made inside it starts new threads (or forks
new processes, re-importing the application in each) on every call, and leaving the `with` block
calls `shutdown(wait=True)`, which waits for every job *on the event loop's thread*: while it
waits, no other request on that worker makes progress. Under load the service spends its time
starting and joining workers, and its latency tracks the slowest job of any request.

## Example
```python
import asyncio
from concurrent.futures import ThreadPoolExecutor

async def thumbnails(images):
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=4) as pool:
        return await asyncio.gather(*(loop.run_in_executor(pool, resize, i) for i in images))
```

## Use instead
```python
import asyncio
from concurrent.futures import ThreadPoolExecutor

POOL = ThreadPoolExecutor(max_workers=4)

async def thumbnails(images):
    loop = asyncio.get_running_loop()
    return await asyncio.gather(*(loop.run_in_executor(POOL, resize, i) for i in images))
```

## Fix safety
No fix: where the shared pool lives (module level, the application's startup hook) is a design
choice.

## Options
- `[tool.leaklint.resources.pools]` adds a pool class: `"mylib.WorkerPool" = "threads"` (what it
  starts, as the message says it).

## Known limitations
A pool created in a helper that the coroutine calls is not seen through the call. A pool passed to
another object that keeps it is treated as per-call when it is also bound to a local name.

## Parity
No peer rule: ruff, pylint and flake8-async do not report pools made per call. flake8-async's
ASYNC2xx rules report blocking calls in coroutines, not the pool's shutdown.

## References
- https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Executor.shutdown
- https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.run_in_executor
""",
)

# the catalogue is the same for every file of a run: its last names once per catalogue
_LAST_NAMES: Dict[int, Tuple[Dict[str, str], FrozenSet[str]]] = {}


def _last_names(pools: Dict[str, str]) -> FrozenSet[str]:
    cached = _LAST_NAMES.get(id(pools))
    if cached is None or cached[0] is not pools:
        _LAST_NAMES.clear()
        cached = _LAST_NAMES[id(pools)] = (pools, frozenset(q.rsplit(".", 1)[-1] for q in pools))
    return cached[1]


def check_Call(call: ast.Call, ctx: FileContext, facts: LifetimeFacts) -> None:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    pools: Dict[str, str] = ctx.catalogue.section("resources", "pools")
    if name is None or name not in ctx.model.call_names(_last_names(pools)):
        return
    target = ctx.model.call_target(call)
    starts = pools.get(target or "")
    if starts is None:
        return
    model = ctx.model
    function = model.enclosing_function(call, through_lambda=False)
    if not isinstance(function, ast.AsyncFunctionDef):
        return
    local = _scoped_to_call(call, function, model)
    if local is None:
        return
    ctx.report("LL405", call, f"`{target}` is created on every call of `{function.name}`: each call starts new "
                              f"{starts} and waits for them on the event loop; create it once and reuse it")


def _scoped_to_call(call: ast.Call, function: ast.AsyncFunctionDef, model) -> Optional[str]:
    """How the pool is held when it lives only for this call (``"with"`` or the local's name)."""
    parent = model.parent(call)
    if isinstance(parent, ast.withitem):
        return "with"
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        name = parent.targets[0].id
        for node in ast.walk(function):
            if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
                return None
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) and node.value.id == name:
                return None
        return name
    return None

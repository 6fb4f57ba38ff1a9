"""LL104 blocking-call-in-async."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional

from leaklint.checks.base import Rule, RuleFix
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddImport, Replace

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

RULE = Rule(
    code="LL104",
    name="blocking-call-in-async",
    family="timeouts",
    summary="A blocking call runs directly inside `async def` and stalls the whole event loop.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
Inside the body of an `async def` (not in a nested sync `def` or a `lambda`, which is how work
is handed to `asyncio.to_thread`/`run_in_executor`), a call that blocks the thread:
- every call of the `blocking-calls` catalogue (sync HTTP through `requests`, httpx's sync API,
  urllib, urllib3, stored sessions and clients, sockets, mail, sync database drivers, subprocess
  calls and waits, thread and queue waits, future results);
- the `calls` of the `async-blocking` catalogue: `time.sleep`, `os.system`/`popen`/`wait`/
  `waitpid`, `subprocess.Popen`, `open()`/`io.open`, `pathlib.Path` reads and writes,
  `socket.getaddrinfo`/`gethostbyname`, `sqlite3.connect`.

An awaited call (`await client.get(...)`) is an async API and is not reported.

## Why it hurts in production
An event loop runs every request of the process on one thread. A blocking call freezes all of
them: health checks time out, heartbeats are missed, and one slow dependency turns into a full
outage of the service while CPU stays idle.

## Example
```python
import time

import requests

async def poll(url):
    time.sleep(1)
    return requests.get(url, timeout=5)
```

## Use instead
```python
import asyncio

import requests

async def poll(url):
    await asyncio.sleep(1)
    return await asyncio.to_thread(requests.get, url, timeout=5)
```

## Fix safety
`time.sleep(x)` becomes `await asyncio.sleep(x)`, adding `import asyncio` when it is missing.
Unsafe: other tasks now run during the pause and the task can be cancelled there. Other calls
have no fix: the right replacement (an async client, a thread) is a design choice.

## Options
- `[tool.leaklint.async-blocking.calls."mylib.fetch_sync"]` with `kind` and `instead` adds a
  call; every `blocking-calls` entry counts too.

## Known limitations
A client reached through an attribute set in another module, or returned by a factory
function, is not resolved, so calls on it are not checked.

## Parity
Ruff and flake8-async ASYNC210 (sync HTTP), ASYNC212 (httpx sync client), ASYNC220/221/
222 (processes), ASYNC230 (files), ASYNC251 (`time.sleep`). Deliberate differences: the
`subprocess.Popen` constructor is reported (ASYNC220) but `os.spawn*` with `P_NOWAIT` is not, and
`os.path` probes (ASYNC240) are not reported: they are quick metadata calls. flake8-async
reports a local function named like a library call (`def urlopen`); leaklint resolves names. A
parameter annotated with a string (`client: "httpx.Client"`) is not typed (ruff ASYNC212 reads it).

## References
- https://docs.python.org/3/library/asyncio-dev.html#running-blocking-code
- https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread
""",
)


def check(call: ast.Call, target: str, kind: str, instead: Optional[str], ctx: FileContext) -> None:
    if isinstance(ctx.model.parent(call), ast.Await):
        return
    hint = f"; use {instead}" if instead else "; await an async equivalent or `asyncio.to_thread(...)`"
    ctx.report("LL104", call, f"`{target}` blocks the event loop inside `async def` ({kind}){hint}",
               _sleep_fix(call, target, ctx))


def _sleep_fix(call: ast.Call, target: str, ctx: FileContext) -> Optional[Fix]:
    if target != "time.sleep" or call.keywords or len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
        return None
    asyncio_name = _module_alias(ctx.model, "asyncio")
    ops: list = []
    if asyncio_name is None:
        asyncio_name = "asyncio"
        if ctx.model.module_scope.bindings.get("asyncio"):
            return None  # the name is taken by something else
        ops.append(AddImport("asyncio", ""))
    code = f"await {asyncio_name}.sleep({ctx.segment(call.args[0])})"
    ops.insert(0, Replace(ctx.node_range(call), code))
    return Fix(f"Replace with `{code}`", Safety.UNSAFE, tuple(ops))


def _module_alias(model, module: str) -> Optional[str]:
    """The module-level name that a plain ``import module`` (maybe ``as alias``) binds."""
    for name, bindings in model.module_scope.bindings.items():
        if len(bindings) == 1 and bindings[0].kind == "import" and bindings[0].target == module:
            return name
    return None

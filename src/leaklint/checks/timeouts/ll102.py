"""LL102 timeout-disabled."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Mapping

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.timeouts.common import argument, configured_timeout, is_none
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddKeyword, Replace

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

RULE = Rule(
    code="LL102",
    name="timeout-disabled",
    family="timeouts",
    summary="A timeout is explicitly disabled (`timeout=None`, `httpx.Timeout(None)`, an empty `aiohttp.ClientTimeout()`).",
    fix=RuleFix.UNSAFE,
    doc="""
## What it finds
- An explicit `None` for the timeout of a call in the `blocking-calls` catalogue: `requests.get(url,
  timeout=None)`, `session.post(..., timeout=None)`, `httpx.get(url, timeout=None)`,
  `httpx.Client(timeout=None)`, `client.get(url, timeout=None)`, `urlopen(url, None, None)`.
- A timeout object whose every bound is `None` (`timeout-objects` in the catalogue):
  `httpx.Timeout(None)`, `aiohttp.ClientTimeout()`, `aiohttp.ClientTimeout(total=None)`.

httpx2, which keeps the httpx API, is catalogued like httpx.

httpx (and httpx2) and aiohttp calls that omit the timeout are fine: they have defaults (5 s for
httpx, 5 minutes total for aiohttp). `httpx.Timeout(None, connect=5)` keeps a bound and is fine too.

## Why it hurts in production
`None` turns the library's safety net off: the call now waits as long as the peer holds the
connection open. It is usually written to silence a timeout seen once in testing, and it returns
as a hung worker when a dependency degrades.

## Example
```python
import aiohttp
import httpx

client = httpx.Client(timeout=None)
timeout = aiohttp.ClientTimeout()
```

## Use instead
```python
import aiohttp
import httpx

client = httpx.Client(timeout=30)
timeout = aiohttp.ClientTimeout(total=60)
```

## Fix safety
Unsafe: a call that used to wait now fails after the configured time. The fix replaces the `None`
with `fix-timeout` (for `aiohttp.ClientTimeout()` it adds `total=<fix-timeout>`).

## Options
- `[tool.leaklint.timeouts] fix-timeout`, `fix-timeout-import`: the expression the fix inserts
  and its import (shared with LL101).

## Known limitations
A client reached through an attribute set in another module, or returned by a factory
function, is not resolved, so calls on it are not checked.

## Parity
Ruff S113 and bandit B113 report `timeout=None` for requests and httpx as "missing
timeout"; pylint W3101 does not report it. leaklint reports it here, under its own code, because
the fix differs (replace the `None`) and because it also covers timeout objects.

## References
- https://www.python-httpx.org/advanced/timeouts/
- https://docs.aiohttp.org/en/stable/client_quickstart.html#timeouts
""",
)


def check_call(call: ast.Call, target: str, entry: Mapping[str, Any], ctx: FileContext) -> None:
    value = argument(call, entry.get("timeout-keyword", "timeout"), entry.get("timeout-position"))
    if is_none(value):
        code, imports = configured_timeout(ctx)
        fix = Fix(f"Replace `None` with `{code}`", Safety.UNSAFE, (Replace(ctx.node_range(value), code),) + imports)
        ctx.report("LL102", call, f"`{target}` has its timeout disabled with `None`: it can wait forever; "
                   "pass a number of seconds", fix)


def check_timeout_object(call: ast.Call, target: str, entry: Mapping[str, Any], ctx: FileContext) -> None:
    bounds = entry.get("bounds", [])
    if not bounds or any(isinstance(a, ast.Starred) for a in call.args):
        return
    if any(kw.arg is None for kw in call.keywords):
        return
    given = dict(zip(bounds, call.args))
    given.update((kw.arg, kw.value) for kw in call.keywords if kw.arg in bounds)
    if not all(is_none(v) for v in given.values()):
        return
    # without ``omitted-none`` a bound left out takes the first one's value (``httpx.Timeout``)
    if not entry.get("omitted-none") and bounds[0] not in given:
        return
    code, imports = configured_timeout(ctx)
    first = argument(call, bounds[0], 0)
    if first is not None:
        op = Replace(ctx.node_range(first), code)
    else:
        op = AddKeyword(ctx.node_range(call), bounds[0], code)
    fix = Fix(f"Bound `{bounds[0]}` by `{code}`", Safety.UNSAFE, (op,) + imports)
    ctx.report("LL102", call, f"`{target}` sets no bound at all: every wait under it is unlimited; "
               "set at least one bound", fix)

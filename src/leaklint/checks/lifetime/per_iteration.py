"""LL402 client-per-iteration."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict

from leaklint.checks.base import Rule
from leaklint.checks.lifetime.ownership import Fate

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL402 = Rule(
    code="LL402",
    name="client-per-iteration",
    family="lifetime",
    summary="A session, client, pool or channel is created inside a loop body, so every iteration pays a new connection.",
    doc="""
## What it finds
A call from the `resources` catalogue marked `per-iteration` (HTTP sessions and clients, urllib3
pools, aiohttp connectors, gRPC channels, PostgreSQL and MySQL connections) made in the body of a
`for`, `async for` or `while` loop of the same function, even when it is closed or used in `with`.

Not reported: a client stored or returned (building N long-lived clients, one per shard, is
deliberate), and a client that serves a loop nested in the iteration (a reconnect loop around a
stream, one session per host for many requests): the connection is then reused.

## Why it hurts in production
A client owns a connection pool. A new one per iteration pays DNS, TCP and TLS handshakes for
every item, throws away keep-alive, and leaves a socket in TIME_WAIT for each iteration: under
load the host runs out of ephemeral ports and the peer sees a connection storm instead of a few
reused connections.

## Example
```python
import requests

def push_all(events):
    for event in events:
        with requests.Session() as session:
            session.post(URL, json=event, timeout=5)
```

## Use instead
```python
import requests

def push_all(events):
    with requests.Session() as session:
        for event in events:
            session.post(URL, json=event, timeout=5)
```

## Fix safety
No fix: moving the client out of the loop changes when it is created and which iterations share
cookies, headers or a broken connection.

## Options
Mark an in-house client with `per-iteration = true` under
`[tool.leaklint.resources.resources."mylib.Client"]`. Files, sockets, sqlite connections,
processes and executors are not counted: they do not hold a pool of network connections.

## Parity
No peer rule reports a client created per loop iteration.

## References
- https://requests.readthedocs.io/en/latest/user/advanced/#session-objects
- https://www.python-httpx.org/advanced/clients/
""",
)


def check_per_iteration(call: ast.Call, target: str, entry: Dict[str, Any], fate: Fate, loop: ast.AST,
                        ctx: FileContext) -> None:
    if not entry.get("per-iteration"):
        return
    if fate.kinds & {"stored", "returned", "looped"}:
        return
    kind = "for" if isinstance(loop, (ast.For, ast.AsyncFor)) else "while"
    ctx.report("LL402", call, f"`{target}` is created on every iteration of the `{kind}` loop on line "
                              f"{loop.lineno}: create it once before the loop and reuse its connections")

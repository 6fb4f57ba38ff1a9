"""LL106 dangling-task."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ast

from leaklint.checks.base import Rule

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

RULE = Rule(
    code="LL106",
    name="dangling-task",
    family="timeouts",
    summary="A task is created and its only reference dropped: it can vanish mid-flight and its errors are lost.",
    doc="""
## What it finds
`asyncio.create_task(...)`, `asyncio.ensure_future(...)` and `loop.create_task(...)` (a loop from
`asyncio.get_event_loop()`/`get_running_loop()`/`new_event_loop()`), the `spawners` table of the
`async-blocking` catalogue, whose result is discarded, or assigned to a local name that the
function never reads again (never awaited, stored, returned, passed on or given a done-callback).

Not findings: `TaskGroup.create_task` (the group owns the task), tasks kept in a collection,
an attribute or a global, awaited, returned, passed to `gather`/`wait`, or given
`add_done_callback`.

## Why it hurts in production
The event loop keeps only a weak reference to a task: a task nobody holds can be garbage
collected before it finishes. When it fails, the exception is logged at best at garbage
collection ("Task exception was never retrieved"), and on shutdown it is cancelled silently. The
work the request started simply does not happen, and nothing says so.

## Example
```python
import asyncio

async def handle(event):
    asyncio.create_task(notify(event))
```

## Use instead
```python
import asyncio

background = set()

async def handle(event):
    task = asyncio.create_task(notify(event))
    background.add(task)
    task.add_done_callback(background.discard)
```

## Fix safety
No fix: where the task should live (a set, a TaskGroup, an owner object) is a design choice.

## Options
- `[tool.leaklint.async-blocking.spawners] "mylib.spawn" = true` adds a task-starting call.

## Parity
Ruff RUF006 (asyncio-dangling-task) and flake8-async ASYNC300 (create-task-no-reference)
report the discarded result. leaklint also reports a local that is never read again (RUF006
accepts any assignment).

## References
- https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task
""",
)


def _never_read(name: str, func: ast.AST) -> bool:
    """Whether ``name`` is not loaded anywhere in ``func`` (a bounded walk of one body)."""
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load):
            return False
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
    return True


def _discarded(call: ast.Call, model) -> bool:
    """The value is thrown away: an expression statement (maybe wrapped in a literal or a
    generator that is itself discarded), or only tested for truth."""
    node: ast.AST = call
    parent = model.parent(call)
    while isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.GeneratorExp, ast.ListComp, ast.SetComp)):
        node, parent = parent, model.parent(parent)
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, ast.IfExp) and parent.test is node:
        return True
    return isinstance(parent, ast.comprehension) and node in parent.ifs


def check(call: ast.Call, target: str, ctx: FileContext) -> None:
    model = ctx.model
    parent = model.parent(call)
    short = target.rsplit(".", 1)[-1]
    if _discarded(call, model):
        ctx.report("LL106", call, f"the task from `{short}` is dropped: it may be garbage collected "
                   "before it finishes and its exception is lost; keep a reference and await it")
        return
    targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target] if isinstance(parent, ast.AnnAssign) else []
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        func = model.enclosing_function(call, through_lambda=False)
        name = targets[0].id
        if func is not None and _never_read(name, func):
            ctx.report("LL106", call, f"the task from `{short}` is kept only in `{name}`, which is never "
                       "read: it may be garbage collected before it finishes; keep a reference and await it")

"""LL403 unbounded-queue."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, Optional

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.lifetime.ownership import creation_site, enclosing_loop, name_loads
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddKeyword, Replace

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL403 = Rule(
    code="LL403",
    name="unbounded-queue",
    family="lifetime",
    summary="A queue used as a work buffer has no positive maxsize, so a traffic spike grows it until memory runs out.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
A queue constructor from the `queues` section of `rules/resources.toml` (`queue.Queue`,
`LifoQueue`, `PriorityQueue`, `SimpleQueue`, `asyncio.Queue` and friends, `multiprocessing.Queue`)
called without a positive `maxsize` (absent, `0` or negative) when the queue is a work buffer:

- kept in module or class state, or on `self`;
- returned to the caller;
- a local queue fed from a `while` or `async for` loop, directly or from a nested function.

Not reported:
- a local queue that receives a bounded number of items by construction: one result per started
  worker (`results.put(...)` once in the worker function), or a `for` loop that copies an
  in-memory collection into it before the workers start;
- a local queue drained by the same loop that feeds it: a work list (a graph walk), not a buffer;
- a queue whose fill level the code checks (`q.qsize()`, `q.full()`): it applies its own
  backpressure, such as pausing the producer above a threshold;
- a local queue only passed to other functions (what they put cannot be seen);
- a `maxsize` that is a name or an expression (it counts as bounded).

## Why it hurts in production
An unbounded queue hides overload: when producers outpace consumers (a traffic spike, a slow
database) it absorbs everything, memory climbs until the OOM killer restarts the pod, and every
queued item is lost. Latency grows silently because each item waits behind the whole backlog.
A bound turns that into backpressure: producers wait or shed load while the service stays up.

## Example
```python
import queue

class Dispatcher:
    def __init__(self):
        self.jobs = queue.Queue()
```

## Use instead
```python
import queue

class Dispatcher:
    def __init__(self):
        self.jobs = queue.Queue(maxsize=1000)

    def submit(self, job):
        try:
            self.jobs.put(job, timeout=1)
        except queue.Full:
            raise Overloaded()
```

## Fix safety
Unsafe. A bounded queue blocks `put()` when full. That is the point, but it can deadlock: a
consumer that also produces into the same queue, a producer that holds a lock the consumer needs,
or an event loop thread calling the blocking `put` all wait forever. Producers should use
`put(timeout=...)` or `put_nowait()` and handle `Full`. The fix adds `maxsize=<queue-maxsize>`
(or replaces a `0`); `SimpleQueue` cannot be bounded and gets no fix.

Opt out for a queue that is bounded by design with `# noqa: LL403` and a comment saying why.

## Options
- `[tool.leaklint.lifetime] queue-maxsize` (default `"1000"`): the expression the fix inserts,
  e.g. `"settings.QUEUE_BOUND"`.
- Teach an in-house queue under `[tool.leaklint.resources.queues."mylib.WorkQueue"]` with
  `maxsize-keyword` and `maxsize-position`, or `bounded = false` when it cannot be bounded.

## Parity
No peer rule reports unbounded queues.

## References
- https://docs.python.org/3/library/queue.html#queue.Queue
- https://docs.python.org/3/library/asyncio-queue.html#asyncio.Queue
""",
)


def maxsize_arg(call: ast.Call, entry: Dict[str, Any]) -> Optional[ast.AST]:
    """The expression passed as the queue's bound, or ``None`` when none is passed."""
    keyword = entry.get("maxsize-keyword")
    for kw in call.keywords:
        if kw.arg is None:
            return kw.value  # ``**options`` may carry it
        if kw.arg == keyword:
            return kw.value
    position = entry.get("maxsize-position")
    if position is not None and len(call.args) > position:
        return call.args[position]
    if any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[0]
    return None


def _not_positive(expr: Optional[ast.AST]) -> bool:
    if expr is None:
        return True
    if isinstance(expr, ast.Constant):
        return expr.value is None or (isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)
                                      and expr.value <= 0)
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub) and isinstance(expr.operand, ast.Constant):
        return True
    return False


def check_queue(call: ast.Call, target: str, entry: Dict[str, Any], ctx: FileContext) -> None:
    model = ctx.model
    bounded = entry.get("bounded", True)
    bound = maxsize_arg(call, entry) if bounded else None
    if bounded and not _not_positive(bound):
        return
    role = _work_buffer_role(call, model)
    if role is None:
        return
    short = target.rsplit(".", 1)[-1]
    if not bounded:
        ctx.report("LL403", call, f"`{target}` cannot be bounded and is {role}: use `{target.rsplit('.', 1)[0]}.Queue"
                                  f"(maxsize=...)` so producers feel backpressure")
        return
    ctx.report("LL403", call, f"`{short}()` has no positive maxsize and is {role}: a spike grows it until "
                              f"memory runs out; pass a positive `maxsize`", _fix(call, bound, entry, ctx))


def _fix(call: ast.Call, bound: Optional[ast.AST], entry: Dict[str, Any], ctx: FileContext) -> Optional[Fix]:
    value = ctx.option("lifetime", "queue-maxsize")
    if bound is None:
        return Fix(f"Add `maxsize={value}`", Safety.UNSAFE, (AddKeyword(ctx.node_range(call), entry["maxsize-keyword"], value),))
    if any(kw.value is bound and kw.arg is not None for kw in call.keywords) or bound in call.args:
        return Fix(f"Bound the queue at `{value}`", Safety.UNSAFE, (Replace(ctx.node_range(bound), value),))
    return None


def _work_buffer_role(call: ast.Call, model) -> Optional[str]:
    """Why the queue is a work buffer, or ``None`` when it is local and bounded by construction."""
    func = model.enclosing_function(call, through_lambda=False)
    node, parent = creation_site(call, model)
    if isinstance(parent, (ast.Return, ast.Yield)):
        return "handed to the caller"
    target = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
    elif isinstance(parent, ast.AnnAssign):
        target = parent.target
    if func is None:
        if isinstance(target, ast.Name) and _watched(target.id, None, model):
            return None
        return "module state" if model.scope_of(call).kind == "module" else "class state"
    if isinstance(target, ast.Attribute):
        return None if _watched(target.attr, target.value, model) else "stored on an object"
    if not isinstance(target, ast.Name):
        return None
    scope = model.scope_of(target)
    if target.id in scope.global_names:
        return None if _watched(target.id, None, model) else "module state"
    uses = list(name_loads(func, target.id))
    for use, _nested in uses:
        attr = model.parent(use)
        if not isinstance(attr, ast.Attribute) or attr.attr not in ("put", "put_nowait"):
            continue
        loop = _feeding_loop(use, model)
        if loop is not None and not _drained_in(loop, uses, model):
            return f"fed from the loop on line {loop.lineno}"
    return None


def _drained_in(loop: ast.AST, uses, model) -> bool:
    """The loop that feeds the queue also takes from it: a work list (a graph walk), not a buffer."""
    for use, _nested in uses:
        attr = model.parent(use)
        if isinstance(attr, ast.Attribute) and attr.attr in ("get", "get_nowait"):
            if any(anc is loop for anc in model.ancestors(use)):
                return True
    return False


def _watched(name: str, owner: Optional[ast.AST], model) -> bool:
    """Whether the code checks the queue's fill level (``q.qsize()``, ``q.full()``): it applies
    its own backpressure, e.g. pausing the producer above a threshold."""
    for node in model.nodes.get(ast.Attribute, ()):
        if node.attr not in ("qsize", "full"):
            continue
        value = node.value
        if owner is None and isinstance(value, ast.Name) and value.id == name:
            return True
        if (owner is not None and isinstance(value, ast.Attribute) and value.attr == name
                and isinstance(value.value, ast.Name) and isinstance(owner, ast.Name) and value.value.id == owner.id):
            return True
    return False


def _feeding_loop(use: ast.AST, model) -> Optional[ast.AST]:
    """A ``while``/``async for`` loop around ``use``, in its own function or a nested one."""
    func = model.enclosing_function(use, through_lambda=True)
    loop = enclosing_loop(use, model, func)
    while loop is not None:
        if isinstance(loop, (ast.While, ast.AsyncFor)):
            return loop
        loop = enclosing_loop(loop, model, func)
    return None


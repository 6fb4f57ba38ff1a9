"""LL404 retry-without-backoff: the rule, and the retry helpers of ``rules/retries.toml`` (tenacity,
backoff, urllib3 ``Retry``). Hand-written retry loops are recognised in ``retry_loops``."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from leaklint.checks.base import Rule, RuleFix
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddImport, AddKeyword, FixOp, Replace, import_from_statement

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL404 = Rule(
    code="LL404",
    name="retry-without-backoff",
    family="lifetime",
    summary="A retry that never stops, never waits, or waits the same time for every client.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
- tenacity `@retry`, `@retry(...)`, `Retrying(...)`/`AsyncRetrying(...)` without `stop=` (it
  retries forever) or without `wait=` (it retries in a tight loop), or with `wait_none()` or a
  bare `wait_fixed(...)`;
- `backoff.on_exception` / `on_predicate` without `max_tries=` or `max_time=`;
- urllib3 `Retry(...)` (also through `requests.adapters`) that retries with `backoff_factor`
  absent or `0`;
- hand-written retry loops: a `while` loop or a `for` over `range(...)`/`itertools.count()`
  whose body holds a `try` that always leaves the loop when the attempt succeeds
  (`return`/`break` at the end of the `try` body or its `else`) and whose handler lets the loop go
  round again, when the loop never sleeps or sleeps a constant (`time.sleep(1)`, a name bound only
  to a number). The message adds "never stops" for a `while True:` that has no `raise`/`break`
  on failure.

Not retry loops, and not reported:
- polling loops waiting for a state change (no `try` that leaves on success), and loops that
  only catch "not yet" exceptions (`queue.Empty`, timeouts that already waited their time, a
  peer's backoff window): see `polling-exceptions`;
- consumer loops, periodic jobs and catch-up loops: success goes round as well;
- conflict loops that retry a race at once by design (only `IntegrityError`/`*ConflictError`
  caught) or try a different value on every attempt (the `try` body reads a name the loop
  rebinds, such as the next host, the parent directory or the loop counter, or draws a random
  token or generated id);
- a loop whose sleep grows, is drawn at random, comes from a helper (`self._backoff(attempt)`,
  `clock.sleep(delay)` with a varying delay) or cannot be read as a constant. Such a loop is not
  reported even when it never gives up: a reconnect loop with capped, jittered exponential
  backoff is how a daemon keeps its broker connection.

A urllib3 `Retry` kept only to call its helpers (`self._retry.get_retry_after(response)`) retries
nothing and is not reported. `backoff` adds full jitter by default, so its wait generators,
`backoff.constant` included, are accepted once `max_tries`/`max_time` bound them.

## Why it hurts in production
When a dependency blips, every client fails at the same moment. Retries without a pause hit it
again at once, many times per second per client; retries with a fixed pause hit it in lock-step
waves; retries that never stop keep the load up after the dependency is back. One blip becomes a
thundering herd that keeps it down. Exponential backoff spreads the attempts over time, jitter
de-synchronises clients, and a stop bounds the work.

## Example
```python
@retry
def charge(payment):
    return gateway.charge(payment)

def fetch(url):
    for attempt in range(5):
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(1)
```

## Use instead
```python
@retry(stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=0.5, max=30))
def charge(payment):
    return gateway.charge(payment)

def fetch(url):
    for attempt in range(5):
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            time.sleep(min(30, 0.5 * 2 ** attempt) * random.random())
```
Prefer exponential backoff *with jitter* (`wait_random_exponential`, urllib3 2's
`backoff_jitter`, `backoff.full_jitter`).

## Fix safety
Unsafe: the retried call now gives up after `retry-attempts` attempts and waits between them, so
callers see failures sooner and calls take longer. The fix adds the missing `stop=` and `wait=`
to tenacity (with their imports) and sets urllib3's `backoff_factor` to `retry-backoff-factor`.
Hand-written loops, `backoff` and constant waits get no fix.

## Options
- `[tool.leaklint.lifetime] retry-attempts` (default `5`): the `stop_after_attempt` bound.
- `retry-wait` (default `"wait_random_exponential(multiplier=0.5, max=30)"`) and `retry-wait-import`
  (default `"from tenacity import wait_random_exponential"`).
- `retry-backoff-factor` (default `"0.5"`): the urllib3 `backoff_factor` the fix sets.
- `[tool.leaklint.retries]` extends `rules/retries.toml`: `sleeps`, `sleep-name-parts`,
  `polling-exceptions`, `retriers`, `retry-policies`.

## Parity
No peer rule: ruff, pylint and flake8-bugbear do not look at retry policies or retry loops.

## References
- https://tenacity.readthedocs.io/en/latest/
- https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
""",
)

class RetryCatalogue:
    def __init__(self, ctx: FileContext) -> None:
        self.retriers: Dict[str, Dict[str, Any]] = ctx.catalogue.section("retries", "retriers")
        self.policies: Dict[str, Dict[str, Any]] = ctx.catalogue.section("retries", "retry-policies")
        self.no_waits = ctx.catalogue.section("retries", "no-waits")
        self.sleeps = ctx.catalogue.section("retries", "sleeps")
        self.sleep_parts = tuple(ctx.catalogue.section("retries", "sleep-name-parts"))
        self.polling = tuple(ctx.catalogue.section("retries", "polling-exceptions"))
        self.fresh_parts = tuple(ctx.catalogue.section("retries", "fresh-value-name-parts"))


def _keywords(call: ast.Call) -> Optional[Dict[str, ast.AST]]:
    """Keyword arguments by name; ``None`` when ``**kwargs`` may carry any of them."""
    out = {}
    for kw in call.keywords:
        if kw.arg is None:
            return None
        out[kw.arg] = kw.value
    return out


# ---------------------------------------------------------------------- helpers: tenacity, backoff
def check_retrier(node: ast.AST, target: str, style: str, cat: RetryCatalogue, ctx: FileContext) -> None:
    """``node`` is a call to the retrier, or a bare ``@retry`` decorator expression."""
    if isinstance(node, ast.Call):
        if any(isinstance(a, ast.Starred) for a in node.args):
            return
        keywords = _keywords(node)
        if keywords is None:
            return
    else:
        keywords = {}
    if style == "backoff":
        if "max_tries" not in keywords and "max_time" not in keywords:
            ctx.report("LL404", node, f"`{target}` without `max_tries=` or `max_time=` retries forever; pass `max_tries=` or `max_time=`")
        return
    missing = [k for k in ("stop", "wait") if k not in keywords]
    wait = keywords.get("wait")
    constant = _no_wait(wait, cat, ctx.model) if wait is not None else None
    if not missing and constant is None:
        return
    problems = []
    if "stop" in missing:
        problems.append("no `stop=` (it retries forever)")
    if "wait" in missing:
        problems.append("no `wait=` (it retries in a tight loop)")
    if constant is not None:
        problems.append(f"`{constant}` ({cat.no_waits[constant]})")
    fix = _tenacity_fix(node, missing, ctx) if missing else None
    ctx.report("LL404", node, f"`{target}` has {' and '.join(problems)}: add `stop=` and an exponential "
                              f"`wait=` with jitter", fix)


def _no_wait(wait: ast.AST, cat: RetryCatalogue, model) -> Optional[str]:
    if isinstance(wait, ast.Call):
        target = model.call_target(wait)
        if target in cat.no_waits:
            return target
    return None


def _tenacity_fix(node: ast.AST, missing: List[str], ctx: FileContext) -> Optional[Fix]:
    attempts = ctx.option("lifetime", "retry-attempts")
    wait = ctx.option("lifetime", "retry-wait")
    values = {"stop": f"stop_after_attempt({attempts})", "wait": wait}
    ops: List[FixOp] = []
    if isinstance(node, ast.Call):
        for key in missing:
            ops.append(AddKeyword(ctx.node_range(node), key, values[key]))
    else:
        args = ", ".join(f"{k}={values[k]}" for k in missing)
        ops.append(Replace(ctx.node_range(node), f"{ctx.segment(node)}({args})"))
    if "stop" in missing:
        ops.append(AddImport("tenacity", "stop_after_attempt"))
    if "wait" in missing:
        extra = import_from_statement(ctx.option("lifetime", "retry-wait-import"))
        if extra is not None:
            ops.append(extra)
    return Fix("Add " + " and ".join(f"`{k}={values[k]}`" for k in missing), Safety.UNSAFE, tuple(ops))


# ---------------------------------------------------------------------- urllib3 Retry
def check_policy(call: ast.Call, target: str, entry: Dict[str, Any], ctx: FileContext) -> None:
    keywords = _keywords(call)
    if keywords is None or any(isinstance(a, ast.Starred) for a in call.args):
        return
    count = keywords.get(entry.get("count-keyword", "total"))
    position = entry.get("count-position")
    if count is None and position is not None and len(call.args) > position:
        count = call.args[position]
    if isinstance(count, ast.Constant) and (count.value is False or count.value == 0):
        return
    backoff_kw = entry.get("backoff-keyword", "backoff_factor")
    backoff = keywords.get(backoff_kw)
    if backoff is not None and not (isinstance(backoff, ast.Constant) and backoff.value == 0):
        return
    if _only_consulted(call, ctx.model):
        return
    factor = ctx.option("lifetime", "retry-backoff-factor")
    state = "0" if backoff is not None else "absent"
    ctx.report("LL404", call, f"`{target}` retries with `{backoff_kw}` {state}: every attempt fires at once; "
                              f"set a backoff factor (and `backoff_jitter` on urllib3 2)",
               Fix(f"Set `{backoff_kw}={factor}`", Safety.UNSAFE, (AddKeyword(ctx.node_range(call), backoff_kw, factor),)))


def _only_consulted(call: ast.Call, model) -> bool:
    """The policy object is kept only to call its helpers (``self._retry.get_retry_after(...)``),
    never handed to a pool or adapter: it retries nothing."""
    parent = model.parent(call)
    if not isinstance(parent, ast.Assign) or len(parent.targets) != 1:
        return False
    target = parent.targets[0]
    if isinstance(target, ast.Name):
        uses = [n for n in model.nodes.get(ast.Name, ()) if n.id == target.id and isinstance(n.ctx, ast.Load)]
    elif isinstance(target, ast.Attribute):
        func = model.enclosing_function(call, through_lambda=False)
        cls = model.enclosing_class(func) if func is not None else None
        if cls is None:
            return False
        uses = [n for n in model.nodes.get(ast.Attribute, ()) if n.attr == target.attr
                and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name)
                and any(anc is cls for anc in model.ancestors(n))]
    else:
        return False
    if not uses:
        return False
    for use in uses:
        attr = model.parent(use)
        if not (isinstance(attr, ast.Attribute) and isinstance(model.parent(attr), ast.Call)
                and model.parent(attr).func is attr):
            return False
    return True

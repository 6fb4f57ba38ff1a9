"""LL404 for hand-written retry loops.

A retry loop repeats the *same* attempt until it succeeds: a ``while`` loop, or a ``for`` over
``range(...)``/``itertools.count()``, whose body holds a ``try`` that leaves the loop whenever the
attempt succeeds and whose handler lets the loop go round again. Look-alikes that are not retry
storms, and are not reported:

- work loops (consumers, periodic jobs, catch-up loops): success goes round too;
- polling loops: only "not yet" exceptions are caught (``queue.Empty``, timeouts that already
  waited), or no ``try`` leaves the loop on success;
- conflict loops: only conflicts are caught (``IntegrityError``), or every attempt uses a fresh
  value (a random token, the next destination, the parent directory).
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Set, Union

from leaklint.checks.lifetime.ownership import DEFS, LOOPS
from leaklint.semantic.model import last_name

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

Loop = Union[ast.For, ast.While]  # the loops a retry loop can be (``visit_For`` and ``visit_While``)

_TRUE = (True, 1)
_EXITS = (ast.Return, ast.Break)


def check_loop(loop: Loop, cat, ctx: FileContext) -> None:
    model = ctx.model
    if isinstance(loop, ast.For) and not _counted(loop.iter, model):
        return
    attempt = _retry_try(loop, cat, model)
    if attempt is None:
        return
    sleep = _sleep_kind(loop, cat, model)
    if sleep == "varies":
        return  # growing backoff: a reconnect loop that never gives up is how daemons keep a connection
    problems = [] if _stops(loop, attempt) else ["never stops"]
    problems.append("never sleeps between attempts" if sleep == "none" else "sleeps the same time after every failure")
    ctx.report("LL404", loop, f"retry loop {' and '.join(problems)}: bound the attempts and sleep an "
                              f"exponentially growing, jittered delay (or use tenacity)")


def _counted(iterable: ast.AST, model) -> bool:
    if not isinstance(iterable, ast.Call):
        return False
    return model.qualname(iterable.func) in ("builtins.range", "itertools.count")


def _retry_try(loop: Loop, cat, model) -> Optional[ast.Try]:
    """The ``try`` of the loop body that leaves the loop on success and goes round on failure."""
    body = loop.body
    for index, stmt in enumerate(body):
        if not isinstance(stmt, ast.Try) or not stmt.handlers:
            continue
        round_handlers = [h for h in stmt.handlers if _goes_round(h)]
        if not round_handlers or all(_not_a_failure(h, cat, model) for h in round_handlers):
            continue
        if not _exits_on_success(stmt, body[index + 1:], round_handlers):
            continue
        if _fresh_attempts(loop, stmt, cat, model):
            continue
        return stmt
    return None


def _exits_on_success(attempt: ast.Try, after: List[ast.stmt], round_handlers) -> bool:
    """Success always leaves the loop: the ``try`` body or its ``else`` ends with ``return``/``break``,
    or every failure ``continue``s and the next statement leaves."""
    if attempt.orelse:
        return isinstance(attempt.orelse[-1], _EXITS)
    if isinstance(attempt.body[-1], _EXITS):
        return True
    if after and isinstance(after[0], _EXITS):
        return all(isinstance(h.body[-1], ast.Continue) for h in round_handlers)
    return False


def _goes_round(handler: ast.ExceptHandler) -> bool:
    return not (handler.body and isinstance(handler.body[-1], (ast.Raise, ast.Return, ast.Break)))


def _not_a_failure(handler: ast.ExceptHandler, cat, model) -> bool:
    """Only "not yet", timeout or conflict exceptions are caught."""
    if handler.type is None:
        return False
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for node in types:
        name = model.qualname(node) or _dotted(node)
        if not name or not any(fnmatchcase(name, pattern) for pattern in cat.polling):
            return False
    return True


def _dotted(node: ast.AST) -> str:
    """``self.engine.module.IntegrityError`` as written, for exceptions the model cannot resolve."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _fresh_attempts(loop: Loop, attempt: ast.Try, cat, model) -> bool:
    """Every attempt differs: the ``try`` body reads a name the loop rebinds (the loop counter, the
    next candidate) or draws a fresh value (a random token, a generated id)."""
    rebound: Set[str] = set()
    if isinstance(loop, ast.For):
        rebound.update(n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name))
    inside_try = {id(n) for stmt in attempt.body for n in ast.walk(stmt)}
    for node in _walk_loop_level(loop.body):
        if id(node) in inside_try:
            continue
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
            rebound.update(_bound_names(node))
    for stmt in attempt.body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in rebound:
                return True
            if isinstance(node, ast.Call):
                name = last_name(node).lower()
                if any(part in name for part in cat.fresh_parts):
                    return True
    return False


def _bound_names(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    else:
        targets = [node.target]  # type: ignore[attr-defined]
    out = []
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                out.append(sub.id)
            elif isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name):
                out.append(sub.value.id)  # ``groups[:] = groups[:-1]`` changes ``groups``
    return out


def _walk_loop_level(stmts: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Nodes of ``stmts``, not entering nested functions, nor the bodies of nested loops (their
    ``break`` and sleeps belong to them)."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, DEFS):
            continue
        if isinstance(node, LOOPS):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _stops(loop: Loop, attempt: ast.Try) -> bool:
    if isinstance(loop, ast.For):
        if last_name(loop.iter) != "count":
            return True
    elif not (isinstance(loop.test, ast.Constant) and loop.test.value in _TRUE):
        return True
    for handler in attempt.handlers:
        for node in _walk_loop_level(handler.body):
            if isinstance(node, (ast.Raise, ast.Return, ast.Break)):
                return True
    for stmt in loop.body:
        if stmt is not attempt and isinstance(stmt, ast.If):
            for node in _walk_loop_level([stmt]):
                if isinstance(node, (ast.Raise, ast.Return)):
                    return True
    return False


def _sleep_kind(loop: Loop, cat, model) -> str:
    """``none``, ``constant``, or ``varies`` (grows, jitters, or cannot be read as a constant)."""
    found = "none"
    assigned = {n for node in _walk_loop_level(loop.body)
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) for n in _bound_names(node)}
    if isinstance(loop, ast.For):
        assigned.update(n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name))
    for node in _walk_loop_level(loop.body):
        if not isinstance(node, ast.Call):
            continue
        target = model.call_target(node)
        if target in cat.sleeps:
            if not node.args or not _constant(node.args[0], assigned, model):
                return "varies"
            found = "constant"
            continue
        name = last_name(node)
        if not any(part in name.lower() for part in cat.sleep_parts):
            if _given_a_delay(node, cat) or _local_helper_sleeps(node, cat, model):
                return "varies"
            continue
        if name == "wait" and not node.args and not node.keywords:
            continue  # ``event.wait()`` or ``proc.wait()`` without a time is not a pause
        if len(node.args) == 1 and not node.keywords and _constant(node.args[0], assigned, model):
            found = "constant"
            continue
        return "varies"
    return found


def _given_a_delay(call: ast.Call, cat) -> bool:
    """A helper handed the pause (``self._reconnect(interval_start=..., interval_max=...)``)."""
    names = [kw.arg for kw in call.keywords if kw.arg]
    names += [a.id if isinstance(a, ast.Name) else a.attr for a in call.args if isinstance(a, (ast.Name, ast.Attribute))]
    return any(part in name.lower() for name in names for part in cat.sleep_parts)


def _local_helper_sleeps(call: ast.Call, cat, model) -> bool:
    """A call to a function of this module whose own body sleeps (``await tick()``)."""
    if not isinstance(call.func, ast.Name):
        return False
    for binding in model.bindings_at(call.func):
        if binding.kind != "def":
            continue
        for node in ast.walk(binding.node):
            if isinstance(node, ast.Call) and (model.call_target(node) in cat.sleeps
                                               or any(p in last_name(node).lower() for p in cat.sleep_parts)):
                return True
    return False


def _constant(expr: ast.AST, assigned: Set[str], model) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)
    if isinstance(expr, ast.Name):
        if expr.id in assigned:
            return False
        values = model.values_of(expr)
        return bool(values) and all(isinstance(v, ast.Constant) and isinstance(v.value, (int, float)) for v in values)
    return False

"""Where a freshly created object goes: into a ``with``, to a close call, to the caller, to storage.

LL401 asks whether a resource is released on every path, LL402 whether a client created in a loop
lives beyond one iteration, LL403 whether a queue is fed from a loop. All three need the same
answer about one value, computed here from the model's parents plus a bounded walk of the one
function body that holds the value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Set, Tuple

LOOPS = (ast.For, ast.AsyncFor, ast.While)
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# methods that keep their argument in a container or registry
_KEEPERS = frozenset({"append", "appendleft", "add", "extend", "insert", "put", "put_nowait", "setdefault",
                      "register", "update"})
# expressions through which the created value flows unchanged to the enclosing expression
_TRANSPARENT = (ast.Await, ast.IfExp, ast.BoolOp)


@dataclass
class Fate:
    """What happens to a created value.

    ``kinds`` holds some of: ``with`` (a context manager that releases it), ``with-open`` (a
    ``with`` that does not release it), ``release`` (a release method called outside ``finally``
    and ``except``), ``release-guarded`` (called in ``finally``/``except``), ``owned`` (handed to an
    owner, a closing callback or any call that may keep it), ``stored`` (kept on ``self``, a
    container or module state), ``returned`` (returned or yielded), ``closure`` (used by a nested
    function), ``borrowed`` (read by a borrower that leaves it open), ``dropped`` (created and never
    bound), ``used`` (methods called on it), ``looped`` (used inside a loop nested in the
    creation's loop).
    """

    kinds: Set[str] = field(default_factory=set)
    name: Optional[str] = None
    creation: Optional[ast.stmt] = None  # the statement that binds ``name``
    releases: List[ast.Call] = field(default_factory=list)

    @property
    def escapes(self) -> bool:
        return bool(self.kinds & {"owned", "stored", "returned", "closure"})


def creation_site(call: ast.AST, model) -> Tuple[ast.AST, ast.AST]:
    """The expression that carries the created value out of ``call`` and its parent, skipping
    ``await`` and conditional expressions."""
    node = call
    parent = model.parent(node)
    while isinstance(parent, _TRANSPARENT):
        if isinstance(parent, ast.IfExp) and node is parent.test:
            break
        node, parent = parent, model.parent(parent)
    return node, parent


def fate_of(call: ast.Call, model, release: Tuple[str, ...], with_closes: bool,
            owners, borrowers, func: ast.AST) -> Fate:
    """What happens to the value ``call`` creates inside ``func``."""
    fate = Fate()
    node, parent = creation_site(call, model)
    if isinstance(parent, ast.withitem):
        fate.kinds.add("with" if with_closes else "with-open")
        with_stmt = model.parent(parent)
        if isinstance(parent.optional_vars, ast.Name):
            _follow_name(fate, parent.optional_vars.id, with_stmt, model, release, with_closes,
                         owners, borrowers, func)
        return fate
    if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom, ast.Lambda)):
        fate.kinds.add("returned")
        return fate
    if isinstance(parent, ast.Attribute):
        grand = model.parent(parent)
        if parent.attr in release:
            fate.kinds.add("release" if isinstance(grand, ast.Call) and grand.func is parent else "owned")
        else:
            fate.kinds.add("used")
        return fate
    if isinstance(parent, (ast.Call, ast.keyword)):
        outer = model.parent(parent) if isinstance(parent, ast.keyword) else parent
        if isinstance(outer, ast.Call) and outer.func is not node:
            fate.kinds.add(_argument_kind(outer, model, owners, borrowers))
        else:
            fate.kinds.add("used")
        return fate
    if isinstance(parent, ast.Expr):
        fate.kinds.add("dropped")
        return fate
    target = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
    elif isinstance(parent, ast.AnnAssign):
        target = parent.target
    elif isinstance(parent, ast.NamedExpr):
        target = parent.target
    if isinstance(target, ast.Name):
        scope = model.scope_of(target)
        if scope.kind != "function" or target.id in scope.global_names or target.id in scope.nonlocal_names:
            fate.kinds.add("stored")
            return fate
        _follow_name(fate, target.id, model.statement_of(parent), model, release, with_closes,
                     owners, borrowers, func)
        return fate
    # attributes, subscripts, tuples, containers, comprehensions: kept somewhere we do not follow
    fate.kinds.add("stored")
    return fate


def _argument_kind(outer: ast.Call, model, owners, borrowers) -> str:
    func = outer.func
    if isinstance(func, ast.Attribute) and func.attr in _KEEPERS:
        return "stored"
    target = model.call_target(outer)
    if target in borrowers:
        return "borrowed"
    return "owned"  # an owner, or any callee that may keep it: be precise rather than loud


def _in_inner_loop(use: ast.AST, loop: ast.AST, model) -> bool:
    """Whether ``use`` runs in a loop (or comprehension) nested in ``loop``: the value serves many
    iterations of the inner loop."""
    for anc in model.ancestors(use):
        if anc is loop or isinstance(anc, DEFS):
            return False
        if isinstance(anc, LOOPS + _COMPREHENSIONS):
            return True
    return False


def _follow_name(fate: Fate, name: str, creation: ast.AST, model, release, with_closes,
                 owners, borrowers, func: ast.AST) -> None:
    fate.name = name
    fate.creation = creation  # type: ignore[assignment]
    loop = enclosing_loop(creation, model, func)
    for use, nested in name_loads(func, name):
        if use.lineno < creation.lineno and not _inside(use, loop, model):
            continue  # an earlier, unrelated binding of the same name
        if nested:
            fate.kinds.add("closure")
            continue
        kind = _use_kind(use, model, release, with_closes, owners, borrowers)
        if kind in ("release", "release-guarded"):
            fate.releases.append(model.parent(model.parent(use)))
        fate.kinds.add(kind)
        if loop is not None and kind in ("used", "borrowed", "with", "with-open") and _in_inner_loop(use, loop, model):
            fate.kinds.add("looped")


def _use_kind(use: ast.Name, model, release, with_closes, owners, borrowers) -> str:
    parent = model.parent(use)
    while isinstance(parent, _TRANSPARENT):
        use, parent = parent, model.parent(parent)
    if isinstance(parent, ast.withitem) and parent.context_expr is use:
        return "with" if with_closes else "with-open"
    if isinstance(parent, ast.Attribute):
        grand = model.parent(parent)
        if parent.attr in release:
            if isinstance(grand, ast.Call) and grand.func is parent:
                return "release-guarded" if _guarded(grand, model) else "release"
            return "owned"  # ``x.close`` handed over as a callback
        return "used"
    if isinstance(parent, (ast.Call, ast.keyword)):
        outer = model.parent(parent) if isinstance(parent, ast.keyword) else parent
        if isinstance(outer, ast.Call) and outer.func is not use:
            return _argument_kind(outer, model, owners, borrowers)
        return "used"
    if isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom)):
        return "returned"
    if isinstance(parent, (ast.Compare, ast.If, ast.While, ast.Assert, ast.UnaryOp, ast.Subscript,
                           ast.FormattedValue, ast.JoinedStr, ast.Expr, ast.Delete, ast.For, ast.AsyncFor)):
        return "used"
    return "stored"


def _guarded(node: ast.AST, model) -> bool:
    """Whether ``node`` runs in a ``finally`` block or an ``except`` handler."""
    child = node
    for anc in model.ancestors(node):
        if isinstance(anc, DEFS):
            return False
        if isinstance(anc, ast.ExceptHandler):
            return True
        if isinstance(anc, (ast.Try, getattr(ast, "TryStar", ast.Try))) and child in anc.finalbody:
            return True
        child = anc
    return False


def name_loads(func: ast.AST, name: str) -> Iterator[Tuple[ast.Name, bool]]:
    """Loads of ``name`` in the body of ``func``, each with whether it sits in a nested function."""
    stack: List[Tuple[ast.AST, bool]] = [(stmt, False) for stmt in _body(func)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, ast.Name):
            if node.id == name and isinstance(node.ctx, ast.Load):
                yield node, nested
            continue
        inner = nested or isinstance(node, DEFS)
        for child in ast.iter_child_nodes(node):
            stack.append((child, inner))


def _body(func: ast.AST) -> List[ast.AST]:
    body = getattr(func, "body", [])
    return body if isinstance(body, list) else [body]


def enclosing_loop(node: ast.AST, model, func: Optional[ast.AST]) -> Optional[ast.AST]:
    """The innermost loop whose body (not its iterable, test or ``else``) runs ``node``, within
    ``func``."""
    child = node
    for anc in model.ancestors(node):
        if anc is func or isinstance(anc, DEFS):
            return None
        if isinstance(anc, LOOPS) and child in anc.body:
            return anc
        if isinstance(anc, _COMPREHENSIONS):
            return None
        child = anc
    return None


def _inside(node: ast.AST, outer: Optional[ast.AST], model) -> bool:
    if outer is None:
        return False
    return any(anc is outer for anc in model.ancestors(node))


def statements_between(first: ast.stmt, last: ast.stmt, model) -> Optional[List[ast.stmt]]:
    """The statements strictly between ``first`` and the statement of the same block that holds
    ``last``; ``None`` when ``last`` is not after ``first`` in that block."""
    parent = model.parent(first)
    for block_name in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(parent, block_name, None)
        if isinstance(block, list) and first in block:
            break
    else:
        return None
    start = block.index(first)
    holder = last
    while holder is not None and model.parent(holder) is not parent:
        holder = model.parent(holder)
    if holder is None or holder not in block:
        return None
    end = block.index(holder)
    if end <= start:
        return None
    return block[start + 1:end]

"""What the ``caches`` catalogue says, prepared once per run for cheap lookups, and the questions
all three rules ask of it: is this decorator a memoizer, is this expression a cache, does this
handler catch a transient failure, does this value come from an unchecked HTTP response."""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Tuple

from leaklint.semantic.model import last_name

FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
DICT_FACTORIES = frozenset({"builtins.dict", "collections.OrderedDict", "collections.defaultdict"})


@dataclass(frozen=True)
class Memo:
    """One application of a memoizing decorator to a function."""

    qualname: str
    entry: Dict[str, Any]
    decorator: ast.AST  # the decorator expression (``lru_cache(maxsize=None)``, ``cache``)
    function: ast.AST

    @property
    def call(self) -> Optional[ast.Call]:
        return self.decorator if isinstance(self.decorator, ast.Call) else None

    @property
    def short(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


class Knowledge:
    """The catalogue sections as dicts and frozensets."""

    def __init__(self, catalogue: Any) -> None:
        def section(name: str) -> Dict[str, Any]:
            return dict(catalogue.section("caches", name))

        self.memoizers: Dict[str, Dict[str, Any]] = section("memoizers")
        self.memoizer_names: FrozenSet[str] = frozenset(q.rsplit(".", 1)[-1] for q in self.memoizers)
        self.cache_types: Dict[str, Dict[str, Any]] = section("cache-types")
        self.cache_objects: Dict[str, str] = section("cache-objects")
        self.store_methods: FrozenSet[str] = frozenset(
            m for entry in self.cache_types.values() for m in entry.get("store-methods", ()))
        self.exceptions: Dict[str, str] = section("exceptions")
        self.responses: Dict[str, str] = section("responses")
        self.response_methods: FrozenSet[str] = frozenset(q.rsplit(".", 1)[-1] for q in self.responses)
        self.check_attributes: FrozenSet[str] = frozenset(section("response-checks"))
        self.bounded_annotations: Dict[str, str] = section("bounded-annotations")
        self.local_modules: FrozenSet[str] = frozenset(section("local-modules"))
        self.local_methods: FrozenSet[str] = frozenset(section("local-methods"))
        self.ttl_keywords: FrozenSet[str] = frozenset(k for k, on in section("ttl-keywords").items() if on)
        self.store_positions: Dict[str, Dict[str, int]] = section("store-positions")


_LOADED: List[Tuple[Any, Knowledge]] = []


def knowledge_for(catalogue: Any) -> Knowledge:
    """One ``Knowledge`` per catalogue object (the catalogue is shared by every file of a run)."""
    if _LOADED and _LOADED[0][0] is catalogue:
        return _LOADED[0][1]
    known = Knowledge(catalogue)
    _LOADED[:] = [(catalogue, known)]
    return known


def memoizer_names_in(model: Any, known: Knowledge) -> FrozenSet[str]:
    """The names a memoizer may go by in this module: its own, and aliases it is imported as
    (``from functools import lru_cache as memoize``)."""
    names = set(known.memoizer_names)
    for name, bindings in model.module_scope.bindings.items():
        if any(b.kind == "import" and b.target in known.memoizers for b in bindings):
            names.add(name)
    return frozenset(names)


def memo_of(decorator: ast.AST, function: ast.AST, model: Any, known: Knowledge,
            names: Optional[FrozenSet[str]] = None) -> Optional[Memo]:
    """The memoizer a decorator expression applies, if it is one. ``names`` are the names a
    memoizer goes by in this module (a cheap filter before resolving)."""
    if last_name(decorator) not in (names if names is not None else known.memoizer_names):
        return None
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    qualname = model.qualname(target)
    entry = known.memoizers.get(qualname or "")
    if entry is None:
        return None
    return Memo(qualname, entry, decorator, function)  # type: ignore[arg-type]


def memos_of(function: ast.AST, model: Any, known: Knowledge,
             names: Optional[FrozenSet[str]] = None) -> List[Memo]:
    out = []
    for decorator in getattr(function, "decorator_list", ()):
        memo = memo_of(decorator, function, model, known, names)
        if memo is not None:
            out.append(memo)
    return out


def walk_body(function: ast.AST) -> Iterator[ast.AST]:
    """Every node in a function's body, not descending into nested functions or classes."""
    stack: List[ast.AST] = list(reversed(getattr(function, "body", [])))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, NESTED_SCOPES):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def enclosing_handler(node: ast.AST, model: Any) -> Optional[ast.ExceptHandler]:
    """The ``except`` handler whose body holds ``node``, inside the same function."""
    for anc in model.ancestors(node):
        if isinstance(anc, ast.ExceptHandler):
            return anc
        if isinstance(anc, NESTED_SCOPES):
            return None
    return None


def caught_names(handler: ast.ExceptHandler, model: Any) -> List[str]:
    """Qualified names of the classes a handler catches (``builtins.BaseException`` for a bare one)."""
    kind = handler.type
    if kind is None:
        return ["builtins.BaseException"]
    elts = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return [model.qualname(e) or "" for e in elts]


def transient_caught(handler: ast.ExceptHandler, model: Any, known: Knowledge) -> Optional[str]:
    """The first caught class that means a transient failure (or any failure), else None."""
    for name in caught_names(handler, model):
        if name in known.exceptions:
            return name.replace("builtins.", "") if name.startswith("builtins.") else name
    return None


# exception kinds that are as often a stable property of this machine as a transient failure
LOCAL_KINDS = frozenset({"broad", "OS"})


def guarded_block(handler: ast.ExceptHandler, model: Any) -> List[ast.stmt]:
    return list(getattr(model.parent(handler), "body", ()))


def calls_out(statements: List[ast.stmt], model: Any, known: Knowledge) -> bool:
    """Whether the statements call something that may fail transiently: anything but builtins,
    modules that stay on this machine and methods of values in memory (``local-modules``,
    ``local-methods``). A function of the project counts: what it does is not visible here."""
    for stmt in statements:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            target = model.call_target(node)
            if target is not None:
                if target.split(".", 1)[0] not in known.local_modules:
                    return True
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in known.local_methods:
                continue
            return True
    return False


def is_dict_creation(expr: Optional[ast.AST], model: Any) -> bool:
    if isinstance(expr, ast.Dict):
        return not expr.keys
    if isinstance(expr, ast.Call) and not expr.args:
        return model.qualname(expr.func) in DICT_FACTORIES
    if isinstance(expr, ast.Call) and model.qualname(expr.func) == "collections.defaultdict":
        return True
    return False


def matches(name: str, patterns: Any) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, p) for p in patterns)


def same(a: ast.AST, b: ast.AST) -> bool:
    return ast.dump(a) == ast.dump(b)


def response_call(expr: Optional[ast.AST], model: Any, known: Knowledge, depth: int = 0) -> Optional[ast.Call]:
    """The HTTP request call an expression's value comes from: the call itself, ``r.json()``,
    ``r.text``, ``(await r).content``, ``data["x"]`` of such a value, or a name bound to one."""
    if expr is None or depth > 6:
        return None
    while True:
        if isinstance(expr, ast.Await):
            expr = expr.value
        elif isinstance(expr, ast.Subscript):
            expr = expr.value
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
            if expr.func.attr in known.response_methods and model.call_target(expr) in known.responses:
                return expr
            expr = expr.func.value  # ``r.json()``, ``data.get("x")``
        elif isinstance(expr, ast.Call):
            return expr if model.call_target(expr) in known.responses else None
        elif isinstance(expr, ast.Attribute) and expr.attr not in known.check_attributes:
            expr = expr.value  # ``r.text``
        else:
            break
    if isinstance(expr, ast.Name):
        for value in model.values_of(expr):
            found = response_call(value, model, known, depth + 1)
            if found is not None:
                return found
    return None


def checks_status(function: ast.AST, request: ast.Call, known: Knowledge) -> bool:
    """Whether the function looks at the response status (``raise_for_status()``, ``.ok``,
    ``.status_code``), or the request raises on an error status itself."""
    for kw in request.keywords:
        if kw.arg == "raise_for_status" and not (isinstance(kw.value, ast.Constant) and not kw.value.value):
            return True
    for node in walk_body(function):
        if isinstance(node, ast.Attribute) and node.attr in known.check_attributes:
            return True
    return False

"""LL302 unbounded-cache: a cache with no bound, keyed by arguments that have no bound either."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Tuple

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.caches.knowledge import Knowledge, Memo, is_dict_creation
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddImport, AddKeyword, FixOp, RemoveStatement, Replace, ReplaceStatement
from leaklint.semantic.model import named_params

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL302 = Rule(
    code="LL302",
    name="unbounded-cache",
    family="caches",
    summary="A cache that never evicts is keyed by unbounded arguments: it grows for the life of the process.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
- `functools.lru_cache(maxsize=None)` (or `lru_cache(None)`), `functools.cache`,
  `async_lru.alru_cache(maxsize=None)`, `cachetools.func.lru_cache(maxsize=None)` and the other
  `cachetools.func` caches with `maxsize=None`, and `cachetools.cached` over a plain dict, as a
  decorator or applied as a call (`f = lru_cache(maxsize=None)(g)`). The finding is on the
  decorator expression.
- A module-level or class-level dict used as a cache (a function looks a key up in it and, on a
  miss, stores that key) that is only ever added to: nothing in the module pops, deletes, clears
  or rebinds it, and it is not handed to other code that could. The finding is on the `{}` (or
  `dict()`, `OrderedDict()`, `defaultdict(...)`) that creates it.

A cache is reported only when its keys are unbounded, that is, when they come from callers.
A memoized function with no parameters (besides `self`/`cls`), or whose parameters are all
annotated `bool`, `Literal[...]`, an `Enum` class (of this module, or of another module of the
project: that finding waits until every module is indexed) or a class (`type`, `Type[...]`),
also inside `Optional`, has a handful of possible keys and is fine. A dict's key
is unbounded when it is built (directly or through up to three local assignments) from such an
unbounded parameter; a key drawn from `self`, globals, configuration or a `for` loop over a
collection already in memory is bounded by the program, not by traffic. Accumulators
(`counts[k] = counts.get(k, 0) + 1`) are not caches, and dicts named like registries
(`registry-names`: `_instances`, `_registry`, singletons) hold long-lived objects by design.
A cache defined inside another function lives as long as that closure and is not reported.
`cachetools.func.ttl_cache(maxsize=None)` expires entries on every store, so it is bounded by
rate times TTL and is not reported.

Known noise: a key that is unbounded by type but bounded in practice (a configuration path, the
API URL of the one server a client talks to, the two UTC offsets of a local timezone) is
reported; silence it with `# noqa: LL302` and a word on why the keys are few.

## Why it hurts in production
Memory grows with every distinct argument ever seen: user ids, URLs, query strings. Nothing
fails; the pod's RSS climbs for days until the OOM killer restarts it, which looks like a random
crash and resets the evidence. Every worker process holds its own copy.

## Example
```python
from functools import cache

@cache
def render_avatar(user_id: int, size: int) -> bytes: ...

_geo: dict = {}

def locate(ip):
    if ip not in _geo:
        _geo[ip] = geoip.lookup(ip)
    return _geo[ip]
```

## Use instead
```python
from functools import lru_cache

@lru_cache(maxsize=4096)
def render_avatar(user_id: int, size: int) -> bytes: ...

_geo = cachetools.TTLCache(maxsize=10_000, ttl=3600)
```

## Fix safety
Unsafe: with a bound, entries get evicted and recomputed, which changes timing and, for
functions with side effects or identity-sensitive results, behaviour. `maxsize=None` becomes
`maxsize=<fix-maxsize>`; `@cache` becomes `@lru_cache(maxsize=<fix-maxsize>)` with
`lru_cache` imported (and the `cache` import dropped when nothing else uses it). `cachetools.cached`
over a dict and hand-made dicts have no fix: choosing an eviction policy is a design decision.

## Options
- `[tool.leaklint.caches] fix-maxsize` (default `"1024"`): the bound the fix inserts, any
  expression (`"settings.CACHE_SIZE"`).
- `registry-names` (default `["*regist*", "*instances*", "*singleton*"]`): lower-case globs of
  module or class dicts, or of the functions filling them (`register_handler`), that register
  long-lived objects rather than cache results.
- `[tool.leaklint.caches.memoizers."mylib.memoize"]` with `bound-keyword`, `bound-position`,
  `unbounded` or `cache-keyword` teaches leaklint an in-house memoizer;
  `[tool.leaklint.caches.bounded-annotations]` adds annotations with few values.

## Parity
Ruff's UP033 rewrites `lru_cache(maxsize=None)` into `functools.cache`, which is just as
unbounded; once LL302's fix has set a bound, UP033 no longer applies, so the two do not fight.

## References
- https://docs.python.org/3/library/functools.html#functools.lru_cache
- https://cachetools.readthedocs.io/en/stable/
""",
)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def unbounded_reason(memo: Memo, model: Any) -> Optional[Tuple[str, Optional[ast.AST]]]:
    """Why a memoizer keeps every entry, and the ``None`` argument that says so (if any)."""
    entry = memo.entry
    call = memo.call
    if entry.get("unbounded"):
        return f"`{memo.short}` never evicts", None
    if call is None:
        return None
    keyword = entry.get("bound-keyword")
    position = entry.get("bound-position")
    if keyword is not None:
        for kw in call.keywords:
            if kw.arg == keyword and _is_none(kw.value):
                return f"`{memo.short}({keyword}=None)` never evicts", kw.value
        if position is not None and len(call.args) > position and _is_none(call.args[position]):
            if not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
                return f"`{memo.short}(None)` never evicts", call.args[position]
    cache_keyword = entry.get("cache-keyword")
    cache_position = entry.get("cache-position")
    cache_arg = None
    for kw in call.keywords:
        if cache_keyword is not None and kw.arg == cache_keyword:
            cache_arg = kw.value
    if cache_arg is None and cache_position is not None and len(call.args) > cache_position:
        cache_arg = call.args[cache_position]
    if cache_arg is not None:
        value = model.value_of(cache_arg) if isinstance(cache_arg, ast.Name) else cache_arg
        if is_dict_creation(value, model):
            return f"`{memo.short}` over a plain dict never evicts", None
    return None


def unbounded_parameters(function: ast.AST, model: Any, known: Knowledge) -> Tuple[bool, List[str]]:
    """Whether some argument is certainly unbounded, and the annotations that are classes of
    other project modules (bounded when they turn out to be enums, known once every module is
    indexed)."""
    args = function.args  # type: ignore[attr-defined]
    if args.vararg is not None or args.kwarg is not None:
        return True, []
    params = named_params(function)
    if params and model.enclosing_class(function) is not None and not is_static(function, model):
        params = params[1:]  # ``self``/``cls`` is LL303's business
    pending: List[str] = []
    for param in params:
        if bounded_annotation(param.annotation, model, known):
            continue
        annotation = param.annotation
        qualname = model.qualname(annotation) if isinstance(annotation, (ast.Name, ast.Attribute)) else None
        if qualname and model.is_project_name(qualname) and not qualname.startswith(f"{model.module}."):
            pending.append(qualname)
            continue
        return True, []
    return False, pending


def annotations_not_all_enums(index: Any, enum_bases: List[str], *qualnames: str) -> Optional[Dict[str, Any]]:
    """Resolver: the finding holds when one of the annotations is not an Enum class of the project."""
    for qualname in qualnames:
        if not _indexed_enum(index, qualname, frozenset(enum_bases), 0):
            return {}
    return None


def _indexed_enum(index: Any, qualname: str, enum_bases: FrozenSet[str], depth: int) -> bool:
    if depth > 5:
        return False
    facts = index.lookup(qualname)
    if not facts or facts.get("kind") != "class":
        return False
    return any(base in enum_bases or _indexed_enum(index, base, enum_bases, depth + 1)
               for base in facts.get("bases", ()) if base)


def is_static(function: ast.AST, model: Any) -> bool:
    return "builtins.staticmethod" in model.decorator_names(function)


def bounded_annotation(annotation: Optional[ast.AST], model: Any, known: Knowledge, depth: int = 0,
                        detached: bool = False) -> bool:
    """Whether an annotation admits a handful of values. ``detached`` nodes come from a string
    annotation: they are not in the tree, so their names are looked up at module level."""
    if annotation is None or depth > 4:
        return False
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            parsed = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return False
        return bounded_annotation(parsed, model, known, depth + 1, detached=True)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return True
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return (bounded_annotation(annotation.left, model, known, depth + 1, detached)
                and bounded_annotation(annotation.right, model, known, depth + 1, detached))
    if isinstance(annotation, ast.Subscript):
        base = _annotation_qualname(annotation.value, model, detached)
        if known.bounded_annotations.get(base) in ("literal", "class"):
            return True
        if base in ("typing.Optional", "typing.Union"):
            inner = annotation.slice
            parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return all(bounded_annotation(p, model, known, depth + 1, detached) for p in parts)
        return False
    if isinstance(annotation, (ast.Name, ast.Attribute)):
        kind = known.bounded_annotations.get(_annotation_qualname(annotation, model, detached))
        if kind in ("bool", "enum", "class"):
            return True
        return _is_enum_class(annotation, model, known)
    return False


def _annotation_qualname(expr: ast.AST, model: Any, detached: bool) -> str:
    if not detached:
        return model.qualname(expr) or ""
    if isinstance(expr, ast.Attribute):
        base = _annotation_qualname(expr.value, model, detached)
        return f"{base}.{expr.attr}" if base else ""
    if isinstance(expr, ast.Name):
        for binding in model.module_scope.bindings.get(expr.id, ()):
            if binding.kind == "import" and binding.target:
                return binding.target
        return f"builtins.{expr.id}"
    return ""


def _is_enum_class(annotation: ast.AST, model: Any, known: Knowledge) -> bool:
    if not isinstance(annotation, ast.Name):
        return False
    for binding in model.lookup(annotation.id, model.module_scope):
        if binding.kind == "class":
            for base in binding.node.bases:
                if known.bounded_annotations.get(model.qualname(base) or "") == "enum":
                    return True
    return False


class UnboundedMemoizers:
    """LL302 for memoizing decorators, in one file."""

    def __init__(self, ctx: FileContext, known: Knowledge) -> None:
        self.ctx = ctx
        self.model = ctx.model
        self.known = known

    # ------------------------------------------------------------------ memoizers
    def check_memoized(self, memo: Memo, nested: bool) -> None:
        if nested:
            return
        found = unbounded_reason(memo, self.model)
        if found is None:
            return
        reason, none_arg = found
        function = memo.function
        certain, pending = unbounded_parameters(function, self.model, self.known)
        if not certain and not pending:
            return
        name = getattr(function, "name", "function")
        message = f"{reason}: `{name}` keeps a result for every distinct argument for the life of the process; give the cache a size bound"
        if certain:
            self.ctx.report("LL302", memo.decorator, message, self._fix(memo, none_arg))
            return
        enums = sorted(q for q, kind in self.known.bounded_annotations.items() if kind == "enum")
        self.ctx.defer("LL302", memo.decorator, message, ("caches-unbounded-annotations", enums, *pending),
                       self._fix(memo, none_arg))

    def _fix(self, memo: Memo, none_arg: Optional[ast.AST]) -> Optional[Fix]:
        bound = self.ctx.option("caches", "fix-maxsize")
        call = memo.call
        keyword = memo.entry.get("bound-keyword")
        if none_arg is not None and call is not None:
            if any(kw.value is none_arg for kw in call.keywords):
                op = AddKeyword(self.ctx.node_range(call), keyword, bound)
            else:
                op = Replace(self.ctx.node_range(none_arg), bound)
            return Fix(f"Bound the cache: `{keyword}={bound}`", Safety.UNSAFE, (op,))
        form = memo.entry.get("bounded-form")
        if not form or call is not None:
            return None
        module, _, bounded = form.rpartition(".")
        replacement_keyword = self.known.memoizers.get(form, {}).get("bound-keyword", "maxsize")
        decorator = memo.decorator
        if isinstance(decorator, ast.Attribute):
            if self.model.qualname(decorator.value) != module:
                return None
            code = f"{self.ctx.segment(decorator.value)}.{bounded}({replacement_keyword}={bound})"
            ops: Tuple[FixOp, ...] = (Replace(self.ctx.node_range(decorator), code),)
        elif isinstance(decorator, ast.Name):
            existing = self.model.module_scope.bindings.get(bounded)
            if existing and any(b.kind != "import" or b.target != form for b in existing):
                return None  # the name means something else here
            ops = (Replace(self.ctx.node_range(decorator), f"{bounded}({replacement_keyword}={bound})"),
                   AddImport(module, bounded))
            removal = self._import_removal(decorator, module, bounded)
            if removal is not None:
                ops += (removal,)
        else:
            return None
        return Fix(f"Bound the cache: `@{bounded}({replacement_keyword}={bound})`", Safety.UNSAFE, ops)

    def _import_removal(self, decorator: ast.Name, module: str, bounded: str) -> Optional[FixOp]:
        """Turn ``from functools import cache`` into ``from functools import lru_cache`` when the
        decorator was the only use of ``cache``."""
        bindings = self.model.module_scope.bindings.get(decorator.id, [])
        if len(bindings) != 1 or bindings[0].kind != "import":
            return None
        statement = bindings[0].node
        if not isinstance(statement, ast.ImportFrom) or statement.lineno != statement.end_lineno:
            return None
        if self.model.parent(statement) is not self.model.tree or statement.level:
            return None
        line = self.ctx.source.lines[statement.lineno - 1]
        if ";" in line or "#" in line:
            return None
        if sum(1 for n in self.model.nodes.get(ast.Name, ()) if n.id == decorator.id) != 1:
            return None
        names = [f"{a.name} as {a.asname}" if a.asname else a.name
                 for a in statement.names if (a.asname or a.name) != decorator.id]
        if statement.module == module and bounded not in names:
            names.append(bounded)  # the replacement takes the place of the name it replaces
        if not names:
            return RemoveStatement(self.ctx.node_range(statement))
        return ReplaceStatement(self.ctx.node_range(statement),
                f"from {statement.module} import {', '.join(names)}\n")

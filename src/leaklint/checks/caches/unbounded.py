"""LL302 unbounded-cache: a cache with no bound, keyed by arguments that have no bound either."""

from __future__ import annotations

import ast
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from leaklint.checks.base import Rule
from leaklint.checks.caches.knowledge import (
    DICT_FACTORIES, Knowledge, Memo, is_dict_creation, last_name, matches, same,
)
from leaklint.findings import UNSAFE, Fix

LL302 = Rule(
    code="LL302",
    name="unbounded-cache",
    family="caches",
    summary="A cache that never evicts is keyed by unbounded arguments: it grows for the life of the process.",
    fix="sometimes",
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

Peers: ruff's UP033 rewrites `lru_cache(maxsize=None)` into `functools.cache`, which is just as
unbounded; once LL302's fix has set a bound, UP033 no longer applies, so the two do not fight.

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
""",
)

DICT_FACTORY_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in DICT_FACTORIES)

# parameters that hold a class: a cache keyed by classes is bounded by the code
CLASS_PARAMETERS = frozenset({"cls", "klass", "mcs", "metacls"})

# method calls on a dict, by what they do to its size
GROWS = frozenset({"setdefault", "update", "__setitem__"})
SHRINKS = frozenset({"pop", "popitem", "clear", "__delitem__"})
READS = frozenset({"get", "keys", "values", "items", "copy", "__contains__", "__getitem__", "setdefault"})


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


def bounded_parameters(function: ast.AST, model: Any, known: Knowledge) -> bool:
    """Whether every argument the cache is keyed by has a handful of values."""
    return unbounded_parameters(function, model, known) == (False, [])


def unbounded_parameters(function: ast.AST, model: Any, known: Knowledge) -> Tuple[bool, List[str]]:
    """Whether some argument is certainly unbounded, and the annotations that are classes of
    other project modules (bounded when they turn out to be enums, known once every module is
    indexed)."""
    args = function.args  # type: ignore[attr-defined]
    if args.vararg is not None or args.kwarg is not None:
        return True, []
    params = list(getattr(args, "posonlyargs", [])) + list(args.args) + list(args.kwonlyargs)
    if params and model.enclosing_class(function) is not None and not _is_static(function, model):
        params = params[1:]  # ``self``/``cls`` is LL303's business
    pending: List[str] = []
    for param in params:
        if _bounded_annotation(param.annotation, model, known):
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


def _is_static(function: ast.AST, model: Any) -> bool:
    return "builtins.staticmethod" in model.decorator_names(function)


def _bounded_annotation(annotation: Optional[ast.AST], model: Any, known: Knowledge, depth: int = 0,
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
        return _bounded_annotation(parsed, model, known, depth + 1, detached=True)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return True
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return (_bounded_annotation(annotation.left, model, known, depth + 1, detached)
                and _bounded_annotation(annotation.right, model, known, depth + 1, detached))
    if isinstance(annotation, ast.Subscript):
        base = _annotation_qualname(annotation.value, model, detached)
        if known.bounded_annotations.get(base) in ("literal", "class"):
            return True
        if base in ("typing.Optional", "typing.Union"):
            inner = annotation.slice
            parts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return all(_bounded_annotation(p, model, known, depth + 1, detached) for p in parts)
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


class Unbounded:
    """LL302 for one file."""

    def __init__(self, ctx: Any, known: Knowledge) -> None:
        self.ctx = ctx
        self.model = ctx.model
        self.known = known
        # module-level dict names, and class-level ones by class node id
        self.module_dicts: Dict[str, ast.AST] = {}
        self.class_dicts: Dict[Tuple[int, str], Tuple[ast.ClassDef, ast.AST]] = {}

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
        message = f"{reason}: `{name}` keeps a result for every distinct argument for the life of the process"
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
                op = ("add_keyword", self.ctx.node_range(call), keyword, bound)
            else:
                op = ("replace", self.ctx.node_range(none_arg), bound)
            return Fix(f"Bound the cache: `{keyword}={bound}`", UNSAFE, (op,))
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
            ops: Tuple[Any, ...] = (("replace", self.ctx.node_range(decorator), code),)
        elif isinstance(decorator, ast.Name):
            existing = self.model.module_scope.bindings.get(bounded)
            if existing and any(b.kind != "import" or b.target != form for b in existing):
                return None  # the name means something else here
            ops = (("replace", self.ctx.node_range(decorator), f"{bounded}({replacement_keyword}={bound})"),
                   ("add_import", module, bounded))
            removal = self._import_removal(decorator, module, bounded)
            if removal is not None:
                ops += (removal,)
        else:
            return None
        return Fix(f"Bound the cache: `@{bounded}({replacement_keyword}={bound})`", UNSAFE, ops)

    def _import_removal(self, decorator: ast.Name, module: str, bounded: str) -> Optional[Tuple[Any, ...]]:
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
            return ("remove_statement", self.ctx.node_range(statement))
        return ("replace_statement", self.ctx.node_range(statement),
                f"from {statement.module} import {', '.join(names)}\n")

    # ------------------------------------------------------------------ hand-made dicts
    def note_assign(self, node: ast.AST, target: ast.AST, value: Optional[ast.AST]) -> None:
        """Remember ``name = {}`` (or ``name: dict = {}``) at module or class level."""
        if not isinstance(target, ast.Name):
            return
        parent = self.model.parent(node)
        if not isinstance(parent, (ast.Module, ast.ClassDef)):
            return
        if isinstance(value, ast.Call) and last_name(value.func) not in DICT_FACTORY_NAMES:
            return
        if not is_dict_creation(value, self.model):
            return
        name = target.id
        if isinstance(parent, ast.Module):
            if len(self.model.module_scope.bindings.get(name, ())) == 1:
                self.module_dicts[name] = value
        elif isinstance(parent, ast.ClassDef):
            scope = self.model.scopes.get(id(parent))
            if scope is not None and len(scope.bindings.get(name, ())) == 1 and not scope.attributes.get(name):
                self.class_dicts[(id(parent), name)] = (parent, value)

    def end(self) -> None:
        if self.module_dicts:
            self._check_module_dicts()
        if self.class_dicts:
            self._check_class_dicts()

    def _check_module_dicts(self) -> None:
        model = self.model
        uses: Dict[str, List[ast.AST]] = {}
        for node in model.nodes.get(ast.Name, ()):
            if node.id in self.module_dicts:
                uses.setdefault(node.id, []).append(node)
        for name, created in self.module_dicts.items():
            found = []
            for use in uses.get(name, ()):
                scope = model.scope_of(use)
                if scope.kind != "module" and not any(b.scope is model.module_scope
                                                      for b in model.lookup(name, scope)):
                    continue  # a local of the same name
                if model.parent(use) is model.parent(created) and isinstance(use.ctx, ast.Store):
                    continue  # the definition
                found.append(use)
            self._judge(name, created, found)

    def _check_class_dicts(self) -> None:
        model = self.model
        by_name: Dict[str, List[ast.Attribute]] = {}
        names = {name for (_, name) in self.class_dicts}
        for node in model.nodes.get(ast.Attribute, ()):
            if node.attr in names:
                by_name.setdefault(node.attr, []).append(node)
        for (_, name), (cls, created) in self.class_dicts.items():
            found: List[ast.AST] = []
            for use in by_name.get(name, ()):
                if self._refers_to_class(use, cls):
                    found.append(use)
            self._judge(name, created, found)

    def _refers_to_class(self, use: ast.Attribute, cls: ast.ClassDef) -> bool:
        if not isinstance(use.value, ast.Name):
            return False
        if use.value.id == cls.name:
            return True
        function = self.model.enclosing_function(use, through_lambda=False)
        while function is not None:
            if self.model.enclosing_class(function) is cls:
                params = self.model.params(function)
                return bool(params) and params[0].arg == use.value.id and not _is_static(function, self.model)
            function = self.model.enclosing_function(function, through_lambda=False)
        return False

    def _judge(self, name: str, created: ast.AST, uses: List[ast.AST]) -> None:
        """Report when the dict is filled on a miss in some function and never shrinks or escapes."""
        model = self.model
        registries = self.ctx.option("caches", "registry-names")
        if matches(name, registries):
            return
        fills: List[Tuple[ast.AST, ast.AST]] = []  # (function, key)
        reads: List[Tuple[ast.AST, ast.AST]] = []
        for use in uses:
            kind, key = self._use_kind(use)
            if kind in ("shrinks", "escapes"):
                return
            function = model.enclosing_function(use, through_lambda=False)
            if function is None or key is None:
                continue
            if kind in ("grows", "fills"):
                fills.append((function, key))
            if kind in ("reads", "fills"):
                reads.append((function, key))
        for function, key in fills:
            if not any(f is function and same(k, key) for f, k in reads):
                continue
            if self._bounded_key(key) or matches(getattr(function, "name", ""), registries):
                continue
            self.ctx.report("LL302", created,
                            f"`{name}` is a cache filled by `{getattr(function, 'name', 'function')}` and nothing "
                            "ever removes an entry: it keeps every distinct key for the life of the process")
            return

    def _bounded_key(self, key: ast.AST, depth: int = 0) -> bool:
        """Whether the key has few possible values. Unbounded keys come from callers: a key is
        bounded unless it is built (directly or through local assignments) from a parameter
        that is not ``self``/``cls`` and not annotated ``bool``/``Literal``/an ``Enum``/a class.
        Keys drawn from ``self``, globals or a ``for`` loop over a collection in memory (one entry
        per item at most) are bounded by the program, not by traffic."""
        if depth > 3:
            return True
        for node in ast.walk(key):
            if not isinstance(node, ast.Name):
                continue
            parent = self.model.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue  # ``str(x)``: the function, not the data
            for binding in self.model.bindings_at(node):
                if binding.kind == "param" and not self._bounded_parameter(binding):
                    return False
                if binding.kind in ("assign", "annassign", "walrus") and binding.value is not None \
                        and not self._bounded_key(binding.value, depth + 1):
                    return False
        return True

    def _bounded_parameter(self, binding: Any) -> bool:
        arg = binding.node
        function = binding.scope.node if binding.scope is not None else None
        if function is not None and self.model.enclosing_class(function) is not None \
                and not _is_static(function, self.model):
            params = self.model.params(function)
            if params and params[0] is arg:
                return True  # ``self``/``cls``: the program's own objects
        return arg.arg in CLASS_PARAMETERS or _bounded_annotation(arg.annotation, self.model, self.known)

    def _reads_itself(self, value: ast.AST, use: ast.AST) -> bool:
        """Whether a stored value is computed from the dict itself, directly or through a local
        (``count = d.get(k, 0); d[k] = count + 1``)."""
        for node in ast.walk(value):
            if same(node, use):
                return True
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                for bound in self.model.values_of(node):
                    if any(same(inner, use) for inner in ast.walk(bound)):
                        return True
        return False

    def _use_kind(self, use: ast.AST) -> Tuple[str, Optional[ast.AST]]:
        """What one reference does to the dict: grows, shrinks, reads, escapes or other."""
        model = self.model
        ctx = getattr(use, "ctx", None)
        if isinstance(ctx, (ast.Store, ast.Del)):
            return "shrinks", None  # rebound or deleted: a reset
        parent = model.parent(use)
        if isinstance(parent, ast.Subscript) and parent.value is use:
            if isinstance(parent.ctx, ast.Store):
                statement = model.parent(parent)
                if isinstance(statement, ast.AugAssign) or (
                        isinstance(statement, ast.Assign) and self._reads_itself(statement.value, use)):
                    return "other", None  # an accumulator (``d[k] = d.get(k, 0) + 1``), not a cache
                return "grows", parent.slice
            if isinstance(parent.ctx, ast.Del):
                return "shrinks", None
            return "reads", parent.slice
        if isinstance(parent, ast.Attribute) and parent.value is use:
            call = model.parent(parent)
            key = call.args[0] if isinstance(call, ast.Call) and call.func is parent and call.args else None
            if parent.attr in SHRINKS:
                return "shrinks", None
            if parent.attr == "setdefault":
                return "fills", key  # looks the key up and stores it on a miss
            if parent.attr in GROWS:
                return "grows", None
            if parent.attr in READS:
                return "reads", key
            return "other", None
        if isinstance(parent, ast.Compare) and use in parent.comparators:
            return "reads", parent.left
        if isinstance(parent, ast.Call) and use is not parent.func:
            callee = model.qualname(parent.func) or ""
            return ("other", None) if callee.startswith("builtins.") else ("escapes", None)
        if isinstance(parent, (ast.keyword, ast.Return, ast.Assign, ast.AnnAssign, ast.Starred, ast.Dict,
                               ast.Tuple, ast.List, ast.Yield, ast.NamedExpr, ast.Lambda)):
            return "escapes", None
        return "other", None

"""LL301 error-result-cached: a cache that keeps a failure as if it were an answer."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.caches.knowledge import (
    LOCAL_KINDS, Knowledge, Memo, calls_out, enclosing_handler, guarded_block, is_dict_creation, last_name,
    matches, response_call, checks_status, same, transient_caught, walk_body,
)

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import RemoveStatement

LL301 = Rule(
    code="LL301",
    name="error-result-cached",
    family="caches",
    summary="A cache stores a failure (a fallback after a caught error, or an unchecked HTTP response) as if it were a result.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
Negative caching of transient failures, in three shapes:

- (a) a memoized function (`functools.lru_cache`/`cache`, `cachetools.cached`/`cachedmethod`,
  `cachetools.func.*`, `async_lru.alru_cache`, `aiocache.cached`, as a decorator or applied as a
  call `f = lru_cache(maxsize=None)(g)`) that catches a broad exception (`except Exception`, a
  bare `except`) or a transient one (connection, timeout, OS, HTTP, DNS, RPC errors: the
  `exceptions` section of the `caches` catalogue) and returns a fallback (`None`, `False`, an
  empty container, a default, `str(e)`) instead of re-raising: a `return` in the handler, a
  default assigned in it, or a handler that only logs followed by `return None` (or the end of
  the function). A handler that only logs and then lets the function compute the answer another
  way is fine. A broad or `OSError` handler counts only when its `try` block calls past this
  machine: anything but builtins, the `local-modules` of the catalogue (`os`, `pathlib`,
  `subprocess`, `json`...) and `local-methods` of values in memory (`.strip()`, `.read()`):
  `int(text)` or `open(path)` failing is as stable as a result.
- (b) a memoized function that returns an HTTP response, its `.json()`, `.text` or `.content`
  without a status check (`raise_for_status()`, `.ok`, a `status_code`/`status` comparison, or
  aiohttp's `raise_for_status=True`) anywhere in the function.
- (c) a hand-made cache (a module-level or instance dict read before it is filled, a cachetools
  cache, Django's `cache`, a redis client that is also read, any name matching `cache-names`)
  filled inside an `except` handler, filled after the `try` with a value the handler set, or
  filled with an unchecked HTTP response.

A store in a handler that re-raises is bookkeeping on the way out (resetting a flag), not a
cached answer. The finding is on the `except` handler, or on the request call for an unchecked
response.

Known noise: a broad handler around the project's own functions is reported even when they only
parse or read local files, since what they do is not visible from the call; say so with
`# noqa: LL301`.

## Why it hurts in production
A permission check hits a 200 ms network blip, the denial is cached for five minutes and every
request routed to that pod is refused while the dependency has long recovered. The failure is
now sticky, local to one process and invisible in staging, where there is a single pod and the
blip never happens. With `lru_cache` there is no TTL at all: the error is served until restart.

## Example
```python
from functools import lru_cache

import requests
from requests import RequestException

_profiles = {}

@lru_cache(maxsize=1024)
def can_access(user_id, doc_id):
    try:
        return acl_client.check(user_id, doc_id)
    except ConnectionError:
        return False


def profile(user_id):
    if user_id in _profiles:
        return _profiles[user_id]
    try:
        _profiles[user_id] = requests.get(f"https://profiles/{user_id}", timeout=5).json()
    except RequestException:
        _profiles[user_id] = None
    return _profiles[user_id]
```

## Use instead
Cache only successful, authoritative answers; let transient errors propagate past the cache and
handle them in the caller (which is not memoized):

```python
from functools import lru_cache

@lru_cache(maxsize=1024)
def _check(user_id, doc_id):
    return acl_client.check(user_id, doc_id)


def can_access(user_id, doc_id):
    try:
        return _check(user_id, doc_id)
    except ConnectionError:
        return False  # returned, not cached: the next call tries again
```

A deliberate negative cache is fine when it is separate from the positive one and short-lived:
a store in the handler is not reported when its cache is named like `negative_cache` or
`failures` (`negative-cache-names`), when it passes a TTL of its own that differs from the one
the success path stores the same cache with (and is not longer, when both are numbers), or when
it passes a literal TTL of at most `max-negative-ttl` seconds explained by a comment mentioning
"negative". A handler that catches `KeyError` around a lookup is a cache miss, not a failure,
and is never reported. `urllib.request.urlopen` raises `HTTPError` on an error status, so its
result is checked by construction and is not in the `responses` catalogue.

## Fix safety
For (c) only, when the handler stores the same key into the same cache that the success path
stores into, the store is removed from the handler (unsafe: the next call retries the failing
dependency instead of reading the cached fallback, which adds load while it is down). The
fallback is still returned. Other shapes have no fix: where the error should be handled is a
design decision.

## Options
- `[tool.leaklint.caches] cache-names` (default `["*cache*", "*memo*"]`): lower-case globs of
  names (the last part of `self._user_cache`) treated as caches when they are filled.
- `negative-cache-names` (default `["*negative*", "*failure*", "*failed*", "*error*"]`): caches
  meant to hold failures.
- `max-negative-ttl` (default `60`): the longest TTL, in seconds, of a deliberate negative entry.
- `[tool.leaklint.caches.exceptions]`, `.responses`, `.memoizers`, `.cache-types`,
  `.cache-objects`, `.local-modules`: teach leaklint in-house exceptions, HTTP clients, caches
  and modules that never leave the machine (in the same table as the options).

## Parity
No peer rule: ruff B019 and pylint W1518 report memoizers on methods (LL303 here), none reports a
failure cached as a result.

## References
- https://docs.python.org/3/library/functools.html#functools.lru_cache
- https://cachetools.readthedocs.io/en/stable/
""",
)

@dataclass
class Store:
    """One write into something that may be a cache."""

    node: ast.AST  # the statement (``Assign``) or the call doing the store
    cache: ast.AST
    key: Optional[ast.AST]
    value: Optional[ast.AST]
    method: str  # "__setitem__" or the store method's name
    ttl: Optional[ast.AST] = None


def store_of_assign(node: ast.Assign) -> Optional[Store]:
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Subscript):
        return None
    target = node.targets[0]
    return Store(node, target.value, target.slice, node.value, "__setitem__")


def store_of_call(node: ast.Call, known: Knowledge) -> Optional[Store]:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in known.store_methods:
        return None
    if any(isinstance(a, ast.Starred) for a in node.args):
        return None
    args = node.args
    positions = known.store_positions.get(func.attr, {})
    value_at = positions.get("value-position", 1)
    ttl_at = positions.get("ttl-position")
    key = args[0] if args else None
    value = args[value_at] if len(args) > value_at else None
    ttl = args[ttl_at] if ttl_at is not None and len(args) > ttl_at else None
    return Store(node, func.value, key, value, func.attr, ttl)


class ErrorCached:
    """LL301 for one file."""

    def __init__(self, ctx: FileContext, known: Knowledge) -> None:
        self.ctx = ctx
        self.model = ctx.model
        self.known = known
        self.cache_names = ctx.option("caches", "cache-names")
        self.negative_names = ctx.option("caches", "negative-cache-names")
        self.max_negative_ttl = ctx.option("caches", "max-negative-ttl")
        self.reported: Set[int] = set()
        # handler -> the stores inside it (reported together in ``end``)
        self.handler_stores: Dict[int, List[Store]] = {}
        self.handlers: Dict[int, ast.ExceptHandler] = {}

    # ------------------------------------------------------------------ (a) and (b)
    def check_memoized(self, memo: Memo) -> None:
        function = memo.function
        body = list(walk_body(function))
        if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in body):
            return  # a memoized generator is a different bug
        name = getattr(function, "name", "function")
        for node in body:
            if isinstance(node, ast.ExceptHandler) and id(node) not in self.reported:
                caught = transient_caught(node, self.model, self.known)
                if caught is None or not self._swallows(node, function) or not self._may_be_transient(node, caught):
                    continue
                self.reported.add(id(node))
                self.ctx.report("LL301", node,
                                f"`{name}` is memoized by `{memo.short}` and returns a fallback when `{caught}` "
                                "is caught: the failure is cached and served as the answer until evicted; raise instead of returning a fallback")
            elif isinstance(node, ast.Return) and node.value is not None:
                request = response_call(node.value, self.model, self.known)
                if request is None or id(request) in self.reported or checks_status(function, request, self.known):
                    continue
                self.reported.add(id(request))
                self.ctx.report("LL301", request,
                                f"`{name}` is memoized by `{memo.short}` and returns this HTTP response without "
                                "a status check: an error response is cached like a good one; "
                                "check the status before returning")

    def _swallows(self, handler: ast.ExceptHandler, function: ast.AST) -> bool:
        """Whether the handler ends the call with a value instead of an exception."""
        for node in walk_body(handler):
            if isinstance(node, ast.Return):
                return True
        if any(isinstance(stmt, ast.Raise) for stmt in handler.body):
            return False
        if isinstance(handler.body[-1], (ast.Continue, ast.Break)):
            return False
        for anc in self.model.ancestors(handler):
            if anc is function:
                break
            if isinstance(anc, (ast.For, ast.AsyncFor, ast.While)):
                return False  # a retry loop: what happens after it decides
        if any(isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)) for n in walk_body(handler)):
            return True  # ``except E: value = default``
        return self._returns_default_after(handler, function)

    def _returns_default_after(self, handler: ast.ExceptHandler, function: ast.AST) -> bool:
        """After a handler that only logs or passes, whether the function gives up with a default
        (``return None`` next, or falling off its end) rather than computing the answer another way."""
        statement: ast.AST = self.model.parent(handler)
        while statement is not None and statement is not function:
            block = self.model.parent(statement)
            siblings = getattr(block, "body", None)
            if not isinstance(siblings, list) or statement not in siblings:
                siblings = getattr(block, "orelse", None) or getattr(block, "finalbody", None) or []
            if statement in siblings:
                following = siblings[siblings.index(statement) + 1:]
                if following:
                    first = following[0]
                    return isinstance(first, ast.Return) and (first.value is None or _is_default(first.value))
            statement = block
        return True  # the function ends after the handler: it returns None

    def _may_be_transient(self, handler: ast.ExceptHandler, caught: str) -> bool:
        """A broad or OS-error handler counts only when its ``try`` block calls out: ``int(text)``
        or ``open(path)`` failing is as stable as a result."""
        kind = self.known.exceptions.get(caught) or self.known.exceptions.get(f"builtins.{caught}")
        if kind not in LOCAL_KINDS:
            return True
        return calls_out(guarded_block(handler, self.model), self.model, self.known)

    # ------------------------------------------------------------------ (c)
    def check_store(self, store: Store) -> None:
        model = self.model
        function = model.enclosing_function(store.node, through_lambda=False)
        if function is None:
            return
        handler = enclosing_handler(store.node, model)
        if handler is not None:
            caught = transient_caught(handler, model, self.known)
            if caught is None or not self._may_be_transient(handler, caught):
                return  # ``except KeyError`` around a lookup is a miss, not a failure
            if any(isinstance(stmt, ast.Raise) for stmt in handler.body):
                return  # the failure propagates; the store is bookkeeping on the way out
            if self._cache_kind(store, function) is not None and not self._deliberate(store, function):
                self.handlers[id(handler)] = handler
                self.handler_stores.setdefault(id(handler), []).append(store)
            return
        value = store.value
        if value is None:
            return
        request = response_call(value, model, self.known)
        if request is not None:
            if id(request) not in self.reported and not checks_status(function, request, self.known) \
                    and self._cache_kind(store, function) is not None:
                self.reported.add(id(request))
                self.ctx.report("LL301", request,
                                f"this HTTP response is stored in `{self._text(store.cache)}` without a status "
                                "check: an error response is cached like a good one; check the status before caching")
            return
        if isinstance(value, ast.Name):
            self._fallback_from_handler(store, value, function)

    def _fallback_from_handler(self, store: Store, value: ast.Name, function: ast.AST) -> None:
        """``try: v = fetch() except E: v = None`` then ``cache[k] = v``."""
        for binding in self.model.bindings_at(value):
            handler = enclosing_handler(binding.node, self.model)
            if handler is None or id(handler) in self.reported:
                continue
            if self.model.enclosing_function(handler, through_lambda=False) is not function:
                continue
            if any(isinstance(s, ast.Raise) for s in handler.body):
                continue
            caught = transient_caught(handler, self.model, self.known)
            if caught is None or not self._may_be_transient(handler, caught):
                continue
            if self._cache_kind(store, function) is None or self._deliberate(store, function):
                return
            self.reported.add(id(handler))
            self.ctx.report("LL301", handler,
                            f"the fallback set here is then stored in `{self._text(store.cache)}`: "
                            "the failure is cached and served as the answer; store only successful results")

    def end(self) -> None:
        for key, stores in self.handler_stores.items():
            handler = self.handlers[key]
            if key in self.reported:
                continue
            self.reported.add(key)
            fix = self._fix(stores)
            names = ", ".join(sorted({f"`{self._text(s.cache)}`" for s in stores}))
            self.ctx.report("LL301", handler,
                            f"this handler stores into the cache {names}: the failure is cached and served "
                            "as the answer until it is evicted or expires; store only successful results", fix)

    # ------------------------------------------------------------------ helpers
    def _text(self, expr: ast.AST) -> str:
        try:
            return ast.unparse(expr)
        except Exception:  # pragma: no cover - odd trees
            return last_name(expr)

    def _cache_kind(self, store: Store, function: ast.AST) -> Optional[str]:
        """What makes the store target a cache, or None when it is not one."""
        cache = store.cache
        if store.method == "__setitem__" and not isinstance(cache, (ast.Name, ast.Attribute)):
            return None
        type_name = self._cache_type(cache)
        entry = self.known.cache_types.get(type_name or "")
        if entry is not None:
            if store.method != "__setitem__" and store.method not in entry.get("store-methods", ()):
                return None
            if entry.get("needs-read") and not self._reads(cache, None, function, entry.get("read-methods", ())):
                return None
            return type_name
        name = last_name(cache)
        if store.method == "__setitem__":
            if not self._long_lived_dict(cache):
                return None
            if matches(name, self.cache_names) or self._reads(cache, store.key, function, ("get",)):
                return "dict"
            return None
        if matches(name, self.cache_names):
            return "cache"
        return None

    def _cache_type(self, cache: ast.AST) -> Optional[str]:
        """The cache class of an expression: from its type, a known cache object, or indexing one
        (``caches["default"]``), also through a local name bound to it."""
        model = self.model
        objects = self.known.cache_objects
        if isinstance(cache, (ast.Name, ast.Attribute)):
            found = model.type_of(cache) or objects.get(model.qualname(cache) or "")
            if found is not None:
                return found
            value = model.value_of(cache)
            if isinstance(value, ast.Subscript):
                cache = value
        if isinstance(cache, ast.Subscript):
            return objects.get(f"{model.qualname(cache.value) or ''}[]")
        return None

    def _long_lived_dict(self, cache: ast.AST) -> bool:
        """A dict that outlives the call: a module-level or class-level name, or ``self.x``."""
        model = self.model
        if isinstance(cache, ast.Name):
            bindings = model.bindings_at(cache)
            if not bindings or any(b.scope is None or b.scope.kind not in ("module", "class") for b in bindings):
                return False
            return any(is_dict_creation(b.value, model) for b in bindings)
        if isinstance(cache, ast.Attribute):
            values = model.values_of(cache)
            return bool(values) and any(is_dict_creation(v, model) for v in values)
        return False

    def _reads(self, cache: ast.AST, key: Optional[ast.AST], function: ast.AST, methods: Any) -> bool:
        """Whether the function looks ``key`` (any key when None) up in ``cache`` first."""
        for node in walk_body(function):
            if isinstance(node, ast.Compare) and len(node.comparators) == 1 \
                    and isinstance(node.ops[0], (ast.In, ast.NotIn)) and same(node.comparators[0], cache):
                if key is None or same(node.left, key):
                    return True
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in methods and same(node.func.value, cache):
                if key is None or (node.args and same(node.args[0], key)):
                    return True
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and same(node.value, cache):
                if key is None or same(node.slice, key):
                    return True
        return False

    def _ttl(self, store: Store) -> Optional[ast.AST]:
        if store.ttl is not None:
            return store.ttl
        if not isinstance(store.node, ast.Call):
            return None
        entry = self.known.cache_types.get(self._cache_type(store.cache) or "", {})
        keyword = entry.get("ttl-keyword")
        for kw in store.node.keywords:
            if kw.arg is not None and (kw.arg == keyword or kw.arg in self.known.ttl_keywords):
                return kw.value
        position = entry.get("ttl-position")
        if position is not None and len(store.node.args) > position:
            return store.node.args[position]
        return None

    def _deliberate(self, store: Store, function: ast.AST) -> bool:
        """A negative cache kept apart from the positive one: a cache named for failures, a TTL
        of its own (differing from the success path's, and no longer when both are numbers), or
        a short literal TTL explained by a comment."""
        if matches(last_name(store.cache), self.negative_names):
            return True
        ttl = self._ttl(store)
        if ttl is None:
            return False
        for other in self._success_stores(store, function):
            other_ttl = self._ttl(other)
            if other_ttl is None or same(other_ttl, ttl):
                continue
            if _number(ttl) is not None and _number(other_ttl) is not None and _number(ttl) > _number(other_ttl):
                continue
            return True
        seconds = _number(ttl)
        if seconds is None or seconds > self.max_negative_ttl:
            return False
        handler = enclosing_handler(store.node, self.model)
        lines = self.ctx.source.lines[handler.lineno - 1: handler.end_lineno] if handler is not None else []
        return any("#" in line and "negative" in line.lower() for line in lines)

    def _success_stores(self, store: Store, function: ast.AST) -> List[Store]:
        """Stores into the same cache outside every ``except`` handler of the function."""
        out = []
        for node in walk_body(function):
            other: Optional[Store] = None
            if isinstance(node, ast.Assign):
                other = store_of_assign(node)
            elif isinstance(node, ast.Call):
                other = store_of_call(node, self.known)
            if other is None or other.node is store.node or not same(other.cache, store.cache):
                continue
            if enclosing_handler(other.node, self.model) is None:
                out.append(other)
        return out

    def _fix(self, stores: List[Store]) -> Optional[Fix]:
        """Remove the handler's stores when each has a twin (same cache, same key) on the success
        path and the handler leaves the function itself."""
        ops = []
        handler = enclosing_handler(stores[0].node, self.model)
        if handler is None or not isinstance(handler.body[-1], (ast.Return, ast.Raise)):
            return None  # code after the ``try`` may read the entry the store would have made
        for store in stores:
            statement = self.model.statement_of(store.node)
            if isinstance(statement, ast.Expr):
                if statement.value is not store.node:
                    return None
            elif statement is not store.node:
                return None
            function = self.model.enclosing_function(store.node, through_lambda=False)
            if store.key is None or function is None:
                return None
            twins = [o for o in self._success_stores(store, function) if o.key is not None and same(o.key, store.key)]
            if not twins:
                return None
            ops.append(RemoveStatement(self.ctx.node_range(statement)))
        if not ops:
            return None
        return Fix("Do not cache the failure: remove the store from the handler", Safety.UNSAFE, tuple(ops))


def _number(node: ast.AST) -> Optional[float]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _is_default(node: ast.AST) -> bool:
    """``None``, a constant, an empty container or ``str(e)``: a stand-in, not an answer."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return not getattr(node, "elts", None) and not getattr(node, "keys", None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return node.func.id in ("str", "repr", "dict", "list", "set", "tuple", "frozenset") and len(node.args) <= 1
    return False

"""LL303 cache-pins-instance: a function-level cache on an instance method keeps ``self`` alive."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from leaklint.checks.base import Rule
from leaklint.checks.caches.knowledge import Knowledge, Memo

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL303 = Rule(
    code="LL303",
    name="cache-pins-instance",
    family="caches",
    summary="A memoizing decorator on an instance method keeps every instance it was called on alive.",
    doc="""
## What it finds
`functools.lru_cache`, `functools.cache`, `async_lru.alru_cache`, `cachetools.cached` and the
`cachetools.func` caches (the `memoizers` with `pins-instance = true`) decorating an instance
method. Static methods, class methods (and `__new__`, `__init_subclass__`,
`__class_getitem__`, which receive the class), methods of `Enum` classes (the members live as long as
the class anyway) and properties built with `functools.cached_property` are not reported, nor
is `cachetools.cachedmethod`, whose cache belongs to the instance. The finding is on the
decorator expression.

## Why it hurts in production
The cache lives on the function, which lives on the class, for the life of the process. Every
call stores `self` in a key, so each instance (a request handler, a client holding a connection
pool, a parsed document) is kept alive by the cache long after the code is done with it. Memory
creeps up and `__del__`/`weakref` cleanups never run.

## Example
```python
from functools import lru_cache

class Catalogue:
    @lru_cache(maxsize=256)
    def price(self, sku):
        return self.db.price(sku)
```

## Use instead
A cache owned by the instance, which dies with it:

```python
import cachetools

class Catalogue:
    def __init__(self, db):
        self.db = db
        self._prices = cachetools.LRUCache(maxsize=256)

    @cachetools.cachedmethod(lambda self: self._prices)
    def price(self, sku):
        return self.db.price(sku)
```

or `functools.cached_property` for an argument-less value, or a module-level cache keyed by the
identifying value (`sku`, `self.tenant_id`) rather than the instance.

## Fix safety
No fix: where the cache should live depends on the instance's lifetime.

## Options
`[tool.leaklint.caches.memoizers."mylib.memoize"] pins-instance = true` adds an in-house
memoizer.

## Parity
Checked against ruff 0.17, flake8-bugbear 26.10 and pylint 4.1 on
`tests/fixtures/LL303_*.py`; details in `docs/parity/LL3.md`: ruff B019 reports the same
`functools` decorators on instance methods, bounded or not, through aliases, and skips static
and class methods and `Enum` classes, as leaklint does. flake8-bugbear B019 matches decorators
by their written name only (it misses `ft.lru_cache` and `lru_cache as memoize`), reports
methods of `Enum` classes (leaklint follows ruff: enum members live as long as their class
anyway) and reports `@lru_cache` written above `@staticmethod` (leaklint, ruff and pylint do
not: no instance reaches that cache). pylint W1518 `method-cache-max-size-none` reports only the
unbounded forms (`lru_cache(maxsize=None)`, `cache`); leaklint also reports a bounded
`lru_cache`, because up to `maxsize` instances (128 by default), each with everything it
references, stay alive after their last use. `async_lru.alru_cache` is reported by
flake8-bugbear too; `cachetools.cached` and `cachetools.func.*` only by leaklint.

## References
- https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls
""",
)

ENUM_KIND = "enum"
# methods that receive the class, not an instance, without a decorator saying so
IMPLICIT_CLASS_METHODS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})


def check_pins_instance(memo: Memo, ctx: FileContext, known: Knowledge) -> None:
    if not memo.entry.get("pins-instance"):
        return
    function = memo.function
    model = ctx.model
    cls = model.enclosing_class(function)
    if cls is None or model.self_name(function) is None or function.name in IMPLICIT_CLASS_METHODS:
        return
    if _is_enum(cls, model, known):
        return
    ctx.report("LL303", memo.decorator,
               f"`{memo.short}` on the method `{function.name}` keeps every instance it is called on alive "
               "for the life of the process (the cache holds `self`); cache a module function or per instance")


def _is_enum(cls: Any, model: Any, known: Knowledge, depth: int = 0) -> bool:
    """Whether the class derives from an Enum class (directly or through classes of this module)."""
    if depth > 5:
        return False
    for base in cls.bases:
        qualname = model.qualname(base) or ""
        if known.bounded_annotations.get(qualname) == ENUM_KIND:
            return True
        if isinstance(base, ast.Name):
            for binding in model.lookup(base.id, model.module_scope):
                if binding.kind == "class" and _is_enum(binding.node, model, known, depth + 1):
                    return True
    return False


"""The caches family beyond fixtures: its catalogue is extensible from the family's own table."""

from __future__ import annotations

import pytest

from helpers import check_source, codes

from leaklint.config.settings import ConfigError, Settings, apply_table, default_options

IN_HOUSE = '''
from myapp.caching import memoize
from myapp.errors import UpstreamDown


@memoize(size=None)
def lookup(key):
    try:
        return backend(key)
    except UpstreamDown:
        return None


def backend(key): ...
'''


def test_catalogue_sections_and_options_share_the_family_table() -> None:
    config = [
        "[caches]",
        'fix-maxsize = "512"',
        '[caches.memoizers."myapp.caching.memoize"]',
        'bound-keyword = "size"',
        "pins-instance = true",
        "[caches.exceptions]",
        '"myapp.errors.UpstreamDown" = "HTTP"',
    ]
    found = check_source(IN_HOUSE, select=["LL3"], config_lines=config)
    assert sorted(codes(found)) == ["LL301", "LL302"]
    fix = next(f for f in found if f.code == "LL302").fix
    assert fix is not None and (fix.ops[0].keyword, fix.ops[0].value) == ("size", "512")


def test_without_the_extension_nothing_is_known() -> None:
    assert check_source(IN_HOUSE, select=["LL3"]) == []


def test_a_bad_catalogue_entry_in_the_family_table_is_reported() -> None:
    settings = Settings(options=default_options())
    with pytest.raises(ConfigError, match="pins-instance"):
        apply_table(settings, {"caches": {"memoizers": {"x.y": {"pins-instance": "yes"}}}}, "tool.leaklint.")
    with pytest.raises(ConfigError, match="unknown option"):
        apply_table(settings, {"caches": {"no-such-option": 1}}, "tool.leaklint.")


ODD_SHAPES = '''
import functools
from functools import cache, lru_cache
from enum import Enum
import redis

opts = {}
args = ()
store = redis.Redis()
_c = {}
_d = {}


@lru_cache(*args)
def a(x): ...


@functools.lru_cache(maxsize=None, **opts)
def b(x): ...


@(lambda f: f)
def c(x): ...


@cache()
def d(x): ...


e = cache(lambda x: x)
f = lru_cache(None)(*args)
g = lru_cache(maxsize=None)(a.__wrapped__)


def h(k):
    if k in _c:
        return _c[k]
    _c[k], _d[k] = 1, 2
    _c[(y := k)] = 3
    _c[k] += 1
    store.set(*args)
    store.set()
    try:
        pass
    except (ConnectionError, *args):
        store.set(k)
        _c[k] = None
        return None
    try:
        pass
    except* OSError:
        _c[k] = None


def i():
    global _c
    del _c


class Weird(Enum.__class__):
    @cache
    def m(self, x): ...

    m2 = lru_cache(maxsize=None)(m)


def outer():
    def inner(x):
        try:
            return x()
        except Exception:
            return None
    return lru_cache(maxsize=None)(inner)
'''


def test_odd_shapes_do_not_break_the_rules() -> None:
    found = check_source(ODD_SHAPES, select=["LL3"])
    assert not [f for f in found if f.code.startswith("LL00")], [(f.code, f.message) for f in found]

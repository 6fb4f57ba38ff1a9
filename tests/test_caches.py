"""The caches family beyond fixtures: its catalogue is extensible from the family's own table."""

from __future__ import annotations

import pytest

from helpers import check_source, codes

from leaklint.config import ConfigError, Settings, apply_table, default_options

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
    assert fix is not None and fix.ops[0][2:] == ("size", "512")


def test_without_the_extension_nothing_is_known() -> None:
    assert check_source(IN_HOUSE, select=["LL3"]) == []


def test_a_bad_catalogue_entry_in_the_family_table_is_reported() -> None:
    settings = Settings(options=default_options())
    with pytest.raises(ConfigError, match="pins-instance"):
        apply_table(settings, {"caches": {"memoizers": {"x.y": {"pins-instance": "yes"}}}}, "tool.leaklint.")
    with pytest.raises(ConfigError, match="unknown option"):
        apply_table(settings, {"caches": {"no-such-option": 1}}, "tool.leaklint.")

"""The caches family."""

from __future__ import annotations

from leaklint.checks.base import Checker


class CacheChecker(Checker):
    family = "caches"
    rules = ()

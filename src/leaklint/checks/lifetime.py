"""The lifetime family."""

from __future__ import annotations

from leaklint.checks.base import Checker


class LifetimeChecker(Checker):
    family = "lifetime"
    rules = ()

"""The cardinality family."""

from __future__ import annotations

from leaklint.checks.base import Checker


class CardinalityChecker(Checker):
    family = "cardinality"
    rules = ()

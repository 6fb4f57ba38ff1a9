"""What an expression carries: a ``Taint`` (with its source), ``CLEAN``, the enclosing
function's ``Params``, an ``External`` helper's result, or ``None`` (unknown); how they join;
how a source is described in a message."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, FrozenSet, Iterable, Optional, Tuple, Union


@dataclass(frozen=True)
class Taint:
    """An unbounded value: ``node`` is the source expression (in this file), ``what`` says what it is."""

    node: ast.AST
    what: str
    kind: str = "value"  # request, identifier, call, exception, parameter, helper
    framework: str = ""
    text: str = ""  # set when the source is described rather than shown (helpers of other modules)
    origin: Optional["Taint"] = None  # for a helper's result: the source inside the helper

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 0)


@dataclass(frozen=True)
class Params:
    """The value is (built from) these parameters of the enclosing function."""

    indexes: FrozenSet[int]


@dataclass(frozen=True)
class External:
    """The value is what project function ``qualname`` (another module) returns."""

    qualname: str
    node: ast.AST
    # the call's unbounded positional arguments: reported if the helper returns one of them
    arguments: Tuple[Tuple[int, Taint], ...] = ()


class _Clean:
    def __repr__(self) -> str:
        return "CLEAN"


CLEAN = _Clean()
Value = Union[Taint, Params, External, _Clean, None]


def join(values: Iterable[Value]) -> Value:
    """The value of an expression that may be any of ``values`` (tainted on any path wins)."""
    external = None
    params: FrozenSet[int] = frozenset()
    unknown = False
    seen = False
    for value in values:
        seen = True
        if isinstance(value, Taint):
            return value
        if isinstance(value, External):
            external = external or value
        elif isinstance(value, Params):
            params = params | value.indexes
        elif value is None:
            unknown = True
    if external is not None:
        return external
    if params:
        return Params(params)
    if unknown or not seen:
        return None if seen else CLEAN
    return CLEAN


def describe(taint: Taint, segment: Callable[[ast.AST], str]) -> str:
    """The source as the message shows it: ``request.path`` from line 12; for a helper's result
    ``route_of()`` which returns ``request.path`` from line 4."""
    if taint.origin is not None:
        return f"`{_shown(taint, segment)}`, which returns {describe(taint.origin, segment)}"
    if taint.kind in ("parameter", "identifier"):  # the name alone does not say why
        return f"`{_shown(taint, segment)}` ({taint.what}) from line {taint.line}"
    return f"`{_shown(taint, segment)}` from line {taint.line}"


def _shown(taint: Taint, segment: Callable[[ast.AST], str]) -> str:
    if taint.text:
        return taint.text
    text = " ".join((segment(taint.node) or "").split())
    if not text:
        try:
            text = ast.unparse(taint.node)
        except Exception:
            text = taint.what
    if len(text) > 60:
        text = text[:57] + "..."
    return text


def origin_of(taint: Taint) -> Taint:
    """The innermost source of a helper's result."""
    while taint.origin is not None:
        taint = taint.origin
    return taint

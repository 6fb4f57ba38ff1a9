"""Helpers the LL1xx rules share: does a call pass a timeout, which parameter carries the caller's
budget, and the fix that inserts one."""

from __future__ import annotations

import ast
import fnmatch
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Pattern, Tuple

from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddImport, AddKeyword, import_from_statement
from leaklint.semantic.model import named_params

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext


@lru_cache(maxsize=16)
def _name_pattern(patterns: Tuple[str, ...]) -> Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or "(?!)")


def is_timeout_name(name: str, patterns: Iterable[str]) -> bool:
    """Whether ``name`` matches one of the globs (compiled once per set of patterns)."""
    return _name_pattern(tuple(patterns)).match(name) is not None


def is_none(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def is_false(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, 0)


def argument(call: ast.Call, keyword: Optional[str], position: Optional[int]) -> Optional[ast.AST]:
    """The expression passed for a parameter, by keyword or at its position."""
    for kw in call.keywords:
        if kw.arg is not None and kw.arg == keyword:
            return kw.value
    if position is not None and len(call.args) > position:
        if not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return call.args[position]
    return None


def _string_parts(node: ast.AST, model) -> Iterable[str]:
    if isinstance(node, ast.Name):
        value = model.value_of(node)
        if value is not None and not isinstance(value, ast.Name):
            yield from _string_parts(value, model)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            yield from _string_parts(part, model)
    elif isinstance(node, ast.BinOp):
        yield from _string_parts(node.left, model)
        yield from _string_parts(node.right, model)


def passes_timeout(call: ast.Call, entry: Mapping[str, Any], model) -> bool:
    """Whether the call passes a timeout by keyword, position or ``**kwargs``, or does not block
    (``block=False``), or carries the timeout inside a DSN or URL string."""
    keyword = entry.get("timeout-keyword", "timeout")
    if argument(call, keyword, entry.get("timeout-position")) is not None:
        return True
    if any(isinstance(a, ast.Starred) for a in call.args):
        return True  # ``*args`` may carry it; be precise rather than loud
    also = entry.get("also-keywords", ())
    for kw in call.keywords:
        if kw.arg is not None and kw.arg in also:
            return True
        if kw.arg is None and _kwargs_may_hold(kw.value, keyword, model):
            return True
    nonblocking = argument(call, entry.get("nonblocking-keyword"), entry.get("nonblocking-position"))
    if is_false(nonblocking):
        return True
    key = entry.get("timeout-in-string")
    if key:
        for arg in list(call.args) + [kw.value for kw in call.keywords]:
            if any(key in part for part in _string_parts(arg, model)):
                return True
    return False


def _kwargs_may_hold(value: ast.AST, keyword: str, model) -> bool:
    if not isinstance(value, ast.Dict):
        resolved = model.value_of(value) if isinstance(value, ast.Name) else None
        if not isinstance(resolved, ast.Dict):
            return True  # the caller's own **kwargs, or a dict we cannot see into
        value = resolved
    for key in value.keys:  # type: ignore[attr-defined]
        if key is None or (isinstance(key, ast.Constant) and key.value == keyword):
            return True
    return False


def opaque_dsn(call: ast.Call, entry: Mapping[str, Any], model) -> bool:
    """A DSN or URL argument whose text leaklint cannot see may well carry the timeout key."""
    if not entry.get("timeout-in-string") or not call.args:
        return False
    first = call.args[0]
    return not any(True for _ in _string_parts(first, model))


def timeout_param(func: Optional[ast.AST], patterns) -> Optional[str]:
    """The first timeout-like parameter of ``func``."""
    if func is None or not hasattr(func, "args"):
        return None
    match = _name_pattern(tuple(patterns)).match
    for arg in named_params(func):
        if match(arg.arg):
            return arg.arg
    return None


def configured_timeout(ctx: FileContext) -> Tuple[str, Tuple[AddImport, ...]]:
    """The expression the fixes insert and the import it needs (as fix ops)."""
    value = ctx.option("timeouts", "fix-timeout")
    extra = import_from_statement(ctx.option("timeouts", "fix-timeout-import"))
    return value, ((extra,) if extra is not None else ())


def add_timeout_fix(call: ast.Call, ctx: FileContext, keyword: str, param: Optional[str]) -> Fix:
    """Forward the enclosing function's ``param`` when there is one, else the configured timeout."""
    if param is not None:
        return Fix(f"Forward `{param}` as `{keyword}=`", Safety.UNSAFE,
                   (AddKeyword(ctx.node_range(call), keyword, param),))
    value, imports = configured_timeout(ctx)
    return Fix(f"Add `{keyword}={value}`", Safety.UNSAFE,
               (AddKeyword(ctx.node_range(call), keyword, value),) + imports)

"""The unsafe LL201 fix: swap a request's raw path for the framework's matched route template.

Each replacement keeps a fallback for requests that matched no route (404s, middleware running
before routing), so the label stays bounded and the code never raises on ``None``.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Optional, Tuple

from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import Replace
from leaklint.semantic.taint import Taint, TaintAnalysis, origin_of

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

UNMATCHED = '"<unmatched>"'


def route_fix(taint: Taint, analysis: TaintAnalysis, ctx: FileContext) -> Optional[Tuple[str, Tuple]]:
    """``(description, op)`` replacing the raw path at the source, when the framework has a route."""
    taint = origin_of(taint)  # a helper's raw path is fixed inside the helper
    node = taint.node
    if taint.kind != "request" or not isinstance(node, ast.Attribute):
        return None
    framework = taint.framework
    base = node.value
    if framework == "flask" and node.attr == "path":
        code = f'getattr({ctx.segment(base)}.url_rule, "rule", {UNMATCHED})'
        what = "the matched Flask rule"
    elif framework == "django" and node.attr in ("path", "path_info"):
        code = f'getattr({ctx.segment(base)}.resolver_match, "route", {UNMATCHED})'
        what = "the matched Django route"
    elif framework == "starlette" and node.attr == "path" and isinstance(base, ast.Attribute) and base.attr == "url":
        code = f'getattr({ctx.segment(base.value)}.scope.get("route"), "path", {UNMATCHED})'
        what = "the matched route's path template"
    else:
        return None
    request = base.value if framework == "starlette" else base  # type: ignore[union-attr]
    if analysis.request_framework(request) != framework:
        return None
    if any(isinstance(a, ast.JoinedStr) for a in analysis.model.ancestors(node)):
        return None  # the replacement's quotes could clash with the f-string's before Python 3.12
    return what, Replace(ctx.node_range(node), code)


def make_fix(parts) -> Optional[Fix]:
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    seen, ops, whats = set(), [], []
    for what, op in parts:
        if op.range in seen:
            continue
        seen.add(op.range)
        ops.append(op)
        whats.append(what)
    return Fix(f"Label with {whats[0]} instead of the raw path", Safety.UNSAFE, tuple(ops))

"""LL3xx: caches that remember failures, grow forever, or pin objects. Each rule is a module of
this package (found by discovery; ``growing_dicts`` holds the hand-made dictionaries of the
unbounded-cache rule).

What counts as a memoizer, a cache, a transient exception or an HTTP response is the ``caches``
catalogue (``rules/caches.toml``); ``knowledge`` turns it into the questions the rules ask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ast

from leaklint.checks.base import Checker, Option
from leaklint.checks.caches.error_cached import ErrorCached, store_of_assign, store_of_call
from leaklint.checks.caches.knowledge import (
    FUNCTION_DEFS, knowledge_for, last_name, memo_of, memoizer_names_in, memos_of,
)
from leaklint.checks.caches.pins_instance import check_pins_instance
from leaklint.checks.caches.growing_dicts import GrowingDicts
from leaklint.checks.caches.unbounded import UnboundedMemoizers, annotations_not_all_enums

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext


class CacheChecker(Checker):
    family = "caches"
    options = {
        "fix-maxsize": Option("str", "1024", "The bound the LL302 fix gives an unbounded cache (an expression)."),
        "cache-names": Option("list[str]", ["*cache*", "*memo*"],
                              "Lower-case globs of names treated as caches when they are filled."),
        "negative-cache-names": Option("list[str]", ["*negative*", "*failure*", "*failed*", "*error*"],
                                       "Globs of caches meant to hold failures (deliberate negative caches)."),
        "max-negative-ttl": Option("float", 60, "The longest TTL in seconds of a deliberate negative cache entry."),
        "registry-names": Option("list[str]", ["*regist*", "*instances*", "*singleton*"],
                                 "Globs of module or class dicts that register long-lived objects (not caches)."),
    }

    resolvers = {"caches-unbounded-annotations": annotations_not_all_enums}

    def begin(self, ctx: FileContext) -> None:
        self.known = knowledge_for(ctx.catalogue)
        self.on = {code: ctx.enabled(code) for code in self.codes}
        self.error_cached = ErrorCached(ctx, self.known)
        self.unbounded = UnboundedMemoizers(ctx, self.known)
        self.growing_dicts = GrowingDicts(ctx, self.known)
        self.store_methods = self.known.store_methods
        self.memoizer_names = memoizer_names_in(ctx.model, self.known)

    def visit_FunctionDef(self, node: ast.AST, ctx: FileContext) -> None:
        if not node.decorator_list:  # type: ignore[attr-defined]
            return
        memos = memos_of(node, ctx.model, self.known, self.memoizer_names)
        if not memos:
            return
        nested = ctx.model.enclosing_function(node, through_lambda=False) is not None
        for memo in memos:
            self._check_memo(memo, ctx, nested, pins=True)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _check_memo(self, memo, ctx: FileContext, nested: bool, pins: bool) -> None:
        if self.on["LL301"]:
            self.error_cached.check_memoized(memo)
        if self.on["LL302"]:
            self.unbounded.check_memoized(memo, nested)
        if self.on["LL303"] and pins:
            check_pins_instance(memo, ctx, self.known)

    def visit_Call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in self.store_methods:
            if self.on["LL301"]:
                store = store_of_call(node, self.known)
                if store is not None:
                    self.error_cached.check_store(store)
            return
        if len(node.args) == 1 and not node.keywords and last_name(func) in self.memoizer_names:
            self._applied_memoizer(node, ctx)

    def _applied_memoizer(self, node: ast.Call, ctx: FileContext) -> None:
        """``f = lru_cache(maxsize=None)(g)`` and ``f = cache(g)``: a memoizer applied by hand."""
        target = node.args[0]
        if not isinstance(target, ast.Name):
            return
        function = None
        for binding in ctx.model.bindings_at(target):
            if binding.kind == "def":
                function = binding.node
        if not isinstance(function, FUNCTION_DEFS):
            return
        memo = memo_of(node.func, function, ctx.model, self.known, self.memoizer_names)
        if memo is None:
            return
        nested = ctx.model.enclosing_function(node, through_lambda=False) is not None
        self._check_memo(memo, ctx, nested, pins=False)

    def visit_Assign(self, node: ast.Assign, ctx: FileContext) -> None:
        target = node.targets[0]
        if isinstance(target, ast.Subscript):
            if self.on["LL301"]:
                store = store_of_assign(node)
                if store is not None:
                    self.error_cached.check_store(store)
        elif self.on["LL302"] and len(node.targets) == 1 and isinstance(node.value, (ast.Dict, ast.Call)):
            self.growing_dicts.note_assign(node, target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: FileContext) -> None:
        if self.on["LL302"] and isinstance(node.value, (ast.Dict, ast.Call)):
            self.growing_dicts.note_assign(node, node.target, node.value)

    def end(self, ctx: FileContext) -> None:
        if self.on["LL301"]:
            self.error_cached.end()
        if self.on["LL302"]:
            self.growing_dicts.end()

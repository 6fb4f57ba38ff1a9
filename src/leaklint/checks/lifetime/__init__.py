"""LL4xx: resource lifetime and load shape. Each rule is a module of this package (found by
discovery); this checker dispatches the calls the older rules share and builds ``LifetimeFacts``.

What owns a resource, how it is released, which queues take a bound and which retry helpers need
which arguments are catalogues (``rules/resources.toml``, ``rules/retries.toml``); where a created
value goes is computed once per creation by ``ownership``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, Tuple

from leaklint.checks.base import Checker, Option
from leaklint.checks.lifetime.never_closed import check_never_closed
from leaklint.checks.lifetime.ownership import enclosing_loop, fate_of
from leaklint.checks.lifetime.per_iteration import check_per_iteration
from leaklint.checks.lifetime.retries import RetryCatalogue, check_policy, check_retrier
from leaklint.checks.lifetime.retry_loops import check_loop
from leaklint.checks.lifetime.unbounded_queue import check_queue

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext


def _last_names(*qualnames: Iterable[str]) -> FrozenSet[str]:
    return frozenset(q.rsplit(".", 1)[-1] for names in qualnames for q in names)


# catalogue -> (call names, decorator names): the catalogue is the same for every file of a run
_NAME_FILTERS: Dict[Tuple[Any, ...], Tuple[Any, Tuple[FrozenSet[str], ...]]] = {}


def _name_filters(catalogue, on: Dict[str, bool], sections) -> Tuple[FrozenSet[str], ...]:
    """The last parts of the catalogue's qualified names, the cheap filter every call meets first;
    computed once per catalogue and rule selection, not once per file."""
    key = (id(catalogue), tuple(sorted(on.items())))
    cached = _NAME_FILTERS.get(key)
    if cached is not None and cached[0] is catalogue:
        return cached[1]
    resources, queues, retriers, policies = sections
    names = []
    if on["LL401"] or on["LL402"]:
        names.append(resources)
    if on["LL403"]:
        names.append(queues)
    if on["LL404"]:
        names.extend((retriers, policies))
    filters = (_last_names(*names), _last_names(retriers) if on["LL404"] else frozenset())
    if len(_NAME_FILTERS) > 8:
        _NAME_FILTERS.clear()  # a long-lived process that builds many catalogues
    _NAME_FILTERS[key] = (catalogue, filters)
    return filters


@dataclass(frozen=True)
class LifetimeFacts:
    """What the lifetime rules read, per file: the catalogue sections they share."""

    resources: Dict[str, Dict[str, Any]]
    queues: Dict[str, Dict[str, Any]]
    owners: Dict[str, str]
    borrowers: Dict[str, str]
    retry: RetryCatalogue


class LifetimeChecker(Checker):
    family = "lifetime"
    options = {
        "queue-maxsize": Option("str", "1000", "The bound the LL403 fix gives a queue."),
        "retry-attempts": Option("int", 5, "The stop_after_attempt bound the LL404 fix adds to tenacity."),
        "retry-wait": Option("str", "wait_random_exponential(multiplier=0.5, max=30)",
                             "The tenacity wait strategy the LL404 fix adds."),
        "retry-wait-import": Option("str", "from tenacity import wait_random_exponential",
                                    "The import the retry-wait expression needs."),
        "retry-backoff-factor": Option("str", "0.5", "The urllib3 backoff_factor the LL404 fix sets."),
    }

    def begin(self, ctx: FileContext) -> None:
        self.resources: Dict[str, Dict[str, Any]] = ctx.catalogue.section("resources", "resources")
        self.queues: Dict[str, Dict[str, Any]] = ctx.catalogue.section("resources", "queues")
        self.owners = ctx.catalogue.section("resources", "owners")
        self.borrowers = ctx.catalogue.section("resources", "borrowers")
        self.retry = RetryCatalogue(ctx)
        self.facts = LifetimeFacts(self.resources, self.queues, self.owners, self.borrowers, self.retry)
        self.on = {code: ctx.enabled(code) for code in self.codes}
        call_names, decorator_names = _name_filters(
            ctx.catalogue, self.on, (self.resources, self.queues, self.retry.retriers, self.retry.policies))
        self.call_names = ctx.model.call_names(call_names)
        self.decorator_names = ctx.model.call_names(decorator_names) if decorator_names else decorator_names

    # -------------------------------------------------------------- calls
    def visit_Call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in self.call_names:
            return
        target = ctx.model.call_target(node)
        if target is None:
            return
        entry = self.resources.get(target)
        if entry is not None and (self.on["LL401"] or self.on["LL402"]):
            self._resource(node, target, entry, ctx)
            return
        entry = self.queues.get(target)
        if entry is not None and self.on["LL403"]:
            check_queue(node, target, entry, ctx)
            return
        if not self.on["LL404"]:
            return
        entry = self.retry.retriers.get(target)
        if entry is not None:
            check_retrier(node, target, entry.get("style", "tenacity"), self.retry, ctx)
            return
        entry = self.retry.policies.get(target)
        if entry is not None:
            check_policy(node, target, entry, ctx)

    def _resource(self, node: ast.Call, target: str, entry: Dict[str, Any], ctx: FileContext) -> None:
        model = ctx.model
        func = model.enclosing_function(node, through_lambda=False)
        if func is None:
            return  # module and class level objects live as long as the process
        release = tuple(entry.get("release", ("close",)))
        fate = fate_of(node, model, release, entry.get("with-closes", True), self.owners, self.borrowers, func)
        if self.on["LL401"]:
            check_never_closed(node, target, entry, fate, ctx, func)
        if self.on["LL402"]:
            loop = enclosing_loop(node, model, func)
            if loop is not None:
                check_per_iteration(node, target, entry, fate, loop, ctx)

    # -------------------------------------------------------------- retries
    def visit_FunctionDef(self, node: ast.AST, ctx: FileContext) -> None:
        if not self.decorator_names:
            return
        for dec in node.decorator_list:  # type: ignore[attr-defined]
            if isinstance(dec, ast.Call):
                continue
            name = dec.id if isinstance(dec, ast.Name) else dec.attr if isinstance(dec, ast.Attribute) else None
            if name not in self.decorator_names:
                continue
            target = ctx.model.qualname(dec)
            entry = self.retry.retriers.get(target or "")
            if entry is not None:
                check_retrier(dec, target, entry.get("style", "tenacity"), self.retry, ctx)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_While(self, node: ast.While, ctx: FileContext) -> None:
        if self.on["LL404"]:
            check_loop(node, self.retry, ctx)

    def visit_For(self, node: ast.For, ctx: FileContext) -> None:
        if not self.on["LL404"] or not isinstance(node.iter, ast.Call):
            return
        func = node.iter.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name in ("range", "count"):
            check_loop(node, self.retry, ctx)

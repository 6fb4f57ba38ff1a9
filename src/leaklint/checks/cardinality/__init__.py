"""LL2xx: telemetry cardinality, traced from request to metric. Each rule is a module of this
package (``llNNN``, found by discovery).

Sinks come from ``rules/metrics.toml`` (``sinks``), sources and sanitizers from
``rules/telemetry-sources.toml`` through ``semantic.taint``. ``visit_Call`` rejects a call on its
method name before asking the model anything; taint is computed only for sink arguments.
"""

from __future__ import annotations

import ast
import weakref
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Optional, Tuple

from leaklint.checks.base import Checker, Option
from leaklint.checks.cardinality import ll201, ll202, ll203
from leaklint.checks.cardinality.sinks import (SinkCatalogue, argument, instrument_of, label_names, metric_class,
                                               metric_of)
from leaklint.semantic.taint import Params, Taint, TaintAnalysis, TaintConfig, describe

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext


def resolve_sink(index, metric: str, label: int, helper: str, arguments=()) -> Optional[Dict[str, Any]]:
    """A deferred LL201/LL203 holds when the metric (if imported) is one and the helper (if any)
    returns an unbounded value, or passes through one of ``arguments`` (``[index, description]``
    of the call's unbounded arguments); the fields complete the message."""
    fields: Dict[str, Any] = {"label": f"#{label + 1}"}
    if metric:
        facts = index.lookup(metric)
        if not facts or not (facts.get("metric") or facts.get("instrument")):
            return None
        names = (facts.get("metric") or {}).get("labels") or []
        if 0 <= label < len(names) and names[label] != "?":
            fields["label"] = names[label]
    if helper:
        facts = index.lookup(helper) or {}
        returned = facts.get("unbounded-return")
        if returned:
            fields["source"] = f"{returned['source']} of `{returned['module']}`"
        else:
            passed = set(facts.get("passes-through") or ())
            found = [description for position, description in arguments if position in passed]
            if not found:
                return None
            fields["source"] = f"its argument {found[0]}"
    return fields


class CardinalityChecker(Checker):
    family = "cardinality"
    options = {
        "sanitizers": Option("list[str]", [], "Qualified names of functions whose result is a bounded value."),
    }
    resolvers = {"cardinality-sink": resolve_sink}

    def begin(self, ctx: FileContext) -> None:
        self.sinks, config = _prepared(ctx.catalogue, tuple(ctx.option("cardinality", "sanitizers")))
        self.analysis = TaintAnalysis(ctx.model, config)
        self.dispatch = self.sinks.dispatch
        aliases = self._metric_class_aliases(ctx.model)
        subclasses = frozenset(
            node.name for node in (ctx.model.nodes.get(ast.ClassDef, ()) if aliases else ())
            if any(isinstance(base, ast.Name) and base.id in aliases for base in node.bases))
        self.constructors = aliases | subclasses  # local names that construct a metric
        self.on = {code: ctx.enabled(code) for code in self.codes}

    def _metric_class_aliases(self, model) -> FrozenSet[str]:
        """Local names imported as metric classes (``from prometheus_client import Counter as C``)."""
        names = set()
        modules = self.sinks.class_modules
        for node in model.nodes.get(ast.ImportFrom, ()):
            if node.module not in modules:
                continue
            for alias in node.names:
                if f"{node.module}.{alias.name}" in self.sinks.metric_classes:
                    names.add(alias.asname or alias.name)
        return frozenset(names)

    def visit_Call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        if type(func) is ast.Attribute:
            kinds = self.dispatch.get(func.attr)
            if kinds is None:
                return
            if "labels" in kinds and self.on["LL201"] and (node.args or node.keywords):
                self._labels(node, ctx)
            if "instrument" in kinds and self.on["LL201"] and (len(node.args) > 1 or node.keywords):
                self._attributes(node, ctx)
            if "declaration" in kinds:
                self._declaration(node, ctx)
            if "factory" in kinds:
                self._factory(node, ctx)
            if "tags" in kinds and (node.keywords or (node.args and not isinstance(node.args[0], ast.Constant))):
                self._statsd(node, ctx)
        elif type(func) is ast.Name and func.id in self.constructors:
            self._declaration(node, ctx)

    # ------------------------------------------------------------------ sinks
    def _labels(self, node: ast.Call, ctx: FileContext) -> None:
        receiver = node.func.value  # type: ignore[attr-defined]
        metric = metric_of(ctx.model, self.sinks, receiver, ctx.segment(receiver))
        if metric is not None:
            ll201.report(ctx, self.analysis, node, metric, ll201.label_pairs(self.analysis, node), "label")

    def _attributes(self, node: ast.Call, ctx: FileContext) -> None:
        receiver = node.func.value  # type: ignore[attr-defined]
        found = instrument_of(ctx.model, self.sinks, receiver, ctx.segment(receiver))
        if found is None:
            return
        metric, entry = found
        if node.func.attr not in entry.get("methods", [node.func.attr]):  # type: ignore[attr-defined]
            return
        ll201.report(ctx, self.analysis, node, metric, ll201.attribute_pairs(self.analysis, node, entry), "attribute")

    def _statsd(self, node: ast.Call, ctx: FileContext) -> None:
        target = ctx.model.call_target(node)
        entry = self.sinks.tag_targets.get(target or "")
        if entry is None:
            return
        receiver = node.func.value  # type: ignore[attr-defined]
        if self.on["LL201"]:
            pairs = ll201.tag_pairs(self.analysis, node, entry)
            ll201.report(ctx, self.analysis, node, ll201.Metric(ctx.segment(receiver)), pairs, "tag")
        name = argument(node, entry.get("name-position"), entry.get("name-keyword"))
        if self.on["LL203"] and name is not None and not isinstance(name, ast.Constant):
            ll203.check(ctx, self.analysis, node, name, "statsd metric")

    def _declaration(self, node: ast.Call, ctx: FileContext) -> None:
        found = metric_class(ctx.model, self.sinks, node)
        if found is None:
            return
        _cls, entry = found
        if self.on["LL202"]:
            stmt = ctx.model.statement_of(node)
            display = _assigned_name(stmt, ctx) or ctx.segment(node.func)
            ll202.check(ctx, node, display, label_names(ctx.model, node, entry), self.sinks.unbounded_label_names,
                        self.analysis.config.is_bounded_name)
        name = argument(node, entry.get("name-position"), entry.get("name-keyword"))
        if self.on["LL203"] and name is not None and not isinstance(name, ast.Constant):
            ll203.check(ctx, self.analysis, node, name, "metric")

    def _factory(self, node: ast.Call, ctx: FileContext) -> None:
        entry = self.sinks.factories[node.func.attr]  # type: ignore[attr-defined]
        name = argument(node, entry.get("name-position"), entry.get("name-keyword"))
        if self.on["LL203"] and name is not None and not isinstance(name, ast.Constant):
            ll203.check(ctx, self.analysis, node, name, "instrument")

    # ------------------------------------------------------------------ project index
    def summarize(self, ctx: FileContext) -> Dict[str, Dict[str, Any]]:
        """Metrics and instruments declared at module level, and functions returning an unbounded value."""
        out: Dict[str, Dict[str, Any]] = {}
        model = ctx.model
        for name, bindings in model.module_scope.bindings.items():
            b = bindings[-1]
            if b.kind == "assign" and isinstance(b.value, ast.Call):
                found = metric_class(model, self.sinks, b.value)
                if found is not None:
                    out[name] = {"metric": {"labels": label_names(model, b.value, found[1])}}
                elif isinstance(b.value.func, ast.Attribute) and b.value.func.attr in self.sinks.factories:
                    out[name] = {"instrument": True}
            elif b.kind == "def" and not name.startswith("_"):  # what other modules may import
                summary = self.analysis.summarize_function(b.node)
                if isinstance(summary, Taint):
                    out[name] = {"unbounded-return": {"source": describe(summary, ctx.segment),
                                                      "line": summary.line, "module": model.module}}
                elif isinstance(summary, Params):
                    out[name] = {"passes-through": sorted(summary.indexes)}
        return out


# catalogues prepared once per run (a worker analyses many files with the same catalogue)
_PREPARED: "weakref.WeakKeyDictionary[Any, Dict[Tuple[str, ...], Tuple[SinkCatalogue, TaintConfig]]]" = \
    weakref.WeakKeyDictionary()


def _prepared(catalogue, sanitizers: Tuple[str, ...]) -> Tuple[SinkCatalogue, TaintConfig]:
    by_options = _PREPARED.setdefault(catalogue, {})
    found = by_options.get(sanitizers)
    if found is None:
        found = by_options[sanitizers] = (SinkCatalogue(catalogue),
                                          TaintConfig(catalogue["telemetry-sources"], sanitizers))
    return found


def _assigned_name(stmt: ast.AST, ctx: FileContext) -> Optional[str]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        return ctx.segment(stmt.targets[0])
    if isinstance(stmt, ast.AnnAssign):
        return ctx.segment(stmt.target)
    return None
